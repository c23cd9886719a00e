//! The HTTP front: authentication, routing, non-resource endpoints.

mod body;
pub mod cors;
mod crud;
pub mod route;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{header, Method, Request, Response, StatusCode};
use serde_json::Value;

pub use body::Body;
use body::{error, negotiate, object, text, Format};

use crate::auth::{StaticTokens, User};
use crate::discovery;
use crate::status::ApiError;
use crate::storage::{Key, Store};
use crate::table::IncludeObject;
use crate::tokens::TokenIssuer;

/// Shared state every request handler sees.
pub struct Ctx {
    /// Object storage.
    pub store: Arc<Store>,
    /// Static bearer tokens.
    pub tokens: StaticTokens,
    /// Whether requests must authenticate.
    pub auth_required: bool,
    /// Service-account token signer.
    pub issuer: TokenIssuer,
    /// Largest accepted request body.
    pub max_body: usize,
    /// Bookmark period for watches.
    pub bookmark_interval: Duration,
    /// Longest watch when the client gives no timeoutSeconds.
    pub max_watch: Duration,
    /// The address clients use, for `/api`.
    pub address: String,
    /// Flips to true on shutdown; watches end.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// The origins whose pages may call the API from a browser.
    pub cors: cors::Cors,
}

/// Identity established by the connection (a verified client certificate).
#[derive(Debug, Clone, Default)]
pub struct ConnIdentity(pub Option<String>);

/// Query parameters as a small map (first value wins).
pub struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: Option<&str>) -> Self {
        Query(
            form_urlencoded::parse(q.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    /// The value of `k`.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str())
    }
    /// True for `k=true` / `k=1` (and a bare `k`).
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true" | "1" | ""))
    }
}

