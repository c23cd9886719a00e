//! The transport: the core's [`Request`] over the browser's `fetch`, and
//! response bodies read chunk by chunk through a `ReadableStream` reader.

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use js_sys::{Promise, Reflect, Uint8Array};
use kubewire::{Request, Status, WholeBody};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, Headers, ReadableStreamDefaultReader, RequestCredentials, RequestInit, Response,
};

use crate::error::Error;
use crate::mux::Link;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    // The global `fetch`, so the client works in a page and in a worker
    // alike (`window.fetch` exists only in pages).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &web_sys::Request) -> Promise;
}

/// Where requests go and how they are authenticated.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The base URL, possibly with a proxy prefix (`http://127.0.0.1:8001`,
    /// `/clusters/prod`, `https://dash.example.com/k8s`); the request's path
    /// is appended to it.
    pub base: String,
    /// A bearer token for `Authorization`, if any.
    pub token: Option<String>,
    /// Whether the browser sends cookies (`include` for a proxy that
    /// authenticates with a session cookie).
    pub credentials: Credentials,
    /// The `kw proxy` stream GETs go over, when the base URL is a
    /// proxy's context (probed on first use).
    pub(crate) mux: Option<Rc<Link>>,
}

/// The `credentials` mode of `fetch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Never send cookies.
    Omit,
    /// Cookies only to the page's own origin (the browser's default).
    SameOrigin,
    /// Cookies to any origin that allows them with CORS.
    Include,
}

impl Endpoint {
    /// The full URL of `req`.
    pub fn url(&self, req: &Request) -> String {
        let mut url = String::from(self.base.trim_end_matches('/'));
        url.push_str(&req.path_and_query);
        url
    }

    /// Send `req`; the answer's body is left unread. `signal` aborts the
    /// request and the reading of its body. GETs to a `kw proxy` go over
    /// its multiplexed stream; the answer reads the same.
    pub async fn send(
        &self,
        req: &Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Response, Error> {
        if let Some(link) = &self.mux {
            if let Some(answer) = link.send(&self.base, req, signal).await {
                return answer;
            }
        }
        self.fetch(req, signal).await
    }

    /// Send `req` as a fetch of its own.
    pub(crate) async fn fetch(
        &self,
        req: &Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Response, Error> {
        let headers = Headers::new().map_err(Error::from_js)?;
        for (name, value) in &req.headers {
            headers
                .append(name, value)
                .map_err(|e| Error::Invalid(describe(&e)))?;
        }
        if let Some(token) = &self.token {
            let value = kubewire::auth::bearer(token);
            headers
                .set("Authorization", value.expose())
                .map_err(|e| Error::Invalid(describe(&e)))?;
        }
        let init = RequestInit::new();
        init.set_method(req.method.as_str());
        init.set_headers(&headers);
        init.set_credentials(match self.credentials {
            Credentials::Omit => RequestCredentials::Omit,
            Credentials::SameOrigin => RequestCredentials::SameOrigin,
            Credentials::Include => RequestCredentials::Include,
        });
        if !req.body.is_empty() {
            init.set_body(&Uint8Array::from(req.body.as_slice()));
        }
        if let Some(signal) = signal {
            init.set_signal(Some(signal));
        }
        // The Request constructor is where a malformed URL shows up.
        let request = web_sys::Request::new_with_str_and_init(&self.url(req), &init)
            .map_err(|e| Error::Invalid(describe(&e)))?;
        check_host(&request.url())?;
        let resp = JsFuture::from(global_fetch(&request))
            .await
            .map_err(Error::from_fetch)?;
        resp.dyn_into::<Response>().map_err(Error::from_js)
    }
}

/// Chrome's URL parser lets characters no host name may hold through,
/// percent-encoded (`http://kube api.local` becomes `kube%20api.local`), and
/// the request then fails as if the network were down. Such a URL is a
/// mistake in the caller's configuration: say so.
fn check_host(url: &str) -> Result<(), Error> {
    let parsed = web_sys::Url::new(url).map_err(|e| Error::Invalid(describe(&e)))?;
    if parsed.hostname().contains('%') {
        let mut m = String::from("invalid host name in ");
        m.push_str(url);
        return Err(Error::Invalid(m));
    }
    Ok(())
}

/// A response body, read one chunk at a time as the network delivers it.
pub struct Body {
    reader: Option<ReadableStreamDefaultReader>,
}

impl Body {
    /// The body of `resp` (empty when it has none).
    pub fn new(resp: &Response) -> Body {
        let reader = resp.body().map(|stream| {
            stream
                .get_reader()
                .unchecked_into::<ReadableStreamDefaultReader>()
        });
        Body { reader }
    }

    /// The next chunk, `None` at the end of the body.
    pub async fn next(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let Some(read) = self.read() else {
            return Ok(None);
        };
        let result = JsFuture::from(read).await.map_err(Error::from_fetch)?;
        self.chunk(&result)
    }

    /// Start reading the next chunk: the reader's promise of `{done,
    /// value}` (for a caller that waits on it and a timer together), or
    /// `None` when the body has ended. Hand what it resolves to to
    /// [`Body::chunk`].
    pub fn read(&self) -> Option<Promise> {
        self.reader.as_ref().map(|r| r.read())
    }

    /// The chunk in a resolved [`Body::read`], `None` at the end of the
    /// body.
    pub fn chunk(&mut self, result: &JsValue) -> Result<Option<Vec<u8>>, Error> {
        let done = Reflect::get(result, &JsValue::from_str("done")).map_err(Error::from_js)?;
        if done.as_bool().unwrap_or(false) {
            self.reader = None;
            return Ok(None);
        }
        let value = Reflect::get(result, &JsValue::from_str("value")).map_err(Error::from_js)?;
        Ok(Some(value.unchecked_into::<Uint8Array>().to_vec()))
    }

    /// Stop reading: the browser closes the connection's stream.
    pub fn cancel(&mut self) {
        if let Some(reader) = self.reader.take() {
            // A rejected cancel only means the stream had already ended.
            let _ = reader.cancel();
        }
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Read a body whole into the core's collector, which keeps at most
/// [`kubewire::MAX_WHOLE_BODY`] (the reading stops there).
pub async fn read_whole(resp: &Response) -> Result<WholeBody, Error> {
    let retry_after = resp.headers().get("Retry-After").ok().flatten();
    let mut whole = WholeBody::new(resp.status(), retry_after.as_deref());
    let mut body = Body::new(resp);
    while let Some(chunk) = body.next().await? {
        if !whole.push(&chunk) {
            body.cancel();
            break;
        }
    }
    Ok(whole)
}

/// Turn a non-2xx answer into the server's Status (read from its body).
pub async fn status_of(resp: &Response) -> Result<Status, Error> {
    Ok(read_whole(resp).await?.status())
}

/// A thrown JavaScript value in words.
pub(crate) fn describe(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let mut s: String = err.name().into();
        s.push_str(": ");
        s.push_str(&String::from(err.message()));
        return s;
    }
    e.as_string()
        .unwrap_or_else(|| "a JavaScript exception".to_string())
}
