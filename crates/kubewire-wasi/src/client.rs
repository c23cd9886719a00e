//! The client: one API server, one credential, requests sent through
//! `wasi:http/outgoing-handler`.

use kubewire::decode::{ListDecoder, WatchDecoder};
use kubewire::{AuthPlan, Method, Request, Status};
use serde::de::DeserializeOwned;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    self, Fields, IncomingResponse, OutgoingBody, OutgoingRequest, RequestOptions,
};
use wasi::io::poll;

use crate::stream::{Body, Decoded, ListStream, WatchStream};
use crate::url::BaseUrl;
use crate::Error;

/// The largest whole (non-streamed) body kept in memory, as in the native
/// adapter. LIST and WATCH bodies stream and are not subject to it.
pub const MAX_WHOLE_BODY: usize = 64 << 20;

/// The default time to wait for response headers (not for a streaming body).
pub const DEFAULT_TIMEOUT_MS: u64 = 32_000;

/// A client for one API server. Every call blocks the component until its
/// answer is in, waiting on `wasi:io` pollables.
#[derive(Debug, Clone)]
pub struct Client {
    base: BaseUrl,
    authorization: Option<kubewire::Secret>,
    timeout_ms: u64,
    user_agent: String,
}

impl Client {
    /// A client for `server` (`http://` or `https://`) with credentials
    /// `auth`. Only credentials a component can hold are accepted: none,
    /// a bearer token, or basic auth. TLS verification is the host's.
    pub fn new(server: &str, auth: &AuthPlan) -> Result<Self, Error> {
        let authorization = match auth {
            AuthPlan::None => None,
            AuthPlan::Bearer(token) => {
                Some(kubewire::Secret::new(format!("Bearer {}", token.expose())))
            }
            AuthPlan::Basic { username, password } => {
                use base64::Engine as _;
                let pair = format!("{username}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                Some(kubewire::Secret::new(format!("Basic {encoded}")))
            }
            AuthPlan::BearerFile(_) => return Err(unsupported("a token file")),
            AuthPlan::ClientCertificate { .. } => return Err(unsupported("a client certificate")),
            AuthPlan::Exec(_) => return Err(unsupported("an exec credential plugin")),
        };
        Ok(Client {
            base: BaseUrl::parse(server)?,
            authorization,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            user_agent: format!("kubewire/{} (wasi)", env!("CARGO_PKG_VERSION")),
        })
    }

    /// Wait at most `millis` for response headers.
    pub fn with_timeout_ms(mut self, millis: u64) -> Self {
        self.timeout_ms = millis;
        self
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.base.text
    }

    /// Send a request; return the response with its body unread.
    pub fn send(&self, req: &Request) -> Result<IncomingResponse, Error> {
        let mut headers: Vec<(String, Vec<u8>)> = Vec::with_capacity(req.headers.len() + 2);
        for (name, value) in &req.headers {
            headers.push((name.to_ascii_lowercase(), value.as_bytes().to_vec()));
        }
        headers.push(("user-agent".into(), self.user_agent.as_bytes().to_vec()));
        if let Some(auth) = &self.authorization {
            headers.push(("authorization".into(), auth.expose().as_bytes().to_vec()));
        }
        // The host's error names the header class, never the value: safe to show.
        let fields = Fields::from_list(&headers)
            .map_err(|e| Error::Url(format!("a request header: {e:?}")))?;
        let out = OutgoingRequest::new(fields);
        let path = format!("{}{}", self.base.prefix, req.path_and_query);
        let set = out.set_method(&method(req.method)).is_ok()
            && out.set_scheme(Some(&self.base.scheme())).is_ok()
            && out.set_authority(Some(&self.base.authority)).is_ok()
            && out.set_path_with_query(Some(&path)).is_ok();
        if !set {
            return Err(Error::Url(format!("{}{path}", self.base.text)));
        }
        let body = out
            .body()
            .map_err(|()| Error::Body("the request body was taken twice".into()))?;
        let options = RequestOptions::new();
        // Not every host lets a guest set timeouts; the deadline below holds anyway.
        let _ = options.set_connect_timeout(Some(self.timeout_ms * 1_000_000));
        let pending = outgoing_handler::handle(out, Some(options))
            .map_err(|c| Error::from_code(&self.base.text, c))?;
        write_body(body, &req.body)?;
        self.wait(&pending)
    }

    /// Wait for the response headers or the deadline, whichever comes
    /// first, sleeping on both pollables at once.
    fn wait(&self, pending: &types::FutureIncomingResponse) -> Result<IncomingResponse, Error> {
        let ready = pending.subscribe();
        let deadline = monotonic_clock::subscribe_duration(self.timeout_ms * 1_000_000);
        loop {
            if let Some(answer) = pending.get() {
                return match answer {
                    Ok(Ok(resp)) => Ok(resp),
                    Ok(Err(code)) => Err(Error::from_code(&self.base.text, code)),
                    Err(()) => Err(Error::Body("the response was taken twice".into())),
                };
            }
            if deadline.ready() {
                return Err(Error::Timeout {
                    server: self.base.text.clone(),
                    millis: self.timeout_ms,
                });
            }
            poll::poll(&[&ready, &deadline]);
        }
    }

    /// Send a request and read the whole body (at most [`MAX_WHOLE_BODY`])
    /// whatever the status: `(status, Retry-After, body)`.
    pub fn call_raw(&self, req: &Request) -> Result<(u16, Option<String>, Vec<u8>), Error> {
        let resp = self.send(req)?;
        let (code, retry_after) = (resp.status(), retry_after(&resp));
        let mut body = Body::new(resp)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = body.next_chunk()? {
            if bytes.len() + chunk.len() > MAX_WHOLE_BODY {
                return Err(Error::Body(format!("larger than {MAX_WHOLE_BODY} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((code, retry_after, bytes))
    }

    /// Send a request and decode the answer into `T`; an error answer
    /// becomes [`Error::Api`] with the server's `Status`.
    pub fn call<T: DeserializeOwned>(&self, req: &Request) -> Result<T, Error> {
        let (code, retry_after, body) = self.call_raw(req)?;
        kubewire::decode_response(code, retry_after.as_deref(), &body).map_err(|e| match e {
            kubewire::ResponseError::Api(s) => Error::Api(s),
            other => Error::Body(other.to_string()),
        })
    }

    /// Send a LIST and stream its items, each decoded as soon as its last
    /// byte has arrived.
    pub fn list<T: DeserializeOwned>(&self, req: &Request) -> Result<ListStream<T>, Error> {
        Ok(Decoded::new(self.streaming(req)?, ListDecoder::new()))
    }

    /// Send a WATCH and stream its events as the server sends them.
    pub fn watch<T: DeserializeOwned>(&self, req: &Request) -> Result<WatchStream<T>, Error> {
        Ok(Decoded::new(self.streaming(req)?, WatchDecoder::new()))
    }

    fn streaming(&self, req: &Request) -> Result<Body, Error> {
        let resp = self.send(req)?;
        let code = resp.status();
        if (200..300).contains(&code) {
            return Body::new(resp);
        }
        let retry = retry_after(&resp);
        let mut body = Body::new(resp)?;
        let mut bytes = Vec::new();
        // An error body is a small Status; stop reading at the whole-body cap.
        while let Some(chunk) = body.next_chunk()? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_WHOLE_BODY {
                break;
            }
        }
        Err(Error::Api(Status::from_response(
            code,
            retry.as_deref(),
            &bytes,
        )))
    }
}

fn unsupported(what: &str) -> Error {
    Error::Unsupported(format!(
        "{what} needs files, processes or TLS keys the host owns; pass a bearer token"
    ))
}

fn method(m: Method) -> types::Method {
    match m {
        Method::Get => types::Method::Get,
        Method::Post => types::Method::Post,
        Method::Put => types::Method::Put,
        Method::Patch => types::Method::Patch,
        Method::Delete => types::Method::Delete,
    }
}

fn retry_after(resp: &IncomingResponse) -> Option<String> {
    let values = resp.headers().get("retry-after");
    values
        .first()
        .and_then(|v| String::from_utf8(v.clone()).ok())
}

/// Write the request body through the host's backpressure (4 KiB at a time
/// is what `blocking-write-and-flush` guarantees to accept) and finish it.
fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), Error> {
    {
        let out = body
            .write()
            .map_err(|()| Error::Body("the request body stream was taken".into()))?;
        for chunk in bytes.chunks(4096) {
            out.blocking_write_and_flush(chunk)
                .map_err(|e| Error::Body(format!("writing the request body: {e:?}")))?;
        }
        // The stream must be gone before its body is finished.
    }
    OutgoingBody::finish(body, None).map_err(Error::Http)
}
