//! The list+watch state machine itself.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;

use serde::de::DeserializeOwned;

use core::time::Duration;

use super::backoff::Backoff;
use super::config::{Config, ConfigError, SHORT_WATCH, WATCH_GRACE};
use super::error::Error;
use super::event::{Event, MetaOnly, Object, ObjectKey, Tombstone};
use super::io::{Input, Output, RequestId};
use super::rng::Rng;
use super::time::Instant;
use crate::decode::{DecodeError, EventType, ListDecoder, WatchDecoder};
use crate::pager::Pager;
use crate::params::{ListParams, WatchParams};
use crate::request::Request;
use crate::response::WholeBody;
use crate::status::Status;

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

/// One decoded piece of a response body, owned, so that applying it can
/// change the machine's state. Short-lived (one chunk's worth), so the
/// size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Parsed<T> {
    Object(EventType, Object<T>),
    Bookmark { rv: String, end: bool },
    Status(Status),
    Skipped(Error),
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

    // ---- endings ----

    /// The request failed (cut, broken body, deadline): retry after a
    /// backoff. A failed watch-list makes this sync fall back to LIST, as
    /// client-go does ("making progress is better than deadlocking").
    fn failed(&mut self, now: Instant, error: Option<Error>) {
        let Some(active) = self.active.take() else {
            return;
        };
        if let Some(e) = error {
            self.queue.push_back(Output::Error(e));
        }
        let step = match active.kind {
            Kind::WatchList => {
                if let Some(s) = self.sync.as_mut() {
                    s.use_list = true;
                }
                Step::Sync
            }
            Kind::List => Step::Sync,
            Kind::Watch => Step::Watch,
        };
        let delay = self.backoff.next_delay(now, &mut self.rng);
        self.waiting = Some((now + delay, step));
    }

    /// The body ended cleanly.
    fn ended(&mut self, now: Instant) {
        let Some(mut active) = self.active.take() else {
            return;
        };
        let finished = match &mut active.decoder {
            Decoder::Watch(d) => d.finish(),
            Decoder::List(d) => d.finish(),
        };
        if let Err(e) = finished {
            self.active = Some(active);
            return self.failed(now, Some(Error::Stream(e)));
        }
        match active.kind {
            Kind::WatchList => {
                // Ended before its initial-events-end bookmark: the server
                // ignored sendInitialEvents (or timed out); LIST this time.
                if let Some(s) = self.sync.as_mut() {
                    s.use_list = true;
                }
                self.start(now, Step::Sync);
            }
            Kind::List => {
                let meta = match &active.decoder {
                    Decoder::List(d) => d.metadata().cloned(),
                    Decoder::Watch(_) => None,
                };
                let paged = match self.sync.as_mut().and_then(|s| s.pager.as_mut()) {
                    Some(pager) => pager.page_done(meta.as_ref()).map(|()| pager.is_done()),
                    None => Ok(true),
                };
                match paged {
                    Err(e) => self.stop(Error::Request(e)),
                    Ok(false) => self.start(now, Step::Page),
                    Ok(true) => match meta
                        .and_then(|m| m.resource_version)
                        .filter(|rv| !rv.is_empty())
                    {
                        Some(rv) => {
                            self.complete_sync(rv);
                            self.start(now, Step::Watch);
                        }
                        None => {
                            self.active = Some(active);
                            self.failed(now, Some(Error::NoResourceVersion));
                        }
                    },
                }
            }
            Kind::Watch => {
                if active.delivered == 0 && now.since(active.started) < SHORT_WATCH {
                    // "Very short watch": do not hammer a struggling server.
                    self.active = Some(active);
                    self.failed(now, None);
                } else {
                    // The server's timeout: resume at once, as client-go does.
                    self.start(now, Step::Watch);
                }
            }
        }
    }

    /// The server answered with an error status, or sent an ERROR event.
    fn refused(&mut self, now: Instant, status: Status) {
        let Some(active) = self.active.as_ref() else {
            return;
        };
        let kind = active.kind;
        if status.is_gone() && (kind == Kind::Watch || active.continued) {
            // Our resourceVersion (or continue token) is older than the
            // server's history: relist from "now" and diff. (A 410 for a
            // listing from "now" makes no sense; that one backs off below.)
            self.active = None;
            if self.sync.is_some() {
                self.start(now, Step::Sync);
            } else {
                self.begin_sync(now);
            }
            return;
        }
        // The request cannot be served as asked: a parameter, the media
        // type, the method.
        let refused_as_asked = matches!(status.code, 400 | 405 | 406 | 415 | 422);
        if kind == Kind::WatchList && (400..500).contains(&status.code) && status.code != 429 {
            // A server without watch-list support rejects its parameters
            // (400/422); anything else (403...) falls back for this sync only.
            if matches!(status.code, 400 | 422) && self.support == Support::Unknown {
                self.support = Support::No;
            }
            if let Some(s) = self.sync.as_mut() {
                s.use_list = true;
            }
            self.active = None;
            self.queue
                .push_back(Output::Error(Error::Api(Box::new(status))));
            return self.start(now, Step::Sync);
        }
        if kind == Kind::List && !active.continued && refused_as_asked {
            // The first page is the config's request alone: the same
            // request gets the same answer, so retrying cannot help.
            self.active = None;
            return self.stop(Error::Api(Box::new(status)));
        }
        let wait = status
            .retry_after_seconds()
            .map(|s| Duration::from_secs(u64::from(s)));
        let rewatch = kind == Kind::Watch && refused_as_asked;
        self.failed(now, Some(Error::Api(Box::new(status))));
        if rewatch {
            // A watch refused as asked carries the server's own
            // resourceVersion: relist (after the backoff) instead of
            // asking the same again.
            if let Some((_, step)) = self.waiting.as_mut() {
                *step = Step::Sync;
            }
            if self.sync.is_none() {
                self.sync = Some(Sync::default());
                self.queue.push_back(Output::Event(Event::Init));
            }
        }
        if let (Some(wait), Some((at, _))) = (wait, self.waiting.as_mut()) {
            *at = (*at).max(now + wait);
        }
    }

    // ---- applying decoded input ----

    fn apply(&mut self, now: Instant, parsed: Parsed<T>) {
        let Some(active) = self.active.as_mut() else {
            return;
        };
        active.delivered += 1;
        let kind = active.kind;
        let id = active.id;
        match (kind, parsed) {
            (_, Parsed::Skipped(e)) => self.queue.push_back(Output::Error(e)),
            (Kind::List, Parsed::Object(_, obj))
            | (Kind::WatchList, Parsed::Object(EventType::Added, obj)) => self.sync_item(obj),
            (Kind::WatchList, Parsed::Object(EventType::Modified, obj))
                if self.support == Support::Yes =>
            {
                // Not expected before the end marker, but it is the newest
                // state of the object all the same.
                self.sync_item(obj)
            }
            (Kind::WatchList, Parsed::Bookmark { rv, end: true }) => {
                self.support = Support::Yes;
                self.complete_sync(rv);
                if let Some(a) = self.active.as_mut() {
                    a.kind = Kind::Watch;
                }
            }
            (Kind::WatchList, Parsed::Object(..) | Parsed::Bookmark { .. })
                if self.support != Support::Yes =>
            {
                // Changes or plain bookmarks before the end marker: the
                // server treated this as a legacy watch. LIST instead.
                self.support = Support::No;
                self.queue.push_back(Output::Cancel(id));
                self.active = None;
                self.start(now, Step::Sync);
            }
            // A deletion is not "seen", so the sync's end reports it;
            // a plain bookmark carries nothing the end marker will not.
            (Kind::WatchList, Parsed::Object(..) | Parsed::Bookmark { .. }) => {}
            (_, Parsed::Status(status)) => {
                self.queue.push_back(Output::Cancel(id));
                self.refused(now, status);
            }
            (Kind::List, Parsed::Bookmark { .. }) => {}
            (Kind::Watch, Parsed::Bookmark { rv, .. }) => {
                self.rv = Some(rv.clone());
                self.queue.push_back(Output::Event(Event::Bookmark {
                    resource_version: rv,
                }));
            }
            (Kind::Watch, Parsed::Object(EventType::Deleted, obj)) => {
                self.known.remove(&obj.meta.key);
                self.rv = Some(obj.meta.resource_version.clone());
                self.queue.push_back(Output::Event(Event::Delete(obj)));
            }
            (Kind::Watch, Parsed::Object(_, obj)) => {
                self.known
                    .insert(obj.meta.key.clone(), obj.meta.resource_version.clone());
                self.rv = Some(obj.meta.resource_version.clone());
                self.queue.push_back(Output::Event(Event::Apply(obj)));
            }
        }
    }

    /// An object of a sync's listing: every one is reported, changed or
    /// not, so that the listing is whole for a consumer that rebuilds from
    /// it (kube-runtime's contract).
    fn sync_item(&mut self, obj: Object<T>) {
        if let Some(sync) = self.sync.as_mut() {
            sync.seen.insert(obj.meta.key.clone());
        }
        match self.known.get_mut(&obj.meta.key) {
            Some(rv) if *rv == obj.meta.resource_version => {}
            Some(rv) => rv.clone_from(&obj.meta.resource_version),
            None => {
                self.known
                    .insert(obj.meta.key.clone(), obj.meta.resource_version.clone());
            }
        }
        self.queue.push_back(Output::Event(Event::InitApply(obj)));
    }

    /// The listing is complete at `rv`: what it did not show is gone.
    fn complete_sync(&mut self, rv: String) {
        let sync = self.sync.take().unwrap_or_default();
        let vanished: Vec<ObjectKey> = self
            .known
            .keys()
            .filter(|k| !sync.seen.contains(*k))
            .cloned()
            .collect();
        for key in vanished {
            if let Some(last_rv) = self.known.remove(&key) {
                self.queue
                    .push_back(Output::Event(Event::InitDelete(Tombstone {
                        key,
                        resource_version: last_rv,
                    })));
            }
        }
        self.rv = Some(rv.clone());
        self.queue.push_back(Output::Event(Event::InitDone {
            resource_version: rv,
        }));
    }
}

