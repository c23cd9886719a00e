//! The front: what kube-aggregator does inside kube-apiserver. An
//! `APIService` with a `spec.service` makes `/apis/GROUP/VERSION/...` a
//! proxy to that service, authenticated with the front-proxy client
//! certificate and naming the caller in `X-Remote-*` headers (never
//! passing on the caller's own credentials).
//!
//! There is no cluster DNS or service network here, so a service is
//! resolved as kube-apiserver's `--enable-aggregator-routing=true` does:
//! through its `Endpoints` object in this server (an address of the
//! subset that carries the port the `APIService` names) or, when that has
//! none, its `EndpointSlices` (a ready endpoint of a slice labelled
//! `kubernetes.io/service-name` with that port), and the backend's
//! certificate is checked for `SERVICE.NAMESPACE.svc`, as kube-aggregator
//! checks it.

use std::sync::Arc;

use futures_util::StreamExt as _;
use http_body_util::{BodyExt as _, BodyStream, StreamBody};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response};
use serde_json::Value;

use super::client::{self, Target};
use super::requestheader::percent_encode_key;
use crate::auth::User;
use crate::http::{Body, Ctx};
use crate::status::ApiError;
use crate::storage::{Key, Store};

/// The `APIService` object of a group and version.
pub fn api_service(store: &Store, group: &str, version: &str) -> Option<Arc<Value>> {
    store.get(&Key::new(
        "apiregistration.k8s.io",
        "apiservices",
        "",
        &format!("{version}.{group}"),
    ))
}

/// Every `APIService` that names a service (the ones to proxy).
pub fn remote_services(store: &Store) -> Vec<Arc<Value>> {
    store
        .list("apiregistration.k8s.io", "apiservices", None, None)
        .map(|(_, items)| items)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a["spec"]["service"].is_object())
        .collect()
}

/// Whether the `Available` condition is `True`.
pub fn is_available(api: &Value) -> bool {
    api["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Available" && c["status"] == "True")
}

/// Why a service cannot be reached: kube-aggregator's condition reason
/// and message.
pub type Unresolved = (&'static str, String);

/// The `IP:PORT` behind `spec.service` of an APIService, found in this
/// server's Service and Endpoints.
pub fn resolve(store: &Store, svc: &Value) -> Result<String, Unresolved> {
    let ns = svc["namespace"].as_str().unwrap_or("");
    let name = svc["name"].as_str().unwrap_or("");
    let port = svc["port"].as_u64().unwrap_or(443);
    let Some(service) = store.get(&Key::new("", "services", ns, name)) else {
        return Err((
            "ServiceNotFound",
            format!("service/{name} in \"{ns}\" is not present"),
        ));
    };
    let Some(sp) = service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["port"].as_u64() == Some(port))
    else {
        return Err((
            "ServicePortError",
            format!("service/{name} in \"{ns}\" is not listening on port {port}"),
        ));
    };
    let port_name = sp["name"].as_str().unwrap_or("");
    let endpoints = store.get(&Key::new("", "endpoints", ns, name));
    let slices = slices_of(store, ns, name);
    if endpoints.is_none() && slices.is_empty() {
        return Err((
            "EndpointsNotFound",
            format!("cannot find endpoints for service/{name} in \"{ns}\""),
        ));
    }
    let found = endpoints
        .and_then(|e| endpoints_address(&e, port_name))
        .or_else(|| slices.iter().find_map(|s| slice_address(s, port_name)));
    let Some((ip, p)) = found else {
        return Err((
            "MissingEndpoints",
            format!("endpoints for service/{name} in \"{ns}\" have no addresses with port name \"{port_name}\""),
        ));
    };
    Ok(if ip.contains(':') {
        format!("[{ip}]:{p}")
    } else {
        format!("{ip}:{p}")
    })
}

/// The port named `port_name` among `ports`, or the only one there is.
fn named_port(ports: &[Value], port_name: &str) -> Option<u64> {
    ports
        .iter()
        .find(|p| p["name"].as_str().unwrap_or("") == port_name)
        .or_else(|| (ports.len() == 1).then(|| &ports[0]))
        .and_then(|p| p["port"].as_u64())
}

/// An address and port of an Endpoints object's subsets.
fn endpoints_address(endpoints: &Value, port_name: &str) -> Option<(String, u64)> {
    endpoints["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|subset| {
            let ports = subset["ports"].as_array()?;
            let p = named_port(ports, port_name)?;
            let ip = subset["addresses"]
                .as_array()?
                .iter()
                .find_map(|a| a["ip"].as_str())?;
            Some((ip.to_string(), p))
        })
}

/// The EndpointSlices of a Service (labelled `kubernetes.io/service-name`).
fn slices_of(store: &Store, ns: &str, name: &str) -> Vec<Arc<Value>> {
    store
        .list("discovery.k8s.io", "endpointslices", Some(ns), None)
        .map(|(_, items)| items)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s["metadata"]["labels"]["kubernetes.io/service-name"] == name)
        .collect()
}

/// A ready address and port of an EndpointSlice (an endpoint without a
/// `ready` condition counts as ready, as the API says).
fn slice_address(slice: &Value, port_name: &str) -> Option<(String, u64)> {
    let p = named_port(slice["ports"].as_array()?, port_name)?;
    let ip = slice["endpoints"]
        .as_array()?
        .iter()
        .filter(|e| e["conditions"]["ready"] != false)
        .find_map(|e| e["addresses"].as_array()?.iter().find_map(Value::as_str))?;
    Some((ip.to_string(), p))
}

