//! Turning a whole (non-streaming) response into the caller's type or a
//! [`Status`].
//!
//! For LIST and WATCH bodies use the streaming decoders in [`crate::decode`]
//! instead: this reads one complete body, which is right for GET, create,
//! patch, delete and discovery documents, and for the body of every error
//! answer. [`WholeBody`] collects such a body as it arrives, within the one
//! limit every adapter applies, [`MAX_WHOLE_BODY`].

use alloc::string::{String, ToString};
use alloc::vec::Vec;
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
    /// A body read whole was larger than [`MAX_WHOLE_BODY`]; reading
    /// stopped there.
    TooLarge {
        /// The HTTP status code.
        code: u16,
        /// The limit, in bytes.
        limit: usize,
    },
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
            ResponseError::TooLarge { code, limit } => write!(
                f,
                "the HTTP {code} response body is larger than {limit} bytes, the limit for a body read whole"
            ),
            ResponseError::Decode { code, message } => {
                write!(f, "cannot decode the HTTP {code} response body: {message}")
            }
        }
    }
}

// core::error::Error: the errors work without std too.
impl core::error::Error for ResponseError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ResponseError::Api(s) => Some(s),
            ResponseError::TooLarge { .. } | ResponseError::Decode { .. } => None,
        }
    }
}

/// The largest body read whole (not streamed): a GET's object, a write's
/// answer, a discovery document, an error's `Status`. LIST and WATCH bodies
/// stream through the decoders and are bounded by one object instead.
/// Objects are at most a few MiB (etcd's default request limit is 1.5
/// MiB) and aggregated discovery of a large cluster a few hundred KiB;
/// the limit only stops a broken or hostile server from filling memory.
pub const MAX_WHOLE_BODY: usize = 64 << 20;

/// A response body read whole, as it arrives, within [`MAX_WHOLE_BODY`]:
/// the one place where an answer's status, `Retry-After` and body become
/// the caller's value or the server's [`Status`].
///
/// ```
/// use kubewire::response::WholeBody;
///
/// let mut body = WholeBody::new(404, None);
/// for chunk in [&b"404 page "[..], b"not found\n"] {
///     if !body.push(chunk) {
///         break; // the limit is reached: stop reading
///     }
/// }
/// let status = body.decode::<serde_json::Value>().unwrap_err();
/// assert!(matches!(status, kubewire::ResponseError::Api(s) if s.is_not_found()));
/// ```
#[derive(Debug, Clone)]
pub struct WholeBody {
    code: u16,
    retry_after: Option<String>,
    bytes: Vec<u8>,
    limit: usize,
    over: bool,
}

impl WholeBody {
    /// The body of an answer with status `code` and the raw `Retry-After`
    /// header, if any.
    pub fn new(code: u16, retry_after: Option<&str>) -> Self {
        Self::with_limit(code, retry_after, MAX_WHOLE_BODY)
    }

    /// The same with another limit (tests; a host with less memory).
    pub fn with_limit(code: u16, retry_after: Option<&str>, limit: usize) -> Self {
        WholeBody {
            code,
            retry_after: retry_after.map(String::from),
            bytes: Vec::new(),
            limit,
            over: false,
        }
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// Whether the answer is a success (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// Add a chunk. Returns `false` once the limit is reached: read no
    /// more (what is past the limit is not kept).
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        let room = self.limit - self.bytes.len();
        if chunk.len() > room {
            self.bytes.extend_from_slice(&chunk[..room]);
            self.over = true;
        } else {
            self.bytes.extend_from_slice(chunk);
        }
        !self.over
    }

    /// Whether the body went past the limit.
    pub fn is_over_limit(&self) -> bool {
        self.over
    }

    /// The server's `Status` for an error answer, from the body as far as
    /// it was kept (a `Status` is small; a body cut at the limit still
    /// gives the code's reason). For a success, a `Success` Status.
    pub fn status(&self) -> Status {
        Status::from_response(self.code, self.retry_after.as_deref(), &self.bytes)
    }

    /// The body of a success; an error answer is its [`Status`]; a body
    /// past the limit is [`ResponseError::TooLarge`].
    #[allow(clippy::result_large_err)] // see ResponseError
    pub fn bytes(self) -> Result<Vec<u8>, ResponseError> {
        if !self.is_success() {
            return Err(ResponseError::Api(self.status()));
        }
        self.raw()
    }

    /// The body whatever the status (to show it as it is, as `kubectl get
    /// --raw` does); past the limit [`ResponseError::TooLarge`].
    #[allow(clippy::result_large_err)] // see ResponseError
    pub fn raw(self) -> Result<Vec<u8>, ResponseError> {
        if self.over {
            return Err(ResponseError::TooLarge {
                code: self.code,
                limit: self.limit,
            });
        }
        Ok(self.bytes)
    }

    /// A success's body decoded into `T`, else as [`WholeBody::bytes`].
    #[allow(clippy::result_large_err)] // see ResponseError
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, ResponseError> {
        let code = self.code;
        let bytes = self.bytes()?;
        crate::json::from_bytes(&bytes).map_err(|e| ResponseError::Decode {
            code,
            message: e.to_string(),
        })
    }
}

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
    crate::json::from_bytes(body).map_err(|e| ResponseError::Decode {
        code,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_bodies_stop_at_the_limit() {
        let mut b = WholeBody::with_limit(200, None, 8);
        assert!(b.push(b"{\"a\":"));
        assert!(!b.push(b"12345"));
        assert!(b.is_over_limit());
        assert_eq!(
            b.bytes().unwrap_err(),
            ResponseError::TooLarge {
                code: 200,
                limit: 8
            }
        );
        // An error body past the limit is still the code's Status.
        let mut b = WholeBody::with_limit(503, Some("7"), 4);
        assert!(!b.push("service unavailable".as_bytes()));
        let s = b.status();
        assert_eq!((s.code, s.message.as_str()), (503, "serv"));
        assert_eq!(s.retry_after_seconds(), Some(7));
        // Cut inside a character: the whole characters before it stay.
        let mut b = WholeBody::with_limit(500, None, 4);
        b.push("abcé".as_bytes());
        assert_eq!(b.status().message, "abc");
    }

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
