//! The list+watch driver: runs the core's [`ListWatch`] over a [`Client`]
//! and hands its events out as a [`Stream`].
//!
//! All protocol decisions (which request, when to retry, what a response
//! means) are the core machine's; this file is its drive loop: send what
//! it asks, push response bytes back as they arrive, sleep until its
//! deadline. Optionally it keeps a shared [`Store`] current and a
//! [`DiskCache`] on disk, and on start emits the
//! cached state at once (marked [`Update::cached`]) before resuming the
//! watch from the cached resourceVersion.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use kubewire::known;
//! use kubewire::listwatch::{Config, Event};
//! use kubewire_hyper::watcher::Watcher;
//!
//! #[derive(Clone, serde::Deserialize)]
//! struct ConfigMap {
//!     #[serde(default)]
//!     data: std::collections::BTreeMap<String, String>,
//! }
//!
//! # async fn run() -> Result<(), kubewire_hyper::Error> {
//! let client = kubewire_hyper::Client::infer()?;
//! let config = Config::new(known::config_maps().within("demo")).fields("metadata.name=app-config");
//! let mut changes = Watcher::<ConfigMap>::new(client, config)?;
//! while let Some(update) = changes.next().await {
//!     match update.map(|u| u.event) {
//!         Ok(Event::InitApply(cm) | Event::Apply(cm)) => println!("mode = {:?}", cm.value.data.get("mode")),
//!         Ok(Event::Delete(_) | Event::InitDelete(_)) => println!("gone"),
//!         Ok(_) => {}
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use futures_core::Stream;
use http_body::Body;
use hyper::body::Incoming;
use kubewire::listwatch::{
    self, Config, Event, Input, Instant, ListWatch, ObjectKey, Output, RequestId,
};
use kubewire::store::Store;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::cache::{CacheSink, DiskCache, Sink, StoreSink};
use crate::{Client, Error};

/// Events buffered between the driver and a slow consumer; beyond it the
/// driver stops reading the response (TCP backpressure), never buffers more.
const CHANNEL: usize = 256;

/// One event, and whether it came from the disk cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Update<T> {
    /// The event.
    pub event: Event<T>,
    /// `true` for the state loaded from the disk cache at start (possibly
    /// stale); `false` for everything the server said.
    pub cached: bool,
}

/// Something the driver met. All but [`WatchError::Stopped`] are being
/// recovered from, and the stream goes on.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchError {
    /// Sending a request or reading its body failed.
    Transport(Error),
    /// The machine reports a problem (error status, broken stream, object
    /// that does not fit the type).
    Protocol(listwatch::Error),
    /// The machine stopped: retrying cannot fix this (the server refuses
    /// the LIST the config asks for). The stream ends after it.
    Stopped(listwatch::Error),
    /// The disk cache could not be written; the watch goes on without it
    /// being current.
    Cache(io::Error),
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::Transport(e) => write!(f, "{e}"),
            WatchError::Protocol(e) => write!(f, "{e}"),
            WatchError::Stopped(e) => write!(f, "stopped: {e}"),
            WatchError::Cache(e) => write!(f, "disk cache: {e}"),
        }
    }
}

impl std::error::Error for WatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WatchError::Transport(e) => Some(e),
            WatchError::Protocol(e) | WatchError::Stopped(e) => Some(e),
            WatchError::Cache(e) => Some(e),
        }
    }
}

/// The jitter seed: the config's (a test's constant), else the operating
/// system's randomness, so that clients restarted together do not retry in
/// lockstep.
fn seeded(mut config: Config) -> Result<Config, Error> {
    if config.seed.is_none() {
        let mut bytes = [0u8; 8];
        getrandom::getrandom(&mut bytes).map_err(Error::Entropy)?;
        config.seed = Some(u64::from_le_bytes(bytes));
    }
    Ok(config)
}

