//! The watch stream decoder: newline-delimited `{"type":..,"object":..}`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::error::{deserialize_at, DecodeError};
use super::scan::{self, Cursor, ScanError, ValueScanner};
use super::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_LINE};

/// The kind of a watch event, as sent in its `type` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `ADDED`: the object was created (or is part of the initial state).
    Added,
    /// `MODIFIED`: the object changed.
    Modified,
    /// `DELETED`: the object is gone; the object is its last state.
    Deleted,
    /// `BOOKMARK`: only `metadata.resourceVersion` (and, ending a watch-list's
    /// initial events, an annotation) is meaningful.
    Bookmark,
    /// `ERROR`: the object is a `Status` (e.g. 410 Expired).
    Error,
}

impl EventType {
    /// The name as the API server sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
            EventType::Bookmark => "BOOKMARK",
            EventType::Error => "ERROR",
        }
    }

    fn from_bytes(b: &[u8]) -> Option<Self> {
        Some(match b {
            b"ADDED" => EventType::Added,
            b"MODIFIED" => EventType::Modified,
            b"DELETED" => EventType::Deleted,
            b"BOOKMARK" => EventType::Bookmark,
            b"ERROR" => EventType::Error,
            _ => return None,
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Limits and checks of a [`WatchDecoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchConfig {
    /// The longest line (one event, without its `\n`) accepted. The decoder
    /// never buffers more than about twice this plus one fed chunk.
    pub max_line: usize,
    /// The deepest nesting of arrays and objects accepted in a line (checked
    /// only where the line is scanned, see
    /// [`check_objects`](Self::check_objects)).
    pub max_depth: usize,
    /// Scan every event's object structurally in `next_event` (strings,
    /// brackets, depth), so that a corrupt object fails the decoder at once.
    ///
    /// Off by default: lines in the API server's own shape
    /// (`{"type":"…","object":…}`) are then framed by their first and last
    /// bytes, and the object is checked exactly once, by serde, when you
    /// [`deserialize`](RawEvent::deserialize) it (a corrupt object gives a
    /// [`DecodeError::Deserialize`] with its offset). Scanning costs about as
    /// much as serde's own parse-and-discard; turn it on when you forward raw
    /// objects without deserializing them. Lines in any other shape (other
    /// member order, extra members, whitespace) are always fully scanned.
    pub check_objects: bool,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            max_line: DEFAULT_MAX_LINE,
            max_depth: DEFAULT_MAX_DEPTH,
            check_objects: false,
        }
    }
}

impl WatchConfig {
    /// Sets [`max_line`](Self::max_line).
    pub fn max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets [`check_objects`](Self::check_objects).
    pub fn check_objects(mut self, check: bool) -> Self {
        self.check_objects = check;
        self
    }
}

/// One decoded watch event, raw: it borrows the object's JSON from the
/// decoder's buffer (or the caller's chunk); nothing of the object has been
/// parsed beyond its framing. [`crate::WatchEvent`] is the same event with
/// the object decoded into the caller's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEvent<'a> {
    event_type: EventType,
    object: &'a [u8],
    object_offset: u64,
    offset: u64,
    /// The decoder's nesting limit, for the scan behind `resource_version`.
    max_depth: usize,
}

impl<'a> RawEvent<'a> {
    /// The event's `type`.
    pub fn event_type(&self) -> EventType {
        self.event_type
    }

    /// The object's `metadata.resourceVersion`, if it has one. `ERROR` events
    /// carry a `Status`, which has none.
    ///
    /// Found on demand by scanning the object up to it (the API server writes
    /// it within the first few members of `metadata`), so that a caller who
    /// deserializes the object anyway pays nothing for it.
    pub fn resource_version(&self) -> Option<&'a str> {
        scan::resource_version(self.object, &mut ValueScanner::new(self.max_depth))
    }

    /// The object exactly as sent (JSON, not re-encoded).
    pub fn raw_object(&self) -> &'a [u8] {
        self.object
    }

    /// The stream offset of the event's line.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The stream offset of the object's first byte.
    pub fn object_offset(&self) -> u64 {
        self.object_offset
    }

    /// Deserializes the object into any `T`: a small projection struct, a
    /// full k8s-openapi type, or `serde_json::Value`. `T` may borrow strings
    /// from the decoder's buffer (`&'a str` fields), which avoids copying them.
    ///
    /// An error here does not fail the decoder.
    pub fn deserialize<T: serde::Deserialize<'a>>(&self) -> Result<T, DecodeError> {
        deserialize_at(self.object, self.object_offset)
    }

    /// For an `ERROR` event: the `Status` it carries (e.g. code 410, reason
    /// `Expired`). `None` for other event types.
    pub fn status(&self) -> Option<Result<crate::status::Status, DecodeError>> {
        (self.event_type == EventType::Error).then(|| self.deserialize())
    }

    /// Whether this is the `BOOKMARK` that ends a watch-list's initial events
    /// (annotation `k8s.io/initial-events-end: "true"`).
    pub fn is_initial_events_end(&self) -> bool {
        self.event_type == EventType::Bookmark
            && scan::has_initial_events_end(self.object, &mut ValueScanner::new(DEFAULT_MAX_DEPTH))
    }
}

/// Decodes a watch response body (`?watch=1`): one JSON event per line.
///
/// Feed body bytes as they arrive, split anywhere, then call
/// [`next_event`](Self::next_event) until it returns `Ok(None)` (it needs
/// more input); at the end of the body call [`finish`](Self::finish).
///
/// ```
/// use kubewire::decode::{EventType, WatchDecoder};
///
/// #[derive(serde::Deserialize)]
/// struct Meta<'a> {
///     name: &'a str,
/// }
/// #[derive(serde::Deserialize)]
/// struct Obj<'a> {
///     #[serde(borrow)]
///     metadata: Meta<'a>,
/// }
///
/// let mut dec = WatchDecoder::new();
/// let body = b"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"7\"}}}\n";
/// let mut names = Vec::new();
/// for chunk in body.chunks(10) {
///     dec.feed(chunk);
///     while let Some(event) = dec.next_event()? {
///         assert_eq!(event.event_type(), EventType::Added);
///         assert_eq!(event.resource_version(), Some("7"));
///         names.push(event.deserialize::<Obj>()?.metadata.name.to_owned());
///     }
/// }
/// dec.finish()?;
/// assert_eq!(names, ["a"]);
/// # Ok::<(), kubewire::decode::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct WatchDecoder {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Stream offset of the first unconsumed byte (the start of the next line).
    start: u64,
    /// Stream offset up to which `buf` is known to hold no `\n` after `start`,
    /// so that a long line fed in small pieces is searched only once.
    searched: u64,
    config: WatchConfig,
    scanner: ValueScanner,
    failed: Option<DecodeError>,
}

impl Default for WatchDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl WatchDecoder {
    /// A decoder with the default [`WatchConfig`].
    pub fn new() -> Self {
        Self::with_config(WatchConfig::default())
    }

    /// A decoder with the given limits.
    pub fn with_config(config: WatchConfig) -> Self {
        WatchDecoder {
            buf: Vec::new(),
            base: 0,
            start: 0,
            searched: 0,
            config,
            scanner: ValueScanner::new(config.max_depth),
            failed: None,
        }
    }

    /// Appends body bytes. Call [`next_event`](Self::next_event) until it
    /// returns `Ok(None)` before feeding more, or the buffer grows.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        // Compact only when the consumed prefix is at least as large as the
        // live tail: one copy per feed at most, and amortised O(1) per byte
        // even when fed one byte at a time.
        let consumed = (self.start - self.base) as usize;
        if consumed > 0 && consumed >= self.buf.len() - consumed {
            self.buf.copy_within(consumed.., 0);
            self.buf.truncate(self.buf.len() - consumed);
            self.base = self.start;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete event, `Ok(None)` if more input is needed.
    pub fn next_event(&mut self) -> Result<Option<RawEvent<'_>>, DecodeError> {
        // With no new input, `next_event_from` only reads the buffer.
        self.next_event_from(&mut &[][..])
    }

    /// [`feed`](Self::feed) and [`next_event`](Self::next_event) in one,
    /// without copying what need not be copied: takes bytes from the front
    /// of `input` (advancing it) and returns the next complete event. An
    /// event whose line lies wholly inside `input` borrows from `input`
    /// itself; only a line split across chunks goes through the decoder's
    /// buffer. `Ok(None)` means all of `input` has been taken and more is
    /// needed. Lines fed earlier with `feed` come first.
    ///
    /// ```
    /// use kubewire::decode::WatchDecoder;
    ///
    /// let body = b"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}\n\
    ///              {\"type\":\"DELETED\",\"object\":{\"metadata\":{\"resourceVersion\":\"2\"}}}\n";
    /// let mut dec = WatchDecoder::new();
    /// let mut versions = Vec::new();
    /// for chunk in body.chunks(100) {
    ///     let mut rest = chunk;
    ///     while let Some(event) = dec.next_event_from(&mut rest)? {
    ///         versions.push(event.resource_version().unwrap().to_owned());
    ///     }
    ///     assert!(rest.is_empty());
    /// }
    /// dec.finish()?;
    /// assert_eq!(versions, ["1", "2"]);
    /// # Ok::<(), kubewire::decode::DecodeError>(())
    /// ```
    pub fn next_event_from<'s, 'i: 's>(
        &'s mut self,
        input: &mut &'i [u8],
    ) -> Result<Option<RawEvent<'s>>, DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        loop {
            match self.next_line() {
                Ok(Some((start, end))) => return self.buffered_event(start, end).map(Some),
                Ok(None) => {}
                Err(e) => return Err(self.fail(e)),
            }
            if input.is_empty() {
                return Ok(None);
            }
            let newline = memchr::memchr(b'\n', input);
            let Some(k) = newline.filter(|_| self.buffered() == 0) else {
                // Finish the partial line in the buffer (or keep the start
                // of this one there), then look again.
                let take = newline.map_or(input.len(), |k| k + 1);
                self.feed(&input[..take]);
                *input = &input[take..];
                continue;
            };
            // Nothing buffered and a whole line in `input`: borrow it.
            let (line, offset) = (&input[..k], self.start);
            *input = &input[k + 1..];
            self.buf.clear();
            self.start += k as u64 + 1;
            self.base = self.start;
            self.searched = self.start;
            if k > self.config.max_line {
                return Err(self.fail(DecodeError::LineTooLong {
                    offset,
                    limit: self.config.max_line,
                }));
            }
            if line.iter().all(|&b| scan::is_space(b)) {
                continue;
            }
            return match event(line, offset, self.config.check_objects, &mut self.scanner) {
                Ok(event) => Ok(Some(event)),
                Err(e) => Err(self.fail(e)),
            };
        }
    }

    /// The event on a line of the buffer (stream offsets).
    fn buffered_event(&mut self, start: u64, end: u64) -> Result<RawEvent<'_>, DecodeError> {
        let line = &self.buf[(start - self.base) as usize..(end - self.base) as usize];
        match event(line, start, self.config.check_objects, &mut self.scanner) {
            Ok(event) => Ok(event),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Enters the failed state.
    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.failed = Some(e.clone());
        e
    }

    /// Finds the next non-blank line; consumes it and returns its span (stream
    /// offsets, `\n` excluded).
    fn next_line(&mut self) -> Result<Option<(u64, u64)>, DecodeError> {
        loop {
            let from = (self.searched - self.base) as usize;
            let Some(k) = memchr::memchr(b'\n', &self.buf[from..]) else {
                self.searched = self.base + self.buf.len() as u64;
                if self.searched - self.start > self.config.max_line as u64 {
                    return Err(DecodeError::LineTooLong {
                        offset: self.start,
                        limit: self.config.max_line,
                    });
                }
                return Ok(None);
            };
            let line_start = self.start;
            let line_end = self.base + (from + k) as u64;
            self.start = line_end + 1;
            self.searched = self.start;
            if line_end - line_start > self.config.max_line as u64 {
                return Err(DecodeError::LineTooLong {
                    offset: line_start,
                    limit: self.config.max_line,
                });
            }
            let line =
                &self.buf[(line_start - self.base) as usize..(line_end - self.base) as usize];
            // Tolerate blank lines (and `\r\n`), as JSON stream decoders do.
            if !line.iter().all(|&b| scan::is_space(b)) {
                return Ok(Some((line_start, line_end)));
            }
        }
    }

    /// Signals the end of the body. Fails if it ended inside a line: the API
    /// server ends every event with `\n`, so a partial line means the stream
    /// was cut.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let rest = &self.buf[(self.start - self.base) as usize..];
        if let Some(i) = rest.iter().position(|&b| !scan::is_space(b)) {
            let e = DecodeError::UnexpectedEof {
                offset: self.start + i as u64,
            };
            self.failed = Some(e.clone());
            return Err(e);
        }
        Ok(())
    }

    /// Bytes buffered and not yet returned as events.
    pub fn buffered(&self) -> usize {
        (self.base + self.buf.len() as u64 - self.start) as usize
    }
}