/// How to reach the backend of `api`: its address, the name its
/// certificate must carry, its CA bundle (or no verification with
/// `insecureSkipTLSVerify`) and the front-proxy client certificate.
pub fn target(ctx: &Ctx, api: &Value) -> Result<Target, Unresolved> {
    let spec = &api["spec"];
    let addr = resolve(&ctx.store, &spec["service"])?;
    let svc = &spec["service"];
    let dns = format!(
        "{}.{}.svc",
        svc["name"].as_str().unwrap_or(""),
        svc["namespace"].as_str().unwrap_or("")
    );
    let bad = |why: String| ("FailedDiscoveryCheck", why);
    use base64::Engine as _;
    let ca = match spec["caBundle"].as_str().filter(|s| !s.is_empty()) {
        Some(b) => Some(kubewire::kubeconfig::FileOrData::Data(
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| bad(format!("spec.caBundle: {e}")))?,
        )),
        None => None,
    };
    let tls = kubewire::kubeconfig::TlsConfig {
        ca,
        server_name: Some(dns),
        insecure: spec["insecureSkipTLSVerify"].as_bool() == Some(true),
    };
    let url = format!("https://{addr}");
    let cert = ctx.aggregation.proxy_client.clone().unwrap_or_default();
    let cfg =
        kubewire_config::tls::client_config(&tls, cert, &url).map_err(|e| bad(e.to_string()))?;
    let name = kubewire_config::tls::server_name(&tls, &url).map_err(|e| bad(e.to_string()))?;
    let trust = format!(
        "{}|{}",
        spec["caBundle"].as_str().unwrap_or(""),
        tls.insecure
    );
    Target::parse(&url, name, cfg)
        .map(|t| t.trusting(&trust))
        .map_err(bad)
}

/// Headers a proxy never passes on: hop-by-hop ones, and the caller's
/// credentials and identity claims.
fn dropped(name: &HeaderName) -> bool {
    let n = name.as_str();
    matches!(
        n,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authorization"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "trailer"
            | "host"
            | "authorization"
    ) || n.starts_with("x-remote-")
        || n.starts_with("impersonate-")
}

/// Sets the `X-Remote-*` headers naming `user` on `headers`.
pub fn identify(headers: &mut hyper::HeaderMap, user: &User) {
    let mut put = |k: &str, v: &str| {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(v)) {
            headers.append(k, v);
        }
    };
    put("x-remote-user", &user.name());
    for g in crate::authz::groups(user) {
        put("x-remote-group", &g);
    }
    if let User::Remote(r) = user {
        for (k, vs) in &r.extra {
            for v in vs {
                put(&format!("x-remote-extra-{}", percent_encode_key(k)), v);
            }
        }
    }
}

/// A response body streamed from the backend; a broken stream ends it.
pub fn stream_body(b: Incoming) -> Body {
    let frames = BodyStream::new(b)
        .take_while(|r| core::future::ready(r.is_ok()))
        .filter_map(|r| core::future::ready(r.ok()))
        .map(Ok::<_, core::convert::Infallible>);
    StreamBody::new(frames).boxed_unsync()
}

/// A Status error response.
pub fn status_error(e: &ApiError) -> Response<Body> {
    let body = e.to_status().to_string();
    Response::builder()
        .status(e.code())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(body)).boxed_unsync())
        .unwrap_or_else(|_| Response::new(http_body_util::Empty::new().boxed_unsync()))
}

/// `(group, version)` of a path under `/apis/GROUP/VERSION`.
pub fn group_version(path: &str) -> Option<(&str, &str)> {
    let mut it = path.strip_prefix("/apis/")?.split('/');
    let g = it.next().filter(|g| !g.is_empty())?;
    let v = it.next().filter(|v| !v.is_empty())?;
    Some((g, v))
}

/// Proxies `req` to the backend of `api` as `user`.
pub async fn proxy(ctx: &Ctx, user: &User, api: &Value, req: Request<Incoming>) -> Response<Body> {
    // kube-aggregator refuses while the APIService is not Available.
    if !is_available(api) {
        return status_error(&ApiError::new(
            503,
            "ServiceUnavailable",
            "service unavailable",
        ));
    }
    let t = match target(ctx, api) {
        Ok(t) => t,
        Err((_, why)) => {
            return status_error(&ApiError::new(
                503,
                "ServiceUnavailable",
                format!("service unavailable: {why}"),
            ))
        }
    };
    let (parts, body) = req.into_parts();
    let mut out = Request::builder().method(parts.method).uri(parts.uri);
    if let Some(h) = out.headers_mut() {
        for (k, v) in &parts.headers {
            if !dropped(k) {
                h.append(k.clone(), v.clone());
            }
        }
        identify(h, user);
    }
    let Ok(out) = out.body(body) else {
        return status_error(&ApiError::bad_request("the request cannot be proxied"));
    };
    match client::send(&t, out).await {
        Ok(resp) => {
            let (parts, body) = resp.into_parts();
            let mut r = Response::builder().status(parts.status);
            if let Some(h) = r.headers_mut() {
                for (k, v) in &parts.headers {
                    if !dropped(k) {
                        h.append(k.clone(), v.clone());
                    }
                }
            }
            r.body(stream_body(body))
                .unwrap_or_else(|_| Response::new(http_body_util::Empty::new().boxed_unsync()))
        }
        Err(e) => status_error(&ApiError::new(
            503,
            "ServiceUnavailable",
            format!("error trying to reach service: {e}"),
        )),
    }
}
