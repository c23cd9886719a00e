//! Many GETs over one connection when the base URL is a `kw proxy`
//! (`…/clusters/NAME`): the proxy's multiplexed stream, read with the
//! core's frame decoder ([`kubewire::mux`]).
//!
//! This is transport only. Each exchange comes back as an ordinary
//! `Response` whose body is a `ReadableStream` fed from its frames, so the
//! callers (the list+watch drive loop, `get`, `list`, `watch`) read it as
//! they read a fetch and their decoders and machines see the same status,
//! the same bytes and the same end or cut. A 410, a 403 or the proxy's 502
//! for an unreachable upstream reach the exchange they belong to.
//!
//! The stream is probed once per [`Link`]: a server that does not answer
//! `GET /.kw/mux` with the mux media type is not a `kw proxy`, and every
//! request goes out as its own fetch, as before.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::fmt;

use js_sys::{Function, Object, Promise, Uint8Array};
use kubewire::mux::{self, Control, FrameKind, MuxDecoder};
use kubewire::{Method, Request};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, ReadableStream, ReadableStreamDefaultController, Response,
    ResponseInit,
};

use crate::error::{set, Error};
use crate::transport::{Body, Credentials, Endpoint};

/// How long a proxy that could not be reached goes without a new probe
/// (its requests go out as plain fetches meanwhile), in milliseconds.
const RETRY_PROBE_MS: f64 = 10_000.0;

/// The multiplexed stream of one proxy, shared by the clients of all its
/// contexts (`client.cluster(name)`).
pub(crate) struct Link {
    /// The proxy's root URL (before `/clusters/`).
    root: String,
    credentials: Credentials,
    state: RefCell<State>,
    /// A stream was open once: this is a `kw proxy`. When it cannot be
    /// reached later (it restarts), requests fail and are retried by their
    /// callers rather than going out as plain fetches: a page's dozens of
    /// long watches as plain fetches would stall behind the browser's six
    /// HTTP/1.1 connections and stay there after the proxy is back.
    known: Cell<bool>,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link").field("root", &self.root).finish()
    }
}

enum State {
    /// Not probed yet, or the stream ended.
    Unknown,
    /// Being opened; the promise settles when it is open or given up.
    Opening(Promise),
    Open(Rc<Session>),
    /// Not a `kw proxy` (until `f64::INFINITY`) or unreachable, until
    /// this `performance.now()`.
    Absent(f64),
}

struct Session {
    id: String,
    /// Aborts the stream's fetch: a session given up lets go of its
    /// connection.
    stream: AbortController,
    next: Cell<u32>,
    exchanges: RefCell<Table>,
    closed: Cell<bool>,
}

/// The exchanges in flight, by id: a few dozen, so a vector (smaller
/// code than a map, and the page downloads the code).
#[derive(Default)]
struct Table(Vec<(u32, Exchange)>);

impl Table {
    fn insert(&mut self, id: u32, e: Exchange) {
        self.0.push((id, e));
    }

    fn get(&self, id: &u32) -> Option<&Exchange> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, e)| e)
    }

    fn get_mut(&mut self, id: &u32) -> Option<&mut Exchange> {
        self.0.iter_mut().find(|(k, _)| k == id).map(|(_, e)| e)
    }

    fn contains_key(&self, id: &u32) -> bool {
        self.get(id).is_some()
    }

    fn remove(&mut self, id: &u32) -> Option<Exchange> {
        let i = self.0.iter().position(|(k, _)| k == id)?;
        Some(self.0.swap_remove(i).1)
    }

    fn keys(&self) -> impl Iterator<Item = &u32> {
        self.0.iter().map(|(k, _)| k)
    }
}

/// An exchange in flight: waiting for its head, then streaming.
struct Exchange {
    head: Option<(Function, Function)>,
    controller: Option<ReadableStreamDefaultController>,
    // Held while the exchange lives: the signal's listener and the body
    // stream's `cancel` call into these.
    on_abort: Option<Closure<dyn FnMut()>>,
    on_cancel: Closure<dyn FnMut(JsValue)>,
    signal: Option<AbortSignal>,
}

