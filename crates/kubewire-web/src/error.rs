//! The adapter's one error type, and its JavaScript form: an `Error` named
//! `KubeError` whose `kind` says what failed and whose `status` carries the
//! API server's Status.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use core::fmt;

use js_sys::{Array, Object, Reflect};
use kubewire::listwatch;
use kubewire::{DecodeError, RequestError, ResponseError, Status};
use wasm_bindgen::JsValue;

use crate::transport::describe;

/// Why a call failed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The call could not be made: a malformed URL, option, name or resource.
    Invalid(String),
    /// No answer: the server is unreachable, refused the connection, its
    /// certificate is not trusted or CORS forbids the page to read it (the
    /// browser does not tell these apart).
    Network(String),
    /// The API server answered with an error Status (boxed: it is large,
    /// and every `Result` of this crate would otherwise carry its size).
    Api(Box<Status>),
    /// A streamed body is not what the API server sends.
    Decode(DecodeError),
    /// A body read whole is not JSON, or is larger than
    /// [`kubewire::MAX_WHOLE_BODY`].
    Response(Box<ResponseError>),
    /// The call was stopped (`AbortSignal`, `WatchHandle.stop()`).
    Aborted,
    /// What the list+watch machine met besides an error Status and a
    /// broken stream: an object it skipped (its metadata did not decode,
    /// it has no name), a LIST without a resourceVersion, a stalled
    /// request it cut.
    ListWatch(listwatch::Error),
    /// Anything else JavaScript threw (e.g. from an `onEvent` callback).
    Js(JsValue),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(m) => write!(f, "invalid request: {m}"),
            Error::Network(m) => write!(f, "network error: {m}"),
            Error::Api(s) => write!(f, "{s}"),
            Error::Decode(e) => write!(f, "undecodable response: {e}"),
            Error::Response(e) => write!(f, "{e}"),
            Error::Aborted => f.write_str("aborted"),
            Error::ListWatch(e) => write!(f, "{e}"),
            Error::Js(e) => f.write_str(&describe(e)),
        }
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        Error::Invalid(e.to_string())
    }
}

impl From<ResponseError> for Error {
    /// An error answer is the server's Status.
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Api(s) => Error::Api(Box::new(s)),
            other => Error::Response(Box::new(other)),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Api(s) => Some(&**s),
            Error::Decode(e) => Some(e),
            Error::Response(e) => Some(&**e),
            Error::ListWatch(e) => Some(e),
            Error::Invalid(_) | Error::Network(_) | Error::Aborted | Error::Js(_) => None,
        }
    }
}

impl From<listwatch::Error> for Error {
    /// An error Status stays an API error, a broken stream a decode error.
    fn from(e: listwatch::Error) -> Self {
        match e {
            listwatch::Error::Api(s) => Error::Api(s),
            listwatch::Error::Stream(d) => Error::Decode(d),
            listwatch::Error::Request(r) => Error::Invalid(r.to_string()),
            other => Error::ListWatch(other),
        }
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl Error {
    /// A value thrown by a JavaScript API that should not throw.
    pub(crate) fn from_js(e: JsValue) -> Self {
        Error::Js(e)
    }

    /// A rejection of `fetch` or of a body read: an abort, or a network
    /// failure (`TypeError: Failed to fetch`).
    pub(crate) fn from_fetch(e: JsValue) -> Self {
        let name = Reflect::get(&e, &"name".into())
            .ok()
            .and_then(|n| n.as_string());
        match name.as_deref() {
            Some("AbortError") => Error::Aborted,
            _ => Error::Network(describe(&e)),
        }
    }

    /// The short name JavaScript sees in `err.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::Network(_) => "network",
            Error::Api(_) => "api",
            Error::Decode(_) | Error::Response(_) => "decode",
            Error::Aborted => "aborted",
            Error::ListWatch(listwatch::Error::Stalled { .. }) => "network",
            Error::ListWatch(_) => "decode",
            Error::Js(_) => "js",
        }
    }

    /// The JavaScript form: an `Error` with `name = "KubeError"`, `kind`,
    /// and for API errors `code`, `reason` and `status`. An exception thrown
    /// by the caller's own callback is passed through untouched.
    pub fn into_js(self) -> JsValue {
        if let Error::Js(e) = self {
            return e;
        }
        let err = js_sys::Error::new(&self.to_string());
        err.set_name("KubeError");
        let obj: &Object = err.as_ref();
        set(obj, "kind", &self.kind().into());
        if let Error::Api(s) = &self {
            set(obj, "code", &s.code.into());
            set(obj, "reason", &s.reason().as_str().into());
            set(obj, "status", &status_to_js(s));
        }
        err.into()
    }
}

pub(crate) fn set(obj: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &key.into(), value);
}

fn set_text(obj: &Object, key: &str, value: &str) {
    if !value.is_empty() {
        set(obj, key, &value.into());
    }
}

/// A Status as the API server's JSON shape (`kind: "Status"`, `code`,
/// `reason`, `message`, `details`), with `reason` filled in from the HTTP
/// code when the server gave none (e.g. a proxy's plain-text 502).
pub fn status_to_js(s: &Status) -> JsValue {
    let o = Object::new();
    set(&o, "kind", &"Status".into());
    set(&o, "apiVersion", &"v1".into());
    set_text(&o, "status", &s.status);
    set_text(&o, "message", &s.message);
    let reason = if s.reason_text.is_empty() {
        s.reason().as_str()
    } else {
        s.reason_text.as_str()
    };
    set_text(&o, "reason", reason);
    set(&o, "code", &s.code.into());
    if let Some(d) = &s.details {
        let details = Object::new();
        set_text(&details, "name", &d.name);
        set_text(&details, "group", &d.group);
        set_text(&details, "kind", &d.kind);
        set_text(&details, "uid", &d.uid);
        if let Some(secs) = d.retry_after_seconds {
            set(&details, "retryAfterSeconds", &secs.into());
        }
        if !d.causes.is_empty() {
            let causes = Array::new();
            for c in &d.causes {
                let cause = Object::new();
                set_text(&cause, "reason", &c.reason);
                set_text(&cause, "message", &c.message);
                set_text(&cause, "field", &c.field);
                causes.push(&cause);
            }
            set(&details, "causes", &causes);
        }
        set(&o, "details", &details);
    }
    o.into()
}
