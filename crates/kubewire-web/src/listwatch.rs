//! `client.listWatch(...)`: the core's [`ListWatch`] machine driven over
//! `fetch`, with `setTimeout` for its deadlines, and the core's [`Store`]
//! kept current for the page to read.
//!
//! Every decision (which request, when to retry, what a 410 means, which
//! objects vanished) is the machine's; this file is its drive loop, the
//! same `match` as kubewire-hyper's watcher: send what it asks, push the
//! response bytes back as they arrive, wait until its deadline. Objects
//! stay JSON text in the machine ([`RawJson`]) and become JavaScript values
//! once, with the browser's `JSON.parse`; the store holds those values.

use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::Poll;

use js_sys::{Array, Function, Object, Promise};
use kubewire::decode::RawJson;
use kubewire::listwatch::{self, Config, Event, Input, Instant, ListWatch, Output, RequestId};
use kubewire::store::{Selector, Store};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

use crate::client::parse_at;
use crate::error::{set, Error};
use crate::options;
use crate::transport::{Body, Endpoint};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    // A monotonic clock, in pages and workers alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// `performance.now()`: milliseconds on a monotonic clock.
pub(crate) fn now_ms() -> f64 {
    performance_now()
}

/// A collection kept in view: the objects of `resource` (in a namespace or
/// all, filtered by selectors), current as the server changes them.
/// `onEvent` sees every change; `get` and `list` read the objects held.
/// The objects are the held ones themselves, not copies: treat them as
/// read-only (copy before changing one to write it back).
#[wasm_bindgen]
pub struct LiveCollection {
    shared: Rc<Shared>,
    closed: Promise,
}

/// What the page's calls and the drive loop share.
struct Shared {
    store: RefCell<Store<JsValue>>,
    stopped: Cell<bool>,
    /// The request in flight: aborted on `stop()`.
    controller: RefCell<Option<AbortController>>,
    /// Resolves the drive loop's wait on `stop()`.
    wake: RefCell<Option<Function>>,
}

impl Shared {
    fn stop(&self) {
        if self.stopped.replace(true) {
            return;
        }
        if let Some(c) = self.controller.borrow_mut().take() {
            c.abort();
        }
        if let Some(wake) = self.wake.borrow_mut().take() {
            // Calling a promise's resolve function does not throw.
            let _ = wake.call0(&JsValue::NULL);
        }
    }
}

#[wasm_bindgen]
impl LiveCollection {
    /// Stop: no event is delivered after this returns, the connection is
    /// closed, and `closed` resolves.
    pub fn stop(&self) {
        self.shared.stop();
    }

    /// Resolves when the collection was stopped (`stop()`, the signal).
    /// Rejects with a `KubeError` when the machine gave up (the server
    /// refuses the LIST itself: a wrong selector, a resource it does not
    /// serve as a list), or with what `onEvent` threw.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<void>")]
    pub fn closed(&self) -> Promise {
        self.closed.clone()
    }

    /// Whether the objects held are a complete listing (an `InitDone`
    /// since the last `Init`).
    #[wasm_bindgen(getter)]
    pub fn synced(&self) -> bool {
        self.shared.store.borrow().is_synced()
    }

    /// The resourceVersion the objects held are current at.
    #[wasm_bindgen(getter, js_name = resourceVersion)]
    pub fn resource_version(&self) -> Option<String> {
        self.shared
            .store
            .borrow()
            .resource_version()
            .map(String::from)
    }

