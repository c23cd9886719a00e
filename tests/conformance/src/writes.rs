//! The write scenario: every verb, through the adapter, with the refusals a
//! real API server gives (captures in the shared data set): 409 for a
//! create that exists, a replace from a stale resourceVersion, an apply
//! that conflicts without force and a delete whose preconditions fail; 404
//! for what is not there; 422 for an object without a name.
//!
//! Each line is the resulting object's relevant fields (name, data,
//! labels, the containers of a Deployment, the managers that applied) or
//! the Status's code and reason. Fields that differ per run or per adapter
//! (resourceVersion, uid, timestamps, the user agent that names an
//! `Update` manager) stay out.

use kubewire::{known, DeleteParams, GetParams, Patch, PatchParams, Preconditions};
use kubewire_server::Server;
use serde_json::{json, Value};

use crate::adapter::{Failure, WriteAdapter};
use crate::native::name_of;
use crate::scenarios::{failure_line, map_text, step, Transcript};
use crate::setup::start;

/// A ConfigMap's name, data and labels, or the failure.
fn config_map(r: &Result<Value, Failure>) -> String {
    match r {
        Ok(o) => format!(
            "ok {} data={} labels={}",
            name_of(o),
            map_text(&o["data"]),
            map_text(&o["metadata"]["labels"])
        ),
        Err(f) => failure_line(f),
    }
}

