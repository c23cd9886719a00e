//! The list+watch state machine itself.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use core::marker::PhantomData;

use serde::de::DeserializeOwned;

use core::time::Duration;

use super::backoff::Backoff;
use super::config::{Config, ConfigError, WATCH_GRACE};
use super::error::Error;
use super::event::{Event, ObjectKey};
use super::io::{Input, Output, RequestId};
use super::rng::Rng;
use super::time::Instant;
use crate::decode::{ListDecoder, WatchDecoder};
use crate::pager::Pager;
use crate::params::{ListParams, WatchParams};
use crate::request::Request;
use crate::response::WholeBody;

mod apply;
mod recovery;

use apply::parse_chunk;

/// Whether the server streams watch-lists, as far as the machine has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Support {
    Unknown,
    Yes,
    No,
}

/// The request the machine starts next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Whatever the current sync uses: watch-list or LIST from page one.
    Sync,
    /// The next page of the sync's LIST.
    Page,
    /// A watch from the last resourceVersion.
    Watch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A watch-list still in its initial events.
    WatchList,
    List,
    /// A watch (or a watch-list past its initial-events-end bookmark).
    Watch,
}

#[derive(Debug)]
enum Decoder {
    Watch(WatchDecoder),
    List(ListDecoder),
}

/// The request in flight.
#[derive(Debug)]
struct Active {
    id: RequestId,
    kind: Kind,
    started: Instant,
    /// When the last byte (or the response head) came.
    progress: Instant,
    /// When a watch must have ended: its timeout plus grace.
    watch_deadline: Option<Instant>,
    status: Option<u16>,
    decoder: Decoder,
    /// The body of an error answer, on its way to a `Status`.
    error_body: Option<WholeBody>,
    delivered: u64,
    /// A LIST page after the first (it carries a continue token).
    continued: bool,
}

impl Active {
    fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Until the response head, any request must make progress; a LIST and
    /// a watch-list's initial events must keep making it; a watch may be
    /// quiet until its timeout.
    fn deadline(&self, progress_timeout: Duration) -> (Option<Instant>, bool) {
        let stalls = self.status.is_none() || matches!(self.kind, Kind::List | Kind::WatchList);
        match (stalls, self.watch_deadline) {
            (true, Some(w)) => {
                let p = self.progress + progress_timeout;
                if p < w {
                    (Some(p), true)
                } else {
                    (Some(w), false)
                }
            }
            (true, None) => (Some(self.progress + progress_timeout), true),
            (false, w) => (w, false),
        }
    }
}

/// A sync in progress: which keys this attempt's listing has shown.
#[derive(Debug, Default)]
struct Sync {
    seen: BTreeSet<ObjectKey>,
    /// This sync falls back to LIST (the watch-list attempt failed).
    use_list: bool,
    /// The LIST's pages, once the sync lists.
    pager: Option<Pager>,
}

