//! The framing both data files use: one record per line,
//! `CCCCCCCC JSON\n`, where `CCCCCCCC` is the CRC-32 (hex) of the JSON
//! (the core's, which its client-side journal uses too).
//!
//! Lines keep the files readable with `less` and `grep`; the checksum
//! makes any change to a record visible. serde_json never writes a raw
//! newline inside a value, so a record is exactly one line.
//!
//! What a crash can leave is a *prefix* of the last line: `write_all`
//! stopped part way, or the file grew and the new bytes are still zeros.
//! [`scan`] reports such a tail as [`Line::Torn`]; every complete line
//! must verify, and one that does not is damage, wherever it is,
//! including the last one (an acknowledged record was fsynced whole, so a
//! complete final line that does not verify was changed afterwards). A
//! final line that verifies but lacks only its newline is kept; one
//! whose newline was changed into another byte is damage.
//!
//! What framing cannot tell: bytes cut off the *end* of a log look
//! exactly like a crash mid-write, so the log's length is trusted.

/// The encoded form of one record.
pub fn encode(json: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(json.len() + 10);
    line.extend_from_slice(format!("{:08x} ", kubewire::store::journal::crc32(json)).as_bytes());
    line.extend_from_slice(json);
    line.push(b'\n');
    line
}

/// One line of a data file, as [`scan`] found it.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete record whose checksum verifies: its JSON.
    Record(&'a [u8]),
    /// A complete line that is not a valid record.
    Damaged(&'static str),
    /// The unfinished end of the file (no newline): a write a crash cut off.
    Torn,
}

/// The lines of `bytes` with their byte offsets.
pub fn scan(bytes: &[u8]) -> impl Iterator<Item = (usize, Line<'_>)> {
    let mut offset = 0;
    core::iter::from_fn(move || {
        if offset >= bytes.len() {
            return None;
        }
        let rest = &bytes[offset..];
        let at = offset;
        let Some(end) = rest.iter().position(|b| *b == b'\n') else {
            offset = bytes.len();
            // Whole but for its newline (a write cut one byte short): the
            // record itself is intact, so keep it. Whole and followed by
            // a byte that is not a newline: no crash writes that.
            let but_last = rest.len().checked_sub(1).map(|n| &rest[..n]);
            return Some(match (check(rest), but_last.map(check)) {
                (Line::Record(json), _) => (at, Line::Record(json)),
                (_, Some(Line::Record(_))) => (
                    at,
                    Line::Damaged("the final record ends in a byte that is not a newline"),
                ),
                _ => (at, Line::Torn),
            });
        };
        offset += end + 1;
        Some((at, check(&rest[..end])))
    })
}

fn check(line: &[u8]) -> Line<'_> {
    if line.iter().all(|b| *b == 0) {
        // A zero-filled stretch followed by a newline is not what a crash
        // leaves (it leaves no newline after it): something else wrote here.
        return Line::Damaged("a run of zero bytes where a record should be");
    }
    let (Some(hex), Some(b' '), Some(json)) = (line.get(..8), line.get(8), line.get(9..)) else {
        return Line::Damaged("the line is too short to be a record");
    };
    // Lower-case only, as written: a flipped case bit is a change too.
    let lower_hex = hex
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    let Some(want) = core::str::from_utf8(hex)
        .ok()
        .filter(|_| lower_hex)
        .and_then(|h| u32::from_str_radix(h, 16).ok())
    else {
        return Line::Damaged("the record's checksum field is not hexadecimal");
    };
    if kubewire::store::journal::crc32(json) != want {
        return Line::Damaged("the record's checksum does not match its contents");
    }
    Line::Record(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(b: &[u8]) -> Vec<(usize, Line<'_>)> {
        scan(b).collect()
    }

    #[test]
    fn records_verify_and_a_cut_tail_is_torn() {
        let mut file = encode(br#"{"a":1}"#);
        let second = encode(br#"{"b":2}"#);
        let first_len = file.len();
        file.extend_from_slice(&second);
        assert_eq!(
            lines(&file),
            vec![
                (0, Line::Record(br#"{"a":1}"#)),
                (first_len, Line::Record(br#"{"b":2}"#))
            ]
        );
        // Every prefix of the second record short of its last byte is a
        // torn tail.
        for cut in first_len + 1..file.len() - 1 {
            let got = lines(&file[..cut]);
            assert_eq!(got.len(), 2, "cut at {cut}");
            assert_eq!(got[1], (first_len, Line::Torn), "cut at {cut}");
        }
        // Zeros where the file grew but the data never landed: torn too.
        let mut zeros = encode(br#"{"a":1}"#);
        zeros.extend_from_slice(&[0; 40]);
        assert_eq!(lines(&zeros)[1].1, Line::Torn);
        // Cut one byte short: only the newline is missing; kept.
        let whole = encode(br#"{"a":1}"#);
        assert_eq!(
            lines(&whole[..whole.len() - 1]),
            vec![(0, Line::Record(br#"{"a":1}"#))]
        );
    }

    #[test]
    fn any_changed_byte_of_a_complete_line_is_damage() {
        let file = encode(br#"{"name":"x","v":"12345"}"#);
        for i in 0..file.len() {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut f = file.clone();
                f[i] ^= flip;
                let got = lines(&f);
                // A flip that makes a newline early splits the line in two:
                // the first part is damaged either way.
                assert!(
                    matches!(got[0].1, Line::Damaged(_)),
                    "flip {flip:#x} at {i} went unnoticed: {got:?}"
                );
            }
        }
    }
}
