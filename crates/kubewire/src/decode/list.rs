//! The LIST body decoder: yields each element of `items` (or of a Table's
//! `rows`) as soon as its last byte arrives.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{deserialize_at, DecodeError};
use super::scan::{self, Scan, ScanError, ValueScanner};
use super::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_ITEM};

/// The list's `metadata` (a Kubernetes `ListMeta`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ListMeta {
    /// The resourceVersion the list is consistent at: start a WATCH from it.
    #[serde(default)]
    pub resource_version: Option<String>,
    /// The token for the next page, when the list was limited.
    #[serde(rename = "continue", default)]
    pub continue_token: Option<String>,
    /// How many items the remaining pages hold (not always computed).
    #[serde(default)]
    pub remaining_item_count: Option<i64>,
}

/// Limits for a [`ListDecoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListLimits {
    /// The largest item (or other member value of the LIST object) accepted,
    /// in bytes. The decoder never buffers more than about twice this plus one
    /// fed chunk.
    pub max_item: usize,
    /// The deepest nesting of arrays and objects accepted inside an item.
    pub max_depth: usize,
}

impl Default for ListLimits {
    fn default() -> Self {
        ListLimits {
            max_item: DEFAULT_MAX_ITEM,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl ListLimits {
    /// Sets [`max_item`](Self::max_item).
    pub fn max_item(mut self, bytes: usize) -> Self {
        self.max_item = bytes;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }
}

/// One element of the LIST's `items`, borrowed from the decoder's buffer and
/// not parsed beyond its structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListItem<'a> {
    raw: &'a [u8],
    offset: u64,
    index: u64,
}

impl<'a> ListItem<'a> {
    /// The item exactly as sent (JSON).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The item's position in `items`, from 0.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The stream offset of the item's first byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The item's `metadata.resourceVersion`, read without parsing the rest.
    pub fn resource_version(&self) -> Option<&'a str> {
        scan::resource_version(self.raw, &mut ValueScanner::new(DEFAULT_MAX_DEPTH))
    }

    /// Deserializes the item into any `T` (a projection struct, a full
    /// k8s-openapi type, `serde_json::Value`); `T` may borrow `&'a str`s.
    /// An error here does not fail the decoder.
    pub fn deserialize<T: serde::Deserialize<'a>>(&self) -> Result<T, DecodeError> {
        deserialize_at(self.raw, self.offset)
    }
}

/// Which member of the LIST object a value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Items,
    /// `"items": null`, which servers send for an empty list.
    ItemsNull,
    Metadata,
    Kind,
    ApiVersion,
    Other,
}

/// Where the decoder is in `{"kind":..,"metadata":{..},"items":[..]}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `{`.
    Start,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After `,` between members: a key.
    Key,
    /// After a key: `:`.
    Colon(Field),
    /// After `:`: the value's first byte.
    Value(Field),
    /// Inside a member value (not `items`), which starts at `value_start`.
    ScanMember(Field),
    /// After a member value: `,` or `}`.
    AfterMember,
    /// After `[`: an item or `]`.
    ItemsFirst,
    /// After `,` in `items`: an item.
    ItemsNext,
    /// Inside an item, which starts at `value_start`.
    ScanItem,
    /// After an item: `,` or `]`.
    AfterItem,
    /// After the closing `}`: only whitespace may follow.
    Done,
}

/// Decodes a LIST response body item by item while it streams, whether
/// `metadata` comes before or after `items`. Memory is bounded by the largest
/// item, not by the number of items.
///
/// ```
/// use kubewire::decode::ListDecoder;
///
/// #[derive(serde::Deserialize)]
/// struct Meta<'a> {
///     name: &'a str,
/// }
/// #[derive(serde::Deserialize)]
/// struct Pod<'a> {
///     #[serde(borrow)]
///     metadata: Meta<'a>,
/// }
///
/// let body = br#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42"},
///   "items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}"#;
/// let mut dec = ListDecoder::new();
/// let mut names = Vec::new();
/// for chunk in body.chunks(16) {
///     dec.feed(chunk);
///     while let Some(item) = dec.next_item()? {
///         names.push(item.deserialize::<Pod>()?.metadata.name.to_owned());
///     }
/// }
/// dec.finish()?;
/// assert_eq!(names, ["a", "b"]);
/// assert_eq!(dec.metadata().unwrap().resource_version.as_deref(), Some("42"));
/// # Ok::<(), kubewire::decode::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ListDecoder {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Stream offset of the first byte not yet consumed by the state machine.
    pos: u64,
    state: State,
    scanner: ValueScanner,
    /// Stream offset of the value being scanned, and where its scan resumes.
    value_start: u64,
    scan_from: u64,
    items: u64,
    limits: ListLimits,
    metadata: Option<ListMeta>,
    kind: Option<String>,
    api_version: Option<String>,
    failed: Option<DecodeError>,
}

