//! Go's `time.Parse` of the two layouts `metav1` decodes times with, for
//! its error text: a `metav1.Time` field (`creationTimestamp`, an Event's
//! `lastTimestamp`, ...) is parsed as `time.RFC3339`, a `metav1.MicroTime`
//! (an Event's `eventTime`, a Lease's `renewTime`) as `RFC3339Micro`, and
//! a value Go refuses is the body's decode error, `parsing time "x" as
//! "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`. The layout is
//! walked element by element as Go's `parse` walks it, so the element
//! named and the rest of the value shown are Go's (`time.ParseError`).

/// Go's RFC 3339 layout, as its errors print it.
const LAYOUT: &str = "2006-01-02T15:04:05Z07:00";

/// `metav1.RFC3339Micro`: exactly six fraction digits.
const MICRO_LAYOUT: &str = "2006-01-02T15:04:05.000000Z07:00";

/// The fraction element of [`MICRO_LAYOUT`], as Go's errors name it.
const MICRO: &str = ".000000";

/// One element of the layout: a literal, or a number of two digits
/// (`fixed`) or of one or two.
enum Elem {
    Year,
    Lit(&'static str),
    Num {
        name: &'static str,
        fixed: bool,
        range: Option<(&'static str, u32)>,
    },
    /// `.000000`: a separator and six digits, no more and no fewer.
    Micro,
    Zone,
}

/// The elements both layouts begin with, in order; what follows the
/// seconds is each layout's own. The day's range is checked at the end,
/// against the month's length, as Go does.
const CLOCK: &[Elem] = &[
    Elem::Year,
    Elem::Lit("-"),
    Elem::Num {
        name: "01",
        fixed: true,
        range: Some(("month", 12)),
    },
    Elem::Lit("-"),
    Elem::Num {
        name: "02",
        fixed: true,
        range: None,
    },
    Elem::Lit("T"),
    Elem::Num {
        name: "15",
        fixed: false,
        range: Some(("hour", 23)),
    },
    Elem::Lit(":"),
    Elem::Num {
        name: "04",
        fixed: true,
        range: Some(("minute", 59)),
    },
    Elem::Lit(":"),
    Elem::Num {
        name: "05",
        fixed: true,
        range: Some(("second", 59)),
    },
];

/// `time.Parse(time.RFC3339, s)`'s error, or `None` when it accepts `s`.
pub fn rfc3339_error(s: &str) -> Option<String> {
    parse_error(s, LAYOUT, &[Elem::Zone])
}

/// `time.Parse(metav1.RFC3339Micro, s)`'s error, or `None`.
pub fn rfc3339_micro_error(s: &str) -> Option<String> {
    parse_error(s, MICRO_LAYOUT, &[Elem::Micro, Elem::Zone])
}

/// Go's `parse` of `s` by `layout`, whose elements are [`CLOCK`] and `tail`.
fn parse_error(s: &str, layout: &str, tail: &[Elem]) -> Option<String> {
    let b = s.as_bytes();
    let fraction_named = tail.iter().any(|e| matches!(e, Elem::Micro));
    let mut rest = b;
    let cannot = |value: &[u8], elem: &str| {
        Some(format!(
            "parsing time {} as {}: cannot parse {} as {}",
            quote(b),
            quote(layout.as_bytes()),
            quote(value),
            quote(elem.as_bytes())
        ))
    };
    let out_of = |what: &str| Some(format!("parsing time {}: {what} out of range", quote(b)));
    let (mut year, mut month, mut day) = (0u32, 0u32, 0u32);
    for e in CLOCK.iter().chain(tail) {
        match e {
            Elem::Year => {
                if rest.len() < 4 || !rest[..4].iter().all(u8::is_ascii_digit) {
                    return cannot(rest, "2006");
                }
                year = digits(&rest[..4]);
                rest = &rest[4..];
            }
            Elem::Lit(l) => {
                // Go's `skip` stops at the first byte that differs.
                let mut v = rest;
                for c in l.bytes() {
                    match v.split_first() {
                        Some((&h, t)) if h == c => v = t,
                        _ => return cannot(v, l),
                    }
                }
                rest = v;
            }
            Elem::Num { name, fixed, range } => {
                let Some((n, after)) = number(rest, *fixed) else {
                    return cannot(rest, name);
                };
                if let Some((what, max)) = range {
                    if n > *max || (*what == "month" && n == 0) {
                        return out_of(what);
                    }
                }
                match *name {
                    "01" => month = n,
                    "02" => day = n,
                    _ => {}
                }
                rest = after;
                // A fractional second the layout does not name is read
                // after the seconds (Go's special case).
                let fraction =
                    rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit();
                if *name == "05" && fraction && !fraction_named {
                    let n = 2 + rest[2..].iter().take_while(|c| c.is_ascii_digit()).count();
                    rest = &rest[n..];
                }
            }
            Elem::Micro => {
                // Go reads the seven bytes, then checks them
                // (`parseNanoseconds`).
                let Some(v) = rest.get(..MICRO.len()) else {
                    return cannot(rest, MICRO);
                };
                match fraction(v) {
                    None => return cannot(rest, MICRO),
                    Some(true) => return out_of("fractional second"),
                    Some(false) => rest = &rest[MICRO.len()..],
                }
            }
            Elem::Zone => match zone(rest) {
                Zone::Ok(after) => rest = after,
                Zone::Bad => return cannot(rest, "Z07:00"),
                Zone::Range(what) => return out_of(what),
            },
        }
    }
    if !rest.is_empty() {
        return Some(format!(
            "parsing time {}: extra text: {}",
            quote(b),
            quote(rest)
        ));
    }
    if day < 1 || day > days_in(month, year) {
        return out_of("day");
    }
    None
}

/// A separator and digits as Go's `parseNanoseconds` reads them: `None`
/// when it refuses them, else whether they are a negative number (its
/// `atoi` takes a sign, and a negative fraction is out of range).
fn fraction(v: &[u8]) -> Option<bool> {
    let (sep, digits) = v.split_first()?;
    if !matches!(sep, b'.' | b',') {
        return None;
    }
    let (negative, digits) = match digits.split_first() {
        Some((b'-', d)) => (true, d),
        Some((b'+', d)) => (false, d),
        _ => (false, digits),
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(negative && digits.iter().any(|&c| c != b'0'))
}

enum Zone<'a> {
    Ok(&'a [u8]),
    Bad,
    Range(&'static str),
}

/// `Z` or `±hh:mm` (Go reads the six bytes before it checks them).
fn zone(v: &[u8]) -> Zone<'_> {
    if v.first() == Some(&b'Z') {
        return Zone::Ok(&v[1..]);
    }
    if v.len() < 6 || v[3] != b':' {
        return Zone::Bad;
    }
    let (Some((h, _)), Some((m, _))) = (number(&v[1..3], true), number(&v[4..6], true)) else {
        return Zone::Bad;
    };
    let range = if m > 60 {
        Some("time zone offset minute")
    } else if h > 24 {
        Some("time zone offset hour")
    } else {
        None
    };
    if let Some(what) = range {
        return Zone::Range(what);
    }
    match v[0] {
        b'+' | b'-' => Zone::Ok(&v[6..]),
        _ => Zone::Bad,
    }
}

/// Go's `getnum`: one or two leading digits (two when `fixed`).
fn number(v: &[u8], fixed: bool) -> Option<(u32, &[u8])> {
    let d = |i: usize| {
        v.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    };
    let first = d(0)?;
    match d(1) {
        Some(second) => Some((first * 10 + second, &v[2..])),
        None if fixed => None,
        None => Some((first, &v[1..])),
    }
}

fn digits(v: &[u8]) -> u32 {
    v.iter().fold(0, |n, c| n * 10 + u32::from(c - b'0'))
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The time package's own `quote`: bytes outside printable ASCII as
/// `\xNN`, `"` and `\` escaped.
fn quote(v: &[u8]) -> String {
    let mut out = String::from("\"");
    for &c in v {
        match c {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(c));
            }
            0x20..=0x7e => out.push(char::from(c)),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::{rfc3339_error, rfc3339_micro_error};

    #[test]
    fn go_accepts_rfc3339_and_words_its_refusals() {
        for ok in [
            "2026-12-03T00:00:00Z",
            "2026-02-28T23:59:59.123456789+05:30",
            "2024-02-29T1:02:03-08:00",
            "2026-01-01T00:00:00,5Z",
        ] {
            assert_eq!(rfc3339_error(ok), None, "{ok}");
        }
        let l = "\"2006-01-02T15:04:05Z07:00\"";
        for (bad, want) in [
            ("", format!("parsing time \"\" as {l}: cannot parse \"\" as \"2006\"")),
            ("yesterday", format!("parsing time \"yesterday\" as {l}: cannot parse \"yesterday\" as \"2006\"")),
            ("2023-11-14 17:40:32", format!("parsing time \"2023-11-14 17:40:32\" as {l}: cannot parse \" 17:40:32\" as \"T\"")),
            ("2026-1-01T00:00:00Z", format!("parsing time \"2026-1-01T00:00:00Z\" as {l}: cannot parse \"1-01T00:00:00Z\" as \"01\"")),
            ("2026-01-01T00:00:00", format!("parsing time \"2026-01-01T00:00:00\" as {l}: cannot parse \"\" as \"Z07:00\"")),
            ("2026-01-01T00:00:00z", format!("parsing time \"2026-01-01T00:00:00z\" as {l}: cannot parse \"z\" as \"Z07:00\"")),
            ("2026-13-01T00:00:00Z", "parsing time \"2026-13-01T00:00:00Z\": month out of range".to_string()),
            ("2026-02-30T00:00:00Z", "parsing time \"2026-02-30T00:00:00Z\": day out of range".to_string()),
            ("2026-01-01T24:00:00Z", "parsing time \"2026-01-01T24:00:00Z\": hour out of range".to_string()),
            ("2026-01-01T00:00:00Zjunk", "parsing time \"2026-01-01T00:00:00Zjunk\": extra text: \"junk\"".to_string()),
            ("2026-01-01T00:00:00+25:00", "parsing time \"2026-01-01T00:00:00+25:00\": time zone offset hour out of range".to_string()),
            ("é", format!("parsing time \"\\xc3\\xa9\" as {l}: cannot parse \"\\xc3\\xa9\" as \"2006\"")),
        ] {
            assert_eq!(rfc3339_error(bad).as_deref(), Some(want.as_str()), "{bad}");
        }
    }

    #[test]
    fn micro_times_have_exactly_six_fraction_digits() {
        for ok in [
            "2026-12-01T22:30:00.123456Z",
            "2026-12-01T22:30:00,000000+01:00",
            // Go's `atoi` takes a sign, and minus zero is zero.
            "2026-12-01T22:30:00.+12345Z",
            "2026-12-01T22:30:00.-00000Z",
        ] {
            assert_eq!(rfc3339_micro_error(ok), None, "{ok}");
        }
        let l = "\"2006-01-02T15:04:05.000000Z07:00\"";
        for (bad, want) in [
            ("2026-12-01T22:30:00Z", format!("parsing time \"2026-12-01T22:30:00Z\" as {l}: cannot parse \"Z\" as \".000000\"")),
            ("2026-12-01T22:30:00.5Z", format!("parsing time \"2026-12-01T22:30:00.5Z\" as {l}: cannot parse \".5Z\" as \".000000\"")),
            ("2026-12-01T22:30:00.1234567Z", format!("parsing time \"2026-12-01T22:30:00.1234567Z\" as {l}: cannot parse \"7Z\" as \"Z07:00\"")),
            ("2026-12-01T22:30:00.12a456Z", format!("parsing time \"2026-12-01T22:30:00.12a456Z\" as {l}: cannot parse \".12a456Z\" as \".000000\"")),
            ("2026-12-01T22:30:00:123456Z", format!("parsing time \"2026-12-01T22:30:00:123456Z\" as {l}: cannot parse \":123456Z\" as \".000000\"")),
            ("2026-12-01 22:30:00.123456Z", format!("parsing time \"2026-12-01 22:30:00.123456Z\" as {l}: cannot parse \" 22:30:00.123456Z\" as \"T\"")),
            ("2026-12-01T22:30:00.-12345Z", "parsing time \"2026-12-01T22:30:00.-12345Z\": fractional second out of range".to_string()),
            ("2026-02-30T22:30:00.123456Z", "parsing time \"2026-02-30T22:30:00.123456Z\": day out of range".to_string()),
        ] {
            assert_eq!(rfc3339_micro_error(bad).as_deref(), Some(want.as_str()), "{bad}");
        }
    }
}
