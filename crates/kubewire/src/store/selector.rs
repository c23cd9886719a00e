//! Label selectors, matched in the client: equality-based (`a=b`, `a==b`,
//! `a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`), plus
//! `a>1` / `a<1` (numeric), as `k8s.io/apimachinery/pkg/labels` parses them.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::listwatch::Labels;

/// A parsed label selector: all requirements must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

/// One requirement of a [`Selector`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `key=value` or `key==value`.
    Equals(String, String),
    /// `key!=value` (also true when the label is absent).
    NotEquals(String, String),
    /// `key in (v1,v2)`.
    In(String, Vec<String>),
    /// `key notin (v1,v2)` (also true when the label is absent).
    NotIn(String, Vec<String>),
    /// `key`: the label is present.
    Exists(String),
    /// `!key`: the label is absent.
    DoesNotExist(String),
    /// `key>n`: present and an integer greater than `n`.
    GreaterThan(String, i64),
    /// `key<n`: present and an integer less than `n`.
    LessThan(String, i64),
}

/// Why a selector did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// The requirement at fault.
    pub requirement: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid label selector requirement {:?}: {}",
            self.requirement, self.reason
        )
    }
}

impl core::error::Error for SelectorError {}

impl Selector {
    /// Everything matches the empty selector.
    pub fn everything() -> Self {
        Selector::default()
    }

    /// Parse `app=web,tier in (a,b),!legacy`.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err(err(part, "empty requirement"));
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(Selector { requirements })
    }

    /// The requirements, all of which must hold.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

impl Requirement {
    /// Whether `labels` satisfy this requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        let get = |k: &str| labels.get(k);
        match self {
            Requirement::Equals(k, v) => get(k) == Some(v),
            Requirement::NotEquals(k, v) => get(k) != Some(v),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
            Requirement::GreaterThan(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            Requirement::LessThan(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        }
    }
}

/// Split at commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn err(part: &str, reason: &'static str) -> SelectorError {
    SelectorError {
        requirement: part.to_string(),
        reason,
    }
}

fn parse_requirement(part: &str) -> Result<Requirement, SelectorError> {
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(key_of(part, key)?));
    }
    if let Some(open) = part.find('(') {
        let inner = part[open + 1..]
            .strip_suffix(')')
            .ok_or_else(|| err(part, "set without closing parenthesis"))?;
        let head = part[..open].trim_end();
        let (key, negate) = if let Some(k) = head.strip_suffix("notin") {
            (k, true)
        } else if let Some(k) = head.strip_suffix("in") {
            (k, false)
        } else {
            return Err(err(part, "expected `in` or `notin` before `(`"));
        };
        if !key.ends_with(char::is_whitespace) {
            return Err(err(part, "expected a space before the set operator"));
        }
        let key = key_of(part, key)?;
        let values = inner
            .split(',')
            .map(|v| value_of(part, v))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(if negate {
            Requirement::NotIn(key, values)
        } else {
            Requirement::In(key, values)
        });
    }
    for (op, len) in [("!=", 2), ("==", 2), ("=", 1), (">", 1), ("<", 1)] {
        if let Some(at) = part.find(op) {
            let key = key_of(part, &part[..at])?;
            let value = value_of(part, &part[at + len..])?;
            return Ok(match op {
                "!=" => Requirement::NotEquals(key, value),
                ">" | "<" => {
                    let n = value
                        .parse::<i64>()
                        .map_err(|_| err(part, "`>` and `<` need an integer"))?;
                    if op == ">" {
                        Requirement::GreaterThan(key, n)
                    } else {
                        Requirement::LessThan(key, n)
                    }
                }
                _ => Requirement::Equals(key, value),
            });
        }
    }
    Ok(Requirement::Exists(key_of(part, part)?))
}

fn key_of(part: &str, key: &str) -> Result<String, SelectorError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(err(part, "empty key"));
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return Err(err(part, "invalid character in key"));
    }
    Ok(key.to_string())
}

fn value_of(part: &str, value: &str) -> Result<String, SelectorError> {
    let value = value.trim();
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(err(part, "invalid character in value"));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equality_and_set_based_requirements() {
        let web = labels(&[("app", "web"), ("tier", "front"), ("replicas", "3")]);
        let db = labels(&[("app", "db"), ("legacy", "yes")]);
        let cases = [
            ("", true, true),
            ("app=web", true, false),
            ("app==web", true, false),
            ("app!=web", false, true),
            ("tier in (front, back)", true, false),
            ("tier notin (front)", false, true),
            ("legacy", false, true),
            ("!legacy", true, false),
            ("app in (web,db),!legacy", true, false),
            ("replicas>2", true, false),
            ("replicas<2", false, false),
            ("app=db, legacy", false, true),
        ];
        for (text, on_web, on_db) in cases {
            let s = Selector::parse(text).unwrap();
            assert_eq!((s.matches(&web), s.matches(&db)), (on_web, on_db), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_selectors() {
        for bad in [
            "app=",
            "=web",
            "a in (x",
            "a within (x)",
            "a,,b",
            "app=we b",
            "x>y",
            "!",
        ] {
            // "app=" is valid in Kubernetes (empty value), the rest are not.
            let parsed = Selector::parse(bad);
            assert_eq!(parsed.is_ok(), bad == "app=", "{bad}: {parsed:?}");
        }
    }
}
