//! Keys given twice in one object of a request body, reported as
//! kube-apiserver reports them under `fieldValidation`:
//!
//! - a JSON body through its JSON decoder: `duplicate field "spec.replicas"`
//!   (the path from the root, list items as `[0]`);
//! - a YAML body (and any server-side apply body, which is read as YAML)
//!   through go-yaml's strict mode: one error block,
//!   `yaml: unmarshal errors:\n  line 9: key "foo" already set in map`,
//!   one line per repeat, naming the key (not its path) and the line it
//!   is repeated on. `Warn` turns each line of the block into a warning.
//!
//! The last value wins in both, so the object itself needs nothing here.
//! serde_norway tells a visitor no positions, only its errors carry a
//! line: the line of the n-th repeat is found by a scan that stops with
//! an error on that key, so a body with n repeats is scanned n + 1 times
//! (at most [`MAX_REPORTED`] + 1; bodies with repeats are rare).

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Repeats reported with their line; more are reported without one.
pub const MAX_REPORTED: usize = 32;

/// The `duplicate field "a.b"` reports of a JSON body, in document order
/// (nothing for a body that is not JSON: its parser reports that).
pub fn json(bytes: &[u8]) -> Vec<String> {
    let Ok(found) = scan(&mut serde_json::Deserializer::from_slice(bytes), None) else {
        return Vec::new();
    };
    found
        .into_iter()
        .map(|(path, _)| format!("duplicate field \"{path}\""))
        .collect()
}

/// The repeats of a YAML body as go-yaml words them, one
/// `line 9: key "foo" already set in map` each, in document order
/// (nothing for a body that is not YAML: its parser reports that).
pub fn yaml(bytes: &[u8]) -> Vec<String> {
    let keys = match scan_yaml(bytes, None) {
        Ok(found) => found,
        Err(_) => return Vec::new(),
    };
    keys.iter()
        .enumerate()
        .map(|(i, (_, key))| {
            let line = if i < MAX_REPORTED {
                scan_yaml(bytes, Some(i))
                    .err()
                    .and_then(|e| e.location())
                    .map(|l| l.line())
            } else {
                None
            };
            match line {
                Some(n) => format!("line {n}: key {} already set in map", go_quote(key)),
                None => format!("key {} already set in map", go_quote(key)),
            }
        })
        .collect()
}

/// go-yaml's strict error for `lines` ([`yaml`]), as the decoder returns
/// it: `yaml: unmarshal errors:` and one indented line each.
pub fn yaml_block(lines: &[String]) -> String {
    let mut out = String::from("yaml: unmarshal errors:");
    for l in lines {
        out.push_str("\n  ");
        out.push_str(l);
    }
    out
}

/// Go's `%q` of a key.
fn go_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// One scan of a YAML body: the repeats, or with `stop` the error raised
/// at that repeat's key (which carries the key's line).
fn scan_yaml(
    bytes: &[u8],
    stop: Option<usize>,
) -> Result<Vec<(String, String)>, serde_norway::Error> {
    scan(serde_norway::Deserializer::from_slice(bytes), stop)
}

/// One scan of a document: each repeat's path and key.
fn scan<'de, D: Deserializer<'de>>(
    d: D,
    stop: Option<usize>,
) -> Result<Vec<(String, String)>, D::Error> {
    let mut found = Vec::new();
    let mut seen = 0;
    Scan {
        path: String::new(),
        found: &mut found,
        seen: &mut seen,
        stop,
    }
    .deserialize(d)?;
    Ok(found)
}

/// Walks a document noting each key seen twice in one object: its path
/// and the key. With `stop: Some(n)`, reading the n-th repeated key fails.
struct Scan<'o> {
    path: String,
    found: &'o mut Vec<(String, String)>,
    seen: &'o mut usize,
    stop: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// A mapping key as a string (YAML keys may be numbers or booleans; the
/// YAML-to-JSON conversion makes strings of them), checked against the
/// keys seen before it in the same mapping.
struct Key<'k> {
    before: &'k HashSet<String>,
    seen: usize,
    stop: Option<usize>,
}

