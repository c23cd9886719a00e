//! The multiplexed stream (`/.kw/mux`): many GETs of a page over one
//! streaming response, in the core's frames ([`kubewire::mux`]).
//!
//! A page opens `GET /.kw/mux?session=S` once and keeps it; each exchange
//! it wants (a LIST, a WATCH) is a `POST /.kw/mux?session=S` whose body is
//! `OPEN id /clusters/CONTEXT/path?query`. The exchange goes upstream
//! exactly as a plain request to that path would (the same context
//! lookup, path rules, forwarded headers and credentials), and its answer
//! comes back on the stream as frames tagged with `id`: the status, the
//! body in the chunks it arrived in, then the end or the cut. `STOP id`
//! drops it. When the stream's connection closes, every exchange of the
//! session stops.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Either, Limited};
use hyper::body::{Frame as BodyFrame, Incoming, SizeHint};
use kubewire::mux::{self, Control, Frame, FrameKind};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::{forward, forwarded, status, Body, Proxy};

/// Frames queued per session before the exchanges wait for the page to
/// read: a slow page slows its own watches, never the proxy's memory.
const QUEUE: usize = 64;

/// The sessions of the multiplexed streams, by the id the page chose.
#[derive(Default)]
pub(super) struct Hub {
    sessions: Mutex<HashMap<String, Session>>,
}

struct Session {
    /// Tells a stream that replaced this one apart from it.
    generation: u64,
    frames: mpsc::Sender<Bytes>,
    exchanges: HashMap<u32, AbortHandle>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock cannot leave the map half-changed
        // (every change is one insert or remove): go on with it.
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The stream's body: the session's frames as they are queued. Dropped
/// when the page's connection closes, which ends the session.
pub(super) struct MuxBody {
    frames: mpsc::Receiver<Bytes>,
    proxy: Arc<Proxy>,
    session: String,
    generation: u64,
}

impl hyper::body::Body for MuxBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<BodyFrame<Bytes>, Self::Error>>> {
        self.frames
            .poll_recv(cx)
            .map(|f| f.map(|b| Ok(BodyFrame::data(b))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

impl Drop for MuxBody {
    fn drop(&mut self) {
        let mut sessions = self.proxy.hub.lock();
        if sessions
            .get(&self.session)
            .is_some_and(|s| s.generation == self.generation)
        {
            if let Some(s) = sessions.remove(&self.session) {
                for (_, exchange) in s.exchanges {
                    exchange.abort();
                }
            }
        }
    }
}

/// `GET` (the stream) or `POST` (a control request) of `/.kw/mux`.
pub(super) async fn serve(proxy: &Arc<Proxy>, req: hyper::Request<Incoming>) -> Response<Body> {
    let Some(session) = session_id(req.uri().query()) else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "session: 16 to 64 letters, digits, '-' or '_' required",
        );
    };
    match *req.method() {
        Method::GET => open_stream(proxy, session),
        Method::POST => {
            let body = match Limited::new(req.into_body(), mux::MAX_CONTROL)
                .collect()
                .await
            {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return status(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "RequestEntityTooLarge",
                        "mux control request too large",
                    )
                }
            };
            match Control::parse(&body) {
                Ok(control) => control_request(proxy, &session, control),
                Err(e) => status(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string()),
            }
        }
        _ => status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "method not allowed",
        ),
    }
}

/// The session's id from `session=…` in the query. Chosen by the page
/// (random, so that control requests need no round trip first); a page of
/// an allowed origin could only disturb sessions whose id it guessed.
fn session_id(query: Option<&str>) -> Option<String> {
    let id = query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("session="))?;
    let ok = (16..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| id.to_string())
}