/// One event line: the fast path for the API server's own shape, the
/// general parse for anything else (or always, with `check_objects`).
fn event<'a>(
    line: &'a [u8],
    offset: u64,
    check_objects: bool,
    scanner: &mut ValueScanner,
) -> Result<RawEvent<'a>, DecodeError> {
    let fast = if check_objects {
        None
    } else {
        fast_event(line, offset, scanner.max_depth())
    };
    fast.map_or_else(|| parse_event(line, offset, scanner), Ok)
}

/// The API server writes every event as `{"type":"T","object":O}` (Go's
/// encoding/json, fields in declaration order, no spaces). Such a line is
/// framed without looking inside `O`: `None` for any other shape, which then
/// takes the general path.
fn fast_event(line: &[u8], offset: u64, max_depth: usize) -> Option<RawEvent<'_>> {
    const TYPE: &[u8] = b"{\"type\":\"";
    const OBJECT: &[u8] = b"\",\"object\":";
    let rest = line.strip_prefix(TYPE)?;
    // Event types are short upper-case words: look only a few bytes ahead.
    let end = rest.iter().take(16).position(|&b| b == b'"')?;
    let event_type = EventType::from_bytes(&rest[..end])?;
    let rest = rest[end..].strip_prefix(OBJECT)?;
    let start = line.len() - rest.len();
    let mut object_end = line.len();
    while object_end > start && scan::is_space(line[object_end - 1]) {
        object_end -= 1;
    }
    if object_end <= start + 1 || line[object_end - 1] != b'}' {
        return None;
    }
    object_end -= 1;
    while object_end > start && scan::is_space(line[object_end - 1]) {
        object_end -= 1;
    }
    // The object must at least look like one; anything else takes the
    // general path, which reports precisely what is wrong.
    let object = &line[start..object_end];
    if !matches!(object.first(), Some(b'{')) || !matches!(object.last(), Some(b'}')) {
        return None;
    }
    Some(RawEvent {
        event_type,
        object,
        object_offset: offset + start as u64,
        offset,
        max_depth,
    })
}

