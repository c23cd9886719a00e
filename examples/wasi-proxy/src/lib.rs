//! # A wasi:http proxy that serves ConfigMaps from a Kubernetes API server
//!
//! An `incoming-handler` component (run it with `wasmtime serve` or any
//! wasi:http host) that answers plain-text requests from a store of a
//! namespace's ConfigMaps, kept current by the core's list+watch machine:
//!
//! - `GET /configmaps/NS/NAME` — the ConfigMap's keys, `key=value` per line;
//! - `GET /configmaps/NS` — the names in the namespace, one per line;
//! - `GET /configmaps/NS/NAME?watch=SECONDS` — its keys now (`ADDED a=1,b=2`),
//!   then a line per change for SECONDS, each sent as it happens.
//!
//! The first request for a namespace syncs it (a watch-list, or LIST then
//! WATCH); later requests to the same instance answer from memory after
//! taking in the changes that arrived meanwhile, with no request to the
//! API server of their own, and keep answering while it is away.
//!
//! The API server comes from the environment: `KUBEWIRE_SERVER` (e.g.
//! `https://10.0.0.1:6443`) and `KUBEWIRE_TOKEN` (`wasmtime serve --env`).
//! A sync the API server refuses keeps its HTTP code and says why.

mod routes;

use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasi::io::streams::OutputStream;

/// The component.
struct Proxy;

wasi::http::proxy::export!(Proxy);

impl wasi::exports::http::incoming_handler::Guest for Proxy {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        routes::serve(&path, Response { out: Some(out) });
    }
}

/// The answer being written: the status line first, then the body in
/// pieces as they are ready.
pub(crate) struct Response {
    out: Option<ResponseOutparam>,
}

/// A response whose headers have been sent; write lines to its body.
pub(crate) struct Body {
    // Drop order: the stream before its body.
    stream: Option<OutputStream>,
    body: Option<OutgoingBody>,
}

impl Response {
    /// Send the status and headers; the body follows.
    pub(crate) fn start(mut self, code: u16) -> Body {
        let headers =
            Fields::from_list(&[("content-type".into(), b"text/plain; charset=utf-8".to_vec())])
                .expect("a valid header");
        let resp = OutgoingResponse::new(headers);
        // Only codes 100..=999 are refused, and these come from HTTP.
        let _ = resp.set_status_code(code);
        let body = resp.body().expect("the first call");
        if let Some(out) = self.out.take() {
            ResponseOutparam::set(out, Ok(resp));
        }
        Body {
            stream: body.write().ok(),
            body: Some(body),
        }
    }

    /// A whole answer at once.
    pub(crate) fn send(self, code: u16, text: &str) {
        self.start(code).line(text);
    }
}

impl Body {
    /// Write `text` and a newline, flushed so the client sees it now.
    /// Returns false once the client has gone away.
    pub(crate) fn line(&mut self, text: &str) -> bool {
        let Some(stream) = &self.stream else {
            return false;
        };
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(b'\n');
        // blocking-write-and-flush takes at most 4096 bytes per call.
        for chunk in bytes.chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                self.stream = None;
                return false;
            }
        }
        true
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        drop(self.stream.take());
        if let Some(body) = self.body.take() {
            let _ = OutgoingBody::finish(body, None);
        }
    }
}
