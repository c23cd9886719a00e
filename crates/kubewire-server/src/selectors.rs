//! Label selectors (equality and set-based) and the field selectors every
//! resource supports (`metadata.name`, `metadata.namespace`).

use serde_json::Value;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq)]
enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; all requirements must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Vec<Req>);

/// A parsed field selector over `metadata.name` / `metadata.namespace`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Lexer<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && is_key_char(self.s[self.i] as char) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn value(&mut self) -> String {
        self.ident().unwrap_or_default()
    }
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    /// The next token, for error messages: an identifier or one symbol.
    fn found(&mut self) -> String {
        self.ws();
        let rest = &self.s[self.i..];
        let end = match rest.first() {
            None => return String::new(),
            Some(c) if is_key_char(*c as char) => rest
                .iter()
                .position(|c| !is_key_char(*c as char))
                .unwrap_or(rest.len()),
            Some(_) => 1,
        };
        String::from_utf8_lossy(&rest[..end]).into_owned()
    }
    /// A value after `=`/`!=`: empty is allowed, a stray symbol is not.
    fn checked_value(&mut self) -> Result<String, String> {
        let v = self.value();
        match self.peek() {
            Some(c) if c != b',' && c != b')' && v.is_empty() => Err(format!(
                "unable to parse requirement: found '{}', expected: identifier",
                c as char
            )),
            _ => Ok(v),
        }
    }
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (f,g),!h,i`. Errors are phrased like
    /// kube-apiserver's (`unable to parse requirement: ...`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        let mut lx = Lexer {
            s: s.as_bytes(),
            i: 0,
        };
        if s.trim().is_empty() {
            return Ok(LabelSelector(out));
        }
        loop {
            if lx.eat("!") {
                let k = lx.ident().ok_or_else(|| {
                    format!(
                        "unable to parse requirement: found '{}', expected: identifier",
                        lx.found()
                    )
                })?;
                out.push(Req::NotExists(k));
            } else {
                let k = lx.ident().ok_or_else(|| {
                    format!(
                        "unable to parse requirement: found '{}', expected: identifier",
                        lx.found()
                    )
                })?;
                validate_key(&k)?;
                if lx.eat("==") || lx.eat("=") {
                    out.push(Req::Eq(k, lx.checked_value()?));
                } else if lx.eat("!=") {
                    out.push(Req::NotEq(k, lx.checked_value()?));
                } else if lx.eat("notin") {
                    out.push(Req::NotIn(k, set(&mut lx)?));
                } else if lx.eat("in") {
                    out.push(Req::In(k, set(&mut lx)?));
                } else {
                    match lx.peek() {
                        None | Some(b',') => out.push(Req::Exists(k)),
                        Some(_) => {
                            return Err(format!(
                                "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                                lx.found()
                            ))
                        }
                    }
                }
            }
            match lx.peek() {
                None => break,
                Some(b',') => {
                    lx.i += 1;
                }
                Some(_) => {
                    return Err(format!(
                        "found '{}', expected: ',' or 'end of string'",
                        lx.found()
                    ))
                }
            }
        }
        Ok(LabelSelector(out))
    }

    /// True when the object's labels satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::NotEq(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
        })
    }

    /// True when the selector has no requirements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn validate_key(k: &str) -> Result<(), String> {
    let name = k.rsplit('/').next().unwrap_or(k);
    if name.is_empty() || name.len() > 63 {
        return Err(format!(
            "unable to parse requirement: invalid label key \"{k}\""
        ));
    }
    Ok(())
}

fn set(lx: &mut Lexer<'_>) -> Result<Vec<String>, String> {
    if !lx.eat("(") {
        return Err(format!("found '{}', expected: '('", lx.found()));
    }
    let mut vs = Vec::new();
    loop {
        if lx.eat(")") {
            break;
        }
        vs.push(lx.value());
        if lx.eat(",") {
            continue;
        }
        if lx.eat(")") {
            break;
        }
        return Err(format!(
            "found '{}', expected: ',', ')' or identifier",
            lx.found()
        ));
    }
    Ok(vs)
}

impl FieldSelector {
    /// Parses `metadata.name=x,metadata.namespace!=y`; other fields are
    /// rejected with kube-apiserver's message.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, neg, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, false, v)
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            };
            let field = field.trim();
            if field != "metadata.name" && field != "metadata.namespace" {
                return Err(format!(
                    "\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                ));
            }
            out.push((field.to_string(), neg, value.trim().to_string()));
        }
        Ok(FieldSelector(out))
    }

    /// True when the object satisfies every term.
    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(f, neg, v)| {
            let key = f.trim_start_matches("metadata.");
            let actual = obj["metadata"][key].as_str().unwrap_or("");
            (actual == v) != *neg
        })
    }

    /// The exact name asked for with `metadata.name=x`, if any.
    pub fn exact_name(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, neg, _)| f == "metadata.name" && !neg)
            .map(|(_, _, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns", "labels": labels}})
    }

    #[test]
    fn equality_and_sets() {
        let o = obj(json!({"app": "web", "tier": "fe"}));
        for (sel, want) in [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app in (web, db)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("app=web,tier=be", false),
            ("", true),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&o),
                want,
                "{sel}"
            );
        }
    }

    #[test]
    fn bad_selector_message_matches_kube() {
        // The exact request of configmap-list-invalid-label-selector-400.
        let e = LabelSelector::parse("app===web!").unwrap_err();
        assert_eq!(
            e,
            "unable to parse requirement: found '=', expected: identifier"
        );
    }

    #[test]
    fn field_selectors() {
        let o = obj(json!({}));
        assert!(FieldSelector::parse("metadata.name=a").unwrap().matches(&o));
        assert!(!FieldSelector::parse("metadata.namespace!=ns")
            .unwrap()
            .matches(&o));
        let e = FieldSelector::parse("data.foo=bar").unwrap_err();
        assert!(e.contains("is not a known field selector"));
    }
}
