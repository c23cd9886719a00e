//! Discovery on the front: the groups of available `APIService`s join
//! `/apis`, as kube-aggregator merges them. The legacy documents need only
//! the `APIService` objects; aggregated discovery (v2) carries resources,
//! so it is fetched from each backend's own `/apis` (as
//! `system:kube-aggregator`), and a group whose backend does not answer
//! is left out until it does.

use std::sync::Arc;

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::{header, Method, Response};
use serde_json::{json, Value};

use super::{client, front};
use crate::auth::{Remote, User};
use crate::http::{Body, Ctx, Head};
use crate::resources::ResourceDef;

const V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// The front's identity towards backends for its own checks.
pub fn aggregator() -> User {
    User::Remote(Box::new(Remote {
        name: "system:kube-aggregator".into(),
        groups: vec!["system:masters".into()],
        extra: Vec::new(),
    }))
}

/// A remote group: its name and its versions (by versionPriority), each
/// with its APIService.
type RemoteGroup = (String, Vec<(String, Arc<Value>)>);

/// The remote groups, in kube-aggregator's order.
fn remote_groups(ctx: &Ctx) -> Vec<RemoteGroup> {
    let mut apis: Vec<Arc<Value>> = front::remote_services(&ctx.store)
        .into_iter()
        .filter(|a| front::is_available(a))
        .collect();
    // kube-aggregator's order: groupPriorityMinimum, then versionPriority,
    // both highest first.
    let prio = |a: &Value, k: &str| a["spec"][k].as_i64().unwrap_or(0);
    apis.sort_by(|a, b| {
        prio(b, "groupPriorityMinimum")
            .cmp(&prio(a, "groupPriorityMinimum"))
            .then(prio(b, "versionPriority").cmp(&prio(a, "versionPriority")))
    });
    let mut out: Vec<RemoteGroup> = Vec::new();
    for a in apis {
        let g = a["spec"]["group"].as_str().unwrap_or("").to_string();
        let v = a["spec"]["version"].as_str().unwrap_or("").to_string();
        match out.iter_mut().find(|(x, _)| *x == g) {
            Some((_, vs)) => vs.push((v, a)),
            None => out.push((g, vec![(v, a)])),
        }
    }
    out
}

fn wants_v2(head: &Head) -> bool {
    head.accept.split(',').any(|r| {
        r.contains("as=APIGroupDiscoveryList")
            && r.contains("g=apidiscovery.k8s.io")
            && r.split(';').any(|p| p.trim() == "v=v2")
    })
}

pub(super) fn json_response(head: &Head, v: &Value) -> Response<Body> {
    let bytes = if head.pretty {
        serde_json::to_vec_pretty(v)
    } else {
        serde_json::to_vec(v)
    }
    .unwrap_or_default();
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(bytes)).boxed_unsync())
        .unwrap_or_else(|_| Response::new(Empty::new().boxed_unsync()))
}

/// `/apis` and `/apis/GROUP` when remote groups exist; `None` leaves the
/// request to the server's own discovery.
pub async fn serve(ctx: &Ctx, defs: &[ResourceDef], head: &Head) -> Option<Response<Body>> {
    if head.method != Method::GET {
        return None;
    }
    let path = head.path.trim_end_matches('/');
    if let Some(g) = path.strip_prefix("/apis/").filter(|g| !g.contains('/')) {
        let groups = remote_groups(ctx);
        let (_, vs) = groups.iter().find(|(x, _)| x == g)?;
        let versions: Vec<String> = vs.iter().map(|(v, _)| v.clone()).collect();
        let mut doc = crate::discovery::group_json(g, &versions);
        doc["kind"] = "APIGroup".into();
        doc["apiVersion"] = "v1".into();
        return Some(json_response(head, &doc));
    }
    if path != "/apis" {
        return None;
    }
    let groups = remote_groups(ctx);
    if groups.is_empty() {
        return None;
    }
    if !wants_v2(head) {
        let mut doc = crate::discovery::api_group_list(defs);
        if let Some(list) = doc["groups"].as_array_mut() {
            for (g, vs) in &groups {
                let versions: Vec<String> = vs.iter().map(|(v, _)| v.clone()).collect();
                list.push(crate::discovery::group_json(g, &versions));
            }
        }
        return Some(json_response(head, &doc));
    }
    let mut doc = crate::discovery::aggregated(defs, false);
    let mut extra = Vec::new();
    for (g, vs) in &groups {
        let mut versions = Vec::new();
        for (v, api) in vs {
            if let Some(found) = backend_version(ctx, api, g, v).await {
                versions.push(found);
            }
        }
        if !versions.is_empty() {
            extra.push(json!({"metadata": {"name": g}, "versions": versions}));
        }
    }
    if let Some(items) = doc["items"].as_array_mut() {
        items.extend(extra);
    }
    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
    let etag = format!("\"{}\"", crate::discovery::hash_hex(&bytes));
    let b = Response::builder()
        .header(header::CONTENT_TYPE, V2)
        .header(header::ETAG, etag.as_str())
        .header(header::VARY, "Accept")
        .header(header::CACHE_CONTROL, "public");
    let r = if head.if_none_match == etag {
        b.status(304).body(Empty::new().boxed_unsync())
    } else {
        b.body(http_body_util::Full::new(bytes::Bytes::from(bytes)).boxed_unsync())
    };
    Some(r.unwrap_or_else(|_| Response::new(Empty::new().boxed_unsync())))
}

/// The version `v` of group `g` from the backend's aggregated discovery.
async fn backend_version(ctx: &Ctx, api: &Value, g: &str, v: &str) -> Option<Value> {
    let doc = get_json(ctx, api, "/apis", V2).await?;
    let group = doc["items"]
        .as_array()?
        .iter()
        .find(|i| i["metadata"]["name"] == g)?;
    group["versions"]
        .as_array()?
        .iter()
        .find(|x| x["version"] == v)
        .cloned()
}

/// GETs `path` from the backend of `api` as the aggregator; the JSON of a
/// 2xx answer.
pub async fn get_json(ctx: &Ctx, api: &Value, path: &str, accept: &str) -> Option<Value> {
    let t = front::target(ctx, api).ok()?;
    let mut req = hyper::Request::get(path)
        .header(header::ACCEPT, accept)
        .body(Empty::<bytes::Bytes>::new())
        .ok()?;
    front::identify(req.headers_mut(), &aggregator());
    let resp = tokio::time::timeout(super::PROBE_TIMEOUT, client::send(&t, req))
        .await
        .ok()?
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let bytes = Limited::new(resp.into_body(), 8 << 20)
        .collect()
        .await
        .ok()?
        .to_bytes();
    serde_json::from_slice(&bytes).ok()
}
