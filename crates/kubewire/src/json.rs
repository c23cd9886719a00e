//! The crate's one way to read JSON bytes: check UTF-8 once, then parse the
//! text with serde_json's `from_str`.
//!
//! serde_json's deserializer is generic over its reader, so every type
//! decoded both with `from_slice` and with `from_str` is compiled twice,
//! along with the reader's whole parser. Reading through this function
//! everywhere keeps one copy per type: for a WebAssembly component that is
//! tens of kilobytes. It is also the fast path: `from_str` skips the
//! per-string UTF-8 checks `from_slice` makes (core's validator is quicker
//! over the whole input). JSON is UTF-8 by definition (RFC 8259 §8.1), so
//! bytes that are not are refused, also inside values nobody reads.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

use serde::de::{DeserializeSeed, Visitor};
use serde::{Deserialize, Deserializer};

/// Deserialize `bytes` (UTF-8 JSON) into `T`.
pub(crate) fn from_bytes<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, serde_json::Error> {
    match core::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(e) => Err(not_utf8(e)),
    }
}

/// The error for bytes that are not UTF-8, naming where they stop being it.
pub(crate) fn not_utf8(e: core::str::Utf8Error) -> serde_json::Error {
    serde::de::Error::custom(format_args!("invalid UTF-8 at byte {}", e.valid_up_to()))
}

/// Decodes a string borrowed from the input where the text allows (no
/// escapes), owned otherwise: serde's own `Cow<str>` always allocates.
pub(crate) struct CowStr;

impl<'de> DeserializeSeed<'de> for CowStr {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.into()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use super::*;

    #[test]
    fn reads_text_and_refuses_bytes_that_are_not_utf8() {
        let v: alloc::vec::Vec<u32> = from_bytes(b"[1, 2]").unwrap();
        assert_eq!(v, [1, 2]);
        let e = from_bytes::<serde::de::IgnoredAny>(b"{\"a\": \"\xff\"}").unwrap_err();
        assert_eq!(e.to_string(), "invalid UTF-8 at byte 7");
    }
}
