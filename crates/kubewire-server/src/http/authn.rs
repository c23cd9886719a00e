//! Who is asking: a verified client certificate, a static bearer token,
//! a service-account token whose account still exists, or nobody.

use hyper::body::Incoming;
use hyper::{header, Request};

use super::{ConnIdentity, Ctx};
use crate::auth::User;
use crate::status::ApiError;
use crate::storage::Key;

/// The user behind a request; 401 for a bearer token nobody issued.
pub fn authenticate(
    ctx: &Ctx,
    req: &Request<Incoming>,
    conn: &ConnIdentity,
) -> Result<User, ApiError> {
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
