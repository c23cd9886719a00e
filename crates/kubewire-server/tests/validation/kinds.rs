//! The rest of the table: what the schemas' enums and required fields
//! say of built-in kinds ([`kubewire_server::schema_checks`]), and the
//! rules of Services' ports, Jobs, CronJobs and Ingresses, each with the
//! real server's wording (`pkg/apis/*/validation`, robfig/cron's errors).

use serde_json::{json, Value};

use super::{
    app_pod, case, deployment, pod, web_spec, Case, DEPLOYS, JSON, JSONP, LABEL_1123, MERGE,
};

const SVCS: &str = "/api/v1/namespaces/capture/services";
const PODS: &str = "/api/v1/namespaces/capture/pods";
const JOBS: &str = "/apis/batch/v1/namespaces/capture/jobs";
const CRONJOBS: &str = "/apis/batch/v1/namespaces/capture/cronjobs";
const INGRESSES: &str = "/apis/networking.k8s.io/v1/namespaces/capture/ingresses";
const APPLY: &str = "application/apply-patch+yaml";
const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";
const JOB_RESTART: &str = "supported values: \"OnFailure\", \"Never\"";

fn svc(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
}

fn job(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec})
}

fn job_spec(pod: Value) -> Value {
    json!({"template": {"spec": pod}})
}

fn never_pod() -> Value {
    json!({"restartPolicy": "Never", "containers": [{"name": "app", "image": "busybox"}]})
}

fn cron(name: &str, schedule: Option<&str>, pod: Value) -> Value {
    let mut spec = json!({"jobTemplate": {"spec": {"template": {"spec": pod}}}});
    if let Some(s) = schedule {
        spec["schedule"] = s.into();
    }
    json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name}, "spec": spec})
}

fn ingress(name: &str, path: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name},
        "spec": {"rules": [{"host": "example.com", "http": {"paths": [path]}}]}})
}

fn one(kind: &str, name: &str, cause: &str) -> String {
    format!("{kind} \"{name}\" is invalid: {cause}")
}

fn with_spec(mut o: Value, key: &str, v: Value) -> Value {
    o["spec"][key] = v;
    o
}

