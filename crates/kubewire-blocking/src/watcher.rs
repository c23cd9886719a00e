//! The list+watch driver: the core's [`ListWatch`] run on the calling
//! thread, its events handed out as an [`Iterator`].
//!
//! All protocol decisions (which request, when to retry, what a response
//! means) are the core machine's; this file is its drive loop, the blocking
//! twin of `kubewire-hyper`'s: send what it asks, push response bytes back
//! as they arrive, and wait until its deadline. While a response is open
//! the wait is the socket's read timeout, set to the time left until the
//! deadline; with nothing open it is a sleep. There is no other thread.
//!
//! ```no_run
//! use kubewire::known;
//! use kubewire::listwatch::{Config, Event};
//! use kubewire_blocking::watcher::Watcher;
//!
//! #[derive(serde::Deserialize)]
//! struct ConfigMap {
//!     #[serde(default)]
//!     data: std::collections::BTreeMap<String, String>,
//! }
//!
//! let client = kubewire_blocking::Client::infer()?;
//! let config = Config::new(known::config_maps().within("demo")).fields("metadata.name=app-config");
//! for update in Watcher::<ConfigMap>::new(client, config)? {
//!     match update {
//!         Ok(Event::InitApply(cm) | Event::Apply(cm)) => println!("mode = {:?}", cm.value.data.get("mode")),
//!         Ok(Event::Delete(_) | Event::InitDelete(_)) => println!("gone"),
//!         Ok(_) => {}
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! # Ok::<(), kubewire_blocking::Error>(())
//! ```

use std::fmt;
use std::time::Duration;

use kubewire::listwatch::{self, Config, Event, Input, Instant, ListWatch, Output, RequestId};
use serde::de::DeserializeOwned;

use crate::client::{Client, Response};
use crate::error::{is_timeout, Error};

/// Something the driver met. All but [`WatchError::Stopped`] are being
/// recovered from, and the iteration goes on.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchError {
    /// Sending a request or reading its body failed.
    Transport(Error),
    /// The machine reports a problem (error status, broken stream, object
    /// that does not fit the type).
    Protocol(listwatch::Error),
    /// The machine stopped: retrying cannot fix this (the server refuses
    /// the LIST the config asks for). The iterator ends after it.
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

/// A collection kept in view: an [`Iterator`] of the machine's events
/// (and of the [`WatchError`]s it recovers from). Each `next()` does the
/// IO the machine asks for on the calling thread until an event is ready;
/// it blocks for as long as nothing changes.
pub struct Watcher<T> {
    client: Client,
    lw: ListWatch<T>,
    origin: std::time::Instant,
    body: Option<(RequestId, Response)>,
    done: bool,
}

impl<T> fmt::Debug for Watcher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("client", &self.client)
            .field("open", &self.body.is_some())
            .field("done", &self.done)
            .finish()
    }
}

impl<T: DeserializeOwned> Watcher<T> {
    /// Watch `config`'s collection. The config is checked first; without
    /// a seed it gets one from the operating system. Nothing is sent until
    /// the first `next()`.
    pub fn new(client: Client, config: Config) -> Result<Self, Error> {
        let lw = ListWatch::new(seeded(config)?, Instant(0)).map_err(Error::Watch)?;
        Ok(Self::driving(client, lw))
    }

    /// Watch from `resource_version` without listing first, e.g. after a
    /// listing of one's own. Known objects are none, so should the history
    /// be gone (410), the relist reports every object as `InitApply`.
    pub fn from_version(
        client: Client,
        config: Config,
        resource_version: &str,
    ) -> Result<Self, Error> {
        let lw = ListWatch::resume(seeded(config)?, Instant(0), resource_version, [])
            .map_err(Error::Watch)?;
        Ok(Self::driving(client, lw))
    }

    fn driving(client: Client, lw: ListWatch<T>) -> Self {
        Watcher {
            client,
            lw,
            origin: std::time::Instant::now(),
            body: None,
            done: false,
        }
    }

    /// The machine, e.g. for its resourceVersion.
    pub fn machine(&self) -> &ListWatch<T> {
        &self.lw
    }

    fn now(&self) -> Instant {
        Instant::since_origin(self.origin.elapsed())
    }

    /// Wait for input or the deadline and hand what came to the machine.
    /// A transport failure is returned to report.
    fn wait(&mut self, deadline: Option<Instant>) -> Option<WatchError> {
        let left = deadline.map(|d| d.since(self.now()));
        let Some((id, resp)) = self.body.as_mut() else {
            match left {
                Some(left) => std::thread::sleep(left),
                // Nothing is open and nothing is due: only a stopped
                // machine says that.
                None => self.done = true,
            }
            return None;
        };
        let id = *id;
        if left == Some(Duration::ZERO) {
            return None;
        }
        if let Err(e) = resp.set_read_timeout(left) {
            self.body = None;
            self.lw.handle_input(self.now(), Input::Cut { id });
            return Some(WatchError::Transport(e));
        }
        match resp.next_chunk_io() {
            Ok(Some(bytes)) => {
                let now = self.now();
                self.lw.handle_input(now, Input::Body { id, bytes: &bytes });
            }
            Ok(None) => {
                self.body = None;
                self.lw.handle_input(self.now(), Input::End { id });
            }
            // The deadline passed: the machine decides what that means.
            Err(e) if is_timeout(&e) => {}
            Err(e) => {
                let error = resp.body_error(e);
                self.body = None;
                self.lw.handle_input(self.now(), Input::Cut { id });
                return Some(WatchError::Transport(error));
            }
        }
        None
    }
}

impl<T: DeserializeOwned> Iterator for Watcher<T> {
    type Item = Result<Event<T>, WatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.lw.poll_output(self.now()) {
                Output::Send(id, req) => {
                    self.body = None;
                    match self.client.send(&req) {
                        Ok(resp) => {
                            let headers: Vec<(&str, &str)> = resp
                                .headers()
                                .iter()
                                .map(|(n, v)| (n.as_str(), v.as_str()))
                                .collect();
                            let input = Input::Response {
                                id,
                                status: resp.status(),
                                headers: &headers,
                            };
                            self.lw.handle_input(self.now(), input);
                            self.body = Some((id, resp));
                        }
                        Err(e) => {
                            self.lw.handle_input(self.now(), Input::Cut { id });
                            return Some(Err(WatchError::Transport(e)));
                        }
                    }
                }
                Output::Cancel(id) => {
                    if self.body.as_ref().is_some_and(|(b, _)| *b == id) {
                        self.body = None;
                    }
                }
                Output::Event(event) => return Some(Ok(event)),
                Output::Error(e) => return Some(Err(WatchError::Protocol(e))),
                Output::Stopped(e) => {
                    // Retrying cannot fix it: say why and end.
                    self.done = true;
                    self.body = None;
                    return Some(Err(WatchError::Stopped(e)));
                }
                Output::Idle { deadline } => {
                    if let Some(e) = self.wait(deadline) {
                        return Some(Err(e));
                    }
                }
            }
        }
        None
    }
}