    /// How many objects are held.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.shared.store.borrow().len()).unwrap_or(u32::MAX)
    }

    /// The object `name` (in `namespace`, for a namespaced resource), or
    /// `undefined`.
    #[wasm_bindgen(unchecked_return_type = "KubeObject | undefined")]
    pub fn get(&self, name: &str, namespace: Option<String>) -> JsValue {
        let store = self.shared.store.borrow();
        let ns = namespace.as_deref().filter(|n| !n.is_empty());
        store
            .get_named(ns, name)
            .map_or(JsValue::UNDEFINED, |o| o.value.clone())
    }

    /// The objects held, ordered by namespace then name: all of them, or
    /// those in `query.namespace` whose labels match
    /// `query.labelSelector`. A malformed selector throws a `KubeError`.
    #[wasm_bindgen(unchecked_return_type = "KubeObject[]")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StoreQuery")] query: Option<Object>,
    ) -> Result<Array, JsValue> {
        let query: JsValue = query.map_or(JsValue::UNDEFINED, Into::into);
        let read = || -> Result<(Option<String>, Selector), Error> {
            let ns = options::string_option(&query, "namespace")?.filter(|n| !n.is_empty());
            let selector = match options::string_option(&query, "labelSelector")? {
                Some(text) => Selector::parse(&text)
                    .map_err(|e| Error::Invalid(alloc::format!("labelSelector: {e}")))?,
                None => Selector::everything(),
            };
            Ok((ns, selector))
        };
        let (ns, selector) = read().map_err(Error::into_js)?;
        let store = self.shared.store.borrow();
        let out = Array::new();
        for (key, o) in store.select(&selector) {
            if ns.is_none() || key.namespace == ns {
                out.push(&o.value);
            }
        }
        Ok(out)
    }
}

/// The machine's config from `listWatch`'s options: `namespace`,
/// `labelSelector`, `fieldSelector`, `pageSize`, `watchList`; the seed from
/// `crypto.getRandomValues`.
fn config(resource: &JsValue, opts: &JsValue) -> Result<Config, Error> {
    let r = options::resource(resource)?;
    let mut config = Config::new(options::collection(&r, opts)?).seed(crate::seed()?);
    config.label_selector = options::string_option(opts, "labelSelector")?;
    config.field_selector = options::string_option(opts, "fieldSelector")?;
    config.page_size = options::number_option(opts, "pageSize")?;
    if let Some(on) = options::flag_option(opts, "watchList")? {
        config.watch_list = on;
    }
    Ok(config)
}