/// A collection kept in view: a [`Stream`] of [`Update`]s (and of
/// [`WatchError`]s it recovers from). Dropping it stops the driver task.
pub struct Watcher<T> {
    rx: mpsc::Receiver<Result<Update<T>, WatchError>>,
    task: tokio::task::JoinHandle<()>,
    store: Option<Arc<RwLock<Store<T>>>>,
    /// The cached state still to hand out ([`Watcher::cached`]).
    replay: Option<Replay<T>>,
}

impl<T> fmt::Debug for Watcher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("store", &self.store.is_some())
            .finish()
    }
}

impl<T: DeserializeOwned + Send + Sync + 'static> Watcher<T> {
    /// Watch `config`'s collection; objects are only in the events.
    /// Needs a tokio runtime. The config is checked first; without a seed
    /// it gets one from the operating system.
    pub fn new(client: Client, config: Config) -> Result<Self, Error> {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let lw = ListWatch::new(seeded(config)?, Instant(0)).map_err(Error::Watch)?;
        let task = tokio::spawn(drive(client, lw, tx, None));
        Ok(Watcher {
            rx,
            task,
            store: None,
            replay: None,
        })
    }

    /// Watch from `resource_version` without listing first, e.g. after a
    /// listing of one's own (as `kw get -w` prints one). Known objects are
    /// none, so should the history be gone (410), the relist reports every
    /// object as `InitApply`.
    pub fn from_version(
        client: Client,
        config: Config,
        resource_version: &str,
    ) -> Result<Self, Error> {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let lw = ListWatch::resume(seeded(config)?, Instant(0), resource_version, [])
            .map_err(Error::Watch)?;
        let task = tokio::spawn(drive(client, lw, tx, None));
        Ok(Watcher {
            rx,
            task,
            store: None,
            replay: None,
        })
    }

    /// Watch and also keep a shared [`Store`] current ([`Watcher::store`]).
    pub fn with_store(client: Client, config: Config) -> Result<Self, Error>
    where
        T: Clone,
    {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let store = Arc::new(RwLock::new(Store::new()));
        let sink = Box::new(StoreSink {
            store: store.clone(),
        });
        let lw = ListWatch::new(seeded(config)?, Instant(0)).map_err(Error::Watch)?;
        let task = tokio::spawn(drive(client, lw, tx, Some(sink)));
        Ok(Watcher {
            rx,
            task,
            store: Some(store),
            replay: None,
        })
    }

    /// Watch with a disk cache in `dir` (one directory per collection).
    /// The cached state comes out first, at once, as `Init`, `InitApply`...,
    /// `InitDone` marked [`Update::cached`]; then the watch resumes from the
    /// cached resourceVersion (a relist, reported as a diff, if the server
    /// no longer has that history). Also keeps a shared [`Store`].
    pub fn cached(client: Client, config: Config, dir: &Path) -> Result<Self, Error>
    where
        T: Clone + Serialize,
    {
        let config = seeded(config)?;
        // Checked before the cache is touched: a config the core refuses
        // opens nothing.
        ListWatch::<T>::new(config.clone(), Instant(0)).map_err(Error::Watch)?;
        let (cache, loaded) =
            DiskCache::open::<T>(dir, &config.identity()).map_err(|source| Error::Cache {
                dir: dir.display().to_string(),
                source,
            })?;
        let (tx, rx) = mpsc::channel(CHANNEL);
        let store = Arc::new(RwLock::new(loaded.store));
        let sink = Box::new(CacheSink::new(store.clone(), cache));
        let (go, started) = oneshot::channel::<()>();
        let replay = loaded.resource_version.clone().map(|rv| Replay {
            store: store.clone(),
            phase: Phase::Init,
            resource_version: rv,
            after: None,
            buffer: VecDeque::new(),
            fill: fill::<T>,
            _go: go,
        });
        let resume = loaded.resource_version;
        let shared = store.clone();
        let task = tokio::spawn(async move {
            // The consumer replays the cached state from the store itself
            // (see `Replay`); nothing may write the store until it is done,
            // so the driver waits for the end of the replay (the sender is
            // dropped then), and the versions it resumes from are the ones
            // loaded.
            let _ = started.await;
            let lw = match resume {
                Some(rv) => {
                    let known: Vec<_> = shared
                        .read()
                        .unwrap_or_else(|p| p.into_inner())
                        .versions()
                        .collect();
                    ListWatch::resume(config, Instant(0), &rv, known)
                }
                None => ListWatch::new(config, Instant(0)),
            };
            // Checked above with the same config: only the resume point
            // differs, and the core does not refuse any resourceVersion.
            let Ok(lw) = lw else { return };
            drive(client, lw, tx, Some(sink)).await
        });
        Ok(Watcher {
            rx,
            task,
            store: Some(store),
            replay,
        })
    }
}

