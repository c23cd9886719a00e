//! The rules of `pkg/apis/batch/validation` a schema cannot say, for Jobs
//! and CronJobs: counts that may not be negative, a pod template that
//! restarts `OnFailure` or `Never`, and a CronJob's schedule
//! ([`super::cron`]). A Job's template and selector are immutable on a
//! real server too, but its answer prints the whole internal
//! `PodTemplateSpec`, which this server does not reproduce (README,
//! "Not done yet").

use serde_json::Value;

use super::validation::{containers, nonnegative, not_supported, required};
use crate::status::Cause;

/// A Job's spec at `at` (`spec`, or a CronJob's `spec.jobTemplate.spec`).
fn job_spec(spec: &Value, at: &str, causes: &mut Vec<Cause>) {
    for f in ["parallelism", "completions", "backoffLimit"] {
        nonnegative(&spec[f], &format!("{at}.{f}"), causes);
    }
    let pod = &spec["template"]["spec"];
    containers(pod, &format!("{at}.template.spec"), causes);
    let policy = pod["restartPolicy"].as_str().unwrap_or("");
    if policy != "OnFailure" && policy != "Never" {
        causes.push(not_supported(
            format!("{at}.template.spec.restartPolicy"),
            policy,
            &["OnFailure", "Never"],
        ));
    }
}

/// A Job (`ValidateJobSpec`).
pub fn job(o: &Value, causes: &mut Vec<Cause>) {
    job_spec(&o["spec"], "spec", causes);
}

/// A CronJob (`validateCronJobSpec`): the schedule, the history limits,
/// then the Job it makes.
pub fn cron_job(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    match spec["schedule"].as_str().filter(|s| !s.is_empty()) {
        None => causes.push(required("spec.schedule")),
        Some(s) => {
            for msg in super::cron::schedule_errors(s) {
                causes.push(crate::validate::invalid("spec.schedule", s, &msg));
            }
        }
    }
    for f in [
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ] {
        nonnegative(&spec[f], &format!("spec.{f}"), causes);
    }
    job_spec(
        &spec["jobTemplate"]["spec"],
        "spec.jobTemplate.spec",
        causes,
    );
}
