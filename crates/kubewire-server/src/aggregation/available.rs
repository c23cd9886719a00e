//! The `Available` condition of `APIService`s, as kube-aggregator's
//! AvailableConditionController sets it: `Local` for a group the server
//! serves itself; for a service, `ServiceNotFound`, `ServicePortError`,
//! `EndpointsNotFound` or `MissingEndpoints` from the Service and its
//! Endpoints, then a GET of the backend's `/apis/GROUP/VERSION`
//! (`FailedDiscoveryCheck` unless it answers 2xx in time), else `Passed`.
//!
//! Checked every second; an available backend is probed again every ten.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Empty};
use serde_json::{json, Value};

use super::{client, discovery, front};
use crate::http::Ctx;
use crate::objects::now_rfc3339;
use crate::storage::{Key, Mutation, StoreError};

/// How often conditions are looked at.
const TICK: Duration = Duration::from_secs(1);
/// How often an available backend's discovery is probed.
const REPROBE: Duration = Duration::from_secs(10);

/// Runs until `stop` flips.
pub async fn run(ctx: Arc<Ctx>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut probed: HashMap<String, Instant> = HashMap::new();
    loop {
        super::local::sync(&ctx.store, &ctx.store.registry());
        let apis = ctx
            .store
            .list("apiregistration.k8s.io", "apiservices", None, None)
            .map(|(_, items)| items)
            .unwrap_or_default();
        for api in apis {
            let name = api["metadata"]["name"].as_str().unwrap_or("").to_string();
            let fresh = probed
                .get(&name)
                .is_some_and(|at| at.elapsed() < REPROBE && front::is_available(&api));
            if fresh {
                continue;
            }
            let cond = condition(&ctx, &api).await;
            if cond.0 == "True" && api["spec"]["service"].is_object() {
                probed.insert(name.clone(), Instant::now());
            } else {
                probed.remove(&name);
            }
            set(&ctx, &name, cond);
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => return,
        }
    }
}

/// `(status, reason, message)`.
type Condition = (&'static str, &'static str, String);

async fn condition(ctx: &Ctx, api: &Value) -> Condition {
    if !api["spec"]["service"].is_object() {
        return (
            "True",
            "Local",
            "Local APIServices are always available".into(),
        );
    }
    let t = match front::target(ctx, api) {
        Ok(t) => t,
        Err((reason, message)) => return ("False", reason, message),
    };
    let spec = &api["spec"];
    let path = format!(
        "/apis/{}/{}",
        spec["group"].as_str().unwrap_or(""),
        spec["version"].as_str().unwrap_or("")
    );
    let url = format!("https://{}{path}", t.authority);
    let Ok(mut req) = hyper::Request::get(path.as_str()).body(Empty::<bytes::Bytes>::new()) else {
        return (
            "False",
            "FailedDiscoveryCheck",
            format!("bad request for {url}"),
        );
    };
    // As kube-aggregator: the check is made as system:kube-aggregator in
    // system:masters, so that authorization never fails it.
    front::identify(req.headers_mut(), &discovery::aggregator());
    match tokio::time::timeout(super::PROBE_TIMEOUT, client::send(&t, req)).await {
        Err(_) => (
            "False",
            "FailedDiscoveryCheck",
            format!("failing or missing response from {url}: timed out"),
        ),
        Ok(Err(e)) => (
            "False",
            "FailedDiscoveryCheck",
            format!("failing or missing response from {url}: {e}"),
        ),
        Ok(Ok(r)) if !r.status().is_success() => (
            "False",
            "FailedDiscoveryCheck",
            format!(
                "failing or missing response from {url}: bad status from {url}: {}",
                r.status().as_u16()
            ),
        ),
        Ok(Ok(r)) => {
            // Read to the end, so that the connection goes back to its
            // pool (a body dropped half-read closes it).
            let _ = tokio::time::timeout(
                super::PROBE_TIMEOUT,
                http_body_util::Limited::new(r.into_body(), 8 << 20).collect(),
            )
            .await;
            ("True", "Passed", "all checks passed".into())
        }
    }
}

/// Writes the condition when it changed; the transition time moves only
/// when the status does.
fn set(ctx: &Ctx, name: &str, (status, reason, message): Condition) {
    let key = Key::new("apiregistration.k8s.io", "apiservices", "", name);
    let _ = ctx
        .store
        .mutate(&key, |_, cur| -> Result<Mutation, StoreError> {
            let Some(cur) = cur else {
                return Ok(Mutation::Unchanged(Arc::new(Value::Null)));
            };
            let old = cur["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Available")
                .cloned();
            if let Some(o) = &old {
                if o["status"] == status && o["reason"] == reason && o["message"] == message {
                    return Ok(Mutation::Unchanged(cur.clone()));
                }
            }
            let since = match &old {
                Some(o) if o["status"] == status => o["lastTransitionTime"].clone(),
                _ => now_rfc3339().into(),
            };
            let mut next = (**cur).clone();
            let mut conds: Vec<Value> = next["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c["type"] != "Available")
                .collect();
            conds.push(json!({"type": "Available", "status": status, "lastTransitionTime": since, "reason": reason, "message": message}));
            next["status"] = json!({"conditions": conds});
            Ok(Mutation::Put(next))
        });
}