impl Key<'_> {
    fn check<E: de::Error>(&self, k: String) -> Result<String, E> {
        if self.before.contains(&k) && self.stop == Some(self.seen) {
            return Err(E::custom("repeated key"));
        }
        Ok(k)
    }
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        self.check(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        self.check(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        self.check(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        self.check(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        self.check(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        self.check(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        self.check("null".to_string())
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut before = HashSet::new();
        loop {
            let key = Key {
                before: &before,
                seen: *self.seen,
                stop: self.stop,
            };
            let Some(k) = map.next_key_seed(key)? else {
                return Ok(());
            };
            let path = if self.path.is_empty() {
                k.clone()
            } else {
                format!("{}.{k}", self.path)
            };
            if before.contains(&k) {
                *self.seen += 1;
                self.found.push((path.clone(), k));
            } else {
                before.insert(k);
            }
            map.next_value_seed(Scan {
                path,
                found: &mut *self.found,
                seen: &mut *self.seen,
                stop: self.stop,
            })?;
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let seed = Scan {
                path: format!("{}[{i}]", self.path),
                found: &mut *self.found,
                seen: &mut *self.seen,
                stop: self.stop,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(IgnoredAny).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_duplicates_are_found_with_their_paths() {
        let body = br#"{"metadata":{"name":"a","name":"a"},"spec":{"replicas":1,"replicas":2,"c":[{"x":1,"x":2}]}}"#;
        assert_eq!(
            json(body),
            [
                "duplicate field \"metadata.name\"",
                "duplicate field \"spec.replicas\"",
                "duplicate field \"spec.c[0].x\""
            ]
        );
        assert!(json(b"{\"a\":1}").is_empty());
        assert!(json(b"not json").is_empty());
    }

    /// The bodies of kube-apiserver's own field validation test
    /// (test/integration/apiserver/field_validation_test.go), with the
    /// lines it expects.
    #[test]
    fn yaml_repeats_are_named_with_their_lines() {
        let body = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dupename\n  name: x\n  unknownMeta: metaVal\n  labels:\n    app: nginx\nspec:\n  unknown1: val1\n  unknownDupe: valDupe\n  unknownDupe: valDupe2\n  paused: true\n  paused: false\n  selector:\n    matchLabels:\n      app: nginx\n  template:\n    metadata:\n      labels:\n        app: nginx\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:latest\n        unknownNested: val1\n        imagePullPolicy: Always\n        imagePullPolicy: Never";
        let lines = yaml(body.as_bytes());
        assert_eq!(
            lines,
            [
                "line 5: key \"name\" already set in map",
                "line 12: key \"unknownDupe\" already set in map",
                "line 14: key \"paused\" already set in map",
                "line 28: key \"imagePullPolicy\" already set in map",
            ]
        );
        assert_eq!(
            yaml_block(&lines[2..3]),
            "yaml: unmarshal errors:\n  line 14: key \"paused\" already set in map"
        );
        // A JSON body read as YAML (server-side apply): lines of the JSON.
        let apply = "{\n\t\"apiVersion\": \"apps/v1\",\n\t\"kind\": \"Deployment\",\n\t\"metadata\": {\n\t\t\"name\": \"x\",\n\t\t\"labels\": {\"app\": \"nginx\"}\n\t},\n\t\"spec\": {\n\t\t\"paused\": false,\n\t\t\"paused\": true\n\t}\n}";
        assert_eq!(
            yaml(apply.as_bytes()),
            ["line 10: key \"paused\" already set in map"]
        );
        // The same key in sibling items or other maps is no repeat; a
        // block scalar's lines are not keys; non-YAML gives nothing.
        assert!(
            yaml(b"ports:\n- name: a\n  port: 1\n- name: b\n  port: 2\nx:\n  name: c\n").is_empty()
        );
        assert!(yaml(b"data:\n  a: |\n    a: 1\n    a: 2\n  b: x\n").is_empty());
        assert!(yaml(b"\tthis: [is: not\n  valid").is_empty());
        assert_eq!(
            yaml(b"1: a\n1: b\n"),
            ["line 2: key \"1\" already set in map"]
        );
    }
}
