//! The aggregation layer, both sides of it.
//!
//! - **Backend** (an aggregated API server behind kube-apiserver):
//!   request-header authentication ([`requestheader`]), delegated
//!   authorization with SubjectAccessReviews ([`delegated`]), and only the
//!   served groups in discovery, OpenAPI and routing ([`Aggregation::visible`])
//!   for everyone but the server's own admins (who install its CRDs).
//! - **Front** (kube-aggregator, for running without a real
//!   kube-apiserver): `APIService` objects proxy a group to a backend
//!   ([`front`]) after this server's own authorizer allowed the request
//!   ([`request_info`]), join discovery ([`discovery`]) and OpenAPI
//!   ([`openapi`]) and get their
//!   `Available` condition ([`available`]); every group the server serves
//!   itself has a `Local` one ([`local`]).

pub mod available;
mod client;
pub mod delegated;
pub mod discovery;
pub mod front;
pub mod local;
pub mod openapi;
pub mod request_info;
pub mod requestheader;

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Request, Response};
use rustls::pki_types::CertificateDer;

use crate::auth::User;
use crate::authz::{Attributes, Decision};
use crate::http::{Body, ConnIdentity, Ctx, Head};
use crate::resources::ResourceDef;
use crate::status::ApiError;

pub use delegated::Delegated;
pub use requestheader::RequestHeader;

/// How long a discovery check of a backend may take (kube-aggregator's).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(6);

/// The aggregation settings of one server.
#[derive(Debug, Default)]
pub struct Aggregation {
    /// Who may assert identities in headers (backend side).
    pub requestheader: Option<RequestHeader>,
    /// Where remote users are authorized (backend side).
    pub delegated: Option<Delegated>,
    /// The groups served to remote users; empty means all (backend side).
    pub groups: Vec<String>,
    /// The front-proxy client certificate presented to backends
    /// (`--proxy-client-cert-file`, front side).
    pub proxy_client: Option<Arc<kubewire_config::tls::ClientCert>>,
}

impl Aggregation {
    /// The identity a TLS peer's certificate chain establishes: a front
    /// proxy's name when the request-header CA signed it, else the user of
    /// a certificate of this server's own CA.
    pub fn conn_identity(&self, chain: Option<&[CertificateDer<'_>]>) -> ConnIdentity {
        let Some(chain) = chain.filter(|c| !c.is_empty()) else {
            return ConnIdentity(None, None);
        };
        if let Some(proxy) = self
            .requestheader
            .as_ref()
            .and_then(|rh| rh.proxy_name(chain))
        {
            return ConnIdentity(None, Some(proxy));
        }
        ConnIdentity(crate::tls::client_cert_user(&chain[0]), None)
    }

    /// The user a front proxy asserts for this request, when the
    /// connection is one's; `None` to judge the request by its own
    /// credentials.
    pub fn proxied_user(
        &self,
        req: &Request<Incoming>,
        conn: &ConnIdentity,
    ) -> Option<Result<User, ApiError>> {
        let (rh, proxy) = (self.requestheader.as_ref()?, conn.1.as_deref()?);
        rh.user(proxy, req.headers()).transpose()
    }

    /// The resources `user` sees: only the served groups for everyone but
    /// this server's admins.
    pub fn visible(&self, user: &User, defs: Arc<Vec<ResourceDef>>) -> Arc<Vec<ResourceDef>> {
        if self.groups.is_empty() || matches!(user, User::Admin(_)) {
            return defs;
        }
        Arc::new(
            defs.iter()
                .filter(|d| self.groups.contains(&d.group))
                .cloned()
                .collect(),
        )
    }
}

/// The authorizer's decision: remote users not in `system:masters` by
/// the main server (when delegated authorization is configured), everyone
/// else by this server's own rules.
pub async fn authorize(ctx: &Ctx, user: &User, a: &Attributes<'_>) -> Result<Decision, ApiError> {
    match (&ctx.aggregation.delegated, user) {
        (Some(d), User::Remote(_)) if !crate::authz::is_master(user) => d.authorize(user, a).await,
        _ => Ok(crate::authz::authorize(&ctx.store, user, a)),
    }
}

/// Front side: discovery including remote groups, and the proxy for
/// `/apis/GROUP/VERSION/...` of an `APIService` with a service. Hands the
/// request back when it is the server's own.
pub async fn serve_front(
    ctx: &Ctx,
    user: &User,
    defs: &[ResourceDef],
    head: &Head,
    req: Request<Incoming>,
) -> Result<Response<Body>, Request<Incoming>> {
    let req = match openapi::serve(ctx, defs, head, req).await {
        Ok(resp) => return Ok(resp),
        Err(req) => req,
    };
    if let Some((g, v)) = front::group_version(&head.path) {
        if let Some(api) = front::api_service(&ctx.store, g, v) {
            if api["spec"]["service"].is_object() {
                if let Err(e) = authorize_proxied(ctx, user, head).await {
                    return Ok(front::status_error(&e));
                }
                return Ok(front::proxy(ctx, user, &api, req).await);
            }
        }
        return Err(req);
    }
    match discovery::serve(ctx, defs, head).await {
        Some(resp) => Ok(resp),
        None => Err(req),
    }
}

/// The front's own decision on a request for a proxied group, before it
/// is proxied (kube-apiserver's authorization filter runs before
/// kube-aggregator): refused here, the backend never sees it.
async fn authorize_proxied(ctx: &Ctx, user: &User, head: &Head) -> Result<(), ApiError> {
    let method = request_info::verb_of(&head.method);
    let Some(request_info::RequestInfo::Resource(a)) =
        request_info::of(&method, &head.path, &head.query)
    else {
        // `/apis/G/V` itself: discovery, open to every authenticated user.
        return Ok(());
    };
    if let Decision::Allow(_) = authorize(ctx, user, &a).await? {
        return Ok(());
    }
    let resource = match a.subresource {
        Some(s) => format!("{}/{s}", a.resource),
        None => a.resource.to_string(),
    };
    Err(ApiError::forbidden(
        &user.name(),
        a.verb,
        a.group,
        &resource,
        a.name,
        a.namespace,
    ))
}
