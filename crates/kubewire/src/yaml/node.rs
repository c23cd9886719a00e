//! What the emitter walks: a JSON value borrowed from its text, each map's
//! keys sorted once as it is read.
//!
//! A long `-o yaml` listing prints every item once and throws it away.
//! Decoding it into a `serde_json::Value` first costs an allocation per key
//! and per string and, with serde_json's `preserve_order` (which kw needs
//! elsewhere), a hash per key; the emitter then sorts the keys of every map
//! again. A [`Node`] read from the item's text borrows every string without
//! escapes and is sorted while it is built.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Number, Value};

use crate::json::CowStr;

/// A JSON value; maps are `(key, value)` pairs sorted by key, each key once
/// (a repeated key keeps its last value, as Go and serde_json read it).
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json reads it.
    Number(Number),
    /// A string.
    Str(Cow<'a, str>),
    /// A list.
    Seq(Vec<Node<'a>>),
    /// A map, sorted by key.
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// Reads JSON text, borrowing from it.
    pub fn from_json(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// A view of `v`, borrowing its strings.
    pub fn from_value(v: &'a Value) -> Self {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::Str(Cow::Borrowed(s)),
            Value::Array(items) => Node::Seq(items.iter().map(Node::from_value).collect()),
            Value::Object(m) => sorted(
                m.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// The value of `key` in a map.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        let Node::Map(entries) = self else {
            return None;
        };
        Some(&entries[find(entries, key).ok()?].1)
    }

    /// The value of `key` in a map, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node<'a>> {
        let Node::Map(entries) = self else {
            return None;
        };
        let i = find(entries, key).ok()?;
        Some(&mut entries[i].1)
    }

    /// Sets `key` in a map (nothing happens to other nodes).
    pub fn insert(&mut self, key: &'a str, value: Node<'a>) {
        let Node::Map(entries) = self else { return };
        match find(entries, key) {
            Ok(i) => entries[i].1 = value,
            Err(i) => entries.insert(i, (Cow::Borrowed(key), value)),
        }
    }

    /// Removes `key` from a map.
    pub fn remove(&mut self, key: &str) -> Option<Node<'a>> {
        let Node::Map(entries) = self else {
            return None;
        };
        let i = find(entries, key).ok()?;
        Some(entries.remove(i).1)
    }
}

/// Where `key` is in a map's sorted entries, or where it would go.
fn find(entries: &[(Cow<'_, str>, Node<'_>)], key: &str) -> Result<usize, usize> {
    entries.binary_search_by(|(k, _)| (**k).cmp(key))
}

/// A map from pairs in the order read: sorted by key, stably, so that of
/// repeated keys the last one read is kept.
fn sorted<'a>(mut entries: Vec<(Cow<'a, str>, Node<'a>)>) -> Node<'a> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // `later` comes after `kept`: its value replaces the kept one's.
    entries.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            core::mem::swap(later, kept);
        }
        same
    });
    Node::Map(entries)
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Node<'de>, E> {
        // JSON text has no NaN or infinity; serde_json reads an overflowing
        // literal as an error before it gets here.
        Ok(Number::from_f64(f).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s.into())))
    }

    fn visit_string<E>(self, s: alloc::string::String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(key) = map.next_key_seed(CowStr)? {
            entries.push((key, map.next_value()?));
        }
        Ok(sorted(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_sorted_with_borrowed_strings_and_the_last_of_repeated_keys() {
        let text = r#"{"b":[1,-2,0.5,"x\"y"],"a":{"z":null,"y":true},"b":"last"}"#;
        let n = Node::from_json(text).unwrap();
        let Node::Map(entries) = &n else {
            panic!("{n:?}")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, ["a", "b"]);
        assert!(matches!(n.get("b"), Some(Node::Str(Cow::Borrowed("last")))));
        let inner = n.get("a").unwrap();
        assert_eq!(inner.get("y"), Some(&Node::Bool(true)));
        assert_eq!(inner.get("z"), Some(&Node::Null));
        let escaped = Node::from_json(r#"["x\"y",1.5]"#).unwrap();
        assert_eq!(
            escaped,
            Node::Seq(alloc::vec![
                Node::Str("x\"y".into()),
                Node::Number(Number::from_f64(1.5).unwrap())
            ])
        );
        assert!(Node::from_json("{").is_err());
    }

    #[test]
    fn matches_the_view_of_a_value_and_edits_keep_the_order() {
        let text = r#"{"metadata":{"name":"a","managedFields":[{}]},"data":{"k":"v","n":7}}"#;
        let v: Value = serde_json::from_str(text).unwrap();
        let mut from_text = Node::from_json(text).unwrap();
        assert_eq!(from_text, Node::from_value(&v));
        from_text.insert("kind", Node::Str("ConfigMap".into()));
        from_text.insert("apiVersion", Node::Str("v1".into()));
        let Node::Map(entries) = &from_text else {
            panic!()
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, ["apiVersion", "data", "kind", "metadata"]);
        let Node::Map(meta) = &mut from_text.clone() else {
            panic!()
        };
        assert_eq!(meta.len(), 4);
        let mut m = from_text.get("metadata").unwrap().clone();
        assert!(m.remove("managedFields").is_some());
        assert!(m.remove("managedFields").is_none());
        assert_eq!(m, Node::from_json(r#"{"name":"a"}"#).unwrap());
    }
}
