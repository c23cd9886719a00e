//! Retry delays, as client-go's reflector computes them.
//!
//! client-go builds `NewExponentialBackoffManager(800ms, 30s, 2min, 2.0,
//! 1.0, clock)`: the delay starts at 800 ms and doubles up to 30 s; each
//! delay gets up to 100 % random jitter on top; and when the previous
//! backoff started more than 2 minutes ago (the watch was healthy that
//! long), the next one starts again from 800 ms. Here the delay is a
//! number the state machine turns into a deadline, never a sleep.

use super::rng::Rng;
use super::time::Instant;

/// Backoff parameters. [`Default`] is client-go's reflector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// First delay, in milliseconds (client-go: 800).
    pub initial_ms: u64,
    /// Largest delay before jitter, in milliseconds (client-go: 30,000).
    pub max_ms: u64,
    /// Growth factor per retry (client-go: 2.0).
    pub factor: f64,
    /// Jitter: each delay `d` becomes `d + random * jitter * d`
    /// (client-go: 1.0, so between `d` and `2d`).
    pub jitter: f64,
    /// Start again from `initial_ms` when the previous backoff began this
    /// long ago, in milliseconds (client-go: 120,000).
    pub reset_after_ms: u64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial_ms: 800,
            max_ms: 30_000,
            factor: 2.0,
            jitter: 1.0,
            reset_after_ms: 120_000,
        }
    }
}

/// The backoff state: the next delay before jitter and when the last
/// backoff started.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    config: BackoffConfig,
    current_ms: u64,
    last: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new(config: BackoffConfig) -> Self {
        Backoff {
            config,
            current_ms: config.initial_ms,
            last: None,
        }
    }

    /// The delay to wait now, in milliseconds; advances the sequence.
    pub(crate) fn next_delay(&mut self, now: Instant, rng: &mut Rng) -> u64 {
        if self
            .last
            .is_some_and(|t| now.since(t) > self.config.reset_after_ms)
        {
            self.current_ms = self.config.initial_ms;
        }
        self.last = Some(now);
        let base = self.current_ms;
        let grown = (base as f64 * self.config.factor) as u64;
        self.current_ms = grown.clamp(self.config.initial_ms, self.config.max_ms);
        let jitter = (base as f64 * self.config.jitter * rng.next_f64()) as u64;
        base.saturating_add(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_jitter_and_resets_after_two_healthy_minutes() {
        let mut rng = Rng::new(1);
        let mut b = Backoff::new(BackoffConfig::default());
        let mut now = Instant(0);
        let mut bases = alloc::vec::Vec::new();
        for _ in 0..8 {
            let d = b.next_delay(now, &mut rng);
            bases.push(d);
            now = now + d;
        }
        let expected = [800u64, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000];
        for (d, base) in bases.iter().zip(expected) {
            assert!(
                *d >= base && *d < 2 * base,
                "{d} not in [{base}, {})",
                2 * base
            );
        }
        // Two healthy minutes later the sequence starts over.
        now = now + 120_001;
        let d = b.next_delay(now, &mut rng);
        assert!((800..1600).contains(&d), "{d}");
    }
}
