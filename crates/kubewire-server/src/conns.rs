//! Connection admission: a bounded number of open connections, and the
//! ones that have not sent a request yet are the first to go.
//!
//! A connection that connects and then says nothing costs a file
//! descriptor and nothing else, so a few hundred of them used to stop all
//! service once the process ran out of descriptors. Now the number of
//! connections is capped below the descriptor limit; at the cap, the
//! oldest connection that has not finished sending its first request's
//! headers is closed to make room (a client that has authenticated and
//! is being served is never pushed out by one that has not), and only
//! when every connection is busy is the newcomer refused with a 503.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// Descriptors kept back from the connection cap for files, the data
/// directory, the runtime and the listener.
const RESERVED_FDS: u64 = 64;

/// The connection cap for `wanted`: never above the process's descriptor
/// limit, less [`RESERVED_FDS`].
pub fn cap(wanted: usize) -> usize {
    #[cfg(unix)]
    {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        if let Some(soft) = limit.current {
            let room = soft.saturating_sub(RESERVED_FDS).max(1);
            return wanted.min(usize::try_from(room).unwrap_or(usize::MAX));
        }
    }
    wanted
}

/// Timeouts of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From accept to the first request's headers (TLS handshake included).
    pub first_request: Duration,
    /// HTTP/1.1: waiting for the next request's headers on an idle
    /// connection (a watch in progress is not idle).
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            first_request: Duration::from_secs(10),
            // Above Go's 90 s idle-connection timeout, so kubectl closes
            // first and never races a request against our close.
            idle: Duration::from_secs(120),
        }
    }
}

/// One admitted connection. Dropping it frees its place.
pub struct Slot {
    id: u64,
    table: Arc<Table>,
    started: AtomicBool,
    /// Notified when the connection is closed to make room.
    pub evicted: Notify,
}

impl Slot {
    /// Whether a request has arrived on this connection.
    pub fn has_started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    /// Marks that a request arrived: the connection is no longer one that
    /// may be closed to make room. Cheap enough to call per request.
    pub fn request_started(&self) {
        if !self.started.swap(true, Ordering::Relaxed) {
            let mut t = self.table.lock();
            t.waiting.retain(|(id, _)| *id != self.id);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self.table.lock();
        t.open -= 1;
        t.waiting.retain(|(id, _)| *id != self.id);
    }
}

struct Inner {
    open: usize,
    next_id: u64,
    /// Connections without a request yet, oldest first.
    waiting: VecDeque<(u64, std::sync::Weak<Slot>)>,
}

/// The open connections.
pub struct Table {
    max: usize,
    inner: Mutex<Inner>,
}

impl Table {
    /// A table admitting at most `max` connections.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Table {
            max: max.max(1),
            inner: Mutex::new(Inner {
                open: 0,
                next_id: 0,
                waiting: VecDeque::new(),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a new connection, closing the oldest one still without a
    /// request if the table is full; `None` when every place is busy.
    pub fn admit(self: &Arc<Self>) -> Option<Arc<Slot>> {
        let mut t = self.lock();
        if t.open >= self.max {
            let mut made_room = false;
            while let Some((_, weak)) = t.waiting.pop_front() {
                if let Some(old) = weak.upgrade() {
                    old.evicted.notify_one();
                    made_room = true;
                    break;
                }
            }
            if !made_room {
                return None;
            }
            // The evicted connection's place passes to this one at once
            // (its descriptor is closed a moment later).
        }
        t.open += 1;
        t.next_id += 1;
        let slot = Arc::new(Slot {
            id: t.next_id,
            table: self.clone(),
            started: AtomicBool::new(false),
            evicted: Notify::new(),
        });
        t.waiting.push_back((slot.id, Arc::downgrade(&slot)));
        Some(slot)
    }

    /// Connections open now.
    #[cfg(test)]
    pub fn open(&self) -> usize {
        self.lock().open
    }
}

/// The answer to a connection refused because every place is busy.
pub fn refusal() -> Vec<u8> {
    let body = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "too many open connections; try again later",
        "reason": "ServiceUnavailable", "details": {"retryAfterSeconds": 1}, "code": 503,
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_table_closes_the_oldest_silent_connection_first() {
        let t = Table::new(2);
        let a = t.admit().unwrap();
        let b = t.admit().unwrap();
        b.request_started();
        // Full: `a` has sent nothing, so it makes room.
        let c = t.admit().expect("room made");
        assert_eq!(t.open(), 3, "a is still closing");
        drop(a);
        assert_eq!(t.open(), 2);
        c.request_started();
        // Everyone is busy now: refused.
        assert!(t.admit().is_none());
        drop(b);
        assert!(t.admit().is_some());
    }
}
