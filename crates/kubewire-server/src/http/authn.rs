//! Who is asking: a front proxy's request headers (on a connection whose
//! certificate the request-header CA signed), a verified client
//! certificate, a static bearer token,
//! a service-account token whose account (and bound object) still exists,
//! or nobody.

use hyper::body::Incoming;
use hyper::{header, Request};

use super::{ConnIdentity, Ctx};
use crate::auth::User;
use crate::status::ApiError;

/// The user behind a request; 401 for a bearer token nobody issued.
pub fn authenticate(
    ctx: &Ctx,
    req: &Request<Incoming>,
    conn: &ConnIdentity,
) -> Result<User, ApiError> {
    if let Some(asserted) = ctx.aggregation.proxied_user(req, conn) {
        return asserted;
    }
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
            // Static tokens, then service-account tokens whose account and
            // bound objects still exist with the uids they were issued for.
            match crate::tokens::authenticate(&ctx.issuer, &ctx.tokens, &ctx.store, tok, &[]) {
                Ok(a) => Ok(match a.service_account {
                    Some((ns, name)) => User::ServiceAccount(ns, name),
                    None => User::Admin(a.username),
                }),
                Err(_) => Err(ApiError::unauthorized()),
            }
        }
        None if ctx.auth_required => Ok(User::Anonymous),
        None => Ok(User::Admin("admin".into())),
    }
}
