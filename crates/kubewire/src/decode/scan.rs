//! A resumable structural JSON scanner.
//!
//! It finds where one JSON value ends without building it: it follows
//! strings (and their escapes) and matches brackets, and it rejects bytes that
//! can never appear outside a JSON string. It does not check the grammar of
//! numbers, literals, commas and colons *inside* a value: serde does that when
//! the value is deserialized, and doing it twice would cost as much as the
//! parse the decoders exist to avoid. The decoders check the grammar of the
//! envelope around the values (the watch event object, the LIST object and the
//! `items` array) themselves.

use alloc::vec::Vec;

/// Byte classes. One table lookup per byte outside strings keeps the hot loop
/// branch-light.
const INVALID: u8 = 0;
const SPACE: u8 = 1;
const OPEN: u8 = 2;
const CLOSE: u8 = 3;
const QUOTE: u8 = 4;
/// Bytes of numbers and of `true`, `false`, `null`.
const SCALAR: u8 = 5;
/// `:` and `,`.
const PUNCT: u8 = 6;

static CLASS: [u8; 256] = {
    let mut t = [INVALID; 256];
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[b'{' as usize] = OPEN;
    t[b'[' as usize] = OPEN;
    t[b'}' as usize] = CLOSE;
    t[b']' as usize] = CLOSE;
    t[b'"' as usize] = QUOTE;
    t[b':' as usize] = PUNCT;
    t[b',' as usize] = PUNCT;
    let scalar = b"0123456789-+.eEtrufalsn";
    let mut i = 0;
    while i < scalar.len() {
        t[scalar[i] as usize] = SCALAR;
        i += 1;
    }
    t
};

/// JSON whitespace.
pub(crate) fn is_space(b: u8) -> bool {
    CLASS[b as usize] == SPACE
}

/// A problem found by the scanner, at an index into the scanned slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// A byte that cannot appear here.
    Invalid { at: usize, reason: &'static str },
    /// One bracket too many.
    TooDeep { at: usize },
}

/// What a scan step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The value ends just before this index.
    Done(usize),
    /// The slice ended inside the value: scan again from the slice's end once
    /// more bytes are appended.
    More,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first byte of the value (whitespace is skipped).
    Start,
    /// Inside an array or object, outside any string.
    Container,
    /// Inside a string; `escaped` when the previous byte was a backslash.
    String { escaped: bool },
    /// A number or literal at the top level: it ends at the first other byte.
    Scalar,
}

/// Finds the end of one JSON value, in as many calls as the bytes take to
/// arrive. Each call continues where the previous one stopped, so feeding a
/// value one byte at a time costs the same as feeding it whole.
#[derive(Debug, Clone)]
pub(crate) struct ValueScanner {
    state: State,
    /// The open brackets, innermost last (`{` or `[`), to match closers.
    stack: Vec<u8>,
    max_depth: usize,
}

impl ValueScanner {
    pub(crate) fn new(max_depth: usize) -> Self {
        ValueScanner {
            state: State::Start,
            stack: Vec::new(),
            max_depth,
        }
    }

    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Forgets the value being scanned; keeps the stack's allocation.
    pub(crate) fn reset(&mut self) {
        self.state = State::Start;
        self.stack.clear();
    }

