//! The list+watch driver: the core's [`ListWatch`] run inside the
//! component, its events handed out one at a time.
//!
//! All protocol decisions (which request, when to retry, what a response
//! means) are the core machine's; this file is its drive loop, the WASI
//! twin of `kubewire-blocking`'s: send what it asks, push response bytes
//! back as they arrive, and wait until its deadline. Waiting is on the
//! response's pollable (headers, then body bytes) and a `wasi:clocks`
//! pollable at the machine's deadline together: [`Watcher::next`] sleeps in
//! `wasi:io/poll` on both, never spins. [`Watcher::try_next`] does only the
//! IO that needs no waiting, and [`Watcher::subscribe`] says when to call it
//! again, for a caller with more than one thing to wait on.
//!
//! ```no_run
//! use kubewire::known;
//! use kubewire::listwatch::{Config, Event};
//! use kubewire_wasi::{Client, Watcher};
//!
//! #[derive(serde::Deserialize)]
//! struct ConfigMap {
//!     #[serde(default)]
//!     data: std::collections::BTreeMap<String, String>,
//! }
//!
//! # fn run(client: Client) -> Result<(), kubewire_wasi::Error> {
//! let config = Config::new(known::config_maps().within("demo"));
//! let mut watcher = Watcher::<ConfigMap>::new(client, config)?;
//! while let Some(update) = watcher.next() {
//!     match update {
//!         Ok(Event::InitApply(cm) | Event::Apply(cm)) => println!("{:?}", cm.value.data),
//!         Ok(_) => {}
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! # Ok(()) }
//! ```

use core::fmt;

use kubewire::listwatch::{self, Config, Event, Input, Instant, ListWatch, Output, RequestId};
use serde::de::DeserializeOwned;
use wasi::clocks::monotonic_clock;
use wasi::io::poll::{self, Pollable};

use crate::client::{Client, Pending};
use crate::stream::{ready_now, Body, Chunk};
use crate::Error;

/// Something the driver met. All but [`WatchError::Stopped`] are being
/// recovered from, and reading goes on.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchError {
    /// Sending a request or reading its body failed.
    Transport(Error),
    /// The machine reports a problem (error status, broken stream, object
    /// that does not fit the type).
    Protocol(listwatch::Error),
    /// The machine stopped: retrying cannot fix this (the server refuses
    /// the LIST the config asks for). Nothing comes after it.
    Stopped(listwatch::Error),
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::Transport(e) => write!(f, "{e}"),
            WatchError::Protocol(e) => write!(f, "{e}"),
            WatchError::Stopped(e) => write!(f, "stopped: {e}"),
        }
    }
}

impl std::error::Error for WatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WatchError::Transport(e) => Some(e),
            WatchError::Protocol(e) | WatchError::Stopped(e) => Some(e),
        }
    }
}

/// The request the machine has in flight.
enum Io {
    None,
    /// Sent; waiting for the response headers.
    Waiting(RequestId, Pending),
    /// Reading the body.
    Reading(RequestId, Body),
}

impl Io {
    fn id(&self) -> Option<RequestId> {
        match self {
            Io::None => None,
            Io::Waiting(id, _) | Io::Reading(id, _) => Some(*id),
        }
    }

    fn subscribe(&self) -> Option<Pollable> {
        match self {
            Io::None => None,
            Io::Waiting(_, p) => Some(p.subscribe()),
            Io::Reading(_, b) => Some(b.subscribe()),
        }
    }
}

/// What one step of IO without waiting did.
enum Step {
    /// Input went to the machine: poll it again.
    Moved,
    /// Nothing has arrived.
    Nothing,
    /// A transport failure (already told to the machine), to report.
    Failed(Error),
}

/// One next value: an event, or a problem.
pub type Update<T> = Result<Event<T>, WatchError>;

/// A collection kept in view by the core's [`ListWatch`].
pub struct Watcher<T> {
    client: Client,
    lw: ListWatch<T>,
    /// `wasi:clocks/monotonic-clock` at the machine's `Instant(0)`, in ns.
    origin: u64,
    io: Io,
    /// The machine's deadline from its last `Idle`.
    deadline: Option<Instant>,
    /// An update taken by `subscribe` to see whether one was ready.
    ready: Option<Update<T>>,
    stopped: bool,
}

impl<T> fmt::Debug for Watcher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("client", &self.client)
            .field("in_flight", &self.io.id())
            .field("deadline", &self.deadline)
            .field("stopped", &self.stopped)
            .finish()
    }
}

impl<T: DeserializeOwned> Watcher<T> {
    /// Keep `config`'s collection in view. The config is checked first;
    /// without a seed it gets one from `wasi:random` ([`crate::seed`]), so
    /// component instances retry on their own schedules. Nothing is sent
    /// until the first read.
    pub fn new(client: Client, mut config: Config) -> Result<Self, Error> {
        if config.seed.is_none() {
            config.seed = Some(crate::seed());
        }
        let lw = ListWatch::new(config, Instant(0)).map_err(Error::Watch)?;
        Ok(Watcher {
            client,
            lw,
            origin: monotonic_clock::now(),
            io: Io::None,
            deadline: None,
            ready: None,
            stopped: false,
        })
    }

    /// The machine, e.g. for its resourceVersion.
    pub fn machine(&self) -> &ListWatch<T> {
        &self.lw
    }