pub fn cases() -> Vec<Case> {
    let web = || {
        deployment(
            "d1",
            web_spec(
                json!({"matchLabels": {"app": "web"}}),
                json!({"app": "web"}),
                app_pod(),
            ),
        )
    };
    vec![
        // Services: ports, by validateServicePort; type and enums by schema.
        case("POST", SVCS, JSON, svc("s1", json!({})), 422,
            one("Service", "s1", "spec.ports: Required value")),
        case("POST", SVCS, JSON, svc("s2", json!({"ports": [{"name": "http", "port": 80}, {"port": 81}]})), 422,
            one("Service", "s2", "spec.ports[1].name: Required value")),
        case("POST", SVCS, JSON, svc("s3", json!({"ports": [{"name": "a", "port": 80}, {"name": "a", "port": 81}]})), 422,
            one("Service", "s3", "spec.ports[1].name: Duplicate value: \"a\"")),
        case("POST", SVCS, JSON, svc("s4", json!({"ports": [{"port": 70000}]})), 422,
            format!("Service \"s4\" is invalid: [spec.ports[0].port: Invalid value: 70000: {PORT_RANGE}, spec.ports[0].targetPort: Invalid value: 70000: {PORT_RANGE}]")),
        case("POST", SVCS, JSON, svc("s5", json!({"ports": [{"port": 80, "targetPort": "web_port"}]})), 422,
            one("Service", "s5", "spec.ports[0].targetPort: Invalid value: \"web_port\": must contain only alphanumeric characters (a-z, 0-9), and hyphens (-)")),
        case("POST", SVCS, JSON, svc("s6", json!({"ports": [{"name": "Http", "port": 80}]})), 422,
            one("Service", "s6", &format!("spec.ports[0].name: Invalid value: \"Http\": {LABEL_1123}"))),
        case("POST", SVCS, JSON, svc("s7", json!({"type": "Cluster", "ports": [{"port": 80}]})), 422,
            one("Service", "s7", "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"")),
        case("POST", SVCS, JSON, svc("s8", json!({"ports": [{"port": 80, "protocol": "tcp"}]})), 422,
            one("Service", "s8", "spec.ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"")),
        case("POST", SVCS, JSON, svc("s9", json!({"sessionAffinity": "Sticky", "ports": [{"port": 80}]})), 422,
            one("Service", "s9", "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"")),
        case("POST", SVCS, JSON, svc("s10", json!({"ports": [{"port": 80, "targetPort": 0}]})), 422,
            one("Service", "s10", &format!("spec.ports[0].targetPort: Invalid value: 0: {PORT_RANGE}"))),
        // Pods: enums and required fields from the schema.
        case("POST", PODS, JSON, pod("r1", json!({"restartPolicy": "Sometimes", "containers": [{"name": "app", "image": "nginx"}]})), 422,
            one("Pod", "r1", "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"")),
        case("POST", PODS, JSON, pod("r2", json!({"containers": [{"name": "app", "image": "nginx", "env": [{"value": "x"}]}]})), 422,
            one("Pod", "r2", "spec.containers[0].env[0].name: Required value")),
        case("POST", PODS, JSON, pod("r3", json!({"containers": [{"name": "app", "image": "nginx", "ports": [{"protocol": "TCP"}]}]})), 422,
            one("Pod", "r3", "spec.containers[0].ports[0].containerPort: Required value")),
        case("POST", PODS, JSON, pod("r4", json!({"containers": [{"name": "app", "image": "nginx", "terminationMessagePolicy": "Stdout"}]})), 422,
            one("Pod", "r4", "spec.containers[0].terminationMessagePolicy: Invalid value: \"Stdout\": must be 'File' or 'FallbackToLogsOnError'")),
        case("POST", PODS, JSON, pod("r5", json!({"dnsPolicy": "Google", "containers": [{"name": "app", "image": "nginx"}]})), 422,
            one("Pod", "r5", "spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\"")),
        case("POST", PODS, JSON, pod("r6", json!({"volumes": [{"name": "data", "emptyDir": {}}],
                "containers": [{"name": "app", "image": "nginx", "volumeMounts": [{"name": "data"}]}]})), 422,
            one("Pod", "r6", "spec.containers[0].volumeMounts[0].mountPath: Required value")),
        case("POST", PODS, JSON, pod("r7", json!({"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80, "protocol": "HTTP"}]}]})), 422,
            one("Pod", "r7", "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"")),
        case("POST", PODS, JSON, pod("r8", json!({"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 70000}]}]})), 422,
            one("Pod", "r8", &format!("spec.containers[0].ports[0].containerPort: Invalid value: 70000: {PORT_RANGE}"))),
        // Deployments, through every verb.
        case("POST", DEPLOYS, JSON, with_spec(web(), "strategy", json!({"type": "Blue"})), 422,
            one("Deployment.apps", "d1", "spec.strategy.type: Unsupported value: \"Blue\": supported values: \"Recreate\", \"RollingUpdate\"")),
        case("PATCH", &format!("{DEPLOYS}/web"), MERGE, json!({"spec": {"template": {"spec": {"dnsPolicy": "Google"}}}}), 422,
            one("Deployment.apps", "web", "spec.template.spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\"")),
        case("PATCH", &format!("{DEPLOYS}/web"), JSONP, json!([{"op": "add", "path": "/spec/template/spec/containers/0/env", "value": [{"value": "x"}]}]), 422,
            one("Deployment.apps", "web", "spec.template.spec.containers[0].env[0].name: Required value")),
        case("PATCH", &format!("{DEPLOYS}/web?fieldManager=tester&force=true"), APPLY,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"strategy": {"type": "Blue"}}}), 422,
            one("Deployment.apps", "web", "spec.strategy.type: Unsupported value: \"Blue\": supported values: \"Recreate\", \"RollingUpdate\"")),
        case("PUT", &format!("{DEPLOYS}/web"), JSON,
            deployment("web", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}),
                json!({"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80, "protocol": "tcp"}]}]}))), 422,
            one("Deployment.apps", "web", "spec.template.spec.containers[0].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"")),
        // Jobs.
        case("POST", JOBS, JSON, job("j1", job_spec(json!({"containers": [{"name": "app", "image": "busybox"}]}))), 422,
            one("Job.batch", "j1", &format!("spec.template.spec.restartPolicy: Unsupported value: \"Always\": {JOB_RESTART}"))),
        case("POST", JOBS, JSON, with_spec(job("j2", job_spec(never_pod())), "backoffLimit", json!(-1)), 422,
            one("Job.batch", "j2", "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0")),
        case("POST", JOBS, JSON, with_spec(job("j3", job_spec(never_pod())), "completionMode", json!("Sometimes")), 422,
            one("Job.batch", "j3", "spec.completionMode: Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\"")),
        case("POST", JOBS, JSON, with_spec(job("j4", job_spec(never_pod())), "parallelism", json!(-2)), 422,
            one("Job.batch", "j4", "spec.parallelism: Invalid value: -2: must be greater than or equal to 0")),
        case("POST", JOBS, JSON, job("j5", job_spec(json!({"restartPolicy": "OnFailure"}))), 422,
            one("Job.batch", "j5", "spec.template.spec.containers: Required value")),
        // CronJobs: the schedule as robfig/cron reads it.
        case("POST", CRONJOBS, JSON, cron("c1", Some("hourly"), never_pod()), 422,
            one("CronJob.batch", "c1", "spec.schedule: Invalid value: \"hourly\": expected exactly 5 fields, found 1: [hourly]")),
        case("POST", CRONJOBS, JSON, cron("c2", Some("60 * * * *"), never_pod()), 422,
            one("CronJob.batch", "c2", "spec.schedule: Invalid value: \"60 * * * *\": end of range (60) above maximum (59): 60")),
        case("POST", CRONJOBS, JSON, cron("c3", Some("* * * * * *"), never_pod()), 422,
            one("CronJob.batch", "c3", "spec.schedule: Invalid value: \"* * * * * *\": expected exactly 5 fields, found 6: [* * * * * *]")),
        case("POST", CRONJOBS, JSON, cron("c4", None, never_pod()), 422,
            one("CronJob.batch", "c4", "spec.schedule: Required value")),
        case("POST", CRONJOBS, JSON, cron("c5", Some("TZ=UTC 0 3 * * *"), never_pod()), 422,
            one("CronJob.batch", "c5", "spec.schedule: Invalid value: \"TZ=UTC 0 3 * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead")),
        case("POST", CRONJOBS, JSON, cron("c6", Some("0 3 * * *"), json!({"containers": [{"name": "app", "image": "busybox"}]})), 422,
            one("CronJob.batch", "c6", &format!("spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"Always\": {JOB_RESTART}"))),
        case("POST", CRONJOBS, JSON, with_spec(cron("c7", Some("0 3 * * *"), never_pod()), "concurrencyPolicy", json!("Sometimes")), 422,
            one("CronJob.batch", "c7", "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"")),
        case("POST", CRONJOBS, JSON, with_spec(cron("c8", Some("0 3 * * *"), never_pod()), "successfulJobsHistoryLimit", json!(-1)), 422,
            one("CronJob.batch", "c8", "spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0")),
        case("POST", CRONJOBS, JSON, cron("c9", Some("*/0 * * * *"), never_pod()), 422,
            one("CronJob.batch", "c9", "spec.schedule: Invalid value: \"*/0 * * * *\": step of range should be a positive number: */0")),
        // Ingresses.
        case("POST", INGRESSES, JSON, ingress("i1", json!({"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}})), 422,
            one("Ingress.networking.k8s.io", "i1", "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified")),
        case("POST", INGRESSES, JSON, ingress("i2", json!({"path": "/", "pathType": "Regex", "backend": {"service": {"name": "web", "port": {"number": 80}}}})), 422,
            one("Ingress.networking.k8s.io", "i2", "spec.rules[0].http.paths[0].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"")),
        case("POST", INGRESSES, JSON, ingress("i3", json!({"path": "/", "pathType": "Prefix", "backend": {"service": {"port": {"number": 80}}}})), 422,
            one("Ingress.networking.k8s.io", "i3", "spec.rules[0].http.paths[0].backend.service.name: Required value")),
    ]
}

/// Objects of these kinds that a real server takes, so the rules above
/// are not stricter than its own.
pub fn legal() -> Vec<(&'static str, Value)> {
    vec![
        (
            SVCS,
            svc(
                "ok-s",
                json!({"ports": [{"name": "http", "port": 80, "targetPort": "http"}, {"name": "https", "port": 443}]}),
            ),
        ),
        (SVCS, svc("ok-headless", json!({"clusterIP": "None"}))),
        (JOBS, job("ok-j", job_spec(never_pod()))),
        (
            CRONJOBS,
            cron("ok-c", Some("*/15 9-17 * * MON-FRI"), never_pod()),
        ),
        (
            CRONJOBS,
            cron(
                "ok-c2",
                Some("@hourly"),
                json!({"restartPolicy": "OnFailure", "containers": [{"name": "app", "image": "busybox"}]}),
            ),
        ),
        (
            INGRESSES,
            ingress(
                "ok-i",
                json!({"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"name": "http"}}}}),
            ),
        ),
        (
            PODS,
            pod(
                "ok-p",
                json!({"restartPolicy": "OnFailure", "containers": [{"name": "app", "image": "nginx",
            "env": [{"name": "A", "value": "1"}], "ports": [{"containerPort": 80}]}]}),
            ),
        ),
    ]
}

fn warnings_of(r: &crate::Resp) -> Vec<&str> {
    r.headers
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

/// Repeated keys in YAML bodies, as go-yaml reports them through
/// kube-apiserver (its field validation test's expectations): the line
/// and key in one `yaml: unmarshal errors` block under Strict, one
/// warning per repeat under Warn, and the apply handler's own prefix.
#[tokio::test]
async fn yaml_repeated_keys_are_reported_with_their_lines() {
    let s = crate::common::builder().start().await.unwrap();
    let a = s.addr();
    crate::world(a).await;
    let cms = "/api/v1/namespaces/capture/configmaps";
    let body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  name: dup\ndata:\n  k: one\n  extra: x\n  k: two\n";
    let yaml = [("content-type", "application/yaml")];
    let r = crate::req(
        a,
        "POST",
        &format!("{cms}?fieldValidation=Strict"),
        &yaml,
        body.as_bytes(),
    )
    .await;
    let got: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(r.status, 400, "{got}");
    assert_eq!(
        got["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: yaml: unmarshal errors:\n  line 5: key \"name\" already set in map\n  line 9: key \"k\" already set in map"
    );
    let r = crate::req(a, "POST", cms, &yaml, body.as_bytes()).await;
    assert_eq!(r.status, 201);
    let warnings = warnings_of(&r);
    assert_eq!(
        warnings,
        [
            "299 - \"line 5: key \\\"name\\\" already set in map\"",
            "299 - \"line 9: key \\\"k\\\" already set in map\""
        ]
    );
    assert_eq!(r.json()["data"]["k"], "two");
    let apply = [("content-type", APPLY)];
    let body =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  k: three\n  k: four\n";
    let path = format!("{cms}/dup?fieldManager=tester&force=true&fieldValidation=Strict");
    let r = crate::req(a, "PATCH", &path, &apply, body.as_bytes()).await;
    let got: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(r.status, 400, "{got}");
    assert_eq!(
        got["message"],
        "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key \"k\" already set in map"
    );
    let path = format!("{cms}/dup?fieldManager=tester&force=true");
    let r = crate::req(a, "PATCH", &path, &apply, body.as_bytes()).await;
    assert_eq!(r.status, 200);
    let warnings = warnings_of(&r);
    assert_eq!(
        warnings,
        ["299 - \"line 7: key \\\"k\\\" already set in map\""]
    );
    assert_eq!(r.json()["data"]["k"], "four");
    s.shutdown().await;
}