impl<T> Watcher<T> {
    /// The shared store, for watchers made with [`Watcher::with_store`] or
    /// [`Watcher::cached`]. It is updated before each event is handed out.
    pub fn store(&self) -> Option<Arc<RwLock<Store<T>>>> {
        self.store.clone()
    }
}

// No field is ever pinned (the events are moved out whole).
impl<T> Unpin for Watcher<T> {}

impl<T> Stream for Watcher<T> {
    type Item = Result<Update<T>, WatchError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(replay) = &mut self.replay {
            match replay.next() {
                Some(Some(event)) => {
                    return Poll::Ready(Some(Ok(Update {
                        event,
                        cached: true,
                    })))
                }
                // A slice is done: let the runtime run others first.
                Some(None) => {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                // Over: dropping it lets the driver start.
                None => self.replay = None,
            }
        }
        self.rx.poll_recv(cx)
    }
}

impl<T> Drop for Watcher<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Tx<T> = mpsc::Sender<Result<Update<T>, WatchError>>;

/// Objects handed out per slice of the replay (one read lock each).
const SLICE: usize = 1024;

/// The cached state as `Init`, `InitApply`..., `InitDone`, marked cached,
/// produced in the consumer's own polls straight from the loaded store:
/// no task hop or channel per object, only the copies each event owns
/// (a restart of 100,000 objects is mostly this).
struct Replay<T> {
    store: Arc<RwLock<Store<T>>>,
    phase: Phase,
    resource_version: String,
    /// The last key handed out.
    after: Option<ObjectKey>,
    buffer: VecDeque<Event<T>>,
    /// Copies the next slice (a fn pointer made where `T: Clone` is known,
    /// so the `Stream` impl needs no bound).
    fill: fn(&Store<T>, Option<&ObjectKey>, &mut VecDeque<Event<T>>),
    /// Dropped with the replay: the driver waits for that.
    _go: oneshot::Sender<()>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Init,
    Objects,
    Done,
    Over,
}

impl<T> Replay<T> {
    /// The next event; `Some(None)` between slices; `None` when over.
    fn next(&mut self) -> Option<Option<Event<T>>> {
        match self.phase {
            Phase::Init => {
                self.phase = Phase::Objects;
                Some(Some(Event::Init))
            }
            Phase::Objects => {
                if let Some(event) = self.buffer.pop_front() {
                    return Some(Some(event));
                }
                {
                    let store = self.store.read().unwrap_or_else(|p| p.into_inner());
                    (self.fill)(&store, self.after.as_ref(), &mut self.buffer);
                }
                match self.buffer.back() {
                    Some(Event::InitApply(last)) => {
                        self.after = Some(last.meta.key.clone());
                        Some(None)
                    }
                    _ => {
                        self.phase = Phase::Done;
                        self.next()
                    }
                }
            }
            Phase::Done => {
                self.phase = Phase::Over;
                Some(Some(Event::InitDone {
                    resource_version: core::mem::take(&mut self.resource_version),
                }))
            }
            Phase::Over => None,
        }
    }
}