    /// Scans `buf[from..]`. `from` must be where the previous call on the same
    /// value stopped (`buf.len()` at that time), or the value's first byte (or
    /// whitespace before it) after a [`reset`](Self::reset).
    pub(crate) fn scan(&mut self, buf: &[u8], from: usize) -> Result<Scan, ScanError> {
        let mut i = from;
        loop {
            match self.state {
                State::Start => {
                    while i < buf.len() && is_space(buf[i]) {
                        i += 1;
                    }
                    let Some(&b) = buf.get(i) else {
                        return Ok(Scan::More);
                    };
                    match CLASS[b as usize] {
                        OPEN => {
                            self.push(b, i)?;
                            self.state = State::Container;
                            i += 1;
                        }
                        QUOTE => {
                            self.state = State::String { escaped: false };
                            i += 1;
                        }
                        SCALAR => self.state = State::Scalar,
                        _ => {
                            return Err(ScanError::Invalid {
                                at: i,
                                reason: "expected a JSON value",
                            })
                        }
                    }
                }
                State::Scalar => {
                    while i < buf.len() && CLASS[buf[i] as usize] == SCALAR {
                        i += 1;
                    }
                    return Ok(if i < buf.len() {
                        Scan::Done(i)
                    } else {
                        Scan::More
                    });
                }
                State::String { escaped } => {
                    if escaped {
                        if i >= buf.len() {
                            return Ok(Scan::More);
                        }
                        i += 1;
                    }
                    // Most of a Kubernetes object's bytes are inside strings:
                    // jump to the next quote or backslash with memchr.
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        None => {
                            self.state = State::String { escaped: false };
                            return Ok(Scan::More);
                        }
                        Some(k) if buf[i + k] == b'\\' => {
                            i += k + 1;
                            self.state = State::String { escaped: true };
                        }
                        Some(k) => {
                            i += k + 1;
                            if self.stack.is_empty() {
                                return Ok(Scan::Done(i));
                            }
                            self.state = State::Container;
                        }
                    }
                }
                State::Container => loop {
                    let Some(&b) = buf.get(i) else {
                        return Ok(Scan::More);
                    };
                    match CLASS[b as usize] {
                        SPACE | SCALAR | PUNCT => i += 1,
                        QUOTE => {
                            i += 1;
                            self.state = State::String { escaped: false };
                            break;
                        }
                        OPEN => {
                            self.push(b, i)?;
                            i += 1;
                        }
                        CLOSE => {
                            // `{` + 2 == `}` and `[` + 2 == `]` in ASCII.
                            if self.stack.pop().map(|open| open + 2) != Some(b) {
                                return Err(ScanError::Invalid {
                                    at: i,
                                    reason: "mismatched closing bracket",
                                });
                            }
                            i += 1;
                            if self.stack.is_empty() {
                                self.state = State::Start;
                                return Ok(Scan::Done(i));
                            }
                        }
                        _ => {
                            return Err(ScanError::Invalid {
                                at: i,
                                reason: "unexpected byte outside a string",
                            })
                        }
                    }
                },
            }
        }
    }

    fn push(&mut self, open: u8, at: usize) -> Result<(), ScanError> {
        if self.stack.len() >= self.max_depth {
            return Err(ScanError::TooDeep { at });
        }
        self.stack.push(open);
        Ok(())
    }
}

/// A reader over a complete slice (a whole watch line, a whole value) for the
/// small amount of real parsing the decoders do: envelopes and the metadata
/// fields they pick out.
pub(crate) struct Cursor<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    pub(crate) fn skip_space(&mut self) {
        while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
            self.pos += 1;
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips whitespace, then consumes `b` or fails with `reason`.
    pub(crate) fn expect(&mut self, b: u8, reason: &'static str) -> Result<(), ScanError> {
        self.skip_space();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(ScanError::Invalid {
                at: self.pos,
                reason,
            })
        }
    }

    /// Skips whitespace, then reads a string. Returns its raw contents (between
    /// the quotes, escapes not decoded) and whether it holds any escape.
    pub(crate) fn string(&mut self) -> Result<(&'a [u8], bool), ScanError> {
        self.expect(b'"', "expected a string")?;
        let start = self.pos;
        match string_end(self.bytes, start) {
            Some((end, escaped)) => {
                self.pos = end + 1;
                Ok((&self.bytes[start..end], escaped))
            }
            None => Err(ScanError::Invalid {
                at: self.bytes.len(),
                reason: "unterminated string",
            }),
        }
    }

    /// Skips whitespace and one value; returns the value's span.
    pub(crate) fn value(
        &mut self,
        scanner: &mut ValueScanner,
    ) -> Result<(usize, usize), ScanError> {
        self.skip_space();
        let start = self.pos;
        scanner.reset();
        match scanner.scan(self.bytes, start)? {
            Scan::Done(end) => {
                self.pos = end;
                Ok((start, end))
            }
            // A top-level scalar that runs to the end of the slice is complete.
            Scan::More if scanner.state == State::Scalar => {
                self.pos = self.bytes.len();
                Ok((start, self.pos))
            }
            Scan::More => Err(ScanError::Invalid {
                at: self.bytes.len(),
                reason: "value is cut off",
            }),
        }
    }

    /// Walks the members of the object at the cursor, calling `visit` with each
    /// raw key (escapes not decoded) and the cursor at the member's value.
    /// `visit` consumes the value and returns `true` to stop the walk early.
    pub(crate) fn members(
        &mut self,
        scanner: &mut ValueScanner,
        mut visit: impl FnMut(&[u8], &mut Cursor<'a>, &mut ValueScanner) -> Result<bool, ScanError>,
    ) -> Result<(), ScanError> {
        self.expect(b'{', "expected an object")?;
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let (key, _) = self.string()?;
            self.expect(b':', "expected `:` after an object key")?;
            if visit(key, self, scanner)? {
                return Ok(());
            }
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => {
                    return Err(ScanError::Invalid {
                        at: self.pos,
                        reason: "expected `,` or `}` in an object",
                    })
                }
            }
        }
    }
}

