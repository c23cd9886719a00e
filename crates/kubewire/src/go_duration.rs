//! Go's `time.Duration` text, as Kubernetes writes it: `metav1.Duration`
//! fields (`ttlSecondsAfterFinished` is seconds, but e.g.
//! `KubeletConfiguration` and CRDs carry `"1m30s"`), and kubectl's
//! duration flags (`--request-timeout 5s`). One parser and one printer,
//! with Go's integer arithmetic (no rounding of fractions through `f64`).

use alloc::format;
use alloc::string::String;

/// Nanoseconds of each unit `time.ParseDuration` accepts.
fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// `time.ParseDuration`: an optional sign, then one or more decimal
/// numbers, each with an optional fraction and a unit (`ns`, `us`, `µs`,
/// `ms`, `s`, `m`, `h`); `0` alone needs no unit. Returns nanoseconds, or
/// `None` for text Go refuses or a value outside `i64`.
///
/// ```
/// use kubewire::go_duration;
/// assert_eq!(go_duration::parse("1m30s"), Some(90_000_000_000));
/// assert_eq!(go_duration::parse("1.5h"), Some(5_400_000_000_000));
/// assert_eq!(go_duration::parse("5"), None); // a unit is required
/// ```
pub fn parse(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, tail) = rest.split_at(int_len);
        let (frac, tail) = match tail.strip_prefix('.') {
            Some(t) => t.split_at(t.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", tail),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = unit_nanos(unit)?;
        let mut whole: u64 = 0;
        for d in int.bytes() {
            whole = whole.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        // Digits past nanosecond precision change nothing: Go drops them too.
        let (mut f, mut div) = (0u128, 1u128);
        for d in frac.bytes().take(19) {
            f = f * 10 + u128::from(d - b'0');
            div *= 10;
        }
        let part = whole
            .checked_mul(scale)?
            .checked_add(u64::try_from(f * u128::from(scale) / div).ok()?)?;
        total = total.checked_add(part)?;
        rest = tail;
    }
    if negative {
        0i64.checked_sub_unsigned(total)
    } else {
        i64::try_from(total).ok()
    }
}

/// Go's `time.Duration.String`: `0s`, `1.5s`, `150ms`, `2µs`, `1h0m0s`.
///
/// ```
/// assert_eq!(kubewire::go_duration::format(90_000_000_000), "1m30s");
/// ```
pub fn format(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    // `v` in units of 10^-digits, without trailing zeros in the fraction.
    let decimal = |v: u64, digits: u32| -> String {
        let unit = 10u64.pow(digits);
        let f = format!("{:0width$}", v % unit, width = digits as usize);
        let f = f.trim_end_matches('0');
        if f.is_empty() {
            format!("{}", v / unit)
        } else {
            format!("{}.{f}", v / unit)
        }
    };
    if n < 1_000 {
        return format!("{sign}{n}ns");
    }
    if n < 1_000_000 {
        return format!("{sign}{}µs", decimal(n, 3));
    }
    if n < 1_000_000_000 {
        return format!("{sign}{}ms", decimal(n, 6));
    }
    let secs = n / 1_000_000_000;
    let seconds = decimal(secs % 60 * 1_000_000_000 + n % 1_000_000_000, 9);
    match (secs / 3600, secs / 60 % 60) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, m) => format!("{sign}{m}m{seconds}s"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_prints_as_go_does() {
        for (text, nanos) in [
            ("0s", 0),
            ("1h0m0s", 3_600_000_000_000),
            ("1m30s", 90_000_000_000),
            ("1.5s", 1_500_000_000),
            ("150ms", 150_000_000),
            ("2µs", 2_000),
            ("7ns", 7),
            ("-5s", -5_000_000_000),
            ("2562047h47m16.854775807s", i64::MAX),
        ] {
            assert_eq!(format(nanos), text);
            assert_eq!(parse(text), Some(nanos), "{text}");
        }
        for (text, nanos) in [
            ("0", 0),
            ("1h30m", 5_400_000_000_000),
            ("1.5h", 5_400_000_000_000),
            (".5s", 500_000_000),
            ("1.s", 1_000_000_000),
            ("+3ms", 3_000_000),
            ("1us", 1_000),
            ("0.3333333333333333333333s", 333_333_333),
            ("-2562047h47m16.854775808s", i64::MIN),
        ] {
            assert_eq!(parse(text), Some(nanos), "{text}");
        }
        for bad in [
            "",
            "-",
            "5",
            "ten",
            ".s",
            "1..5s",
            "1x",
            "s",
            "1h-1m",
            "2562047h47m16.854775808s",
            "99999999999999999999h",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
