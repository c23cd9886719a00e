//! CORS, so that a page on an allowed origin (a dashboard) can call the API
//! straight from the browser.
//!
//! Origins are configured explicitly; nothing is allowed by default. A
//! configured origin is echoed back with `Access-Control-Allow-Credentials:
//! true`, so cookies of a fronting proxy work. The wildcard `*` allows every
//! origin but never together with credentials: the browser then sends no
//! cookies, and a bearer token in `Authorization` still works because that
//! header is allowed explicitly.
//!
//! Preflights (`OPTIONS` with `Access-Control-Request-Method`) are answered
//! before authentication: browsers never attach credentials to them.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::{body, handle, Body, ConnIdentity, Ctx};

/// Methods a page may use: every verb the API serves.
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// Request headers a page may send: credentials, content negotiation and
/// impersonation, as a client library needs them.
const ALLOW_HEADERS: &str =
    "Authorization, Content-Type, Accept, Impersonate-User, Impersonate-Group";
/// Response headers a page may read beyond the CORS-safelisted ones:
/// `Retry-After` feeds the client's backoff, `Warning` carries deprecations.
const EXPOSE_HEADERS: &str = "Retry-After, Warning, Audit-Id";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    origins: Vec<String>,
    any: bool,
}

/// Why an origin was refused at configuration time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadOrigin(pub String);

impl core::fmt::Display for BadOrigin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "CORS origin {:?} must be `*` or scheme://host[:port] with no path",
            self.0
        )
    }
}

impl std::error::Error for BadOrigin {}

/// What the configuration says about one request's origin.
enum Allowed<'a> {
    /// Not allowed: answer without CORS headers, the browser blocks the page.
    No,
    /// Allowed through the wildcard: `*`, never with credentials.
    Any,
    /// Allowed by name: echoed, with credentials.
    Origin(&'a str),
}

impl Cors {
    /// Allow `origin` (`https://dash.example.com`, `http://127.0.0.1:8080`)
    /// or every origin with `*`. A trailing `/` is dropped, as browsers
    /// never send one.
    pub fn allow(&mut self, origin: &str) -> Result<(), BadOrigin> {
        let o = origin.trim().trim_end_matches('/');
        if o == "*" {
            self.any = true;
            return Ok(());
        }
        let rest = o
            .strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
            .ok_or_else(|| BadOrigin(origin.into()))?;
        let bad = rest.is_empty()
            || rest
                .chars()
                .any(|c| matches!(c, '/' | '?' | '#' | '@' | ' ' | ','));
        if bad {
            return Err(BadOrigin(origin.into()));
        }
        if !self.origins.iter().any(|x| x == o) {
            self.origins.push(o.to_string());
        }
        Ok(())
    }

    /// Whether any origin is allowed at all.
    pub fn is_enabled(&self) -> bool {
        self.any || !self.origins.is_empty()
    }

    fn check<'a>(&self, origin: &'a str) -> Allowed<'a> {
        // Origins are compared as the browser serialises them: scheme and
        // host in lower case.
        if self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
            Allowed::Origin(origin)
        } else if self.any {
            Allowed::Any
        } else {
            Allowed::No
        }
    }

    fn add_origin_headers(&self, allowed: &Allowed<'_>, resp: &mut Response<Body>) {
        let h = resp.headers_mut();
        // Answers differ by Origin: caches must not hand one origin's
        // answer to another.
        h.append(header::VARY, HeaderValue::from_static("Origin"));
        match allowed {
            Allowed::No => {}
            Allowed::Any => {
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            Allowed::Origin(o) => {
                if let Ok(v) = HeaderValue::from_str(o) {
                    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
                    h.insert(
                        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                        HeaderValue::from_static("true"),
                    );
                }
            }
        }
    }

    /// The answer to a preflight from an allowed origin; `None` for every
    /// other request (which then goes through the API as usual).
    fn preflight(&self, req: &Request<Incoming>) -> Option<Response<Body>> {
        if req.method() != Method::OPTIONS
            || !req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return None;
        }
        let origin = req.headers().get(header::ORIGIN)?.to_str().ok()?;
        let allowed = self.check(origin);
        if matches!(allowed, Allowed::No) {
            return None;
        }
        let mut resp = Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS)
            .header(header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS)
            .header(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE)
            .header(
                header::VARY,
                "Access-Control-Request-Method, Access-Control-Request-Headers",
            )
            .body(body::full(""))
            .unwrap_or_else(|_| Response::new(body::full("")));
        self.add_origin_headers(&allowed, &mut resp);
        Some(resp)
    }

    /// Add the CORS headers for `origin` to an API answer.
    fn decorate(&self, origin: Option<&HeaderValue>, resp: &mut Response<Body>) {
        let Some(origin) = origin.and_then(|o| o.to_str().ok()) else {
            return;
        };
        let allowed = self.check(origin);
        if !matches!(allowed, Allowed::No) {
            resp.headers_mut().insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSE_HEADERS),
            );
        }
        self.add_origin_headers(&allowed, resp);
    }
}

/// Handle one request with CORS around the API: preflights are answered
/// here, every other answer gets the headers its origin is allowed.
pub async fn handle_cors(
    ctx: Arc<Ctx>,
    conn: ConnIdentity,
    req: Request<Incoming>,
) -> Response<Body> {
    if !ctx.cors.is_enabled() {
        return handle(ctx, conn, req).await;
    }
    if let Some(resp) = ctx.cors.preflight(&req) {
        return resp;
    }
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mut resp = handle(ctx.clone(), conn, req).await;
    ctx.cors.decorate(origin.as_ref(), &mut resp);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_when_configured() {
        let mut c = Cors::default();
        assert!(!c.is_enabled());
        c.allow("http://127.0.0.1:8080/").unwrap();
        c.allow("https://dash.example.com").unwrap();
        assert!(c.is_enabled());
        assert!(matches!(
            c.check("http://127.0.0.1:8080"),
            Allowed::Origin(_)
        ));
        assert!(matches!(
            c.check("HTTPS://DASH.example.com"),
            Allowed::Origin(_)
        ));
        assert!(matches!(c.check("http://127.0.0.1:8081"), Allowed::No));
        assert!(matches!(c.check("null"), Allowed::No));
        for bad in [
            "127.0.0.1:8080",
            "http://",
            "http://a/b",
            "ftp://x",
            "http://a,http://b",
        ] {
            assert_eq!(c.clone().allow(bad), Err(BadOrigin(bad.into())), "{bad}");
        }
        c.allow("*").unwrap();
        assert!(matches!(c.check("http://elsewhere"), Allowed::Any));
    }

    #[test]
    fn the_wildcard_never_comes_with_credentials() {
        let mut c = Cors::default();
        c.allow("*").unwrap();
        let mut resp = Response::new(body::full(""));
        c.decorate(Some(&HeaderValue::from_static("http://x")), &mut resp);
        assert_eq!(resp.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(!resp
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    }
}