/// Parses one line: the envelope fully, the object only structurally.
fn parse_event<'a>(
    line: &'a [u8],
    offset: u64,
    scanner: &mut ValueScanner,
) -> Result<RawEvent<'a>, DecodeError> {
    let depth = scanner.max_depth();
    let invalid = |e: ScanError| match e {
        ScanError::Invalid { at, reason } => DecodeError::InvalidJson {
            offset: offset + at as u64,
            reason,
        },
        ScanError::TooDeep { at } => DecodeError::TooDeep {
            offset: offset + at as u64,
            limit: depth,
        },
    };
    let mut event_type: Option<(&[u8], usize, bool)> = None;
    let mut object: Option<(usize, usize)> = None;
    let mut type_not_string = false;
    let mut c = Cursor::new(line);
    c.members(scanner, |key, c, scanner| {
        match key {
            b"type" => {
                c.skip_space();
                if c.peek() == Some(b'"') {
                    let at = c.pos;
                    let (t, escaped) = c.string()?;
                    event_type = Some((t, at, escaped));
                } else {
                    type_not_string = true;
                    c.value(scanner)?;
                }
            }
            b"object" => object = Some(c.value(scanner)?),
            _ => {
                c.value(scanner)?;
            }
        }
        Ok(false)
    })
    .map_err(invalid)?;
    c.skip_space();
    if c.pos != line.len() {
        return Err(DecodeError::InvalidJson {
            offset: offset + c.pos as u64,
            reason: "data after the event object",
        });
    }
    let Some((t, at, escaped)) = event_type else {
        return Err(DecodeError::InvalidEvent {
            offset,
            reason: if type_not_string {
                "`type` is not a string"
            } else {
                "no `type` field"
            },
        });
    };
    let Some(event_type) = EventType::from_bytes(t).filter(|_| !escaped) else {
        return Err(DecodeError::UnknownEventType {
            offset: offset + at as u64,
            event_type: String::from_utf8_lossy(t).into_owned(),
        });
    };
    let Some((start, end)) = object else {
        return Err(DecodeError::InvalidEvent {
            offset,
            reason: "no `object` field",
        });
    };
    let object = &line[start..end];
    Ok(RawEvent {
        event_type,
        object,
        object_offset: offset + start as u64,
        offset,
        max_depth: depth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// (type, resourceVersion, raw object) per event.
    type Events = Vec<(EventType, Option<String>, Vec<u8>)>;

    fn all(input: &[u8], config: WatchConfig) -> Result<Events, DecodeError> {
        let mut d = WatchDecoder::with_config(config);
        d.feed(input);
        let mut out = Vec::new();
        while let Some(e) = d.next_event()? {
            out.push((
                e.event_type(),
                e.resource_version().map(String::from),
                e.raw_object().to_vec(),
            ));
        }
        d.finish()?;
        Ok(out)
    }

    #[test]
    fn envelope_in_any_member_order_with_whitespace() {
        let got = all(
            b" { \"object\" : {\"metadata\":{\"resourceVersion\":\"5\"}} , \"type\" : \"MODIFIED\" } \r\n\n",
            WatchConfig::default(),
        )
        .unwrap();
        assert_eq!(
            got,
            vec![(
                EventType::Modified,
                Some("5".into()),
                b"{\"metadata\":{\"resourceVersion\":\"5\"}}".to_vec()
            )]
        );
    }

    #[test]
    fn typed_errors_with_offsets() {
        let l = WatchConfig::default();
        let ok = b"{\"type\":\"ADDED\",\"object\":{}}\n";
        let with = |tail: &[u8]| {
            let mut v = ok.to_vec();
            v.extend_from_slice(tail);
            all(&v, l)
        };
        assert_eq!(
            with(b"{\"type\":\"NOPE\",\"object\":{}}\n"),
            Err(DecodeError::UnknownEventType {
                offset: 29 + 8,
                event_type: "NOPE".into()
            })
        );
        assert_eq!(
            with(b"{\"object\":{}}\n"),
            Err(DecodeError::InvalidEvent {
                offset: 29,
                reason: "no `type` field"
            })
        );
        assert_eq!(
            with(b"{\"type\":\"ADDED\"}\n"),
            Err(DecodeError::InvalidEvent {
                offset: 29,
                reason: "no `object` field"
            })
        );
        let strict = WatchConfig::default().check_objects(true);
        let bad_object = b"{\"type\":\"ADDED\",\"object\":{\"a\":]}}\n";
        assert!(matches!(
            all(bad_object, strict),
            Err(DecodeError::InvalidJson { offset: 30, .. })
        ));
        // Without check_objects the object is checked by serde, on demand.
        let mut d = WatchDecoder::new();
        d.feed(bad_object);
        let e = d.next_event().unwrap().unwrap();
        assert!(matches!(
            e.deserialize::<serde_json::Value>(),
            Err(DecodeError::Deserialize { offset: 30, .. })
        ));
        // A misplaced member is found either way: the general path runs.
        assert!(matches!(
            with(b"{\"type\":\"ADDED\",\"object\":{},\"x\":]}\n"),
            Err(DecodeError::InvalidJson { offset: 61, .. })
        ));
        assert!(matches!(
            with(b"not json\n"),
            Err(DecodeError::InvalidJson { offset: 29, .. })
        ));
        assert!(matches!(
            with(b"{} {}\n"),
            Err(DecodeError::InvalidJson { .. })
        ));
        assert_eq!(
            with(b"{\"type\":\"ADD"),
            Err(DecodeError::UnexpectedEof { offset: 29 })
        );
        assert_eq!(
            all(ok, WatchConfig::default().max_line(10)),
            Err(DecodeError::LineTooLong {
                offset: 0,
                limit: 10
            })
        );
        assert!(matches!(
            all(
                b"{\"type\":\"ADDED\",\"object\":[[[[]]]]}\n",
                WatchConfig::default().max_depth(3)
            ),
            Err(DecodeError::TooDeep {
                offset: 28,
                limit: 3
            })
        ));
    }

    #[test]
    fn stays_failed_after_an_error() {
        let mut d = WatchDecoder::new();
        d.feed(b"garbage\n{\"type\":\"ADDED\",\"object\":{}}\n");
        let e = d.next_event().unwrap_err();
        assert_eq!(d.next_event().unwrap_err(), e);
        d.feed(b"{\"type\":\"ADDED\",\"object\":{}}\n");
        assert_eq!(d.next_event().unwrap_err(), e);
        assert_eq!(d.finish().unwrap_err(), e);
    }

    #[test]
    fn line_limit_applies_before_the_newline_arrives() {
        let mut d = WatchDecoder::with_config(WatchConfig::default().max_line(8));
        d.feed(b"12345678");
        assert_eq!(d.next_event(), Ok(None));
        d.feed(b"9");
        assert_eq!(
            d.next_event(),
            Err(DecodeError::LineTooLong {
                offset: 0,
                limit: 8
            })
        );
    }

    #[test]
    fn buffer_is_compacted_and_stays_bounded() {
        let line = b"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}\n";
        let mut d = WatchDecoder::new();
        let mut n = 0;
        for _ in 0..1000 {
            for piece in line.chunks(7) {
                d.feed(piece);
                while let Some(e) = d.next_event().unwrap() {
                    assert_eq!(e.resource_version(), Some("1"));
                    n += 1;
                }
            }
            assert!(d.buf.len() <= 2 * line.len(), "{}", d.buf.len());
        }
        assert_eq!(n, 1000);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn lazy_deserialize_reports_stream_offsets() {
        let mut d = WatchDecoder::new();
        d.feed(b"{\"type\":\"ADDED\",\"object\":{\"a\":tru}}\n");
        let e = d.next_event().unwrap().unwrap();
        let err = e.deserialize::<serde_json::Value>().unwrap_err();
        assert!(
            matches!(err, DecodeError::Deserialize { offset: 33, .. }),
            "{err:?}"
        );
        // A failed deserialize does not fail the decoder.
        assert_eq!(d.next_event(), Ok(None));
    }
}