/// Decode what a chunk completes. Returns the pieces and, if the stream is
/// broken, why (the pieces before the break are still good).
fn parse_chunk<T: DeserializeOwned>(
    decoder: &mut Decoder,
    bytes: &[u8],
) -> (Vec<Parsed<T>>, Option<DecodeError>) {
    let mut out = Vec::new();
    match decoder {
        Decoder::Watch(d) => {
            d.feed(bytes);
            loop {
                match d.next_event() {
                    Ok(Some(ev)) => out.push(match ev.event_type() {
                        EventType::Bookmark => Parsed::Bookmark {
                            rv: ev.resource_version().unwrap_or("").into(),
                            end: ev.is_initial_events_end(),
                        },
                        EventType::Error => {
                            Parsed::Status(ev.deserialize::<Status>().unwrap_or_else(|_| {
                                Status::from_response(500, None, ev.raw_object())
                            }))
                        }
                        ty => object(
                            ev.deserialize::<MetaOnly<'_>>(),
                            ev.deserialize::<T>(),
                            ev.offset(),
                        )
                        .map_or_else(Parsed::Skipped, |o| Parsed::Object(ty, o)),
                    }),
                    Ok(None) => return (out, None),
                    Err(e) => return (out, Some(e)),
                }
            }
        }
        Decoder::List(d) => {
            d.feed(bytes);
            loop {
                match d.next_item() {
                    Ok(Some(item)) => out.push(
                        object(
                            item.deserialize::<MetaOnly<'_>>(),
                            item.deserialize::<T>(),
                            item.offset(),
                        )
                        .map_or_else(Parsed::Skipped, |o| Parsed::Object(EventType::Added, o)),
                    ),
                    Ok(None) => return (out, None),
                    Err(e) => return (out, Some(e)),
                }
            }
        }
    }
}

fn object<T>(
    meta: Result<MetaOnly<'_>, DecodeError>,
    value: Result<T, DecodeError>,
    offset: u64,
) -> Result<Object<T>, Error> {
    let meta = meta.map_err(|error| Error::Metadata { error })?;
    let meta = meta.into_meta().ok_or(Error::Unnamed { offset })?;
    let value = value.map_err(|error| Error::Object {
        key: format!("{}", meta.key),
        error,
    })?;
    Ok(Object { meta, value })
}
