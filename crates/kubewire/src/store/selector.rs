//! Label selectors: equality-based (`a=b`, `a==b`, `a!=b`), set-based
//! (`a in (x,y)`, `a notin (x)`, `a`, `!a`) and `a>1` / `a<1` (integers),
//! tokenized as `k8s.io/apimachinery/pkg/labels` does and failing with the
//! API server's own messages, so that the server (kubewire-server answers
//! with them) and a client filtering its store read selectors alike.

use alloc::format;
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

/// Why a selector did not parse, in the API server's words (e.g.
/// `unable to parse requirement: found '=', expected: identifier`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// The message, as kube-apiserver phrases it.
    pub message: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for SelectorError {}

impl Selector {
    /// Everything matches the empty selector.
    pub fn everything() -> Self {
        Selector::default()
    }

    /// Parse `app=web,tier in (a,b),!legacy`. Blank text selects everything.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut lx = Lexer {
            s: text.as_bytes(),
            i: 0,
        };
        let mut requirements = Vec::new();
        if lx.peek().is_none() {
            return Ok(Selector { requirements });
        }
        loop {
            requirements.push(requirement(&mut lx)?);
            match lx.peek() {
                None => break,
                Some(b',') => lx.i += 1,
                Some(_) => {
                    return Err(fail(format!(
                        "found '{}', expected: ',' or 'end of string'",
                        lx.found()
                    )))
                }
            }
        }
        Ok(Selector { requirements })
    }

    /// The requirements, all of which must hold.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether the selector has no requirements (selects everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_with(|k| labels.get(k))
    }

    /// Whether the labels `get` looks up satisfy every requirement: for
    /// labels kept in another shape (a JSON object, a map).
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| r.matches_with(&get))
    }
}

impl Requirement {
    /// Whether `labels` satisfy this requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_with(&|k| labels.get(k))
    }

    fn matches_with<'a>(&self, get: &impl Fn(&str) -> Option<&'a str>) -> bool {
        let int = |k: &str| get(k).and_then(|x| x.parse::<i64>().ok());
        match self {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
            Requirement::GreaterThan(k, n) => int(k).is_some_and(|x| x > *n),
            Requirement::LessThan(k, n) => int(k).is_some_and(|x| x < *n),
        }
    }
}

fn fail(message: String) -> SelectorError {
    SelectorError { message }
}

/// One requirement: `!key`, `key`, or `key OP value(s)`.
fn requirement(lx: &mut Lexer<'_>) -> Result<Requirement, SelectorError> {
    if lx.eat("!") {
        return Ok(Requirement::DoesNotExist(key(lx)?));
    }
    let k = key(lx)?;
    Ok(if lx.eat("==") || lx.eat("=") {
        Requirement::Equals(k, lx.checked_value()?)
    } else if lx.eat("!=") {
        Requirement::NotEquals(k, lx.checked_value()?)
    } else if lx.eat(">") {
        Requirement::GreaterThan(k, integer(lx)?)
    } else if lx.eat("<") {
        Requirement::LessThan(k, integer(lx)?)
    } else if lx.eat("notin") {
        Requirement::NotIn(k, set(lx)?)
    } else if lx.eat("in") {
        Requirement::In(k, set(lx)?)
    } else {
        match lx.peek() {
            None | Some(b',') => Requirement::Exists(k),
            Some(_) => {
                return Err(fail(format!(
                    "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                    lx.found()
                )))
            }
        }
    })
}

/// A label key: `[prefix/]name`, the name 1 to 63 characters.
fn key(lx: &mut Lexer<'_>) -> Result<String, SelectorError> {
    let k = lx.ident().ok_or_else(|| {
        fail(format!(
            "unable to parse requirement: found '{}', expected: identifier",
            lx.found()
        ))
    })?;
    let name = k.rsplit('/').next().unwrap_or(&k);
    if name.is_empty() || name.len() > 63 {
        return Err(fail(format!(
            "unable to parse requirement: invalid label key \"{k}\""
        )));
    }
    Ok(k)
}

fn integer(lx: &mut Lexer<'_>) -> Result<i64, SelectorError> {
    lx.checked_value()?.parse().map_err(|_| {
        fail(
            "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"
                .to_string(),
        )
    })
}

/// `(v1, v2, ...)`, at least one value.
fn set(lx: &mut Lexer<'_>) -> Result<Vec<String>, SelectorError> {
    if !lx.eat("(") {
        return Err(fail(format!("found '{}', expected: '('", lx.found())));
    }
    let mut values = Vec::new();
    loop {
        if lx.eat(")") {
            break;
        }
        values.push(lx.value());
        if lx.eat(",") {
            continue;
        }
        if lx.eat(")") {
            break;
        }
        return Err(fail(format!(
            "found '{}', expected: ',', ')' or identifier",
            lx.found()
        )));
    }
    if values.is_empty() {
        return Err(fail(
            "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty"
                .to_string(),
        ));
    }
    Ok(values)
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/')
}

/// The tokens of a selector: identifiers (keys and values), operators and
/// punctuation, with whitespace between them skipped.
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn skip_space(&mut self) {
        while self
            .s
            .get(self.i)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.s.get(self.i).copied()
    }

    fn ident(&mut self) -> Option<String> {
        self.skip_space();
        let start = self.i;
        while self.s.get(self.i).copied().is_some_and(is_key_char) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn value(&mut self) -> String {
        self.ident().unwrap_or_default()
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.s[self.i..].starts_with(token.as_bytes()) {
            self.i += token.len();
            true
        } else {
            false
        }
    }

    /// The next token, for error messages: an identifier or one symbol.
    fn found(&mut self) -> String {
        self.skip_space();
        let rest = &self.s[self.i..];
        let end = match rest.first() {
            None => return String::new(),
            Some(&c) if is_key_char(c) => rest
                .iter()
                .position(|&c| !is_key_char(c))
                .unwrap_or(rest.len()),
            Some(_) => 1,
        };
        String::from_utf8_lossy(&rest[..end]).into_owned()
    }

    /// A value after an operator: empty is allowed, a stray symbol is not.
    fn checked_value(&mut self) -> Result<String, SelectorError> {
        let v = self.value();
        match self.peek() {
            Some(c) if c != b',' && c != b')' && v.is_empty() => Err(fail(format!(
                "unable to parse requirement: found '{}', expected: identifier",
                c as char
            ))),
            _ => Ok(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listwatch::labels;

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
    fn errors_read_like_the_api_servers() {
        // The request of the configmap-list-invalid-label-selector-400 capture.
        assert_eq!(
            Selector::parse("app===web!").unwrap_err().to_string(),
            "unable to parse requirement: found '=', expected: identifier"
        );
        assert_eq!(
            Selector::parse("a within (x)").unwrap_err().to_string(),
            "found 'within', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(
            Selector::parse("a=b c").unwrap_err().to_string(),
            "found 'c', expected: ',' or 'end of string'"
        );
    }

    #[test]
    fn whitespace_around_tokens() {
        let web = labels(&[("app", "web")]);
        for text in [" app = web ", "app\t==web", "app in ( web , db )", "  "] {
            assert!(Selector::parse(text).unwrap().matches(&web), "{text:?}");
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
            "a in ()",
            "a,",
            "a@b=c",
        ] {
            // "app=" is valid in Kubernetes (empty value), the rest are not.
            let parsed = Selector::parse(bad);
            assert_eq!(parsed.is_ok(), bad == "app=", "{bad}: {parsed:?}");
        }
    }
}