impl Default for ListDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ListDecoder {
    /// A decoder with the default [`ListLimits`].
    pub fn new() -> Self {
        Self::with_limits(ListLimits::default())
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: ListLimits) -> Self {
        ListDecoder {
            buf: Vec::new(),
            base: 0,
            pos: 0,
            state: State::Start,
            scanner: ValueScanner::new(limits.max_depth),
            value_start: 0,
            scan_from: 0,
            items: 0,
            limits,
            metadata: None,
            kind: None,
            api_version: None,
            failed: None,
        }
    }

    /// Appends body bytes. Call [`next_item`](Self::next_item) until it
    /// returns `Ok(None)` before feeding more, or the buffer grows.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        // Same rule as the watch decoder: compact when the dead prefix is at
        // least as large as the live tail, so copies stay amortised O(1) per
        // byte.
        let consumed = (self.pos - self.base) as usize;
        if consumed > 0 && consumed >= self.buf.len() - consumed {
            self.buf.copy_within(consumed.., 0);
            self.buf.truncate(self.buf.len() - consumed);
            self.base = self.pos;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete item, `Ok(None)` if more input is needed (or the
    /// list has ended: see [`finish`](Self::finish)).
    pub fn next_item(&mut self) -> Result<Option<ListItem<'_>>, DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.step() {
            Ok(Some((start, end))) => Ok(Some(ListItem {
                raw: &self.buf[(start - self.base) as usize..(end - self.base) as usize],
                offset: start,
                index: self.items - 1,
            })),
            Ok(None) => Ok(None),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The list's `metadata`, once its last byte has arrived (before or after
    /// the items).
    pub fn metadata(&self) -> Option<&ListMeta> {
        self.metadata.as_ref()
    }

    /// The list's `kind` (e.g. `PodList`), once seen.
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    /// The list's `apiVersion`, once seen.
    pub fn api_version(&self) -> Option<&str> {
        self.api_version.as_deref()
    }

    /// How many items have been returned.
    pub fn items_seen(&self) -> u64 {
        self.items
    }

    /// Bytes buffered and not yet consumed.
    pub fn buffered(&self) -> usize {
        (self.base + self.buf.len() as u64 - self.pos) as usize
    }

    /// Signals the end of the body, after [`next_item`](Self::next_item)
    /// returned `Ok(None)`. Fails if the LIST object is incomplete.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.state == State::Done {
            return Ok(());
        }
        let offset = match self.state {
            State::ScanItem | State::ScanMember(_) => self.value_start,
            _ => self.base + self.buf.len() as u64,
        };
        let e = DecodeError::UnexpectedEof { offset };
        self.failed = Some(e.clone());
        Err(e)
    }

    /// Skips whitespace; the next byte, if it has arrived.
    fn peek(&mut self) -> Option<u8> {
        let mut i = (self.pos - self.base) as usize;
        while i < self.buf.len() && scan::is_space(self.buf[i]) {
            i += 1;
        }
        self.pos = self.base + i as u64;
        self.buf.get(i).copied()
    }

    fn invalid(&self, reason: &'static str) -> DecodeError {
        DecodeError::InvalidJson {
            offset: self.pos,
            reason,
        }
    }

    fn start_value(&mut self) {
        self.scanner.reset();
        self.value_start = self.pos;
        self.scan_from = self.pos;
    }

