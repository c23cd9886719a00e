//! How a request ends: cleanly, cut, or refused; what the machine asks
//! for next in each case (client-go's reflector rules).

use alloc::boxed::Box;

use core::time::Duration;

use super::{Decoder, Kind, ListWatch, Step, Support, Sync};
use crate::listwatch::config::SHORT_WATCH;
use crate::listwatch::error::Error;
use crate::listwatch::event::Event;
use crate::listwatch::io::Output;
use crate::listwatch::time::Instant;
use crate::status::Status;

impl<T: serde::de::DeserializeOwned> ListWatch<T> {
    /// The request failed (cut, broken body, deadline): retry after a
    /// backoff. A failed watch-list makes this sync fall back to LIST, as
    /// client-go does ("making progress is better than deadlocking").
    pub(super) fn failed(&mut self, now: Instant, error: Option<Error>) {
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
    pub(super) fn ended(&mut self, now: Instant) {
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
    pub(super) fn refused(&mut self, now: Instant, status: Status) {
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
}
