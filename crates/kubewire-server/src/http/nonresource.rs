//! The endpoints that are not resources: health checks, `/version`, the
//! OIDC documents, discovery and OpenAPI.

use hyper::{header, Method, Response, StatusCode};
use serde_json::Value;

use super::body::{self, error, negotiate, object, text, Body, Format};
use super::route::Route;
use super::{Ctx, Head};
use crate::discovery;
use crate::resources::ResourceDef;
use crate::status::ApiError;
use crate::table::IncludeObject;

/// What anyone may read, signed in or not: health, version, OIDC.
pub fn public(ctx: &Ctx, head: &Head) -> Option<Response<Body>> {
    if head.method != Method::GET {
        return None;
    }
    let path = head.path.as_str();
    Some(match path {
        "/healthz" | "/livez" | "/readyz" => health(ctx, head, &path[1..]),
        // The Python client's VersionApi asks for `/version/`.
        "/version" | "/version/" => object(200, &discovery::version(), Format::Json, true),
        "/openid/v1/jwks" => json(head, &ctx.issuer.jwks()),
        "/.well-known/openid-configuration" => json(head, &ctx.issuer.openid_configuration()),
        _ => return None,
    })
}

/// `/healthz`, `/livez`, `/readyz`: each check is run, not assumed; with
/// `?verbose` every one is listed as kube-apiserver lists them.
fn health(ctx: &Ctx, head: &Head, which: &str) -> Response<Body> {
    // The store answers a read under its lock, and serves the built-ins.
    let storage = !ctx.store.registry().is_empty();
    // A server on its way down is alive but no longer ready.
    let stopping = *ctx.shutdown.borrow();
    let mut checks = vec![("ping", true), ("storage", storage)];
    if which == "readyz" {
        checks.push(("shutdown", !stopping));
        // Read-only after a write it could neither make durable nor cut back
        // out of the log: alive, but not ready for changes.
        checks.push(("storage-writable", ctx.store.writable()));
    }
    let ok = checks.iter().all(|(_, pass)| *pass);
    let verbose = head.query.get("verbose").is_some();
    let mut body = String::new();
    if verbose || !ok {
        for (name, pass) in &checks {
            body.push_str(&if *pass {
                format!("[+]{name} ok\n")
            } else {
                format!("[-]{name} failed: reason withheld\n")
            });
        }
        body.push_str(&if ok {
            format!("{which} check passed\n")
        } else {
            format!("{which} check failed\n")
        });
    } else {
        body.push_str("ok");
    }
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    text(code, &body)
}

fn json(head: &Head, v: &Value) -> Response<Body> {
    object(200, v, Format::Json, head.pretty)
}

fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "404 page not found\n")
}

/// Discovery (`/api`, `/apis`, `/apis/G`, `/apis/G/V`) and OpenAPI.
pub fn discovery(
    ctx: &Ctx,
    defs: &[ResourceDef],
    head: &Head,
    route: &Route,
) -> Option<Response<Body>> {
    if head.method != Method::GET {
        return None;
    }
    let path = head.path.as_str();
    match path {
        "/api" | "/api/" | "/apis" | "/apis/" => {
            let core = !path.starts_with("/apis");
            return Some(root(ctx, defs, head, core));
        }
        "/openapi/v2" => return Some(openapi_v2(head, defs)),
        "/openapi/v3" | "/openapi/v3/" => return Some(json(head, &crate::openapi::v3_index(defs))),
        _ => {}
    }
    if let Some(gv) = path.strip_prefix("/openapi/v3/") {
        let (g, v) = match gv.split('/').collect::<Vec<_>>().as_slice() {
            ["api", v] => (String::new(), v.to_string()),
            ["apis", g, v] => (g.to_string(), v.to_string()),
            _ => return Some(not_found()),
        };
        return Some(match crate::openapi::v3_doc(defs, &g, &v) {
            Some(doc) => openapi_v3_doc(head, path, &doc),
            None => not_found(),
        });
    }
    match route {
        Route::Group(g) => Some(match discovery::api_group(defs, g) {
            Some(v) => json(head, &v),
            None => not_found(),
        }),
        Route::GroupVersion(g, v) => Some(match discovery::resource_list(defs, g, v) {
            Some(doc) => json(head, &doc),
            None => not_found(),
        }),
        _ => None,
    }
}

/// `/api` and `/apis`: aggregated discovery v2 when asked for (with an
/// ETag, 304 on a match), the legacy documents otherwise.
fn root(ctx: &Ctx, defs: &[ResourceDef], head: &Head, core: bool) -> Response<Body> {
    let wants_v2 = head.accept.split(',').any(|r| {
        r.contains("as=APIGroupDiscoveryList")
            && r.contains("g=apidiscovery.k8s.io")
            && r.split(';').any(|p| p.trim() == "v=v2")
    });
    if wants_v2 {
        let doc = discovery::aggregated(defs, core);
        let bytes = serde_json::to_vec(&doc).unwrap_or_default();
        let etag = format!("\"{}\"", discovery::hash_hex(&bytes));
        let b = Response::builder()
            .header(
                header::CONTENT_TYPE,
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            )
            .header(header::ETAG, etag.as_str())
            .header(header::VARY, "Accept")
            .header(header::CACHE_CONTROL, "public");
        let r = if head.if_none_match == etag {
            b.status(304).body(body::full(""))
        } else {
            b.body(body::full(bytes))
        };
        return r.unwrap_or_else(|_| Response::new(body::full("")));
    }
    if !head.accept.is_empty() && negotiate(&head.accept, IncludeObject::Metadata, false).is_err() {
        return error(&ApiError::not_acceptable());
    }
    if core {
        json(head, &discovery::api_versions(&ctx.address))
    } else {
        json(head, &discovery::api_group_list(defs))
    }
}

/// A group version's v3 document with kube-apiserver's caching: its hash
/// (the one `/openapi/v3` lists) as ETag, 304 for a matching
/// `If-None-Match`, `public, immutable` when asked for by the current
/// `?hash=`, and a 301 to the current hash for a stale one.
fn openapi_v3_doc(head: &Head, path: &str, doc: &Value) -> Response<Body> {
    let bytes = serde_json::to_vec(doc).unwrap_or_default();
    let hash = discovery::hash_hex(&bytes);
    let etag = format!("\"{hash}\"");
    let b = Response::builder()
        .header(header::ETAG, etag.as_str())
        .header(header::VARY, "Accept");
    let r = match head.query.get("hash") {
        Some(h) if h != hash => b
            .status(StatusCode::MOVED_PERMANENTLY)
            .header(header::LOCATION, format!("{path}?hash={hash}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "no-cache, private")
            .body(body::full("")),
        asked => {
            let cache = if asked.is_some() {
                "public, immutable"
            } else {
                "no-cache, private"
            };
            let b = b
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CACHE_CONTROL, cache);
            if head.if_none_match == etag {
                b.status(StatusCode::NOT_MODIFIED).body(body::full(""))
            } else {
                b.body(body::full(bytes))
            }
        }
    };
    r.unwrap_or_else(|_| Response::new(body::full("")))
}

fn openapi_v2(head: &Head, defs: &[ResourceDef]) -> Response<Body> {
    if head.accept.contains("protobuf") {
        return Response::builder()
            .header(
                header::CONTENT_TYPE,
                "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
            )
            .body(body::full(discovery::openapi_v2_proto()))
            .unwrap_or_else(|_| Response::new(body::full("")));
    }
    json(head, &crate::openapi::v2(defs))
}
