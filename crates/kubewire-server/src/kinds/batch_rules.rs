//! The rules of `pkg/apis/batch/validation` a schema cannot say, for Jobs
//! and CronJobs: counts that may not be negative, a pod template that
//! restarts `OnFailure` or `Never`, and a CronJob's schedule
//! ([`super::cron`]); and the Job strategy's generated selector, and the
//! selector and template that do not change on an update. The real
//! refusal of a changed template prints Go's internal `PodTemplateSpec`
//! (a `%#v` of the struct); this server prints the template as JSON, as
//! Go prints the values it can marshal (README, "Not done yet").

use serde_json::{json, Value};

use super::validation::{containers, invalid_json, nonnegative, not_supported, required};
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

/// The Job labels its strategy sets on the pod template, and the one its
/// generated selector matches (`batch.kubernetes.io/controller-uid`).
const NAME_LABELS: [&str; 2] = ["job-name", "batch.kubernetes.io/job-name"];
const UID_LABELS: [&str; 2] = ["controller-uid", "batch.kubernetes.io/controller-uid"];

/// The Job strategy's `PrepareForCreate`: unless `manualSelector` is set,
/// the template gets the Job's name and uid as labels (a label the
/// template sets already is kept) and the selector matches the uid
/// (`generateSelector`). The object is then written to storage and read
/// back, and reading defaults a Job without labels to its template's
/// (`SetDefaults_Job`), so such a Job shows the generated labels too.
pub fn prepare_job(o: &mut Value) {
    if o["spec"]["manualSelector"] == true || !o["spec"].is_object() {
        return;
    }
    let name = o["metadata"]["name"].clone();
    let uid = o["metadata"]["uid"].clone();
    let template = &mut o["spec"]["template"];
    if !template["metadata"]["labels"].is_object() {
        template["metadata"]["labels"] = json!({});
    }
    let labels = &mut template["metadata"]["labels"];
    for (keys, value) in [(NAME_LABELS, &name), (UID_LABELS, &uid)] {
        for k in keys {
            if labels.get(k).is_none() {
                labels[k] = value.clone();
            }
        }
    }
    let sel = &mut o["spec"]["selector"];
    if !sel["matchLabels"].is_object() {
        sel["matchLabels"] = json!({});
    }
    if sel["matchLabels"].get(UID_LABELS[1]).is_none() {
        sel["matchLabels"][UID_LABELS[1]] = uid;
    }
    job_labels_from_template(o);
}

/// `SetDefaults_Job`'s labels: a Job without labels gets its template's.
pub fn job_labels_from_template(o: &mut Value) {
    let template = &o["spec"]["template"]["metadata"]["labels"];
    let empty = o["metadata"]["labels"]
        .as_object()
        .is_none_or(|m| m.is_empty());
    if template.is_object() && empty && o["metadata"].is_object() {
        o["metadata"]["labels"] = template.clone();
    }
}

/// The template fields a suspended Job that never started may change
/// (`AllowMutableSchedulingDirectives`): where its pods may run, and the
/// template's labels and annotations.
const SCHEDULING: [(&str, &str); 6] = [
    ("spec", "affinity"),
    ("spec", "nodeSelector"),
    ("spec", "tolerations"),
    ("spec", "schedulingGates"),
    ("metadata", "labels"),
    ("metadata", "annotations"),
];

/// `ValidateJobSpecUpdate`'s immutable parts, in its order: the selector
/// (printed as JSON, as Go prints it), then the template.
pub fn job_update(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let (o, n) = (&old["spec"], &new["spec"]);
    if o["selector"] != n["selector"] {
        causes.push(invalid_json(
            "spec.selector",
            &n["selector"],
            "field is immutable",
        ));
    }
    let mut before = o["template"].clone();
    let suspended = o["suspend"] == true && old["status"]["startTime"].is_null();
    if suspended {
        for (part, field) in SCHEDULING {
            before[part][field] = n["template"][part][field].clone();
        }
    }
    if strip_nulls(&before) != strip_nulls(&n["template"]) {
        causes.push(invalid_json(
            "spec.template",
            &n["template"],
            "field is immutable",
        ));
    }
}

/// `v` without null members (a field set to null is a field not set).
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), strip_nulls(x)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_gets_a_generated_selector_unless_manual() {
        let mut j = json!({"metadata": {"name": "once", "uid": "u-1"},
            "spec": {"template": {"metadata": {"labels": {"job-name": "mine"}}, "spec": {}}}});
        prepare_job(&mut j);
        let labels = json!({"job-name": "mine", "batch.kubernetes.io/job-name": "once",
            "controller-uid": "u-1", "batch.kubernetes.io/controller-uid": "u-1"});
        assert_eq!(j["spec"]["template"]["metadata"]["labels"], labels);
        assert_eq!(
            j["spec"]["selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}})
        );
        assert_eq!(j["metadata"]["labels"], labels);
        let mut manual = json!({"metadata": {"name": "m", "uid": "u-2", "labels": {"a": "b"}},
            "spec": {"manualSelector": true, "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}}}});
        let before = manual.clone();
        prepare_job(&mut manual);
        assert_eq!(manual, before);
    }

    #[test]
    fn a_jobs_selector_and_template_do_not_change() {
        let old = json!({"spec": {"selector": {"matchLabels": {"x": "1"}},
            "template": {"metadata": {"labels": {"x": "1"}}, "spec": {"nodeSelector": {"a": "b"}}}}});
        let mut new = old.clone();
        new["spec"]["selector"]["matchLabels"]["x"] = "2".into();
        new["spec"]["template"]["spec"]["nodeSelector"]["a"] = "c".into();
        let mut causes = Vec::new();
        job_update(&old, &new, &mut causes);
        let got: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        assert_eq!(
            got,
            [
                "spec.selector: Invalid value: {\"matchLabels\":{\"x\":\"2\"}}: field is immutable",
                "spec.template: Invalid value: {\"metadata\":{\"labels\":{\"x\":\"1\"}},\"spec\":{\"nodeSelector\":{\"a\":\"c\"}}}: field is immutable",
            ]
        );
        // Suspended and never started: scheduling directives may change.
        let mut old = old;
        old["spec"]["suspend"] = true.into();
        new["spec"]["selector"] = old["spec"]["selector"].clone();
        new["spec"]["suspend"] = true.into();
        let mut causes = Vec::new();
        job_update(&old, &new, &mut causes);
        assert!(causes.is_empty(), "{causes:?}");
        new["spec"]["template"]["spec"]["restartPolicy"] = "Never".into();
        job_update(&old, &new, &mut causes);
        assert_eq!(causes.len(), 1);
    }
}
