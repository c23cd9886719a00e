//! OpenAPI on the front, as kube-aggregator aggregates it:
//!
//! - `/openapi/v2`: the server's own document with each available
//!   backend's merged in (its paths and definitions; a name the front
//!   already has keeps the front's).
//! - `/openapi/v3`: the server's own index plus `apis/GROUP/VERSION` of
//!   each available `APIService`, with the URL (and so the `hash`) the
//!   backend's own index gives it.
//! - `/openapi/v3/apis/GROUP/VERSION`: proxied to that backend, query
//!   included, so its hash and caching answers are the backend's.
//!
//! The front fetches these as `system:kube-aggregator` (a caller who may
//! read the front's `/openapi` reads every group's), on each request:
//! there is no cache to go stale when a backend changes its schemas.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::{json, Value};

use super::{discovery, front};
use crate::http::{Body, Ctx, Head};
use crate::resources::ResourceDef;

/// The available `APIService`s that name a service.
fn available(ctx: &Ctx) -> Vec<Arc<Value>> {
    front::remote_services(&ctx.store)
        .into_iter()
        .filter(|a| front::is_available(a))
        .collect()
}

/// Serves the front's OpenAPI documents when backends take part; hands
/// the request back otherwise.
pub async fn serve(
    ctx: &Ctx,
    defs: &[ResourceDef],
    head: &Head,
    req: Request<Incoming>,
) -> Result<Response<Body>, Request<Incoming>> {
    if head.method != Method::GET || !head.path.starts_with("/openapi/") {
        return Err(req);
    }
    if let Some(gv) = head.path.strip_prefix("/openapi/v3/apis/") {
        let mut it = gv.split('/');
        let (Some(g), Some(v), None) = (it.next(), it.next(), it.next()) else {
            return Err(req);
        };
        return match front::api_service(&ctx.store, g, v) {
            Some(api) if api["spec"]["service"].is_object() => {
                Ok(front::proxy(ctx, &discovery::aggregator(), &api, req).await)
            }
            _ => Err(req),
        };
    }
    let apis = available(ctx);
    if apis.is_empty() {
        return Err(req);
    }
    match head.path.as_str() {
        // The protobuf form stays the server's own (no schemas in it).
        "/openapi/v2" if !head.accept.contains("protobuf") => {
            Ok(discovery::json_response(head, &v2(ctx, defs, &apis).await))
        }
        "/openapi/v3" | "/openapi/v3/" => Ok(discovery::json_response(
            head,
            &v3_index(ctx, defs, &apis).await,
        )),
        _ => Err(req),
    }
}

/// The backends' services, each once (several versions of a group are
/// often one server).
fn by_service(apis: &[Arc<Value>]) -> Vec<&Arc<Value>> {
    let mut seen: Vec<&Value> = Vec::new();
    let mut out = Vec::new();
    for a in apis {
        let svc = &a["spec"]["service"];
        if !seen.contains(&svc) {
            seen.push(svc);
            out.push(a);
        }
    }
    out
}

async fn v2(ctx: &Ctx, defs: &[ResourceDef], apis: &[Arc<Value>]) -> Value {
    let mut doc = crate::openapi::v2(defs);
    for api in by_service(apis) {
        let Some(theirs) = discovery::get_json(ctx, api, "/openapi/v2", "application/json").await
        else {
            continue;
        };
        merge(&mut doc, &theirs, "paths");
        merge(&mut doc, &theirs, "definitions");
    }
    doc
}

/// Adds the entries of `theirs[key]` that `doc[key]` lacks.
fn merge(doc: &mut Value, theirs: &Value, key: &str) {
    let Some(from) = theirs[key].as_object() else {
        return;
    };
    if !doc[key].is_object() {
        doc[key] = json!({});
    }
    if let Some(into) = doc[key].as_object_mut() {
        for (k, v) in from {
            into.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

async fn v3_index(ctx: &Ctx, defs: &[ResourceDef], apis: &[Arc<Value>]) -> Value {
    let mut doc = crate::openapi::v3_index(defs);
    for api in apis {
        let path = format!(
            "apis/{}/{}",
            api["spec"]["group"].as_str().unwrap_or(""),
            api["spec"]["version"].as_str().unwrap_or("")
        );
        let Some(theirs) = discovery::get_json(ctx, api, "/openapi/v3", "application/json").await
        else {
            continue;
        };
        let url = &theirs["paths"][&path]["serverRelativeURL"];
        // Only a URL under the group's own path: the front proxies that
        // path to this backend and nothing else.
        let own = format!("/openapi/v3/{path}");
        if url
            .as_str()
            .is_some_and(|u| u.split('?').next() == Some(own.as_str()))
        {
            doc["paths"][&path] = json!({"serverRelativeURL": url});
        }
    }
    doc
}
