//! The request table: `tests/data/requests.json` lists builder inputs and
//! the exact method, path and query, headers and body they must produce
//! (or the typed error they must fail with). Paths come from what
//! kube-apiserver and kubectl were seen to use in the captures.

use kubewire::{
    discovery, known, ApiResource, Collection, DeleteParams, GetParams, IncludeObject, ListParams,
    LogParams, Patch, PatchParams, PostParams, Preconditions, PropagationPolicy, Request,
    RequestError, Scope, ValidationDirective, VersionMatch, WatchParams,
};
use serde_json::Value;

const TABLE: &str = include_str!("../../../tests/data/requests.json");

fn s(p: &Value, k: &str) -> Option<String> {
    p.get(k).and_then(Value::as_str).map(String::from)
}
fn b(p: &Value, k: &str) -> bool {
    p.get(k).and_then(Value::as_bool).unwrap_or(false)
}
fn n(p: &Value, k: &str) -> Option<u64> {
    p.get(k).and_then(Value::as_u64)
}

fn version_match(p: &Value) -> Option<VersionMatch> {
    s(p, "resourceVersionMatch").map(|m| match m.as_str() {
        "NotOlderThan" => VersionMatch::NotOlderThan,
        "Exact" => VersionMatch::Exact,
        other => panic!("unknown resourceVersionMatch {other}"),
    })
}

fn validation(p: &Value) -> Option<ValidationDirective> {
    s(p, "fieldValidation").map(|v| match v.as_str() {
        "Strict" => ValidationDirective::Strict,
        "Warn" => ValidationDirective::Warn,
        "Ignore" => ValidationDirective::Ignore,
        other => panic!("unknown fieldValidation {other}"),
    })
}

fn list_params(p: &Value) -> ListParams {
    ListParams {
        label_selector: s(p, "labelSelector"),
        field_selector: s(p, "fieldSelector"),
        timeout: n(p, "timeoutSeconds").map(|v| v as u32),
        limit: n(p, "limit").map(|v| v as u32),
        continue_token: s(p, "continue"),
        resource_version: s(p, "resourceVersion"),
        version_match: version_match(p),
    }
}

fn watch_params(p: &Value) -> WatchParams {
    WatchParams {
        label_selector: s(p, "labelSelector"),
        field_selector: s(p, "fieldSelector"),
        timeout: n(p, "timeoutSeconds").map(|v| v as u32),
        bookmarks: b(p, "allowWatchBookmarks"),
        send_initial_events: b(p, "sendInitialEvents"),
        resource_version: s(p, "resourceVersion"),
        version_match: version_match(p),
    }
}

fn delete_params(p: &Value) -> DeleteParams {
    DeleteParams {
        dry_run: b(p, "dryRun"),
        grace_period_seconds: n(p, "gracePeriodSeconds").map(|v| v as u32),
        propagation_policy: s(p, "propagationPolicy").map(|v| match v.as_str() {
            "Orphan" => PropagationPolicy::Orphan,
            "Background" => PropagationPolicy::Background,
            "Foreground" => PropagationPolicy::Foreground,
            other => panic!("unknown propagationPolicy {other}"),
        }),
        preconditions: p.get("preconditions").map(|pre| Preconditions {
            uid: s(pre, "uid"),
            resource_version: s(pre, "resourceVersion"),
        }),
    }
}