/// One slice of the store after `after`, as `InitApply` events.
fn fill<T: Clone>(store: &Store<T>, after: Option<&ObjectKey>, out: &mut VecDeque<Event<T>>) {
    out.extend(store.iter_after(after).take(SLICE).map(|(key, o)| {
        Event::InitApply(listwatch::Object {
            meta: listwatch::ObjectMeta {
                key: key.clone(),
                resource_version: o.resource_version.clone(),
                labels: o.labels.clone(),
            },
            value: o.value.clone(),
        })
    }));
}

/// What woke the driver.
enum Wake {
    Frame(Option<Result<hyper::body::Frame<bytes::Bytes>, hyper::Error>>),
    Deadline,
}

/// The drive loop. Returns when the consumer is gone.
async fn drive<T: DeserializeOwned + Send + 'static>(
    client: Client,
    mut lw: ListWatch<T>,
    tx: Tx<T>,
    mut sink: Option<Box<dyn Sink<T>>>,
) {
    let origin = tokio::time::Instant::now();
    let now = || Instant::since_origin(origin.elapsed());
    let mut body: Option<(RequestId, Incoming)> = None;
    loop {
        let deadline = loop {
            match lw.poll_output(now()) {
                Output::Send(id, req) => {
                    body = None;
                    match client.send(&req).await {
                        Ok(resp) => {
                            let (parts, incoming) = resp.into_parts();
                            let headers: Vec<(&str, &str)> = parts
                                .headers
                                .iter()
                                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
                                .collect();
                            let status = parts.status.as_u16();
                            lw.handle_input(
                                now(),
                                Input::Response {
                                    id,
                                    status,
                                    headers: &headers,
                                },
                            );
                            body = Some((id, incoming));
                        }
                        Err(e) => {
                            lw.handle_input(now(), Input::Cut { id });
                            if tx.send(Err(WatchError::Transport(e))).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                Output::Cancel(id) => {
                    if body.as_ref().is_some_and(|(b, _)| *b == id) {
                        body = None;
                    }
                }
                Output::Event(event) => {
                    if let Some(s) = sink.as_mut() {
                        if let Err(e) = s.event(&event) {
                            if tx.send(Err(WatchError::Cache(e))).await.is_err() {
                                return;
                            }
                        }
                    }
                    if tx
                        .send(Ok(Update {
                            event,
                            cached: false,
                        }))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Output::Error(e) => {
                    if tx.send(Err(WatchError::Protocol(e))).await.is_err() {
                        return;
                    }
                }
                Output::Stopped(e) => {
                    // Retrying cannot fix it: say why and end the stream.
                    let _ = tx.send(Err(WatchError::Stopped(e))).await;
                    return;
                }
                Output::Idle { deadline } => break deadline,
            }
        };
        if let Some(s) = sink.as_mut() {
            if let Err(e) = s.batch_end() {
                if tx.send(Err(WatchError::Cache(e))).await.is_err() {
                    return;
                }
            }
        }
        let mut sleep =
            deadline.map(|d| Box::pin(tokio::time::sleep_until(origin + d.as_duration())));
        let wake = poll_fn(|cx| {
            if let Some((_, b)) = body.as_mut() {
                if let Poll::Ready(frame) = Pin::new(b).poll_frame(cx) {
                    return Poll::Ready(Wake::Frame(frame));
                }
            }
            if let Some(s) = sleep.as_mut() {
                if s.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Wake::Deadline);
                }
            }
            Poll::Pending
        })
        .await;
        let Wake::Frame(frame) = wake else { continue };
        let Some((id, _)) = body.as_ref() else {
            continue;
        };
        let id = *id;
        match frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    lw.handle_input(now(), Input::Body { id, bytes: data });
                }
            }
            Some(Err(source)) => {
                body = None;
                lw.handle_input(now(), Input::Cut { id });
                if tx
                    .send(Err(WatchError::Transport(Error::Body { source })))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            None => {
                body = None;
                lw.handle_input(now(), Input::End { id });
            }
        }
    }
}