impl Link {
    /// The link for `base`, when it has the shape of a proxy's context
    /// (`…/clusters/NAME`); `None` otherwise (no probe, plain fetches).
    pub(crate) fn for_base(base: &str, credentials: Credentials) -> Option<Rc<Link>> {
        Some(Rc::new(Link {
            root: String::from(mux::proxy_root(base)?),
            credentials,
            state: RefCell::new(State::Unknown),
            known: Cell::new(false),
        }))
    }

    /// The proxy's root URL.
    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    /// Send a GET over the stream, or `None` when there is no stream (the
    /// caller fetches it itself).
    pub(crate) async fn send(
        self: &Rc<Self>,
        base: &str,
        req: &Request,
        signal: Option<&AbortSignal>,
    ) -> Option<Result<Response, Error>> {
        if req.method != Method::Get {
            return None;
        }
        // The path under the proxy's root: `/clusters/NAME/...`.
        let mut path = String::from(
            base.trim_end_matches('/')
                .strip_prefix(self.root.as_str())?,
        );
        let session = match self.session().await {
            Ok(s) => s?,
            Err(e) => return Some(Err(e)),
        };
        path.push_str(&req.path_and_query);
        Some(self.exchange(session, path, req, signal).await)
    }

    /// The open session; `Ok(None)`: no stream, fetch plainly; `Err`: the
    /// known proxy is unreachable.
    async fn session(self: &Rc<Self>) -> Result<Option<Rc<Session>>, Error> {
        loop {
            let opening = match &*self.state.borrow() {
                State::Open(s) if !s.closed.get() => return Ok(Some(s.clone())),
                State::Absent(until) if crate::listwatch::now_ms() < *until => return Ok(None),
                State::Opening(p) => Some(p.clone()),
                _ => None,
            };
            match opening {
                // Someone else is opening it: wait, then look again.
                Some(p) => {
                    let _ = JsFuture::from(p).await;
                }
                None => {
                    let mut done = None;
                    let p = Promise::new(&mut |resolve, _| done = Some(resolve));
                    *self.state.borrow_mut() = State::Opening(p);
                    let (next, failed) = match self.open().await {
                        Ok(next) => (next, None),
                        Err(e) => (State::Unknown, Some(e)),
                    };
                    *self.state.borrow_mut() = next;
                    if let Some(done) = done {
                        let _ = done.call0(&JsValue::NULL);
                    }
                    if let Some(e) = failed {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Probe and open the stream: `GET /.kw/mux?session=S`; `Err` when a
    /// proxy that had a stream cannot be reached.
    async fn open(self: &Rc<Self>) -> Result<State, Error> {
        let Ok(a) = crate::seed() else {
            return Ok(State::Absent(f64::INFINITY));
        };
        let b = crate::seed().unwrap_or(a.rotate_left(17));
        let id = alloc::format!("{a:016x}{b:016x}");
        let Ok(stream) = AbortController::new() else {
            return Ok(State::Absent(f64::INFINITY));
        };
        let probe = self
            .plain()
            .fetch(&get(&query(&id)), Some(&stream.signal()))
            .await;
        let resp = match probe {
            Ok(r) => r,
            Err(e) if self.known.get() => return Err(e),
            Err(_) => return Ok(State::Absent(crate::listwatch::now_ms() + RETRY_PROBE_MS)),
        };
        let media = resp.headers().get("content-type").ok().flatten();
        if !resp.ok() || media.as_deref() != Some(mux::MEDIA_TYPE) {
            // Dropping the body cancels it.
            drop(Body::new(&resp));
            return Ok(State::Absent(f64::INFINITY));
        }
        self.known.set(true);
        let session = Rc::new(Session {
            id,
            stream,
            next: Cell::new(0),
            exchanges: RefCell::default(),
            closed: Cell::new(false),
        });
        let link = self.clone();
        let reading = session.clone();
        wasm_bindgen_futures::spawn_local(async move {
            read(&reading, Body::new(&resp)).await;
            reading.close("the proxy's mux stream ended");
            if matches!(&*link.state.borrow(), State::Open(s) if Rc::ptr_eq(s, &reading)) {
                *link.state.borrow_mut() = State::Unknown;
            }
        });
        Ok(State::Open(session))
    }

    /// An endpoint for the proxy's own paths: no token (the proxy never
    /// forwards one), no stream.
    fn plain(&self) -> Endpoint {
        Endpoint {
            base: self.root.clone(),
            token: None,
            credentials: self.credentials,
            mux: None,
        }
    }

    async fn exchange(
        self: &Rc<Self>,
        session: Rc<Session>,
        path_and_query: String,
        req: &Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Response, Error> {
        if signal.is_some_and(|s| s.aborted()) {
            return Err(Error::Aborted);
        }
        let id = session.next.get();
        session.next.set(id.wrapping_add(1));
        let mut head = None;
        let answered = Promise::new(&mut |resolve, reject| head = Some((resolve, reject)));
        let on_abort = signal.map(|s| {
            let (link, weak) = (self.clone(), Rc::downgrade(&session));
            let f = Closure::<dyn FnMut()>::new(move || {
                if let Some(session) = weak.upgrade() {
                    if session.finish(id, Err(abort_error())) {
                        link.stop(&session, id);
                    }
                }
            });
            let _ = s.add_event_listener_with_callback("abort", f.as_ref().unchecked_ref());
            f
        });
        // A reader that lets go of the body (a stopped watch) stops the
        // exchange at the proxy too.
        let (link, weak) = (self.clone(), Rc::downgrade(&session));
        let on_cancel = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let Some(session) = weak.upgrade() {
                if session.finish(id, Ok(())) {
                    link.stop(&session, id);
                }
            }
        });
        session.exchanges.borrow_mut().insert(
            id,
            Exchange {
                head,
                controller: None,
                on_abort,
                on_cancel,
                signal: signal.cloned(),
            },
        );
        let open = Control::Open {
            id,
            path_and_query,
            headers: req.headers.clone(),
        };
        let sent = self.control(&session, &open).await;
        match sent {
            Ok(r) if r.status() == 204 => {
                // Given up while the OPEN was on its way (its STOP may have
                // overtaken it): stop it now that the proxy has it.
                if !session.exchanges.borrow().contains_key(&id) {
                    self.stop(&session, id);
                }
            }
            other => {
                // The proxy lost the session (it restarted) or refused the
                // request: the stream is of no more use.
                session.close("the proxy refused the mux exchange");
                return Err(match other {
                    Err(e) => e,
                    Ok(r) => Error::Network(alloc::format!(
                        "mux control request answered {}",
                        r.status()
                    )),
                });
            }
        }
        let resp = JsFuture::from(answered).await.map_err(Error::from_fetch)?;
        Ok(resp.unchecked_into())
    }

    fn stop(self: &Rc<Self>, session: &Rc<Session>, id: u32) {
        if session.closed.get() {
            return;
        }
        let (link, session) = (self.clone(), session.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let _ = link.control(&session, &Control::Stop { id }).await;
        });
    }

    async fn control(&self, session: &Session, c: &Control) -> Result<Response, Error> {
        let mut req = get(&query(&session.id));
        req.method = Method::Post;
        req.headers = alloc::vec![("Content-Type".into(), "text/plain".into())];
        req.body = c.encode().into_bytes();
        self.plain().fetch(&req, None).await
    }
}

fn query(session: &str) -> String {
    let mut q = String::from(mux::PATH);
    q.push_str("?session=");
    q.push_str(session);
    q
}

fn get(path_and_query: &str) -> Request {
    Request {
        method: Method::Get,
        path_and_query: path_and_query.into(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn abort_error() -> JsValue {
    let e = js_sys::Error::new("aborted");
    e.set_name("AbortError");
    e.into()
}

/// The stream's read loop: frames to their exchanges until it ends.
async fn read(session: &Session, mut body: Body) {
    let mut decoder = MuxDecoder::new();
    loop {
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => session.dispatch(frame.id, frame.kind),
                Ok(None) => break,
                Err(_) => return,
            }
        }
        match body.next().await {
            Ok(Some(chunk)) => decoder.feed(&chunk),
            _ => return,
        }
    }
}

impl Session {
    fn dispatch(&self, id: u32, kind: FrameKind) {
        match kind {
            FrameKind::Head {
                status,
                retry_after,
            } => {
                let mut exchanges = self.exchanges.borrow_mut();
                let Some(e) = exchanges.get_mut(&id) else {
                    return;
                };
                let made = respond(status, retry_after.as_deref(), &e.on_cancel);
                let Some((resolve, reject)) = e.head.take() else {
                    return;
                };
                match made {
                    Ok((resp, controller)) => {
                        e.controller = controller;
                        let _ = resolve.call1(&JsValue::NULL, &resp);
                    }
                    Err(err) => {
                        exchanges.remove(&id);
                        let _ = reject.call1(&JsValue::NULL, &err);
                    }
                }
            }
            FrameKind::Body(bytes) => {
                if let Some(c) = self
                    .exchanges
                    .borrow()
                    .get(&id)
                    .and_then(|e| e.controller.as_ref())
                {
                    let _ = c.enqueue_with_chunk(&Uint8Array::from(bytes.as_slice()));
                }
            }
            FrameKind::End => {
                self.finish(id, Ok(()));
            }
            FrameKind::Cut(why) => {
                self.finish(id, Err(js_sys::TypeError::new(&why).into()));
            }
            _ => {}
        }
    }

    /// The exchange is over: close its body, or fail its head or body
    /// with `err` (a `TypeError`, as fetch fails; an `AbortError`).
    /// `false` when it was over already.
    fn finish(&self, id: u32, outcome: Result<(), JsValue>) -> bool {
        let Some(mut e) = self.exchanges.borrow_mut().remove(&id) else {
            return false;
        };
        if let (Some(s), Some(f)) = (&e.signal, &e.on_abort) {
            let _ = s.remove_event_listener_with_callback("abort", f.as_ref().unchecked_ref());
        }
        match (&outcome, e.head.take(), &e.controller) {
            (Err(err), Some((_, reject)), _) => {
                let _ = reject.call1(&JsValue::NULL, err);
            }
            (Err(err), None, Some(c)) => c.error_with_e(err),
            (Ok(()), _, Some(c)) => {
                let _ = c.close();
            }
            _ => {}
        }
        // Dropped after the calls: a closure may be the caller.
        drop(e);
        true
    }

    /// The stream is gone: every exchange fails as a cut connection.
    fn close(&self, why: &str) {
        if self.closed.replace(true) {
            return;
        }
        self.stream.abort();
        let ids: Vec<u32> = self.exchanges.borrow().keys().copied().collect();
        for id in ids {
            self.finish(id, Err(js_sys::TypeError::new(why).into()));
        }
    }
}

/// A `Response` for an exchange's head, with a body stream to feed its
/// frames into (none for the statuses that cannot have a body).
fn respond(
    status: u16,
    retry_after: Option<&str>,
    cancel: &Closure<dyn FnMut(JsValue)>,
) -> Result<(JsValue, Option<ReadableStreamDefaultController>), JsValue> {
    let init = ResponseInit::new();
    init.set_status(status);
    if let Some(ra) = retry_after {
        let headers = web_sys::Headers::new()?;
        headers.set("Retry-After", ra)?;
        init.set_headers(&headers);
    }
    if matches!(status, 101 | 103 | 204 | 205 | 304) {
        let resp = Response::new_with_opt_str_and_init(None, &init)?;
        return Ok((resp.into(), None));
    }
    let slot: Rc<RefCell<Option<ReadableStreamDefaultController>>> = Rc::default();
    let into = slot.clone();
    // Called once, inside the constructor.
    let start = Closure::<dyn FnMut(JsValue)>::new(move |c: JsValue| {
        *into.borrow_mut() = Some(c.unchecked_into());
    });
    let source = Object::new();
    set(&source, "start", start.as_ref());
    set(&source, "cancel", cancel.as_ref());
    let stream = ReadableStream::new_with_underlying_source(&source)?;
    drop(start);
    let controller = slot.borrow_mut().take();
    let resp = Response::new_with_opt_readable_stream_and_init(Some(&stream), &init)?;
    Ok((resp.into(), controller))
}
