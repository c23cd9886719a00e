//! Object uids, kept in 16 bytes when they are UUIDs (as the API server
//! makes them) instead of a 36-character string.

use alloc::boxed::Box;
use core::fmt;

/// A `metadata.uid`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(Repr);

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Repr {
    /// A canonical lower-case UUID (`8-4-4-4-12` hex digits).
    Uuid([u8; 16]),
    /// Anything else, verbatim.
    Other(Box<str>),
}

impl Uid {
    /// The uid `s`.
    pub fn new(s: &str) -> Self {
        Uid(parse_uuid(s).map_or_else(|| Repr::Other(s.into()), Repr::Uuid))
    }

    /// Whether this is the uid written `s`.
    pub fn is(&self, s: &str) -> bool {
        match &self.0 {
            Repr::Uuid(b) => parse_uuid(s).as_ref() == Some(b),
            Repr::Other(o) => &**o == s,
        }
    }
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = b.iter().filter(|&&c| c != b'-');
    for byte in &mut out {
        let hi = hex(*digits.next()?)?;
        let lo = hex(*digits.next()?)?;
        *byte = hi << 4 | lo;
    }
    Some(out)
}

/// Lower-case only: an upper-case uid would not print back the same.
fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Uuid(b) => {
                for (i, byte) in b.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
            Repr::Other(s) => f.write_str(s),
        }
    }
}

impl fmt::Debug for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uid({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn uuids_round_trip_and_anything_else_is_kept_verbatim() {
        let s = "26bc659c-756f-4751-a3df-f03543fc336c";
        let u = Uid::new(s);
        assert_eq!(u.to_string(), s);
        assert!(u.is(s));
        assert!(!u.is("26bc659c-756f-4751-a3df-f03543fc336d"));
        for other in ["", "uid-1", "26BC659C-756F-4751-A3DF-F03543FC336C"] {
            let o = Uid::new(other);
            assert_eq!(o.to_string(), other);
            assert!(o.is(other));
        }
        assert_ne!(Uid::new(s), Uid::new("uid-1"));
    }
}
