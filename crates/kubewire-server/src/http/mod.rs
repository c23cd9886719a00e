//! The HTTP front: who is asking (`authn`), what for ([`route`]), and
//! the handlers: `nonresource` endpoints (health, version, discovery,
//! OpenAPI) and the resource verbs (`resource`).

mod authn;
mod body;
pub mod cors;
mod nonresource;
mod resource;
pub mod route;

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{header, Method, Request, Response, StatusCode};

pub use body::Body;
use body::{error, text};

use crate::auth::{StaticTokens, User};
use crate::status::ApiError;
use crate::storage::Store;
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
    /// Where Services' cluster IPs come from.
    pub service_range: crate::services::IpRange,
    /// Aggregated API server and kube-aggregator settings.
    pub aggregation: crate::aggregation::Aggregation,
}

/// Identity established by the connection: the user of a verified client
/// certificate of this server's CA, or the name of a front proxy whose
/// certificate the request-header CA signed.
#[derive(Debug, Clone, Default)]
pub struct ConnIdentity(pub Option<String>, pub Option<String>);

/// Query parameters: the raw string (for the core's option parsers) and
/// its decoded pairs (first value wins).
pub struct Query {
    raw: String,
    pairs: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn parse(q: Option<&str>) -> Self {
        let raw = q.unwrap_or("").to_string();
        Query {
            pairs: kubewire::from_query::query_pairs(&raw),
            raw,
        }
    }

    /// The query string as sent, without the `?`.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The value of `k`.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter as the API server converts it: present and
    /// neither `0` nor `false`.
    pub fn flag(&self, k: &str) -> bool {
        self.get(k)
            .is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
    }
}

/// What every handler reads from the request line and headers.
pub struct Head {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The query.
    pub query: Query,
    /// The Accept header ("" when absent).
    pub accept: String,
    /// The Content-Type header ("" when absent).
    pub content_type: String,
    /// The User-Agent header ("" when absent).
    pub user_agent: String,
    /// If-None-Match ("" when absent).
    pub if_none_match: String,
    /// Indented JSON: `?pretty`, or a curl/wget user agent (as kube-apiserver).
    pub pretty: bool,
}

impl Head {
    fn of(req: &Request<Incoming>) -> Self {
        let header = |name: header::HeaderName| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let query = Query::parse(req.uri().query());
        let user_agent = header(header::USER_AGENT);
        let pretty = query.flag("pretty")
            || user_agent.starts_with("curl/")
            || user_agent.starts_with("Wget/");
        Head {
            method: req.method().clone(),
            path: req.uri().path().to_string(),
            query,
            accept: header(header::ACCEPT),
            content_type: header(header::CONTENT_TYPE),
            user_agent,
            if_none_match: header(header::IF_NONE_MATCH),
            pretty,
        }
    }
}

/// Handles one request.
pub async fn handle(ctx: Arc<Ctx>, conn: ConnIdentity, req: Request<Incoming>) -> Response<Body> {
    let user = match authn::authenticate(&ctx, &req, &conn) {
        Ok(u) => u,
        Err(e) => return error(&e),
    };
    let head = Head::of(&req);
    if let Some(resp) = nonresource::public(&ctx, &head) {
        return resp;
    }
    if head.method == Method::POST && head.path == crate::tokens::TOKEN_REVIEWS {
        return token_review(&ctx, &user, &head, req).await;
    }
    let defs = ctx.aggregation.visible(&user, ctx.store.registry());
    let route = route::route(&defs, &head.path);
    // Anonymous requests reach resources only to be refused by the
    // authorizer there (same message as kube-apiserver); every other path
    // is refused here.
    if matches!(user, User::Anonymous) && !matches!(route, route::Route::Resource(_)) {
        let e = ApiError::new(
            403,
            "Forbidden",
            format!(
                "forbidden: User \"system:anonymous\" cannot {} path \"{}\"",
                head.method.as_str().to_lowercase(),
                head.path
            ),
        )
        .with_empty_details();
        return error(&e);
    }
    let req = match crate::aggregation::serve_front(&ctx, &user, &defs, &head, req).await {
        Ok(resp) => return resp,
        Err(req) => req,
    };
    if let Some(resp) = nonresource::discovery(&ctx, &defs, &head, &route) {
        return resp;
    }
    match route {
        route::Route::NotFound => text(StatusCode::NOT_FOUND, "404 page not found\n"),
        route::Route::UnknownResource => error(&ApiError::unknown_resource()),
        route::Route::Group(_) | route::Route::GroupVersion(..) => {
            error(&ApiError::method_not_allowed())
        }
        route::Route::Resource(rp) => resource::serve(&ctx, user, head, *rp, req.into_body()).await,
    }
}

/// TokenReview: not a stored resource, so answered beside the router.
async fn token_review(
    ctx: &Ctx,
    user: &User,
    head: &Head,
    req: Request<Incoming>,
) -> Response<Body> {
    use http_body_util::{BodyExt, Limited};
    // kube-apiserver grants this to system:auth-delegator; here, admins.
    if !matches!(user, User::Admin(_)) {
        let e = ApiError::forbidden(
            &user.name(),
            "create",
            "authentication.k8s.io",
            "tokenreviews",
            None,
            None,
        );
        return error(&e);
    }
    let manager = head
        .user_agent
        .split('/')
        .next()
        .filter(|m| !m.is_empty())
        .unwrap_or("unknown");
    let body = match Limited::new(req.into_body(), ctx.max_body).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return error(&ApiError::too_large(ctx.max_body)),
    };
    match crate::tokens::token_review(&ctx.issuer, &ctx.tokens, &ctx.store, &body, manager) {
        Ok(v) => body::object(201, &v, body::Format::Json, head.pretty),
        Err(e) => error(&e),
    }
}
