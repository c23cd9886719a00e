//! The client: one API server, one credential, requests sent through
//! `wasi:http/outgoing-handler`.

use core::time::Duration;

use kubewire::auth::Authorization;
use kubewire::decode::{ListDecoder, WatchDecoder};
use kubewire::kubeconfig::{ClusterConfig, Kubeconfig};
use kubewire::{AuthPlan, Method, Request, WholeBody};
use serde::de::DeserializeOwned;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    self, Fields, IncomingResponse, OutgoingBody, OutgoingRequest, RequestOptions,
};
use wasi::io::poll::{self, Pollable};
use wasi::io::streams::StreamError;

use crate::stream::{Body, Decoded, ListStream, WatchStream};
use crate::url::BaseUrl;
use crate::Error;

/// The largest whole (non-streamed) body kept in memory: the core's one
/// limit. LIST and WATCH bodies stream and are not subject to it.
pub use kubewire::MAX_WHOLE_BODY;

/// The default time to wait for response headers (not for a streaming body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(32);

/// A client for one API server. Every call blocks the component until its
/// answer is in, waiting on `wasi:io` pollables.
#[derive(Debug, Clone)]
pub struct Client {
    base: BaseUrl,
    authorization: Option<kubewire::Secret>,
    /// Sent with every request (impersonation, a tenant header...).
    headers: Vec<(String, String)>,
    timeout: Duration,
    user_agent: String,
}

/// A request sent whose response headers have not been read yet.
#[derive(Debug)]
pub struct Pending {
    future: types::FutureIncomingResponse,
    server: String,
}

impl Pending {
    /// Ready when [`try_get`](Self::try_get) has the answer.
    pub fn subscribe(&self) -> Pollable {
        self.future.subscribe()
    }

    /// The response (or the failure) once the host has it; `None` while
    /// it is still on its way. Never waits.
    pub fn try_get(&self) -> Option<Result<IncomingResponse, Error>> {
        self.future.get().map(|answer| match answer {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(code)) => Err(Error::from_code(&self.server, code)),
            Err(()) => Err(Error::Resource("the response")),
        })
    }
}

impl Client {
    /// A client for `server` (`http://` or `https://`) with credentials
    /// `auth`. Only credentials a component can hold are accepted: none,
    /// a bearer token, or basic auth. TLS verification is the host's.
    pub fn new(server: &str, auth: &AuthPlan) -> Result<Self, Error> {
        // A certificate is TLS, which the host owns, even with a token beside it.
        if let AuthPlan::ClientCertificate { .. } = auth {
            return Err(unsupported("a client certificate"));
        }
        let authorization = match auth.authorization() {
            Authorization::None => None,
            Authorization::Header(value) => Some(value),
            Authorization::TokenFile(_) => return Err(unsupported("a token file")),
            Authorization::Exec(_) => return Err(unsupported("an exec credential plugin")),
        };
        Ok(Client {
            base: BaseUrl::parse(server)?,
            authorization,
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            user_agent: format!("kubewire/{} (wasi)", env!("CARGO_PKG_VERSION")),
        })
    }

    /// A client for a context resolved by the core (its server, its
    /// credentials, its impersonation headers). What a component cannot
    /// do is refused by name: a client certificate, an exec plugin, a
    /// token file, a proxy. The cluster's CA is the host's to trust: under
    /// `wasi:http` a guest cannot add one.
    pub fn from_cluster(cluster: &ClusterConfig) -> Result<Self, Error> {
        if let Some(proxy) = &cluster.proxy_url {
            return Err(Error::Unsupported(format!(
                "cluster {:?} goes through proxy {proxy:?}: a component's requests go where its host sends them",
                cluster.cluster
            )));
        }
        let mut client = Client::new(&cluster.server, &cluster.auth)?;
        for (name, value) in cluster.impersonate.headers() {
            client = client.with_header(name, value);
        }
        Ok(client)
    }

    /// A client for `context` (the current one for `None`) of a kubeconfig
    /// given as JSON text (`kubectl config view --raw -o json`), parsed and
    /// resolved by the core; see [`from_cluster`](Self::from_cluster).
    /// Returns the client and the context's namespace.
    pub fn from_kubeconfig(text: &str, context: Option<&str>) -> Result<(Self, String), Error> {
        let resolved = Kubeconfig::from_json(text.as_bytes())
            .and_then(|k| k.resolve(context))
            .map_err(|e| Error::Config(e.to_string()))?;
        let client = Client::from_cluster(&resolved)?;
        Ok((client, resolved.namespace))
    }

