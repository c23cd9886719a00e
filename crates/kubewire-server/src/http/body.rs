//! Response building: content negotiation, encodings, Status errors.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::{header, Response, StatusCode};
use serde_json::Value;

use crate::status::ApiError;
use crate::table::IncludeObject;

/// The response body type of every handler.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// How the client asked to see objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain JSON.
    Json,
    /// YAML.
    Yaml,
    /// `as=Table`.
    Table(IncludeObject),
    /// `as=PartialObjectMetadata(List)`.
    Metadata,
}

/// Picks the first acceptable media type of an Accept header.
pub fn negotiate(accept: &str, include: IncludeObject) -> Result<Format, ApiError> {
    if accept.trim().is_empty() {
        return Ok(Format::Json);
    }
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let mime = parts.next().unwrap_or("");
        let params: Vec<&str> = parts.collect();
        let has = |p: &str| params.iter().any(|x| x.replace(' ', "") == p);
        if has("as=Table") && has("g=meta.k8s.io") {
            return Ok(Format::Table(include));
        }
        if (has("as=PartialObjectMetadata") || has("as=PartialObjectMetadataList"))
            && has("g=meta.k8s.io")
        {
            return Ok(Format::Metadata);
        }
        if params.iter().any(|p| p.starts_with("as=")) {
            continue;
        }
        match mime {
            "application/json" | "*/*" | "application/*" => return Ok(Format::Json),
            "application/yaml" => return Ok(Format::Yaml),
            _ => {}
        }
    }
    Err(ApiError::not_acceptable())
}

/// A full body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// A JSON (or YAML) response.
pub fn object(status: u16, v: &Value, format: Format, pretty: bool) -> Response<Body> {
    let (ct, bytes) = match format {
        Format::Yaml => (
            "application/yaml",
            serde_norway::to_string(v).unwrap_or_default().into_bytes(),
        ),
        _ => {
            let mut b = if pretty {
                serde_json::to_vec_pretty(v)
            } else {
                serde_json::to_vec(v)
            }
            .unwrap_or_default();
            b.push(b'\n');
            ("application/json", b)
        }
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, ct)
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(full(bytes))
        .unwrap_or_else(|_| Response::new(full("")))
}

/// A Status error response.
pub fn error(e: &ApiError) -> Response<Body> {
    object(e.code(), &e.to_status(), Format::Json, false)
}

/// A plain-text response.
pub fn text(status: StatusCode, t: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header("X-Content-Type-Options", "nosniff")
        .body(full(t.to_string()))
        .unwrap_or_else(|_| Response::new(full("")))
}