    /// Runs the state machine until an item is complete (its span), more input
    /// is needed, or an error.
    fn step(&mut self) -> Result<Option<(u64, u64)>, DecodeError> {
        loop {
            match self.state {
                State::Start => match self.peek() {
                    None => return Ok(None),
                    Some(b'{') => {
                        self.pos += 1;
                        self.state = State::FirstKey;
                    }
                    Some(_) => return Err(self.invalid("expected `{` starting the LIST object")),
                },
                State::FirstKey | State::Key => match self.peek() {
                    None => return Ok(None),
                    Some(b'}') if self.state == State::FirstKey => {
                        self.pos += 1;
                        self.state = State::Done;
                    }
                    Some(b'"') => match self.key()? {
                        Some(field) => self.state = State::Colon(field),
                        None => return Ok(None),
                    },
                    Some(_) => return Err(self.invalid("expected a key in the LIST object")),
                },
                State::Colon(field) => match self.peek() {
                    None => return Ok(None),
                    Some(b':') => {
                        self.pos += 1;
                        self.state = State::Value(field);
                    }
                    Some(_) => return Err(self.invalid("expected `:` after a key")),
                },
                State::Value(field) => match (field, self.peek()) {
                    (_, None) => return Ok(None),
                    (Field::Items, Some(b'[')) => {
                        self.pos += 1;
                        self.state = State::ItemsFirst;
                    }
                    (Field::Items, Some(b'n')) => {
                        self.start_value();
                        self.state = State::ScanMember(Field::ItemsNull);
                    }
                    (Field::Items, Some(_)) => {
                        return Err(self.invalid("`items` is not an array or null"))
                    }
                    (_, Some(_)) => {
                        self.start_value();
                        self.state = State::ScanMember(field);
                    }
                },
                State::ScanMember(field) => match self.scan_value()? {
                    None => return Ok(None),
                    Some(end) => {
                        self.member(field, end)?;
                        self.pos = end;
                        self.state = State::AfterMember;
                    }
                },
                State::AfterMember => match self.peek() {
                    None => return Ok(None),
                    Some(b',') => {
                        self.pos += 1;
                        self.state = State::Key;
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        self.state = State::Done;
                    }
                    Some(_) => return Err(self.invalid("expected `,` or `}` in the LIST object")),
                },
                State::ItemsFirst | State::ItemsNext => match self.peek() {
                    None => return Ok(None),
                    Some(b']') if self.state == State::ItemsFirst => {
                        self.pos += 1;
                        self.state = State::AfterMember;
                    }
                    Some(_) => {
                        self.start_value();
                        self.state = State::ScanItem;
                    }
                },
                State::ScanItem => match self.scan_value()? {
                    None => return Ok(None),
                    Some(end) => {
                        self.pos = end;
                        self.items += 1;
                        self.state = State::AfterItem;
                        return Ok(Some((self.value_start, end)));
                    }
                },
                State::AfterItem => match self.peek() {
                    None => return Ok(None),
                    Some(b',') => {
                        self.pos += 1;
                        self.state = State::ItemsNext;
                    }
                    Some(b']') => {
                        self.pos += 1;
                        self.state = State::AfterMember;
                    }
                    Some(_) => return Err(self.invalid("expected `,` or `]` in `items`")),
                },
                State::Done => {
                    return match self.peek() {
                        None => Ok(None),
                        Some(_) => Err(self.invalid("data after the LIST object")),
                    }
                }
            }
        }
    }

    /// Reads the key starting at `pos` (a `"`); `None` if it has not fully
    /// arrived.
    fn key(&mut self) -> Result<Option<Field>, DecodeError> {
        let start = (self.pos - self.base) as usize;
        // Look no further than the size limit, so that an over-long key fails
        // the same way however the input is split.
        let bound = self
            .buf
            .len()
            .min(start.saturating_add(1 + self.limits.max_item));
        let Some((end, escaped)) = scan::string_end(&self.buf[..bound], start + 1) else {
            if bound < self.buf.len() || bound - start > self.limits.max_item {
                return Err(DecodeError::ItemTooLarge {
                    offset: self.pos,
                    limit: self.limits.max_item,
                });
            }
            return Ok(None);
        };
        let raw = &self.buf[start + 1..end];
        let decoded;
        let key: &[u8] = if escaped {
            // Rare: decode escapes so that `"\u0069tems"` is still `items`.
            decoded = crate::json::from_bytes::<String>(&self.buf[start..=end])
                .map_err(|_| self.invalid("invalid escape in a key"))?;
            decoded.as_bytes()
        } else {
            raw
        };
        let field = match key {
            // A Table (`Accept: ...;as=Table`) lists its rows where a list
            // has items: each row is one item.
            b"items" | b"rows" => Field::Items,
            b"metadata" => Field::Metadata,
            b"kind" => Field::Kind,
            b"apiVersion" => Field::ApiVersion,
            _ => Field::Other,
        };
        self.pos = self.base + end as u64 + 1;
        Ok(Some(field))
    }

