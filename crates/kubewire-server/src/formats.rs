//! The string `format`s kube-openapi checks in custom resources (its
//! strfmt registry as apiextensions-apiserver configures it). A format it
//! does not know passes, as there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine as _;

/// Whether `s` is of `format`.
pub fn valid(format: &str, s: &str) -> bool {
    match format {
        "date-time" | "datetime" => date_time(s),
        "date" => date(s),
        "uuid" => uuid(s),
        "uuid3" => uuid(s) && s.as_bytes()[14] == b'3',
        "uuid4" => uuid(s) && s.as_bytes()[14] == b'4',
        "uuid5" => uuid(s) && s.as_bytes()[14] == b'5',
        "ipv4" => s.parse::<Ipv4Addr>().is_ok(),
        "ipv6" => s.parse::<Ipv6Addr>().is_ok(),
        "cidr" => cidr(s),
        "mac" => mac(s),
        "byte" => base64::engine::general_purpose::STANDARD.decode(s).is_ok(),
        "hostname" => hostname(s),
        "email" => email(s),
        _ => true,
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `2006-01-02`.
fn date(s: &str) -> bool {
    let p: Vec<&str> = s.split('-').collect();
    if p.len() != 3 || p[0].len() != 4 || p[1].len() != 2 || p[2].len() != 2 {
        return false;
    }
    if !p.iter().all(|x| digits(x)) {
        return false;
    }
    let (m, d) = (
        p[1].parse::<u32>().unwrap_or(0),
        p[2].parse::<u32>().unwrap_or(0),
    );
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// RFC 3339 (with or without fractional seconds; a missing offset is
/// accepted as strfmt's ISO 8601 local-time layout accepts it).
fn date_time(s: &str) -> bool {
    let Some(sep) = s.find(['T', 't', ' ']) else {
        return false;
    };
    if !date(&s[..sep]) {
        return false;
    }
    let rest = &s[sep + 1..];
    let (time, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (hms, frac) = match time.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (time, None),
    };
    if frac.is_some_and(|f| !digits(f)) {
        return false;
    }
    let t: Vec<&str> = hms.split(':').collect();
    if t.len() != 3 || !t.iter().all(|x| x.len() == 2 && digits(x)) {
        return false;
    }
    let n = |x: &str| x.parse::<u32>().unwrap_or(99);
    if n(t[0]) > 23 || n(t[1]) > 59 || n(t[2]) > 60 {
        return false;
    }
    match zone {
        "" | "Z" | "z" => true,
        z => {
            let o = &z[1..];
            let parts: Vec<&str> = o.split(':').collect();
            parts.len() == 2 && parts.iter().all(|x| x.len() == 2 && digits(x))
        }
    }
}

fn uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return false;
    };
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => bits <= 32,
        Ok(IpAddr::V6(_)) => bits <= 128,
        Err(_) => false,
    }
}

/// Go's `net.ParseMAC` forms: `:` or `-` separated octets (6, 8 or 20 of
/// them), or `.`-separated groups of four hex digits.
fn mac(s: &str) -> bool {
    for sep in [':', '-'] {
        let p: Vec<&str> = s.split(sep).collect();
        if matches!(p.len(), 6 | 8 | 20)
            && p.iter()
                .all(|x| x.len() == 2 && x.bytes().all(|c| c.is_ascii_hexdigit()))
        {
            return true;
        }
    }
    let p: Vec<&str> = s.split('.').collect();
    matches!(p.len(), 3 | 4 | 10)
        && p.iter()
            .all(|x| x.len() == 4 && x.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// RFC 1123 host names, as strfmt checks them: labels of letters, digits
/// and `-` (not at either end), at most 63 each, 255 in all.
fn hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 255
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

fn email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !local.contains(' ') && hostname(domain),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::valid;

    #[test]
    fn formats() {
        for (f, ok, bad) in [
            ("date-time", "2026-01-01T00:00:00Z", "yesterday"),
            (
                "date-time",
                "2026-01-01T10:00:00.5+02:00",
                "2026-13-01T00:00:00Z",
            ),
            ("date", "2026-12-02", "2026-12-2"),
            ("uuid", "d015b94c-5353-4b6f-82b9-8f66d42f0ba4", "d015b94c"),
            ("ipv4", "10.0.0.1", "10.0.0.256"),
            ("ipv6", "fd00::1", "fd00:::1"),
            ("cidr", "10.0.0.0/8", "10.0.0.0/33"),
            ("mac", "00:1a:2b:3c:4d:5e", "00:1a:2b"),
            ("byte", "aGk=", "not base64!"),
            ("hostname", "a.example.com", "-a.com"),
            ("email", "a@example.com", "a.example.com"),
        ] {
            assert!(valid(f, ok), "{f} {ok}");
            assert!(!valid(f, bad), "{f} {bad}");
        }
        assert!(valid("something-else", "anything"));
    }
}