/// The index of the quote closing the string whose contents start at
/// `start`, and whether the contents hold an escape; `None` if `bytes` ends
/// first.
pub(crate) fn string_end(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start;
    let mut escaped = false;
    loop {
        let k = memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[i + k] == b'"' {
            return Some((i + k, escaped));
        }
        escaped = true;
        i += k + 2;
    }
}

/// Reads `metadata.resourceVersion` of the object in `raw` without parsing the
/// rest. `None` when the object has none, holds it with escapes (resource
/// versions are opaque ASCII; the API server never escapes them) or is not an
/// object.
pub(crate) fn resource_version<'a>(raw: &'a [u8], scanner: &mut ValueScanner) -> Option<&'a str> {
    let mut found = None;
    let mut c = Cursor::new(raw);
    let walk = c.members(scanner, |key, c, scanner| {
        if key != b"metadata" {
            c.value(scanner)?;
            return Ok(false);
        }
        c.skip_space();
        if c.peek() != Some(b'{') {
            return Ok(true);
        }
        c.members(scanner, |key, c, scanner| {
            if key == b"resourceVersion" {
                c.skip_space();
                if c.peek() == Some(b'"') {
                    if let (rv, false) = c.string()? {
                        found = core::str::from_utf8(rv).ok();
                    }
                }
                return Ok(true);
            }
            c.value(scanner)?;
            Ok(false)
        })?;
        Ok(true)
    });
    walk.ok().and(found)
}

/// Whether a BOOKMARK's object carries the
/// `k8s.io/initial-events-end: "true"` annotation that ends a watch-list's
/// initial events: in its `metadata`, or, when the watch asked for Tables,
/// in its one row's `object.metadata` (kube-apiserver sends the bookmark
/// as a Table whose own metadata holds only the resourceVersion).
pub(crate) fn has_initial_events_end(raw: &[u8], scanner: &mut ValueScanner) -> bool {
    let mut found = false;
    let mut c = Cursor::new(raw);
    let _ = c.members(scanner, |key, c, scanner| {
        match key {
            b"metadata" => found |= end_annotation(c, scanner)?,
            b"rows" => {
                let (start, end) = c.value(scanner)?;
                let mut rows = Cursor::new(&c.bytes[start..end]);
                rows.expect(b'[', "expected an array")?;
                rows.skip_space();
                if rows.peek() == Some(b'{') {
                    rows.members(scanner, |key, row, scanner| {
                        row.skip_space();
                        if key != b"object" || row.peek() != Some(b'{') {
                            row.value(scanner)?;
                            return Ok(false);
                        }
                        row.members(scanner, |key, object, scanner| {
                            if key != b"metadata" {
                                object.value(scanner)?;
                                return Ok(false);
                            }
                            found |= end_annotation(object, scanner)?;
                            Ok(true)
                        })?;
                        Ok(true)
                    })?;
                }
            }
            _ => {
                c.value(scanner)?;
            }
        }
        Ok(found)
    });
    found
}