/// Start keeping `resource` in view (see `Client.listWatch`).
pub(crate) fn start(
    endpoint: Rc<Endpoint>,
    resource: &JsValue,
    opts: &JsValue,
    on_event: Option<Function>,
) -> Result<LiveCollection, Error> {
    let machine = ListWatch::<RawJson>::new(config(resource, opts)?, Instant(0))
        .map_err(|e| Error::Invalid(alloc::format!("{e}")))?;
    let signal = options::signal(opts)?;
    let shared = Rc::new(Shared {
        store: RefCell::new(Store::new()),
        stopped: Cell::new(false),
        controller: RefCell::new(None),
        wake: RefCell::new(None),
    });
    let mut settle: Option<(Function, Function)> = None;
    let closed = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let driver = Driver {
        endpoint,
        machine,
        shared: shared.clone(),
        on_event,
        origin: performance_now(),
        body: None,
    };
    wasm_bindgen_futures::spawn_local(async move {
        // The signal stops the collection as `stop()` does; the listener
        // holds the state weakly and is removed when the loop ends.
        let weak: Weak<Shared> = Rc::downgrade(&driver.shared);
        let on_abort = Closure::<dyn FnMut()>::new(move || {
            if let Some(s) = weak.upgrade() {
                s.stop();
            }
        });
        if let Some(s) = &signal {
            if s.aborted() {
                driver.shared.stop();
            }
            let _ = s.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
        let outcome = driver.run().await;
        if let Some(s) = &signal {
            let _ =
                s.remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
        drop(on_abort);
        let Some((resolve, reject)) = settle else {
            return;
        };
        // Settling a promise only fails if it was settled already.
        let _ = match outcome {
            Ok(()) => resolve.call0(&JsValue::NULL),
            Err(e) => reject.call1(&JsValue::NULL, &e.into_js()),
        };
    });
    Ok(LiveCollection { shared, closed })
}

/// What woke the drive loop.
enum Wake {
    Read(Result<JsValue, JsValue>),
    Deadline,
    Stop,
}

/// A `setTimeout` as a future; cleared when dropped.
struct Timer {
    id: JsValue,
    done: JsFuture,
}

impl Timer {
    fn new(ms: f64) -> Timer {
        // Browsers fire at once for delays past 2^31 - 1 ms (24.8 days);
        // the machine's deadlines are minutes away, but never trust that.
        let ms = ms.min(2_147_483_647.0);
        let mut id = JsValue::UNDEFINED;
        let promise = Promise::new(&mut |resolve, _| id = set_timeout(&resolve, ms));
        Timer {
            id,
            done: JsFuture::from(promise),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// The response being read: its request, its body and the read in flight.
struct Reading {
    id: RequestId,
    body: Body,
    pending: Option<JsFuture>,
}

struct Driver {
    endpoint: Rc<Endpoint>,
    machine: ListWatch<RawJson>,
    shared: Rc<Shared>,
    on_event: Option<Function>,
    origin: f64,
    body: Option<Reading>,
}

impl Driver {
    fn now(&self) -> Instant {
        let ms = performance_now() - self.origin;
        // A monotonic clock is never before its own origin; a float's
        // rounding may be.
        Instant(if ms > 0.0 { ms as u64 } else { 0 })
    }

    /// The drive loop. `Ok` when stopped; `Err` when the machine gave up or
    /// `onEvent` threw.
    async fn run(mut self) -> Result<(), Error> {
        let wake = {
            let mut resolve = None;
            let p = Promise::new(&mut |r, _| resolve = Some(r));
            *self.shared.wake.borrow_mut() = resolve;
            JsFuture::from(p)
        };
        let mut wake = Some(wake);
        loop {
            if self.shared.stopped.get() {
                return Ok(());
            }
            let deadline = loop {
                let out = self.machine.poll_output(self.now());
                match out {
                    Output::Send(id, req) => self.send(id, req).await?,
                    Output::Cancel(id) => {
                        if self.body.as_ref().is_some_and(|b| b.id == id) {
                            self.drop_body();
                        }
                    }
                    Output::Event(event) => self.deliver(event)?,
                    Output::Error(e) => self.report(Error::from(e))?,
                    Output::Stopped(e) => return Err(Error::from(e)),
                    Output::Idle { deadline } => break deadline,
                }
                if self.shared.stopped.get() {
                    return Ok(());
                }
            };
            if let Some(b) = self.body.as_mut() {
                if b.pending.is_none() {
                    b.pending = b.body.read().map(JsFuture::from);
                }
            }
            let mut timer = deadline
                .map(|d| Timer::new(d.as_millis().saturating_sub(self.now().as_millis()) as f64));
            let woke = poll_fn(|cx| {
                if let Some(p) = self.body.as_mut().and_then(|b| b.pending.as_mut()) {
                    if let Poll::Ready(r) = Pin::new(p).poll(cx) {
                        return Poll::Ready(Wake::Read(r));
                    }
                }
                if let Some(t) = timer.as_mut() {
                    if Pin::new(&mut t.done).poll(cx).is_ready() {
                        return Poll::Ready(Wake::Deadline);
                    }
                }
                if let Some(w) = wake.as_mut() {
                    if Pin::new(w).poll(cx).is_ready() {
                        return Poll::Ready(Wake::Stop);
                    }
                }
                Poll::Pending
            })
            .await;
            drop(timer);
            match woke {
                Wake::Deadline => {}
                Wake::Stop => {
                    wake = None;
                }
                Wake::Read(result) => self.read(result)?,
            }
        }
    }

    /// Send a request the machine asked for and hand it the answer's head.
    async fn send(&mut self, id: RequestId, req: kubewire::Request) -> Result<(), Error> {
        self.drop_body();
        let controller = AbortController::new().map_err(Error::from_js)?;
        *self.shared.controller.borrow_mut() = Some(controller.clone());
        match self.endpoint.send(&req, Some(&controller.signal())).await {
            Ok(resp) => {
                let retry_after = resp.headers().get("Retry-After").ok().flatten();
                let headers: Vec<(&str, &str)> = retry_after
                    .as_deref()
                    .map(|v| ("retry-after", v))
                    .into_iter()
                    .collect();
                let now = self.now();
                self.machine.handle_input(
                    now,
                    Input::Response {
                        id,
                        status: resp.status(),
                        headers: &headers,
                    },
                );
                self.body = Some(Reading {
                    id,
                    body: Body::new(&resp),
                    pending: None,
                });
                Ok(())
            }
            Err(_) if self.shared.stopped.get() => Ok(()),
            Err(e) => {
                let now = self.now();
                self.machine.handle_input(now, Input::Cut { id });
                self.report(e)
            }
        }
    }

    /// A read of the body settled: hand the chunk, the end or the cut to
    /// the machine.
    fn read(&mut self, result: Result<JsValue, JsValue>) -> Result<(), Error> {
        let now = self.now();
        let Some(b) = self.body.as_mut() else {
            return Ok(());
        };
        b.pending = None;
        let id = b.id;
        match result
            .map_err(Error::from_fetch)
            .and_then(|r| b.body.chunk(&r))
        {
            Ok(Some(bytes)) => {
                self.machine
                    .handle_input(now, Input::Body { id, bytes: &bytes });
                Ok(())
            }
            Ok(None) => {
                self.body = None;
                self.machine.handle_input(now, Input::End { id });
                Ok(())
            }
            Err(_) if self.shared.stopped.get() => Ok(()),
            Err(e) => {
                self.drop_body();
                self.machine.handle_input(now, Input::Cut { id });
                self.report(e)
            }
        }
    }

    fn drop_body(&mut self) {
        // Dropping the body cancels its reader.
        self.body = None;
        if let Some(c) = self.shared.controller.borrow_mut().take() {
            c.abort();
        }
    }

    /// Apply an event to the store, then tell the page.
    fn deliver(&mut self, event: Event<RawJson>) -> Result<(), Error> {
        let js = Object::new();
        let (name, stored) = match event {
            Event::Init => ("Init", Event::Init),
            Event::InitApply(o) => {
                let o = match parse(o) {
                    Ok(o) => o,
                    Err(e) => return self.report(e),
                };
                set(&js, "object", &o.value);
                ("InitApply", Event::InitApply(o))
            }
            Event::Apply(o) => {
                let o = match parse(o) {
                    Ok(o) => o,
                    Err(e) => return self.report(e),
                };
                set(&js, "object", &o.value);
                ("Apply", Event::Apply(o))
            }
            Event::Delete(o) => {
                let o = match parse(o) {
                    Ok(o) => o,
                    Err(e) => return self.report(e),
                };
                set(&js, "object", &o.value);
                ("Delete", Event::Delete(o))
            }
            Event::InitDelete(t) => {
                // The machine keeps keys, not objects: the last state is
                // the store's.
                if let Some(last) = self.shared.store.borrow().get(&t.key) {
                    set(&js, "object", &last.value);
                }
                set(&js, "resourceVersion", &t.resource_version.as_str().into());
                ("InitDelete", Event::InitDelete(t))
            }
            Event::InitDone { resource_version } => {
                set(&js, "resourceVersion", &resource_version.as_str().into());
                ("InitDone", Event::InitDone { resource_version })
            }
            Event::Bookmark { resource_version } => {
                set(&js, "resourceVersion", &resource_version.as_str().into());
                ("Bookmark", Event::Bookmark { resource_version })
            }
        };
        set(&js, "type", &name.into());
        // The store first: a callback that reads it sees the change.
        self.shared.store.borrow_mut().apply(stored);
        self.call(&js)
    }

    /// A problem the machine recovers from (or a transport failure it
    /// retries after): an `Error` event, the stream goes on.
    fn report(&mut self, e: Error) -> Result<(), Error> {
        let js = Object::new();
        set(&js, "type", &"Error".into());
        set(&js, "error", &e.into_js());
        self.call(&js)
    }

    fn call(&self, event: &Object) -> Result<(), Error> {
        if self.shared.stopped.get() {
            return Ok(());
        }
        match &self.on_event {
            Some(f) => f.call1(&JsValue::NULL, event).map(drop).map_err(Error::Js),
            None => Ok(()),
        }
    }
}

/// An object's JSON text as a JavaScript value. The core checked it is
/// JSON; should `JSON.parse` still refuse it (nesting deeper than the
/// engine allows), the object is reported as an `Error` event and skipped,
/// and the collection goes on.
fn parse(o: listwatch::Object<RawJson>) -> Result<listwatch::Object<JsValue>, Error> {
    let value = parse_at(o.value.as_str().as_bytes(), 0)?;
    Ok(listwatch::Object {
        meta: o.meta,
        value,
    })
}
