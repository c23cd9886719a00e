//! Retry delays, as client-go's reflector computes them.
//!
//! client-go builds `NewExponentialBackoffManager(800ms, 30s, 2min, 2.0,
//! 1.0, clock)`: the delay starts at 800 ms and doubles up to 30 s; each
//! delay gets up to 100 % random jitter on top; and when the previous
//! backoff started more than 2 minutes ago (the watch was healthy that
//! long), the next one starts again from 800 ms. Here the delay is a
//! span the state machine turns into a deadline, never a sleep.

use core::time::Duration;

use super::rng::Rng;
use super::time::Instant;

/// Backoff parameters. [`Default`] is client-go's reflector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// First delay (client-go: 800 ms).
    pub initial: Duration,
    /// Largest delay before jitter (client-go: 30 s).
    pub max: Duration,
    /// Growth factor per retry (client-go: 2.0); at least 1.
    pub factor: f64,
    /// Jitter: each delay `d` becomes `d + random * jitter * d`
    /// (client-go: 1.0, so between `d` and `2d`); at least 0.
    pub jitter: f64,
    /// Start again from `initial` when the previous backoff began this
    /// long ago (client-go: 2 minutes).
    pub reset_after: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial: Duration::from_millis(800),
            max: Duration::from_secs(30),
            factor: 2.0,
            jitter: 1.0,
            reset_after: Duration::from_secs(120),
        }
    }
}

impl BackoffConfig {
    /// Why these parameters cannot work, if they cannot: a zero first delay
    /// would retry in a busy loop, a cap below it or a factor below one
    /// would shrink delays, and a jitter that is not a non-negative number
    /// makes no delay at all.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if self.initial.is_zero() {
            Some("backoff.initial must be more than zero")
        } else if self.max < self.initial {
            Some("backoff.max must be at least backoff.initial")
        } else if !(self.factor >= 1.0 && self.factor.is_finite()) {
            Some("backoff.factor must be a finite number of at least 1")
        } else if !(self.jitter >= 0.0 && self.jitter.is_finite()) {
            Some("backoff.jitter must be a finite number of at least 0")
        } else {
            None
        }
    }
}

/// The backoff state: the next delay before jitter and when the last
/// backoff started.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    config: BackoffConfig,
    current: Duration,
    last: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new(config: BackoffConfig) -> Self {
        Backoff {
            config,
            current: config.initial,
            last: None,
        }
    }

    /// The delay to wait now; advances the sequence.
    pub(crate) fn next_delay(&mut self, now: Instant, rng: &mut Rng) -> Duration {
        if self
            .last
            .is_some_and(|t| now.since(t) > self.config.reset_after)
        {
            self.current = self.config.initial;
        }
        self.last = Some(now);
        let base = self.current;
        let grown = scale(base, self.config.factor);
        self.current = grown.clamp(self.config.initial, self.config.max);
        base.saturating_add(scale(base, self.config.jitter * rng.next_f64()))
    }
}

/// `d * factor` for a non-negative factor, saturating instead of panicking
/// as `Duration::mul_f64` does past `Duration::MAX`.
fn scale(d: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_jitter_and_resets_after_two_healthy_minutes() {
        let mut rng = Rng::new(1);
        let mut b = Backoff::new(BackoffConfig::default());
        let mut now = Instant(0);
        let mut delays = alloc::vec::Vec::new();
        for _ in 0..8 {
            let d = b.next_delay(now, &mut rng);
            delays.push(d);
            now = now + d;
        }
        let expected = [800u64, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000];
        for (d, base) in delays.iter().zip(expected) {
            let base = Duration::from_millis(base);
            assert!(*d >= base && *d < 2 * base, "{d:?} not in [{base:?}, 2×)");
        }
        // Two healthy minutes later the sequence starts over.
        now = now + Duration::from_millis(120_001);
        let d = b.next_delay(now, &mut rng);
        assert!(d >= Duration::from_millis(800) && d < Duration::from_millis(1600));
    }

    #[test]
    fn parameters_that_cannot_work_are_named() {
        let ok = BackoffConfig::default();
        assert_eq!(ok.problem(), None);
        for bad in [
            BackoffConfig {
                initial: Duration::ZERO,
                ..ok
            },
            BackoffConfig {
                max: Duration::from_millis(1),
                ..ok
            },
            BackoffConfig { factor: 0.5, ..ok },
            BackoffConfig {
                factor: f64::NAN,
                ..ok
            },
            BackoffConfig { jitter: -1.0, ..ok },
            BackoffConfig {
                jitter: f64::INFINITY,
                ..ok
            },
        ] {
            assert!(bad.problem().is_some(), "{bad:?}");
        }
    }
}