/// At a `metadata` value: whether its annotations hold the marker.
fn end_annotation(c: &mut Cursor<'_>, scanner: &mut ValueScanner) -> Result<bool, ScanError> {
    c.skip_space();
    if c.peek() != Some(b'{') {
        c.value(scanner)?;
        return Ok(false);
    }
    let mut found = false;
    c.members(scanner, |key, c, scanner| {
        c.skip_space();
        if key != b"annotations" || c.peek() != Some(b'{') {
            c.value(scanner)?;
            return Ok(false);
        }
        c.members(scanner, |key, c, scanner| {
            if key == b"k8s.io/initial-events-end" {
                let (start, end) = c.value(scanner)?;
                found = &c.bytes[start..end] == b"\"true\"";
                return Ok(true);
            }
            c.value(scanner)?;
            Ok(false)
        })?;
        Ok(true)
    })?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(input: &[u8]) -> Result<Scan, ScanError> {
        ValueScanner::new(128).scan(input, 0)
    }

    fn bytewise(input: &[u8]) -> Result<Scan, ScanError> {
        let mut s = ValueScanner::new(128);
        for n in 1..=input.len() {
            match s.scan(&input[..n], n - 1)? {
                Scan::More => {}
                done => return Ok(done),
            }
        }
        Ok(Scan::More)
    }

    #[test]
    fn finds_value_ends_in_any_split() {
        let cases: &[(&[u8], Scan)] = &[
            (br#"{"a":[1,2,{"b":"x\"}]"}]} ,"#, Scan::Done(25)),
            (br#"  "esc \\" rest"#, Scan::Done(10)),
            (br#"[[[]]]"#, Scan::Done(6)),
            (br#"-12.5e+3,"#, Scan::Done(8)),
            (br#"true]"#, Scan::Done(4)),
            (
                "{\"unicode\":\"\\u00e9\\ud83d\\ude00 é\"}".as_bytes(),
                Scan::Done(35),
            ),
            (br#"{"a":"#, Scan::More),
            (br#""\"#, Scan::More),
            (br#"12"#, Scan::More),
        ];
        for (input, want) in cases {
            assert_eq!(
                whole(input),
                Ok(*want),
                "{}",
                core::str::from_utf8(input).unwrap()
            );
            assert_eq!(
                bytewise(input),
                Ok(*want),
                "{}",
                core::str::from_utf8(input).unwrap()
            );
        }
    }

    #[test]
    fn rejects_bad_structure() {
        assert_eq!(
            whole(b"{]"),
            Err(ScanError::Invalid {
                at: 1,
                reason: "mismatched closing bracket"
            })
        );
        assert!(matches!(
            whole(b"{\"a\":x}"),
            Err(ScanError::Invalid { at: 5, .. })
        ));
        assert!(matches!(whole(b"}"), Err(ScanError::Invalid { at: 0, .. })));
        let deep = [b'['; 10];
        assert_eq!(
            ValueScanner::new(4).scan(&deep, 0),
            Err(ScanError::TooDeep { at: 4 })
        );
    }

    #[test]
    fn picks_resource_version_and_bookmark_annotation() {
        let mut s = ValueScanner::new(128);
        let obj = br#"{"kind":"Pod","metadata":{"name":"a","labels":{"resourceVersion":"no"},"resourceVersion":"42"},"spec":{}}"#;
        assert_eq!(resource_version(obj, &mut s), Some("42"));
        assert_eq!(resource_version(br#"{"metadata":{}}"#, &mut s), None);
        assert_eq!(resource_version(br#"null"#, &mut s), None);
        let bm = br#"{"kind":"ConfigMap","metadata":{"resourceVersion":"9","annotations":{"k8s.io/initial-events-end":"true"}}}"#;
        assert!(has_initial_events_end(bm, &mut s));
        assert!(!has_initial_events_end(obj, &mut s));
    }
}
