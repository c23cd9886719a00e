//! Durations on the command line, read as kubectl reads them: Go's
//! `time.ParseDuration` (`300ms`, `1m30s`, `1.5h`), and for the flags where
//! kubectl allows it a bare number of seconds (`--request-timeout 5`).

use std::time::Duration;

/// A Go duration (`5s`, `1m30s`, `1.5h`, `300ms`, `0`), or with
/// `bare_seconds` also a plain integer taken as seconds.
pub fn parse(text: &str, bare_seconds: bool) -> Result<Duration, String> {
    let s = text.trim();
    if bare_seconds && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| invalid(text));
    }
    go_duration(s).ok_or_else(|| invalid(text))
}

fn invalid(text: &str) -> String {
    format!("invalid duration {text:?}: use a number with a unit, e.g. 5s, 1m, 2h45m")
}

/// `time.ParseDuration`: a sequence of decimal numbers, each with an
/// optional fraction and a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`); `0`
/// alone needs no unit. Negative durations are refused (no flag wants one).
fn go_duration(s: &str) -> Option<Duration> {
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let nanos = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * nanos;
        rest = tail;
    }
    if !total.is_finite() || total > u64::MAX as f64 {
        return None;
    }
    Some(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_kubectl_reads() {
        let secs = |s| parse(s, true).map(|d| d.as_millis());
        assert_eq!(secs("5"), Ok(5000));
        assert_eq!(secs("5s"), Ok(5000));
        assert_eq!(secs("1m"), Ok(60_000));
        assert_eq!(secs("0"), Ok(0));
        assert_eq!(secs("1m30s"), Ok(90_000));
        assert_eq!(secs("1.5h"), Ok(5_400_000));
        assert_eq!(secs("300ms"), Ok(300));
        assert!(secs("5x").is_err());
        assert!(secs("").is_err());
        assert!(secs("-5s").is_err());
        assert!(secs("s").is_err());
        // Without bare seconds (Go's own rule) a unit is required.
        assert!(parse("5", false).is_err());
        assert_eq!(parse("0", false), Ok(Duration::ZERO));
    }
}