    /// Continues scanning the value at `value_start`; its end (stream offset)
    /// once complete.
    fn scan_value(&mut self) -> Result<Option<u64>, DecodeError> {
        let start = (self.value_start - self.base) as usize;
        let from = (self.scan_from - self.base) as usize;
        // Let the scanner see at most one byte past the limit (the delimiter
        // that ends a number), so every split of the input hits the limit at
        // the same point and reports the same error.
        let bound = self
            .buf
            .len()
            .min(start.saturating_add(self.limits.max_item + 1));
        let too_large = DecodeError::ItemTooLarge {
            offset: self.value_start,
            limit: self.limits.max_item,
        };
        match self.scanner.scan(&self.buf[..bound], from) {
            Err(ScanError::Invalid { at, reason }) => Err(DecodeError::InvalidJson {
                offset: self.base + at as u64,
                reason,
            }),
            Err(ScanError::TooDeep { at }) => Err(DecodeError::TooDeep {
                offset: self.base + at as u64,
                limit: self.limits.max_depth,
            }),
            Ok(Scan::Done(end)) if end - start > self.limits.max_item => Err(too_large),
            Ok(Scan::Done(end)) => Ok(Some(self.base + end as u64)),
            Ok(Scan::More) if bound - start > self.limits.max_item => Err(too_large),
            Ok(Scan::More) => {
                self.scan_from = self.base + bound as u64;
                Ok(None)
            }
        }
    }