fn resource(case: &Value) -> ApiResource {
    match &case["resource"] {
        Value::String(name) => match name.as_str() {
            "configmaps" => known::config_maps(),
            "namespaces" => known::namespaces(),
            "nodes" => known::nodes(),
            "pods" => known::pods(),
            "deployments" => known::deployments(),
            "serviceaccounts" => known::service_accounts(),
            "customresourcedefinitions" => known::custom_resource_definitions(),
            other => panic!("unknown resource {other}"),
        },
        Value::Object(_) => {
            let r = &case["resource"];
            let scope = match r["scope"].as_str() {
                Some("Cluster") => Scope::Cluster,
                _ => Scope::Namespaced,
            };
            ApiResource::new(
                r["group"].as_str().unwrap(),
                r["version"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["plural"].as_str().unwrap(),
                scope,
            )
        }
        other => panic!("bad resource {other}"),
    }
}

fn build(case: &Value) -> Result<Request, RequestError> {
    let empty = Value::Object(Default::default());
    let p = case.get("params").unwrap_or(&empty);
    let verb = case["verb"].as_str().unwrap();
    if verb == "discovery" {
        return Ok(match case["name"].as_str().unwrap() {
            "version" => discovery::version(),
            "core" => discovery::core_versions(),
            "groups" => discovery::groups(),
            "resources" => discovery::resources(
                case["group"].as_str().unwrap(),
                case["version"].as_str().unwrap(),
            ),
            "aggregated_core" => discovery::aggregated_core(),
            "aggregated_groups" => discovery::aggregated_groups(),
            other => panic!("unknown discovery {other}"),
        });
    }
    let collection = Collection::new(resource(case), case["namespace"].as_str());
    let name = case["name"].as_str().unwrap_or("");
    let sub = case["subresource"].as_str();
    let body = case.get("body").cloned().unwrap_or(Value::Null);
    let post = PostParams {
        dry_run: b(p, "dryRun"),
        field_manager: s(p, "fieldManager"),
        field_validation: validation(p),
    };
    let req = match verb {
        "get" => collection.get_subresource(
            name,
            sub,
            &GetParams {
                resource_version: s(p, "resourceVersion"),
            },
        ),
        "list" => collection.list(&list_params(p)),
        "watch" => collection.watch(&watch_params(p)),
        "create" => collection.create(&post, &body),
        "create_subresource" => collection.create_subresource(name, sub.unwrap(), &post, &body),
        "replace" => collection.replace_subresource(name, sub, &post, &body),
        "patch" => {
            let pp = PatchParams {
                dry_run: b(p, "dryRun"),
                force: b(p, "force"),
                field_manager: s(p, "fieldManager"),
                field_validation: validation(p),
            };
            let patch = match case["patch"].as_str().unwrap() {
                "json" => Patch::Json(body),
                "merge" => Patch::Merge(body),
                "strategic" => Patch::Strategic(body),
                "apply" => Patch::Apply(body),
                other => panic!("unknown patch {other}"),
            };
            collection.patch_subresource(name, sub, &pp, &patch)
        }
        "delete" => collection.delete(name, &delete_params(p)),
        "delete_collection" => collection.delete_collection(&delete_params(p), &list_params(p)),
        "logs" => collection.logs(
            name,
            &LogParams {
                container: s(p, "container"),
                follow: b(p, "follow"),
                previous: b(p, "previous"),
                since_seconds: n(p, "sinceSeconds"),
                tail_lines: n(p, "tailLines"),
                timestamps: b(p, "timestamps"),
                limit_bytes: n(p, "limitBytes"),
            },
        ),
        other => panic!("unknown verb {other}"),
    }?;
    Ok(match case["table"].as_str() {
        None => req,
        Some("default") => req.as_table(None),
        Some("None") => req.as_table(Some(IncludeObject::None)),
        Some("Metadata") => req.as_table(Some(IncludeObject::Metadata)),
        Some("Object") => req.as_table(Some(IncludeObject::Object)),
        Some(other) => panic!("unknown table {other}"),
    })
}

fn error_tag(e: &RequestError) -> String {
    match e {
        RequestError::EmptyName { what } => format!("EmptyName:{what}"),
        RequestError::InvalidName { what, .. } => format!("InvalidName:{what}"),
        RequestError::NamespaceRequired { .. } => "NamespaceRequired".into(),
        RequestError::InvalidParams { field, .. } => format!("InvalidParams:{field}"),
        RequestError::NameMismatch { .. } => "NameMismatch".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn request_table() {
    let cases: Vec<Value> = serde_json::from_str(TABLE).expect("requests.json parses");
    assert!(cases.len() >= 60, "the table must keep at least 60 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let label = case["case"].as_str().unwrap();
        let got = build(case);
        if let Some(expected) = case["error"].as_str() {
            match got {
                Err(e) if error_tag(&e) == expected => {
                    // Every error explains itself.
                    assert!(!e.to_string().is_empty());
                }
                other => {
                    failures.push(format!("{label}: expected error {expected}, got {other:?}"))
                }
            }
            continue;
        }
        let req = match got {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{label}: unexpected error {e}"));
                continue;
            }
        };
        if req.method.as_str() != case["method"].as_str().unwrap() {
            failures.push(format!(
                "{label}: method {} != {}",
                req.method, case["method"]
            ));
        }
        if req.path_and_query != case["path"].as_str().unwrap() {
            failures.push(format!(
                "{label}: path\n  got  {}\n  want {}",
                req.path_and_query, case["path"]
            ));
        }
        if let Some(headers) = case["headers"].as_object() {
            for (name, want) in headers {
                if req.header(name) != want.as_str() {
                    failures.push(format!(
                        "{label}: header {name} = {:?}, want {want}",
                        req.header(name)
                    ));
                }
            }
        }
        if b(case, "no_content_type") && req.header("Content-Type").is_some() {
            failures.push(format!("{label}: unexpected Content-Type"));
        }
        if let Some(want) = case.get("body_out") {
            let got: Value = if req.body.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&req.body).expect("bodies are JSON")
            };
            if &got != want {
                failures.push(format!("{label}: body {got} != {want}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[cfg(feature = "http")]
#[test]
fn converts_into_http_request() {
    let req = known::config_maps()
        .within("demo")
        .patch(
            "x",
            &PatchParams::apply("me"),
            &Patch::Apply(serde_json::json!({"data": {}})),
        )
        .unwrap();
    let http_req: http::Request<Vec<u8>> = req.clone().try_into().unwrap();
    assert_eq!(http_req.method(), http::Method::PATCH);
    assert_eq!(
        http_req.uri().path(),
        "/api/v1/namespaces/demo/configmaps/x"
    );
    assert_eq!(http_req.uri().query(), Some("fieldManager=me&force=false"));
    assert_eq!(
        http_req.headers()["content-type"],
        "application/apply-patch+yaml"
    );
    assert_eq!(http_req.body(), &req.body);
}
