//! The `serviceaccounts/token` subresource: TokenRequest.

use super::{Request, Res};
use crate::http::body::{object, Format};

/// TokenRequest, bound to a Pod, Secret or Node when asked (see
/// [`crate::tokens::token_request`]).
pub fn request(r: &Request<'_>) -> Res {
    let ns = r.rp.namespace.clone().unwrap_or_default();
    let body = r.parse_body()?;
    let doc = crate::tokens::token_request(
        &r.ctx.issuer,
        &r.ctx.store,
        &ns,
        &r.name(),
        &body,
        &r.manager(),
    )?;
    Ok(object(201, &doc, Format::Json, r.pretty))
}