    /// Records a complete member value other than the items.
    fn member(&mut self, field: Field, end: u64) -> Result<(), DecodeError> {
        let raw = &self.buf[(self.value_start - self.base) as usize..(end - self.base) as usize];
        match field {
            Field::Metadata => self.metadata = Some(deserialize_at(raw, self.value_start)?),
            Field::Kind => self.kind = crate::json::from_bytes(raw).ok(),
            Field::ApiVersion => self.api_version = crate::json::from_bytes(raw).ok(),
            Field::ItemsNull if raw != b"null" => {
                return Err(DecodeError::InvalidJson {
                    offset: self.value_start,
                    reason: "`items` is not an array or null",
                })
            }
            Field::ItemsNull | Field::Items | Field::Other => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    type Out = (Vec<Vec<u8>>, Option<ListMeta>);

    fn all(input: &[u8], limits: ListLimits) -> Result<Out, DecodeError> {
        let mut d = ListDecoder::with_limits(limits);
        d.feed(input);
        let mut items = Vec::new();
        while let Some(i) = d.next_item()? {
            items.push(i.raw().to_vec());
        }
        d.finish()?;
        Ok((items, d.metadata().cloned()))
    }

    fn meta(rv: &str, cont: Option<&str>, remaining: Option<i64>) -> Option<ListMeta> {
        Some(ListMeta {
            resource_version: Some(rv.into()),
            continue_token: cont.map(String::from),
            remaining_item_count: remaining,
        })
    }

    #[test]
    fn metadata_before_or_after_items() {
        let before = br#"{"metadata":{"resourceVersion":"1","continue":"c","remainingItemCount":3},"items":[{"a":1},{"b":[2,{"c":"]}"}]}]}"#;
        let after = br#"{"items":[{"a":1},{"b":[2,{"c":"]}"}]}],"metadata":{"resourceVersion":"1","continue":"c","remainingItemCount":3}}"#;
        let want = (
            vec![
                b"{\"a\":1}".to_vec(),
                b"{\"b\":[2,{\"c\":\"]}\"}]}".to_vec(),
            ],
            meta("1", Some("c"), Some(3)),
        );
        assert_eq!(all(before, ListLimits::default()).unwrap(), want);
        assert_eq!(all(after, ListLimits::default()).unwrap(), want);
    }

    #[test]
    fn empty_null_scalar_and_spaced_items() {
        let d = ListLimits::default();
        assert_eq!(all(br#"{"items":[]}"#, d).unwrap(), (vec![], None));
        assert_eq!(
            all(br#"{"items":null,"metadata":{"resourceVersion":"9"}}"#, d).unwrap(),
            (vec![], meta("9", None, None))
        );
        assert_eq!(all(b"{}", d).unwrap(), (vec![], None));
        assert_eq!(
            all(
                b" {\n \"items\" : [ 1 , -2.5e3 ,\"s\\\"\\u00e9\" , true , null , [ ] ] \n } \n",
                d
            )
            .unwrap()
            .0,
            vec![
                b"1".to_vec(),
                b"-2.5e3".to_vec(),
                b"\"s\\\"\\u00e9\"".to_vec(),
                b"true".to_vec(),
                b"null".to_vec(),
                b"[ ]".to_vec()
            ]
        );
        assert_eq!(
            all(br#"{"\u0069tems":[{}]}"#, d).unwrap().0,
            vec![b"{}".to_vec()]
        );
        assert_eq!(
            all(
                br#"{"kind":"PodList","other":{"items":[1]},"items":[{}]}"#,
                d
            )
            .unwrap()
            .0,
            vec![b"{}".to_vec()]
        );
    }

    #[test]
    fn typed_errors() {
        let d = ListLimits::default();
        assert_eq!(
            all(b"[]", d),
            Err(DecodeError::InvalidJson {
                offset: 0,
                reason: "expected `{` starting the LIST object"
            })
        );
        assert!(matches!(
            all(br#"{"items":[1,]}"#, d),
            Err(DecodeError::InvalidJson { offset: 12, .. })
        ));
        assert!(matches!(
            all(br#"{"items":{}}"#, d),
            Err(DecodeError::InvalidJson { offset: 9, .. })
        ));
        assert!(matches!(
            all(br#"{"items":nul}"#, d),
            Err(DecodeError::InvalidJson { offset: 9, .. })
        ));
        assert!(matches!(
            all(br#"{"items":[{]}"#, d),
            Err(DecodeError::InvalidJson { offset: 11, .. })
        ));
        assert!(matches!(
            all(br#"{"items":[]}x"#, d),
            Err(DecodeError::InvalidJson { offset: 12, .. })
        ));
        assert_eq!(
            all(br#"{"items":[{"a":1}"#, d),
            Err(DecodeError::UnexpectedEof { offset: 17 })
        );
        assert_eq!(
            all(br#"{"items":[{"a":1"#, d),
            Err(DecodeError::UnexpectedEof { offset: 10 })
        );
        assert_eq!(
            all(br#"{"items":[{"a":1},{"bb":22}]}"#, d.max_item(8)),
            Err(DecodeError::ItemTooLarge {
                offset: 18,
                limit: 8
            })
        );
        assert_eq!(
            all(br#"{"items":[[[[[1]]]]]}"#, d.max_depth(3)),
            Err(DecodeError::TooDeep {
                offset: 13,
                limit: 3
            })
        );
        assert!(matches!(
            all(br#"{"metadata":{"resourceVersion":5},"items":[]}"#, d),
            Err(DecodeError::Deserialize { .. })
        ));
    }

    #[test]
    fn memory_is_bounded_by_the_largest_item() {
        let item = br#"{"metadata":{"name":"pod","resourceVersion":"1"},"spec":{"containers":[{"name":"c","image":"x"}]}},"#;
        let mut d = ListDecoder::new();
        d.feed(br#"{"kind":"PodList","items":["#);
        let mut n = 0;
        for _ in 0..5000 {
            for piece in item.chunks(13) {
                d.feed(piece);
                while let Some(i) = d.next_item().unwrap() {
                    assert_eq!(i.resource_version(), Some("1"));
                    n += 1;
                }
            }
            assert!(d.buf.len() <= 2 * item.len() + 13, "{}", d.buf.len());
        }
        d.feed(b"{}]}");
        while d.next_item().unwrap().is_some() {
            n += 1;
        }
        d.finish().unwrap();
        assert_eq!(n, 5001);
        assert_eq!(d.kind(), Some("PodList"));
    }

    #[test]
    fn a_tables_rows_are_its_items() {
        let real = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/real-apiserver/table-configmaps.json"
        ));
        let oracle: serde_json::Value = serde_json::from_slice(real).unwrap();
        for split in [1, 7, real.len()] {
            let mut d = ListDecoder::new();
            let mut rows = Vec::new();
            for chunk in real.chunks(split) {
                d.feed(chunk);
                while let Some(i) = d.next_item().unwrap() {
                    rows.push(serde_json::from_slice::<serde_json::Value>(i.raw()).unwrap());
                }
            }
            d.finish().unwrap();
            assert_eq!(d.kind(), Some("Table"));
            assert_eq!(&rows, oracle["rows"].as_array().unwrap());
            assert_eq!(
                d.metadata().unwrap().resource_version,
                oracle["metadata"]["resourceVersion"]
                    .as_str()
                    .map(String::from)
            );
        }
    }
}
