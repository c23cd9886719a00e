//! Turning a whole (non-streaming) response into the caller's type or a
//! [`Status`].
//!
//! For LIST and WATCH bodies use the streaming decoders in [`crate::decode`]
//! instead: this reads one complete body, which is right for GET, create,
//! patch, delete and discovery documents.

use alloc::string::{String, ToString};
use core::fmt;

use serde::de::DeserializeOwned;

use crate::status::Status;

/// Why a response could not become the caller's type.
// Errors are the rare path; a boxed Status would only make matching clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The server answered with an error; here is its `Status`.
    Api(Status),
    /// A success response whose body is not the expected JSON.
    Decode {
        /// The HTTP status code.
        code: u16,
        /// serde_json's description, with line and column.
        message: String,
    },
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Api(status) => write!(f, "{status}"),
            ResponseError::Decode { code, message } => {
                write!(f, "cannot decode the HTTP {code} response body: {message}")
            }
        }
    }
}

// core::error::Error: the errors work without std too.
impl core::error::Error for ResponseError {}

/// Decode a complete response: a 2xx body into `T`, anything else into
/// [`ResponseError::Api`] (see [`Status::from_response`]).
///
/// `retry_after` is the raw `Retry-After` header, if any.
#[allow(clippy::result_large_err)] // see ResponseError
pub fn decode_response<T: DeserializeOwned>(
    code: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<T, ResponseError> {
    if !(200..300).contains(&code) {
        return Err(ResponseError::Api(Status::from_response(
            code,
            retry_after,
            body,
        )));
    }
    serde_json::from_slice(body).map_err(|e| ResponseError::Decode {
        code,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_404_becomes_a_status() {
        let err =
            decode_response::<serde_json::Value>(404, None, b"404 page not found\n").unwrap_err();
        let ResponseError::Api(status) = err else {
            panic!("expected a Status")
        };
        assert!(status.is_not_found());
        assert_eq!(status.message, "404 page not found");
    }

    #[test]
    fn success_body_decodes_into_any_type() {
        #[derive(serde::Deserialize)]
        struct Version {
            #[serde(rename = "gitVersion")]
            git_version: String,
        }
        let v: Version =
            decode_response(200, None, br#"{"gitVersion":"v1.36.2","major":"1"}"#).unwrap();
        assert_eq!(v.git_version, "v1.36.2");
    }
}