/// The list+watch state machine: client-go's reflector without IO.
///
/// Drive it with [`poll_output`](Self::poll_output) until it returns
/// [`Output::Idle`], then wait for input or the deadline, hand input in with
/// [`handle_input`](Self::handle_input), and poll again. See the
/// [module docs](super) for the drive loop as a compiled example.
///
/// Memory: besides the request in flight (bounded by one object), the
/// machine keeps the key and resourceVersion of every object it has
/// reported, never the objects. That set is what lets a relist report
/// the objects that vanished while away as deletions.
#[derive(Debug)]
pub struct ListWatch<T> {
    config: Config,
    rng: Rng,
    backoff: Backoff,
    next_id: u64,
    waiting: Option<(Instant, Step)>,
    active: Option<Active>,
    sync: Option<Sync>,
    known: BTreeMap<ObjectKey, String>,
    rv: Option<String>,
    support: Support,
    queue: VecDeque<Output<T>>,
    stopped: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> ListWatch<T> {
    /// A machine that starts with a full sync at `now`. The config is
    /// checked first (see [`ConfigError`]): a mistake in it is this one
    /// error, never a request the server refuses again and again.
    pub fn new(config: Config, now: Instant) -> Result<Self, ConfigError> {
        let mut lw = Self::blank(config)?;
        lw.begin_sync(now);
        Ok(lw)
    }

    /// A machine that already holds the state at `resource_version` (e.g.
    /// loaded from a disk cache): it watches from there without listing.
    /// `known` are the keys and resourceVersions of that state; should the
    /// server no longer have the history (410), the relist reports what
    /// changed against them, including deletions.
    pub fn resume(
        config: Config,
        now: Instant,
        resource_version: &str,
        known: impl IntoIterator<Item = (ObjectKey, String)>,
    ) -> Result<Self, ConfigError> {
        let mut lw = Self::blank(config)?;
        lw.known = known.into_iter().collect();
        lw.rv = Some(resource_version.into());
        lw.waiting = Some((now, Step::Watch));
        Ok(lw)
    }

    fn blank(config: Config) -> Result<Self, ConfigError> {
        let seed = config.check()?;
        Ok(ListWatch {
            rng: Rng::new(seed),
            backoff: Backoff::new(config.backoff),
            support: if config.watch_list {
                Support::Unknown
            } else {
                Support::No
            },
            config,
            next_id: 0,
            waiting: None,
            active: None,
            sync: None,
            known: BTreeMap::new(),
            rv: None,
            queue: VecDeque::new(),
            stopped: false,
            _t: PhantomData,
        })
    }

    /// Whether the machine has stopped ([`Output::Stopped`]).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The newest resourceVersion seen (from a listing, an event or a
    /// bookmark); `None` before the first sync completes.
    pub fn resource_version(&self) -> Option<&str> {
        self.rv.as_deref()
    }

    /// Whether a sync is in progress (between `Init` and `InitDone`).
    pub fn is_syncing(&self) -> bool {
        self.sync.is_some()
    }

    /// How many objects the machine believes exist (those it reported).
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether no objects are known.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// What to do next. Call until it returns [`Output::Idle`]; call again
    /// after any [`handle_input`](Self::handle_input) and when the idle
    /// deadline passes.
    pub fn poll_output(&mut self, now: Instant) -> Output<T> {
        loop {
            if let Some(out) = self.queue.pop_front() {
                return out;
            }
            if let Some((at, _)) = &self.waiting {
                if now >= *at {
                    let (_, step) = self.waiting.take().expect("checked above");
                    self.start(now, step);
                    continue;
                }
                return Output::Idle {
                    deadline: Some(*at),
                };
            }
            let Some(a) = &self.active else {
                return Output::Idle { deadline: None };
            };
            match a.deadline(self.config.progress_timeout) {
                (Some(d), stalled) if now >= d => {
                    // Stalled (nothing for a while), or a watch the
                    // server should have ended long ago: cut, retry.
                    let id = a.id;
                    self.queue.push_back(Output::Cancel(id));
                    let error = stalled.then_some(Error::Stalled {
                        after: self.config.progress_timeout,
                    });
                    self.failed(now, error);
                    continue;
                }
                (deadline, _) => return Output::Idle { deadline },
            }
        }
    }

    /// Tell the machine what happened to a request. Input for a request it
    /// no longer waits for is ignored.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        if self.stopped {
            return;
        }
        let Some(active) = self.active.as_mut() else {
            return;
        };
        if active.id != input.id() {
            return;
        }
        active.progress = now;
        match input {
            Input::Response {
                status, headers, ..
            } => {
                active.status = Some(status);
                if !active.ok() {
                    let retry_after = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                        .map(|(_, v)| *v);
                    active.error_body = Some(WholeBody::new(status, retry_after));
                }
            }
            Input::Body { bytes, .. } if active.ok() => {
                let (parsed, broken) = parse_chunk::<T>(&mut active.decoder, bytes);
                let id = active.id;
                for p in parsed {
                    if self.active.as_ref().map(|a| a.id) != Some(id) {
                        break; // abandoned while applying
                    }
                    self.apply(now, p);
                }
                if let Some(e) = broken {
                    if self.active.as_ref().map(|a| a.id) == Some(id) {
                        self.queue.push_back(Output::Cancel(id));
                        self.failed(now, Some(Error::Stream(e)));
                    }
                }
            }
            Input::Body { bytes, .. } => {
                // An error answer's body; past the limit the rest is not
                // kept, and the Status is made from what is.
                if let Some(body) = active.error_body.as_mut() {
                    body.push(bytes);
                }
            }
            Input::End { .. } if active.ok() => self.ended(now),
            Input::End { .. } | Input::Cut { .. } if active.error_body.is_some() => {
                let status = active.error_body.as_ref().map(WholeBody::status);
                if let Some(status) = status {
                    self.refused(now, status);
                }
            }
            Input::End { .. } | Input::Cut { .. } => self.failed(now, None),
        }
    }

    // ---- starting requests ----

    fn begin_sync(&mut self, now: Instant) {
        self.sync = Some(Sync::default());
        self.queue.push_back(Output::Event(Event::Init));
        self.waiting = None;
        self.start(now, Step::Sync);
    }

    fn start(&mut self, now: Instant, step: Step) {
        match step {
            Step::Sync if self.uses_watch_list() => {
                self.restart_listing();
                match self.watch_request(WatchParams::watch_list()) {
                    Ok((req, timeout)) => {
                        self.send(now, Kind::WatchList, req, Some(timeout), false)
                    }
                    Err(e) => self.stop(Error::Request(e)),
                }
            }
            Step::Sync => {
                // resourceVersion unset: a consistent read of the newest
                // state. Never "0", which may be served from a stale cache.
                let params = ListParams {
                    label_selector: self.config.label_selector.clone(),
                    field_selector: self.config.field_selector.clone(),
                    limit: self.config.page_size,
                    ..ListParams::default()
                };
                match Pager::new(self.config.collection.clone(), params) {
                    Ok(pager) => {
                        self.restart_listing();
                        self.sync.get_or_insert_with(Sync::default).pager = Some(pager);
                        self.send_page(now);
                    }
                    Err(e) => self.stop(Error::Request(e)),
                }
            }
            Step::Page => self.send_page(now),
            Step::Watch => match self.rv.clone() {
                Some(rv) => match self.watch_request(WatchParams::from_version(&rv)) {
                    Ok((req, timeout)) => self.send(now, Kind::Watch, req, Some(timeout), false),
                    // The config was checked in `new`: what fails here is
                    // the server's resourceVersion, and asking again would
                    // send the same.
                    Err(e) => self.stop(Error::Request(e)),
                },
                None => self.begin_sync(now),
            },
        }
    }

    /// A listing starts again (its first attempt was cut or refused). If
    /// the earlier attempt already reported objects, a fresh `Init` says
    /// so, as kube-runtime's watcher does: a consumer that buffers from
    /// `Init` must drop what it buffered, or an object deleted between the
    /// attempts would survive in its buffer (the `InitDelete` that removes
    /// it from an in-place store means nothing to a buffer).
    fn restart_listing(&mut self) {
        let sync = self.sync.get_or_insert_with(Sync::default);
        if !sync.seen.is_empty() {
            sync.seen.clear();
            self.queue.push_back(Output::Event(Event::Init));
        }
    }

    /// Send the sync pager's next page.
    fn send_page(&mut self, now: Instant) {
        let pager = self.sync.as_ref().and_then(|s| s.pager.as_ref());
        let continued = pager.is_some_and(Pager::is_continued);
        match pager.and_then(Pager::next_request).cloned() {
            Some(req) => self.send(now, Kind::List, req, None, continued),
            // Only asked for while the pager has a page; without one there
            // is no resourceVersion to complete the listing at.
            None => {
                self.queue
                    .push_back(Output::Error(Error::NoResourceVersion));
                let delay = self.backoff.next_delay(now, &mut self.rng);
                self.waiting = Some((now + delay, Step::Sync));
            }
        }
    }

    fn send(
        &mut self,
        now: Instant,
        kind: Kind,
        mut req: Request,
        timeout: Option<Duration>,
        continued: bool,
    ) {
        for (k, v) in &self.config.headers {
            req.set_header(k, v);
        }
        self.next_id += 1;
        let id = RequestId(self.next_id);
        self.active = Some(Active {
            id,
            kind,
            started: now,
            progress: now,
            watch_deadline: timeout.map(|t| now + t + WATCH_GRACE),
            status: None,
            decoder: match kind {
                Kind::List => Decoder::List(ListDecoder::new()),
                Kind::Watch | Kind::WatchList => Decoder::Watch(WatchDecoder::new()),
            },
            error_body: None,
            delivered: 0,
            continued,
        });
        self.queue.push_back(Output::Send(id, req));
    }

    /// Stop for good: cancel what is in flight and say why, once.
    fn stop(&mut self, error: Error) {
        if let Some(a) = self.active.take() {
            self.queue.push_back(Output::Cancel(a.id));
        }
        self.waiting = None;
        self.stopped = true;
        self.queue.push_back(Output::Stopped(error));
    }

    fn uses_watch_list(&self) -> bool {
        self.support != Support::No && !self.sync.as_ref().is_some_and(|s| s.use_list)
    }

    fn watch_request(
        &mut self,
        mut params: WatchParams,
    ) -> Result<(Request, Duration), crate::RequestError> {
        // client-go: timeoutSeconds = minWatchTimeout * (1 + rand).
        let min = self.config.min_watch_timeout.as_secs();
        let secs = min + (min as f64 * self.rng.next_f64()) as u64;
        params.timeout = Some(u32::try_from(secs).unwrap_or(u32::MAX));
        params
            .label_selector
            .clone_from(&self.config.label_selector);
        params
            .field_selector
            .clone_from(&self.config.field_selector);
        Ok((
            self.config.collection.watch(&params)?,
            Duration::from_secs(secs),
        ))
    }
}
