//! Time as the host reports it: milliseconds since an origin the host picks.
//!
//! smoltcp's shape: the core never reads a clock, it is told "now" in
//! every call, so tests drive it on virtual time and every host (native,
//! wasm, browser) converts its own clock in one line.

use core::fmt;
use core::ops::Add;

/// A point in time, in milliseconds since an arbitrary origin chosen by the
/// host (process start, `performance.now()`, a test's zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

impl Instant {
    /// From milliseconds since the origin.
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms)
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub const fn since(self, earlier: Instant) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<u64> for Instant {
    type Output = Instant;

    /// `self` plus a number of milliseconds (saturating: "never" stays far).
    fn add(self, ms: u64) -> Instant {
        Instant(self.0.saturating_add(ms))
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}