    /// Whether the machine stopped for good (after a
    /// [`WatchError::Stopped`]).
    pub fn is_stopped(&self) -> bool {
        self.stopped && self.ready.is_none()
    }

    fn now(&self) -> Instant {
        let ns = monotonic_clock::now().saturating_sub(self.origin);
        Instant(ns / 1_000_000)
    }

    /// The next update if one is ready, doing only the IO that needs no
    /// waiting (sending a request, reading what has arrived).
    pub fn try_next(&mut self) -> Option<Update<T>> {
        if let Some(ready) = self.ready.take() {
            return Some(ready);
        }
        while !self.stopped {
            match self.lw.poll_output(self.now()) {
                Output::Send(id, req) => {
                    self.io = Io::None;
                    match self.client.start(&req) {
                        Ok(pending) => self.io = Io::Waiting(id, pending),
                        Err(e) => {
                            self.lw.handle_input(self.now(), Input::Cut { id });
                            return Some(Err(WatchError::Transport(e)));
                        }
                    }
                }
                Output::Cancel(id) => {
                    if self.io.id() == Some(id) {
                        self.io = Io::None;
                    }
                }
                Output::Event(event) => return Some(Ok(event)),
                Output::Error(e) => return Some(Err(WatchError::Protocol(e))),
                Output::Stopped(e) => {
                    self.stopped = true;
                    self.io = Io::None;
                    self.deadline = None;
                    return Some(Err(WatchError::Stopped(e)));
                }
                Output::Idle { deadline } => {
                    self.deadline = deadline;
                    match self.step() {
                        Step::Moved => {}
                        Step::Nothing => return None,
                        Step::Failed(e) => return Some(Err(WatchError::Transport(e))),
                    }
                }
            }
        }
        None
    }

    /// Ready when [`try_next`](Self::try_next) has something to do: an
    /// update is ready, the response (headers or body bytes) has moved, or
    /// the machine's deadline has passed with nothing in flight. While a
    /// response is open this is its pollable alone (one pollable cannot
    /// also be a clock): the machine's stall deadlines are checked
    /// whenever `try_next` runs; [`next`](Self::next) waits on both.
    pub fn subscribe(&mut self) -> Pollable {
        if self.ready.is_none() {
            self.ready = self.try_next();
        }
        if self.ready.is_some() || self.stopped {
            return ready_now();
        }
        if let Some(p) = self.io.subscribe() {
            return p;
        }
        match self.deadline {
            Some(at) => monotonic_clock::subscribe_instant(
                self.origin.saturating_add(at.0.saturating_mul(1_000_000)),
            ),
            None => ready_now(),
        }
    }

    /// Hand the machine what has arrived for the request in flight.
    fn step(&mut self) -> Step {
        let now = self.now();
        match &mut self.io {
            Io::None => Step::Nothing,
            Io::Waiting(id, pending) => {
                let id = *id;
                match pending.try_get() {
                    None => Step::Nothing,
                    Some(Err(e)) => {
                        self.io = Io::None;
                        self.lw.handle_input(now, Input::Cut { id });
                        Step::Failed(e)
                    }
                    Some(Ok(resp)) => {
                        let status = resp.status();
                        let retry_after = crate::client::retry_after(&resp);
                        let headers: Vec<(&str, &str)> = retry_after
                            .as_deref()
                            .map(|v| ("retry-after", v))
                            .into_iter()
                            .collect();
                        let input = Input::Response {
                            id,
                            status,
                            headers: &headers,
                        };
                        self.lw.handle_input(now, input);
                        match Body::new(resp) {
                            Ok(body) => {
                                self.io = Io::Reading(id, body);
                                Step::Moved
                            }
                            Err(e) => {
                                self.io = Io::None;
                                self.lw.handle_input(now, Input::Cut { id });
                                Step::Failed(e)
                            }
                        }
                    }
                }
            }
            Io::Reading(id, body) => {
                let id = *id;
                match body.try_chunk() {
                    Ok(Chunk::Nothing) => Step::Nothing,
                    Ok(Chunk::Bytes(bytes)) => {
                        self.lw.handle_input(now, Input::Body { id, bytes: &bytes });
                        Step::Moved
                    }
                    Ok(Chunk::End) => {
                        self.io = Io::None;
                        self.lw.handle_input(now, Input::End { id });
                        Step::Moved
                    }
                    Err(e) => {
                        self.io = Io::None;
                        self.lw.handle_input(now, Input::Cut { id });
                        Step::Failed(e)
                    }
                }
            }
        }
    }
}

impl<T: DeserializeOwned> Iterator for Watcher<T> {
    type Item = Update<T>;

    /// The next update; blocks until one is ready, sleeping on the
    /// response's pollable and the machine's deadline together. `None`
    /// once the machine has stopped.
    fn next(&mut self) -> Option<Update<T>> {
        loop {
            if let Some(update) = self.try_next() {
                return Some(update);
            }
            let mut waits: Vec<Pollable> = Vec::with_capacity(2);
            waits.extend(self.io.subscribe());
            if let Some(at) = self.deadline {
                let ns = self.origin.saturating_add(at.0.saturating_mul(1_000_000));
                waits.push(monotonic_clock::subscribe_instant(ns));
            }
            if waits.is_empty() {
                // Nothing open and nothing due: only a stopped machine
                // says that.
                return None;
            }
            let refs: Vec<&Pollable> = waits.iter().collect();
            poll::poll(&refs);
        }
    }
}
