//! Time as the host reports it: a point in milliseconds since an origin the
//! host picks, and spans as [`core::time::Duration`].
//!
//! smoltcp's shape: the core never reads a clock, it is told "now" in
//! every call, so tests drive it on virtual time and every host (native,
//! wasm, browser) converts its own clock in one line.

use core::fmt;
use core::ops::Add;
use core::time::Duration;

/// A point in time, in milliseconds since an arbitrary origin chosen by the
/// host (process start, `performance.now()`, a test's zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

impl Instant {
    /// From milliseconds since the origin.
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms)
    }

    /// From the time elapsed since the host's origin (what a host's own
    /// monotonic clock gives), rounded down to the millisecond.
    pub fn since_origin(elapsed: Duration) -> Self {
        Instant(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time since the origin: what the host adds to its origin to
    /// sleep until this instant.
    pub const fn as_duration(self) -> Duration {
        Duration::from_millis(self.0)
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub const fn since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// `self` plus a span, to the millisecond (saturating: "never" stays far).
    fn add(self, span: Duration) -> Instant {
        let ms = u64::try_from(span.as_millis()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(ms))
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}