    /// Wait at most `timeout` for response headers.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Send `user_agent` as the `User-Agent`.
    pub fn with_user_agent(mut self, user_agent: &str) -> Self {
        user_agent.clone_into(&mut self.user_agent);
        self
    }

    /// Add a header to every request (checked by the host when sent).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.base.text
    }

    /// Send a request; return the response with its body unread.
    pub fn send(&self, req: &Request) -> Result<IncomingResponse, Error> {
        let pending = self.start(req)?;
        self.wait(&pending)
    }

    /// Send a request without waiting for the answer (its body, if any, is
    /// written first).
    pub fn start(&self, req: &Request) -> Result<Pending, Error> {
        let mut headers: Vec<(String, Vec<u8>)> =
            Vec::with_capacity(req.headers.len() + self.headers.len() + 2);
        for (name, value) in req.headers.iter().chain(&self.headers) {
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
            .map_err(|()| Error::Resource("the request body"))?;
        let options = RequestOptions::new();
        // Not every host lets a guest set timeouts; the deadline below holds anyway.
        let _ = options.set_connect_timeout(Some(nanos(self.timeout)));
        let future = outgoing_handler::handle(out, Some(options))
            .map_err(|c| Error::from_code(&self.base.text, c))?;
        write_body(body, &req.body)?;
        Ok(Pending {
            future,
            server: self.base.text.clone(),
        })
    }

    /// Wait for the response headers or the deadline, whichever comes
    /// first, sleeping on both pollables at once. The host's own timeout
    /// firing once this deadline has passed (it was handed the same span
    /// as its connect timeout) is this client's timeout too.
    fn wait(&self, pending: &Pending) -> Result<IncomingResponse, Error> {
        let ready = pending.subscribe();
        let deadline = monotonic_clock::subscribe_duration(nanos(self.timeout));
        let timeout = || Error::Timeout {
            server: self.base.text.clone(),
            after: self.timeout,
        };
        loop {
            match pending.try_get() {
                Some(Err(e)) if e.is_host_timeout() && deadline.ready() => return Err(timeout()),
                Some(answer) => return answer,
                None if deadline.ready() => return Err(timeout()),
                None => {}
            }
            poll::poll(&[&ready, &deadline]);
        }
    }

    /// Send a request and read the whole body (at most [`MAX_WHOLE_BODY`])
    /// into the core's collector, whatever the status.
    pub fn call_whole(&self, req: &Request) -> Result<WholeBody, Error> {
        let resp = self.send(req)?;
        read_whole(resp)
    }

    /// Send a request and return the whole body of a success; an error
    /// answer becomes [`Error::Api`] with the server's `Status`.
    pub fn call_bytes(&self, req: &Request) -> Result<Vec<u8>, Error> {
        Ok(self.call_whole(req)?.bytes()?)
    }

    /// Send a request and decode the answer into `T`; an error answer
    /// becomes [`Error::Api`] with the server's `Status`.
    pub fn call<T: DeserializeOwned>(&self, req: &Request) -> Result<T, Error> {
        Ok(self.call_whole(req)?.decode()?)
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
        if (200..300).contains(&resp.status()) {
            return Body::new(resp);
        }
        Err(Error::Api(read_whole(resp)?.status()))
    }
}

/// A body read whole into the core's collector, which keeps at most
/// [`MAX_WHOLE_BODY`] (the reading stops there).
pub(crate) fn read_whole(resp: IncomingResponse) -> Result<WholeBody, Error> {
    let mut whole = WholeBody::new(resp.status(), retry_after(&resp).as_deref());
    let mut body = Body::new(resp)?;
    while let Some(chunk) = body.next_chunk()? {
        if !whole.push(&chunk) {
            break;
        }
    }
    Ok(whole)
}

/// A span in the nanoseconds `wasi:clocks` counts in.
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
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

pub(crate) fn retry_after(resp: &IncomingResponse) -> Option<String> {
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
            .map_err(|()| Error::Resource("the request body's stream"))?;
        for chunk in bytes.chunks(4096) {
            out.blocking_write_and_flush(chunk).map_err(|e| match e {
                StreamError::LastOperationFailed(e) => Error::Body {
                    code: types::http_error_code(&e),
                    detail: e.to_debug_string(),
                },
                StreamError::Closed => Error::Body {
                    code: None,
                    detail: "the request body's stream closed early".into(),
                },
            })?;
        }
        // The stream must be gone before its body is finished.
    }
    OutgoingBody::finish(body, None).map_err(Error::Http)
}
