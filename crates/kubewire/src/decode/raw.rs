//! An object kept as its JSON text: the `T` for hosts that build their own
//! values from JSON (the browser's `JSON.parse`, a component handing JSON
//! text across its interface), so that the object is not decoded into Rust
//! values only to be encoded again.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use super::error::DecodeError;

/// One JSON value, exactly as the server sent it (whitespace included),
/// checked to be valid JSON. Usable as the `T` of every decoder and of
/// [`crate::listwatch::ListWatch`], and as a request body: it serializes
/// as its text, unchanged.
///
/// ```
/// use kubewire::decode::RawJson;
/// let raw = RawJson::from_text(r#"{"metadata": {"name": "a"}}"#.into())?;
/// assert_eq!(raw.as_str(), r#"{"metadata": {"name": "a"}}"#);
/// let body = serde_json::to_string(&raw).unwrap();
/// assert_eq!(body, r#"{"metadata": {"name": "a"}}"#);
/// # Ok::<(), kubewire::DecodeError>(())
/// ```
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Check that `text` is one JSON value, and keep it as it is.
    pub fn from_text(text: String) -> Result<Self, DecodeError> {
        RawValue::from_string(text)
            .map(RawJson)
            .map_err(|e| DecodeError::Deserialize {
                offset: 0,
                message: e.to_string(),
            })
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }
}

/// Equal when the texts are (`{"a":1}` and `{ "a": 1 }` differ).
impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RawJson {}

impl fmt::Debug for RawJson {
    /// Only the length: the text may be a Secret's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({} bytes)", self.as_str().len())
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(RawJson)
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::WatchDecoder;

    #[test]
    fn keeps_the_text_of_a_watch_event_object() {
        let mut d = WatchDecoder::new();
        d.feed(
            b"{\"type\":\"ADDED\",\"object\":{\"metadata\": {\"name\":\"a\"}, \"n\": [1, 2.50]}}\n",
        );
        let ev = d.next_event().unwrap().unwrap();
        let raw: RawJson = ev.deserialize().unwrap();
        assert_eq!(
            raw.as_str(),
            "{\"metadata\": {\"name\":\"a\"}, \"n\": [1, 2.50]}"
        );
    }

    #[test]
    fn refuses_text_that_is_not_json() {
        assert!(RawJson::from_text("{\"a\":".into()).is_err());
        assert!(RawJson::from_text("1 2".into()).is_err());
    }

    #[test]
    fn serializes_unchanged_also_through_a_value() {
        let raw = RawJson::from_text("{\"b\":1,\"a\":[true]}".into()).unwrap();
        let v = serde_json::to_value(&raw).unwrap();
        assert_eq!(v, serde_json::json!({"a": [true], "b": 1}));
    }

    #[test]
    fn debug_does_not_show_the_text() {
        let raw = RawJson::from_text("{\"token\":\"secret\"}".into()).unwrap();
        assert!(!alloc::format!("{raw:?}").contains("secret"));
    }
}
