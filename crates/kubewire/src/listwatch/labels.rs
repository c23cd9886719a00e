//! An object's labels, kept small.
//!
//! A store holds every object's labels for selector queries, and a cached
//! watcher loads and hands out all of them at a restart. A `BTreeMap`
//! allocates a node sized for eleven entries (about half a kilobyte) even
//! for the two or three labels an object usually has, and a vector of
//! string pairs still costs one allocation per key and per value. Here all
//! pairs share one string: `{key length}:{key}{value length}:{value}` per
//! pair, sorted by key, so the labels of an object are one allocation
//! (none when it has no labels), and cloning or dropping them is one call
//! to the allocator.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::CowStr;

/// Label keys and values, sorted by key, each key once. Serialized as a
/// JSON object, like `metadata.labels`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Labels(Box<str>);

impl Labels {
    /// No labels.
    pub fn new() -> Self {
        Labels::default()
    }

    /// The value of label `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Set label `key` to `value`.
    pub fn insert(&mut self, key: String, value: String) {
        let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = self
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
            .collect();
        pairs.push((Cow::Owned(key), Cow::Owned(value)));
        *self = Labels::packed(pairs);
    }

    /// The labels in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + Clone + '_ {
        Iter { rest: &self.0 }
    }

    /// How many labels.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts `pairs` by key (a later pair replaces an earlier one with the
    /// same key, as repeated inserts would) and packs them.
    fn packed<K: AsRef<str>, V: AsRef<str>>(mut pairs: Vec<(K, V)>) -> Self {
        // Stable: among equal keys the last one given stays last.
        pairs.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let last = |i: usize| {
            pairs
                .get(i + 1)
                .is_none_or(|n| n.0.as_ref() != pairs[i].0.as_ref())
        };
        // Sized exactly up front: `into_boxed_str` then keeps the buffer.
        let size = (0..pairs.len())
            .filter(|&i| last(i))
            .map(|i| {
                let (k, v) = (pairs[i].0.as_ref(), pairs[i].1.as_ref());
                digits(k.len()) + k.len() + digits(v.len()) + v.len() + 2
            })
            .sum();
        let mut text = String::with_capacity(size);
        for i in (0..pairs.len()).filter(|&i| last(i)) {
            for part in [pairs[i].0.as_ref(), pairs[i].1.as_ref()] {
                push_len(&mut text, part.len());
                text.push(':');
                text.push_str(part);
            }
        }
        Labels(text.into_boxed_str())
    }
}

/// How many decimal digits `n` takes.
fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// `n` in decimal, without `core::fmt` (which costs more than the rest of
/// packing a label).
fn push_len(out: &mut String, n: usize) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut n = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[at..] {
        out.push(char::from(b));
    }
}

/// The labels in key order ([`Labels::iter`]).
#[derive(Debug, Clone)]
struct Iter<'a> {
    rest: &'a str,
}

impl<'a> Iter<'a> {
    /// The next length-prefixed part. Only [`Labels::packed`] writes the
    /// text, so the prefixes are well formed; `None` ends the iteration
    /// all the same if they were not.
    fn part(&mut self) -> Option<&'a str> {
        let (len, rest) = self.rest.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let part = rest.get(..len)?;
        self.rest = rest.get(len..)?;
        Some(part)
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let key = self.part()?;
        let value = self.part()?;
        Some((key, value))
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Labels::packed(iter.into_iter().collect())
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelsVisitor;

        impl<'de> Visitor<'de> for LabelsVisitor {
            type Value = Labels;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of label keys to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(k) = map.next_key_seed(CowStr)? {
                    pairs.push((k, map.next_value_seed(CowStr)?));
                }
                Ok(Labels::packed(pairs))
            }

            fn visit_unit<E>(self) -> Result<Labels, E> {
                Ok(Labels::new())
            }
        }

        deserializer.deserialize_any(LabelsVisitor)
    }
}

/// Labels from string pairs, for the crate's tests.
#[cfg(test)]
pub(crate) fn labels(pairs: &[(&str, &str)]) -> Labels {
    use alloc::string::ToString;
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_come_back_sorted_and_found_by_key() {
        let l = labels(&[
            ("tier", "backend"),
            ("app", "web"),
            ("app.kubernetes.io/name", "x"),
        ]);
        let got: Vec<_> = l.iter().collect();
        assert_eq!(
            got,
            [
                ("app", "web"),
                ("app.kubernetes.io/name", "x"),
                ("tier", "backend")
            ]
        );
        assert_eq!(l.get("tier"), Some("backend"));
        assert_eq!(l.get("ap"), None);
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn the_last_value_given_for_a_key_wins() {
        let mut l = labels(&[("a", "1"), ("b", "2"), ("a", "3")]);
        assert_eq!(l.get("a"), Some("3"));
        l.insert("b".into(), "4".into());
        l.insert("0".into(), String::new());
        let got: Vec<_> = l.iter().collect();
        assert_eq!(got, [("0", ""), ("a", "3"), ("b", "4")]);
        assert_eq!(l, labels(&[("0", ""), ("b", "4"), ("a", "3")]));
    }

    #[test]
    fn keys_and_values_holding_the_separator_and_digits_survive() {
        // Labels a conformant server refuses, but a client reads whatever
        // it is sent: the length prefixes, not the characters, delimit.
        let odd = [("1:", "2:3"), ("", ":"), ("é:ü", "9"), ("k", "\u{0}\n")];
        let l = labels(&odd);
        for (k, v) in odd {
            assert_eq!(l.get(k), Some(v), "{k:?}");
        }
        let json = serde_json::to_string(&l).unwrap();
        let back: Labels = serde_json::from_str(&json).unwrap();
        assert_eq!(back, l);
    }

    #[test]
    fn decodes_borrowed_and_escaped_strings_and_null() {
        let l: Labels = serde_json::from_str(r#"{"b":"x\"y","a":"plain"}"#).unwrap();
        assert_eq!(
            l.iter().collect::<Vec<_>>(),
            [("a", "plain"), ("b", "x\"y")]
        );
        let none: Labels = serde_json::from_str("null").unwrap();
        assert!(none.is_empty());
        assert_eq!(none.len(), 0);
        assert_eq!(alloc::format!("{l:?}"), r#"{"a": "plain", "b": "x\"y"}"#);
    }
}
