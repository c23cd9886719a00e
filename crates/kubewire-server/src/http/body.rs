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
    /// `application/vnd.kubernetes.protobuf` (built-in kinds only).
    Protobuf,
}

/// Picks the first acceptable media type of an Accept header; protobuf
/// only where the kind has a protobuf message (`protobuf`), as custom
/// resources are JSON-only on a real server too.
pub fn negotiate(accept: &str, include: IncludeObject, protobuf: bool) -> Result<Format, ApiError> {
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
            crate::pb::MEDIA_TYPE if protobuf => return Ok(Format::Protobuf),
            _ => {}
        }
    }
    Err(ApiError::not_acceptable())
}

/// A full body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// A JSON, YAML or protobuf response. An object protobuf has no message
/// for (or that does not fit it) goes out as JSON.
pub fn object(status: u16, v: &Value, format: Format, pretty: bool) -> Response<Body> {
    let encoded = match format {
        Format::Protobuf => crate::pb::encode(v).and_then(Result::ok),
        _ => None,
    };
    let (ct, bytes) = match format {
        Format::Protobuf if encoded.is_some() => {
            (crate::pb::MEDIA_TYPE, encoded.unwrap_or_default())
        }
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
    error_as(e, Format::Json)
}

/// A Status error response in the negotiated encoding (protobuf for a
/// client that asked for it, JSON otherwise).
pub fn error_as(e: &ApiError, format: Format) -> Response<Body> {
    let f = if format == Format::Protobuf {
        Format::Protobuf
    } else {
        Format::Json
    };
    object(e.code(), &e.to_status(), f, false)
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