fn open_stream(proxy: &Arc<Proxy>, session: String) -> Response<Body> {
    let (tx, rx) = mpsc::channel(QUEUE);
    let generation = {
        let mut sessions = proxy.hub.lock();
        let generation = sessions.get(&session).map_or(0, |s| s.generation + 1);
        // The page reconnected under the same id: the old stream's
        // exchanges belonged to a connection it has given up.
        if let Some(old) = sessions.insert(
            session.clone(),
            Session {
                generation,
                frames: tx,
                exchanges: HashMap::new(),
            },
        ) {
            for (_, exchange) in old.exchanges {
                exchange.abort();
            }
        }
        generation
    };
    let body = MuxBody {
        frames: rx,
        proxy: proxy.clone(),
        session,
        generation,
    };
    let mut resp = Response::new(Either::Right(Either::Right(body)));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mux::MEDIA_TYPE),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn control_request(proxy: &Arc<Proxy>, session: &str, control: Control) -> Response<Body> {
    let mut sessions = proxy.hub.lock();
    let Some(s) = sessions.get_mut(session) else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no open mux stream for this session",
        );
    };
    match control {
        Control::Stop { id } => {
            if let Some(exchange) = s.exchanges.remove(&id) {
                exchange.abort();
            }
        }
        Control::Open {
            id,
            path_and_query,
            headers,
        } => {
            if s.exchanges.contains_key(&id) {
                return status(
                    StatusCode::CONFLICT,
                    "AlreadyExists",
                    "mux exchange id in use",
                );
            }
            let task = tokio::spawn(exchange(
                proxy.clone(),
                s.frames.clone(),
                id,
                path_and_query,
                headers,
            ));
            s.exchanges.insert(id, task.abort_handle());
            // The entry goes when the exchange ends. The lock held here
            // until the entry is in makes the removal come after it.
            let proxy = proxy.clone();
            let session = session.to_string();
            tokio::spawn(async move {
                let _ = task.await;
                if let Some(s) = proxy.hub.lock().get_mut(&session) {
                    s.exchanges.remove(&id);
                }
            });
        }
        _ => {
            return status(StatusCode::BAD_REQUEST, "BadRequest", "unknown control");
        }
    }
    let mut resp = Response::new(super::full(Bytes::new()));
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}

/// One exchange: `GET path_and_query` through the same rules as a plain
/// request, its answer written as frames.
async fn exchange(
    proxy: Arc<Proxy>,
    frames: mpsc::Sender<Bytes>,
    id: u32,
    path_and_query: String,
    headers: Vec<(String, String)>,
) {
    let resp = answer(&proxy, &path_and_query, &headers).await;
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let mut out = Vec::new();
    Frame {
        id,
        kind: FrameKind::Head {
            status: resp.status().as_u16(),
            retry_after,
        },
    }
    .encode(&mut out);
    if frames.send(out.into()).await.is_err() {
        return;
    }
    let mut body = resp.into_body();
    let last = loop {
        match body.frame().await {
            None => break FrameKind::End,
            Some(Err(e)) => break FrameKind::Cut(format!("upstream body: {e}")),
            Some(Ok(f)) => {
                let Ok(data) = f.into_data() else { continue };
                let mut out = Vec::with_capacity(data.len() + 9);
                mux::encode_body(id, &data, &mut out);
                if frames.send(out.into()).await.is_err() {
                    return;
                }
            }
        }
    };
    let mut out = Vec::new();
    Frame { id, kind: last }.encode(&mut out);
    let _ = frames.send(out.into()).await;
}

/// What a plain `GET` of `path_and_query` would have answered.
async fn answer(
    proxy: &Proxy,
    path_and_query: &str,
    headers: &[(String, String)],
) -> Response<Body> {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let Some(rest) = path.strip_prefix("/clusters/") else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "mux exchanges go to /clusters/CONTEXT/...",
        );
    };
    let (context, api_path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let client = match proxy.admit(&Method::GET, context, api_path) {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let upstream = kubewire::Request {
        method: kubewire::Method::Get,
        path_and_query: match query {
            Some(q) => format!("{api_path}?{q}"),
            None => api_path.to_string(),
        },
        headers: forwarded(headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
        body: Vec::new(),
    };
    forward(context, client, &upstream).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_checked() {
        assert_eq!(
            session_id(Some("session=0123456789abcdef")).as_deref(),
            Some("0123456789abcdef")
        );
        assert_eq!(
            session_id(Some("x=1&session=0123456789abcdef-_")).as_deref(),
            Some("0123456789abcdef-_")
        );
        for bad in [
            None,
            Some(""),
            Some("session=short"),
            Some("session=0123456789abcdef%20"),
        ] {
            assert_eq!(session_id(bad), None, "{bad:?}");
        }
    }
}