/// The managers of `Apply` operations, in the server's order.
fn appliers(o: &Value) -> Vec<&str> {
    o["metadata"]["managedFields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .filter(|f| f["operation"] == "Apply")
                .filter_map(|f| f["manager"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn applied(r: &Result<Value, Failure>) -> String {
    match r {
        Ok(o) => format!("{} appliers={:?}", config_map(r), appliers(o)),
        Err(_) => config_map(r),
    }
}

/// A Deployment's containers, as `name=image`.
fn containers(r: &Result<Value, Failure>) -> String {
    match r {
        Ok(o) => {
            let list: Vec<String> = o["spec"]["template"]["spec"]["containers"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            format!(
                                "{}={}",
                                name_of_container(c),
                                c["image"].as_str().unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("ok {} containers={list:?}", name_of(o))
        }
        Err(f) => failure_line(f),
    }
}

fn name_of_container(c: &Value) -> &str {
    c["name"].as_str().unwrap_or_default()
}

/// What a delete answered: the `Success` Status, or the object.
fn deleted(r: &Result<Value, Failure>) -> String {
    match r {
        Ok(o) if o["kind"] == "Status" => format!(
            "ok Status {} name={}",
            o["status"].as_str().unwrap_or_default(),
            o["details"]["name"].as_str().unwrap_or_default()
        ),
        Ok(o) => format!("ok object {}", name_of(o)),
        Err(f) => failure_line(f),
    }
}

fn deployment(name: &str, containers: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers}
            }
        }
    })
}

pub(crate) async fn writes<A: WriteAdapter>(a: &mut A) -> Transcript {
    let env = start(Server::builder()).await;
    env.namespace("wr").await;
    let t = &env.target;
    let cm = known::config_maps();
    let mut out = Transcript::new();
    // `record!(what, show, call)` runs the call and records its line;
    // `record!(keep what, ...)` also gives the outcome back.
    macro_rules! record {
        (keep $what:expr, $show:ident, $call:expr) => {{
            let r = step($what, $call).await;
            out.push(format!("{}: {}", $what, $show(&r)));
            r
        }};
        ($what:expr, $show:ident, $call:expr) => {{
            let r = step($what, $call).await;
            out.push(format!("{}: {}", $what, $show(&r)));
        }};
    }

    // create
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w", "labels": {"app": "web"}}, "data": {"a": "1"}});
    let created = record!(keep "create w", config_map, a.create(t, &cm, "wr", &body));
    let created = created.expect("created");
    record!("create w again", config_map, a.create(t, &cm, "wr", &body));
    let nameless = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}});
    record!(
        "create without a name",
        config_map,
        a.create(t, &cm, "wr", &nameless)
    );

    // replace
    let mut next = created.clone();
    next["data"] = json!({"a": "2"});
    let replaced = record!(
        keep "replace w at its resourceVersion",
        config_map,
        a.replace(t, &cm, "wr", "w", &next)
    );
    assert!(replaced.is_ok(), "{replaced:?}");
    let mut stale = created.clone();
    stale["data"] = json!({"a": "stale"});
    let conflict = record!(
        keep "replace w at a stale resourceVersion",
        config_map,
        a.replace(t, &cm, "wr", "w", &stale)
    );
    assert!(
        matches!(conflict, Err(Failure::Api { code: 409, .. })),
        "{conflict:?}"
    );
    let mut unconditional = created.clone();
    unconditional["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("resourceVersion");
    unconditional["data"] = json!({"a": "3"});
    record!(
        "replace w without a resourceVersion",
        config_map,
        a.replace(t, &cm, "wr", "w", &unconditional)
    );
    record!(
        "replace missing",
        config_map,
        a.replace(t, &cm, "wr", "missing", &{
            let mut m = unconditional.clone();
            m["metadata"]["name"] = json!("missing");
            m
        })
    );

    // patch: merge, JSON, strategic
    let plain = PatchParams::default();
    record!(
        "merge patch",
        config_map,
        a.patch(
            t,
            &cm,
            "wr",
            "w",
            &Patch::Merge(json!({"data": {"b": "4"}, "metadata": {"labels": {"tier": "front"}}})),
            &plain
        )
    );
    record!(
        "merge patch removing a key",
        config_map,
        a.patch(
            t,
            &cm,
            "wr",
            "w",
            &Patch::Merge(json!({"data": {"a": null}})),
            &plain
        )
    );
    record!(
        "JSON patch",
        config_map,
        a.patch(
            t,
            &cm,
            "wr",
            "w",
            &Patch::Json(json!([
                {"op": "add", "path": "/data/c", "value": "5"},
                {"op": "replace", "path": "/data/b", "value": "6"}
            ])),
            &plain
        )
    );
    record!(
        "JSON patch, a failed test",
        config_map,
        a.patch(
            t,
            &cm,
            "wr",
            "w",
            &Patch::Json(json!([{"op": "test", "path": "/data/b", "value": "nope"}])),
            &plain
        )
    );
    record!(
        "merge patch of missing",
        config_map,
        a.patch(
            t,
            &cm,
            "wr",
            "missing",
            &Patch::Merge(json!({"data": {}})),
            &plain
        )
    );
    let deploy = known::deployments();
    let app = deployment("app", json!([{"name": "app", "image": "app:1"}]));
    record!(
        "create deployment app",
        containers,
        a.create(t, &deploy, "wr", &app)
    );
    let sidecar = json!({"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "sidecar:1"}]}}}});
    record!(
        "strategic patch adding a container",
        containers,
        a.patch(
            t,
            &deploy,
            "wr",
            "app",
            &Patch::Strategic(sidecar.clone()),
            &plain
        )
    );
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}});
    record!(
        "strategic patch of one container's image",
        containers,
        a.patch(t, &deploy, "wr", "app", &Patch::Strategic(image), &plain)
    );
    record!(
        "merge patch of the containers",
        containers,
        a.patch(t, &deploy, "wr", "app", &Patch::Merge(sidecar), &plain)
    );

    // server-side apply
    let apply = |data: Value| {
        Patch::Apply(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "data": data}),
        )
    };
    let manager = |name: &str, force: bool| PatchParams {
        field_manager: Some(name.into()),
        force,
        ..PatchParams::default()
    };
    record!(
        "apply s as manager-a (creates it)",
        applied,
        a.patch(
            t,
            &cm,
            "wr",
            "s",
            &apply(json!({"owner": "a", "shared": "a"})),
            &manager("manager-a", false)
        )
    );
    record!(
        "apply s as manager-a again, a field more",
        applied,
        a.patch(
            t,
            &cm,
            "wr",
            "s",
            &apply(json!({"owner": "a", "shared": "a", "extra": "1"})),
            &manager("manager-a", false)
        )
    );
    let taken = record!(
        keep "apply s as manager-b, a field manager-a owns",
        applied,
        a.patch(t, &cm, "wr", "s", &apply(json!({"shared": "b"})), &manager("manager-b", false))
    );
    assert!(
        matches!(taken, Err(Failure::Api { code: 409, .. })),
        "{taken:?}"
    );
    record!(
        "the same with force",
        applied,
        a.patch(
            t,
            &cm,
            "wr",
            "s",
            &apply(json!({"shared": "b"})),
            &manager("manager-b", true)
        )
    );
    record!(
        "apply without a field manager",
        applied,
        a.patch(t, &cm, "wr", "s", &apply(json!({"x": "y"})), &plain)
    );

    // delete
    let current = env
        .admin
        .call::<Value>(
            &cm.within("wr")
                .get("w", &GetParams::default())
                .expect("valid"),
        )
        .await
        .expect("w is there");
    let text = |v: &Value| v.as_str().map(String::from);
    let rv = text(&current["metadata"]["resourceVersion"]);
    let uid = text(&current["metadata"]["uid"]);
    let when = |uid: Option<String>, resource_version: Option<String>| DeleteParams {
        preconditions: Some(Preconditions {
            uid,
            resource_version,
        }),
        ..DeleteParams::default()
    };
    let old_rv = text(&created["metadata"]["resourceVersion"]);
    record!(
        "delete w, precondition on a stale resourceVersion",
        deleted,
        a.delete(t, &cm, "wr", "w", &when(None, old_rv))
    );
    record!(
        "delete w, precondition on another uid",
        deleted,
        a.delete(
            t,
            &cm,
            "wr",
            "w",
            &when(Some("0b5e0e3e-0000-4000-8000-000000000000".into()), None)
        )
    );
    let gone = record!(
        keep "delete w, preconditions that hold",
        deleted,
        a.delete(t, &cm, "wr", "w", &when(uid, rv))
    );
    assert!(gone.is_ok(), "{gone:?}");
    record!(
        "delete w again",
        deleted,
        a.delete(t, &cm, "wr", "w", &DeleteParams::default())
    );
    record!(
        "delete deployment app",
        deleted,
        a.delete(t, &deploy, "wr", "app", &DeleteParams::default())
    );
    let after = env
        .admin
        .call::<Value>(
            &cm.within("wr")
                .get("w", &GetParams::default())
                .expect("valid"),
        )
        .await;
    assert!(after.is_err(), "w is deleted: {after:?}");
    env.stop().await;
    out
}