fn authenticate(ctx: &Ctx, req: &Request<Incoming>, conn: &ConnIdentity) -> Result<User, ApiError> {
    if let Some(cn) = &conn.0 {
        return Ok(User::Admin(cn.clone()));
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match bearer {
        Some(tok) => {
            if let Some(u) = ctx.tokens.user(tok) {
                return Ok(User::Admin(u.to_string()));
            }
            if let Some(s) = ctx.issuer.verify(tok) {
                // The token is only good while its service account exists.
                let key = Key::new("", "serviceaccounts", &s.namespace, &s.name);
                let alive = ctx
                    .store
                    .get(&key)
                    .is_some_and(|sa| sa["metadata"]["uid"].as_str() == Some(s.uid.as_str()));
                if alive {
                    return Ok(User::ServiceAccount(s.namespace, s.name));
                }
            }
            Err(ApiError::unauthorized())
        }
        None if ctx.auth_required => Ok(User::Anonymous),
        None => Ok(User::Admin("admin".into())),
    }
}

/// Handles one request.
pub async fn handle(ctx: Arc<Ctx>, conn: ConnIdentity, req: Request<Incoming>) -> Response<Body> {
    let user = match authenticate(&ctx, &req, &conn) {
        Ok(u) => u,
        Err(e) => return error(&e),
    };
    let path = req.uri().path().to_string();
    let query = Query::parse(req.uri().query());
    let pretty = query.flag("pretty")
        || req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.starts_with("curl/") || ua.starts_with("Wget/"));
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let json = |v: &Value| object(200, v, Format::Json, pretty);
    if req.method() == Method::GET {
        match path.as_str() {
            "/healthz" | "/livez" | "/readyz" => {
                // Not ready while storage refuses changes (read-only after a
                // failed write); alive all the same.
                let storage_ok = path != "/readyz" || ctx.store.writable();
                let body = match (query.get("verbose").is_some(), storage_ok) {
                    (true, true) => {
                        format!("[+]ping ok\n[+]storage ok\n{} check passed\n", &path[1..])
                    }
                    (true, false) => format!(
                        "[+]ping ok\n[-]storage failed: read-only after a failed write\n{} check failed\n",
                        &path[1..]
                    ),
                    (false, true) => "ok".to_string(),
                    (false, false) => "[-]storage failed: read-only after a failed write\n".into(),
                };
                let code = if storage_ok {
                    StatusCode::OK
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                return text(code, &body);
            }
            "/version" => return object(200, &discovery::version(), Format::Json, true),
            "/openid/v1/jwks" => return json(&ctx.issuer.jwks()),
            "/.well-known/openid-configuration" => return json(&ctx.issuer.openid_configuration()),
            _ => {}
        }
    }
    let defs = ctx.store.registry();
    // Anonymous requests reach resources only to be refused by the
    // RBAC-style check there (same message as kube-apiserver); every other
    // path is refused here.
    if matches!(user, User::Anonymous)
        && !matches!(route::route(&defs, &path), route::Route::Resource(_))
    {
        let e = ApiError::new(
            403,
            "Forbidden",
            format!(
                "forbidden: User \"system:anonymous\" cannot {} path \"{path}\"",
                req.method().as_str().to_lowercase()
            ),
        )
        .with_empty_details();
        return error(&e);
    }
    if req.method() == Method::GET {
        let wants_v2 = accept.split(',').any(|r| {
            r.contains("as=APIGroupDiscoveryList")
                && r.contains("g=apidiscovery.k8s.io")
                && r.split(';').any(|p| p.trim() == "v=v2")
        });
        match path.as_str() {
            "/api" | "/api/" | "/apis" | "/apis/" => {
                let core = path.starts_with("/api") && !path.starts_with("/apis");
                if wants_v2 {
                    let doc = discovery::aggregated(&defs, core);
                    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
                    let etag = format!("\"{}\"", discovery::hash_hex(&bytes));
                    let not_modified = req
                        .headers()
                        .get(header::IF_NONE_MATCH)
                        .and_then(|v| v.to_str().ok())
                        == Some(etag.as_str());
                    let b = Response::builder()
                        .header(
                            header::CONTENT_TYPE,
                            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
                        )
                        .header(header::ETAG, etag)
                        .header(header::VARY, "Accept")
                        .header(header::CACHE_CONTROL, "public");
                    let r = if not_modified {
                        b.status(304).body(body::full(""))
                    } else {
                        b.body(body::full(bytes))
                    };
                    return r.unwrap_or_else(|_| Response::new(body::full("")));
                }
                if !accept.is_empty() && negotiate(&accept, IncludeObject::Metadata).is_err() {
                    return error(&ApiError::not_acceptable());
                }
                return if core {
                    json(&discovery::api_versions(&ctx.address))
                } else {
                    json(&discovery::api_group_list(&defs))
                };
            }
            "/openapi/v2" => {
                if accept.contains("protobuf") {
                    return Response::builder()
                        .header(
                            header::CONTENT_TYPE,
                            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                        )
                        .body(body::full(discovery::openapi_v2_proto()))
                        .unwrap_or_else(|_| Response::new(body::full("")));
                }
                return json(&discovery::openapi_v2_json());
            }
            "/openapi/v3" | "/openapi/v3/" => return json(&discovery::openapi_v3_index(&defs)),
            _ => {}
        }
        if let Some(gv) = path.strip_prefix("/openapi/v3/") {
            let (g, v) = match gv.split('/').collect::<Vec<_>>().as_slice() {
                ["api", v] => (String::new(), v.to_string()),
                ["apis", g, v] => (g.to_string(), v.to_string()),
                _ => return text(StatusCode::NOT_FOUND, "404 page not found\n"),
            };
            return match discovery::openapi_v3_gv(&defs, &g, &v) {
                Some(doc) => json(&doc),
                None => text(StatusCode::NOT_FOUND, "404 page not found\n"),
            };
        }
    }
    match route::route(&defs, &path) {
        route::Route::NotFound => text(StatusCode::NOT_FOUND, "404 page not found\n"),
        route::Route::UnknownResource => error(&ApiError::unknown_resource()),
        route::Route::Group(g) if req.method() == Method::GET => {
            match discovery::api_group(&defs, &g) {
                Some(v) => json(&v),
                None => text(StatusCode::NOT_FOUND, "404 page not found\n"),
            }
        }
        route::Route::GroupVersion(g, v) if req.method() == Method::GET => {
            match discovery::resource_list(&defs, &g, &v) {
                Some(doc) => json(&doc),
                None => text(StatusCode::NOT_FOUND, "404 page not found\n"),
            }
        }
        route::Route::Group(_) | route::Route::GroupVersion(..) => {
            error(&ApiError::method_not_allowed())
        }
        route::Route::Resource(rp) => {
            let include = IncludeObject::parse(query.get("includeObject"));
            let format = match negotiate(&accept, include) {
                Ok(f) => f,
                Err(e) => return error(&e),
            };
            let user_agent = req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let method = req.method().clone();
            let body = if matches!(
                method,
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) {
                match Limited::new(req.into_body(), ctx.max_body).collect().await {
                    Ok(c) => c.to_bytes(),
                    Err(e) => {
                        if e.downcast_ref::<http_body_util::LengthLimitError>()
                            .is_some()
                        {
                            return error(&ApiError::too_large(ctx.max_body));
                        }
                        return error(&ApiError::bad_request(format!(
                            "reading the request body failed: {e}"
                        )));
                    }
                }
            } else {
                Bytes::new()
            };
            // YAML (apply patches, `application/yaml` bodies) is converted
            // on a blocking thread when large; JSON is YAML, so the handler
            // reads the result the same way.
            let body = if content_type.contains("yaml") {
                crate::decode::yaml_to_json_bytes(body).await
            } else {
                body
            };
            let r = crud::Request {
                ctx: &ctx,
                user,
                method,
                rp: *rp,
                query,
                format,
                pretty,
                user_agent,
                content_type,
                body,
            };
            match crud::dispatch(r).await {
                Ok(resp) => resp,
                Err(e) => error(&e),
            }
        }
    }
}

impl ApiError {
    fn with_empty_details(mut self) -> Self {
        self.details = Some(serde_json::json!({}));
        self
    }
}
