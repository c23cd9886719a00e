//! An open watch: events are pushed to the page's callback as they arrive,
//! and the handle stops the watch.

use alloc::rc::Rc;
use alloc::string::String;
use core::cell::{Cell, RefCell};

use js_sys::{Function, Object, Promise};
use kubewire::decode::{self, EventType, WatchDecoder};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use web_sys::AbortController;

use crate::client::parse_at;
use crate::error::{set, status_to_js, Error};
use crate::transport::Body;

/// A running watch. `stop()` ends it; `closed` settles when it has ended.
#[wasm_bindgen]
pub struct WatchHandle {
    controller: AbortController,
    state: Rc<State>,
    closed: Promise,
}

struct State {
    stopped: Cell<bool>,
    resource_version: RefCell<Option<String>>,
}

#[wasm_bindgen]
impl WatchHandle {
    /// Stop the watch: no event is delivered after this returns, and the
    /// connection is closed. `closed` then resolves.
    pub fn stop(&self) {
        self.state.stopped.set(true);
        self.controller.abort();
    }

    /// Resolves when the watch ends: the server closed it (a timeout, a
    /// restart: resume from `resourceVersion`) or `stop()` was called.
    /// Rejects with a `KubeError` when the connection broke or the stream
    /// could not be decoded, or with what `onEvent` threw.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<void>")]
    pub fn closed(&self) -> Promise {
        self.closed.clone()
    }

    /// The resourceVersion of the last event or bookmark seen: where a new
    /// watch resumes.
    #[wasm_bindgen(getter, js_name = resourceVersion)]
    pub fn resource_version(&self) -> Option<String> {
        self.state.resource_version.borrow().clone()
    }
}

impl WatchHandle {
    /// Start pumping `body` into a watch decoder, calling `on_event` for
    /// each event.
    pub(crate) fn start(controller: AbortController, body: Body, on_event: Function) -> Self {
        let state = Rc::new(State {
            stopped: Cell::new(false),
            resource_version: RefCell::new(None),
        });
        let pump_state = state.clone();
        let mut settle: Option<(Function, Function)> = None;
        let closed = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = pump(body, &on_event, &pump_state).await;
            let Some((resolve, reject)) = settle else {
                return;
            };
            // Settling a promise only fails if it was settled already.
            let _ = match outcome {
                Ok(()) | Err(Error::Aborted) => resolve.call0(&JsValue::NULL),
                Err(_) if pump_state.stopped.get() => resolve.call0(&JsValue::NULL),
                Err(e) => reject.call1(&JsValue::NULL, &e.into_js()),
            };
        });
        WatchHandle {
            controller,
            state,
            closed,
        }
    }
}

/// The drive loop: hand out each complete event of a chunk (read in place;
/// only a line split across chunks is copied) before reading on.
async fn pump(mut body: Body, on_event: &Function, state: &State) -> Result<(), Error> {
    let mut decoder = WatchDecoder::new();
    loop {
        if state.stopped.get() {
            return Ok(());
        }
        let Some(chunk) = body.next().await? else {
            return Ok(decoder.finish()?);
        };
        let mut rest = &chunk[..];
        while let Some(event) = decoder.next_event_from(&mut rest)? {
            if state.stopped.get() {
                return Ok(());
            }
            if let Some(rv) = event.resource_version() {
                *state.resource_version.borrow_mut() = Some(rv.into());
            }
            let js = event_to_js(&event)?;
            on_event.call1(&JsValue::NULL, &js).map_err(Error::Js)?;
        }
    }
}

/// `{type, object}`, plus `resourceVersion`/`initialEventsEnd` for a
/// BOOKMARK and the classified `status` for an ERROR.
fn event_to_js(event: &decode::RawEvent<'_>) -> Result<JsValue, Error> {
    let o = Object::new();
    let kind = event.event_type();
    set(&o, "type", &kind.as_str().into());
    set(
        &o,
        "object",
        &parse_at(event.raw_object(), event.object_offset())?,
    );
    match kind {
        EventType::Bookmark => {
            set(
                &o,
                "resourceVersion",
                &event.resource_version().unwrap_or("").into(),
            );
            set(
                &o,
                "initialEventsEnd",
                &event.is_initial_events_end().into(),
            );
        }
        EventType::Error => {
            if let Some(status) = event.status() {
                set(&o, "status", &status_to_js(&status?));
            }
        }
        _ => {}
    }
    Ok(o.into())
}
