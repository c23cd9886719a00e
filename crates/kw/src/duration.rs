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

/// `time.ParseDuration` (the core's); negative durations are refused (no
/// flag wants one).
fn go_duration(s: &str) -> Option<Duration> {
    let nanos = kubewire::go_duration::parse(s)?;
    u64::try_from(nanos).ok().map(Duration::from_nanos)
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
