//! kubectl's JSONPath templates (`-o jsonpath=...`): text with `{...}`
//! actions: fields (`.a.b`, `['a.b']`), `*`, `..`, indexes and slices
//! (`[0]`, `[-1:]`, `[1:3]`), unions (`[a,b]`), filters
//! (`[?(@.x=="y")]`, `[?(@.x)]`), quoted text (`{"\n"}`), and
//! `{range ...}...{end}`. Missing keys give nothing, as in `kubectl get`.
//! Results of one action are joined by spaces; strings print raw, maps and
//! lists as JSON.

use std::borrow::Cow;

use serde_json::Value;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Action(Vec<Step>),
    Range(Vec<Step>, Vec<Node>),
}

#[derive(Debug, Clone)]
enum Step {
    Field(String),
    Wildcard,
    Recursive,
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        /// `[i]`: the end is derived from the start.
        single: bool,
    },
    Union(Vec<Vec<Step>>),
    Filter {
        left: Vec<Step>,
        op: String,
        right: Vec<Step>,
    },
    Literal(Value),
}

impl Template {
    /// Parse a template; the error reads like kubectl's.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut p = Parser { s: text, pos: 0 };
        let mut stack: Vec<(Vec<Step>, Vec<Node>)> = Vec::new();
        let mut nodes = Vec::new();
        let err = |e: String| format!("error parsing jsonpath {text}, {e}");
        while p.pos < text.len() {
            match text[p.pos..].find('{') {
                Some(0) => {}
                Some(n) => {
                    nodes.push(Node::Text(text[p.pos..p.pos + n].to_string()));
                    p.pos += n;
                }
                None => {
                    nodes.push(Node::Text(text[p.pos..].to_string()));
                    break;
                }
            }
            p.pos += 1;
            let (steps, ident) = p.action().map_err(err)?;
            match ident.as_deref() {
                Some("range") => stack.push((steps, std::mem::take(&mut nodes))),
                Some("end") => {
                    let Some((over, outer)) = stack.pop() else {
                        return Err(err("not in range, nothing to end".into()));
                    };
                    let body = std::mem::replace(&mut nodes, outer);
                    nodes.push(Node::Range(over, body));
                }
                Some(other) => return Err(err(format!("unrecognized identifier {other}"))),
                None => nodes.push(Node::Action(steps)),
            }
        }
        if !stack.is_empty() {
            // kubectl runs an unclosed range to the end of the template.
            while let Some((over, outer)) = stack.pop() {
                let body = std::mem::replace(&mut nodes, outer);
                nodes.push(Node::Range(over, body));
            }
        }
        Ok(Template {
            source: text.to_string(),
            nodes,
        })
    }

    /// Render the template over `data`.
    pub fn render(&self, data: &Value) -> Result<String, String> {
        let mut out = String::new();
        render(&self.nodes, data, &mut out)
            .map_err(|e| format!("error executing jsonpath {:?}: {e}", self.source))?;
        Ok(out)
    }

    /// The values one action finds (for custom columns).
    pub fn find<'a>(&self, data: &'a Value) -> Result<Vec<Cow<'a, Value>>, String> {
        let mut all = Vec::new();
        for node in &self.nodes {
            match node {
                Node::Action(steps) => all.extend(eval(steps, vec![Cow::Borrowed(data)])?),
                Node::Text(t) => all.push(Cow::Owned(Value::String(t.clone()))),
                Node::Range(..) => {}
            }
        }
        Ok(all)
    }
}

fn render(nodes: &[Node], data: &Value, out: &mut String) -> Result<(), String> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(steps) => {
                let results = eval(steps, vec![Cow::Borrowed(data)])?;
                for (i, r) in results.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(&text(r));
                }
            }
            Node::Range(over, body) => {
                for item in eval(over, vec![Cow::Borrowed(data)])? {
                    render(body, &item, out)?;
                }
            }
        }
    }
    Ok(())
}

/// A result as text: strings raw, maps and lists as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Array(_) | Value::Object(_) => super::json::compact(v),
        other => super::table::cell(other),
    }
}

fn eval<'a>(steps: &[Step], mut cur: Vec<Cow<'a, Value>>) -> Result<Vec<Cow<'a, Value>>, String> {
    for step in steps {
        cur = eval_step(step, cur)?;
    }
    Ok(cur)
}

fn children<'a>(v: &Cow<'a, Value>) -> Vec<Cow<'a, Value>> {
    let sorted_values = |m: &serde_json::Map<String, Value>| {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        keys.into_iter().map(|k| m[k].clone()).collect::<Vec<_>>()
    };
    match v {
        Cow::Borrowed(Value::Object(m)) => {
            let mut keys: Vec<&'a String> = m.keys().collect();
            keys.sort();
            keys.into_iter().map(|k| Cow::Borrowed(&m[k])).collect()
        }
        Cow::Borrowed(Value::Array(a)) => a.iter().map(Cow::Borrowed).collect(),
        Cow::Owned(Value::Object(m)) => sorted_values(m).into_iter().map(Cow::Owned).collect(),
        Cow::Owned(Value::Array(a)) => a.iter().cloned().map(Cow::Owned).collect(),
        // Go indexes a string's bytes.
        _ => match v.as_ref() {
            Value::String(s) => s.bytes().map(|b| Cow::Owned(Value::from(b))).collect(),
            _ => Vec::new(),
        },
    }
}

fn eval_step<'a>(step: &Step, input: Vec<Cow<'a, Value>>) -> Result<Vec<Cow<'a, Value>>, String> {
    let mut out = Vec::new();
    match step {
        Step::Literal(v) => {
            out.extend(input.iter().map(|_| Cow::Owned(v.clone())));
            if input.is_empty() {
                out.push(Cow::Owned(v.clone()));
            }
        }
        Step::Field(name) => {
            for v in input {
                match v {
                    Cow::Borrowed(Value::Object(m)) => {
                        if let Some(x) = m.get(name) {
                            out.push(Cow::Borrowed(x));
                        }
                    }
                    Cow::Owned(Value::Object(mut m)) => {
                        if let Some(x) = m.remove(name) {
                            out.push(Cow::Owned(x));
                        }
                    }
                    _ => {}
                }
            }
        }
        Step::Wildcard => {
            for v in input.iter().filter(|v| !v.is_null()) {
                out.extend(children(v));
            }
        }
        Step::Recursive => {
            fn walk<'a>(v: Cow<'a, Value>, out: &mut Vec<Cow<'a, Value>>) {
                let kids = children(&v);
                if kids.is_empty() || v.is_string() {
                    return;
                }
                out.push(v);
                for k in kids {
                    walk(k, out);
                }
            }
            for v in input {
                walk(v, &mut out);
            }
        }
        Step::Slice { start, end, single } => {
            for v in input.into_iter().filter(|v| !v.is_null()) {
                let items = match v {
                    Cow::Borrowed(Value::Array(a)) => {
                        a.iter().map(Cow::Borrowed).collect::<Vec<_>>()
                    }
                    Cow::Owned(Value::Array(a)) => a.into_iter().map(Cow::Owned).collect(),
                    other => return Err(format!("{} is not array or slice", go_type(&other))),
                };
                let len = items.len() as i64;
                let mut s = start.unwrap_or(0);
                if s < 0 {
                    s += len;
                }
                let mut e = if *single { s + 1 } else { end.unwrap_or(len) };
                if !single && e < 0 {
                    e += len;
                }
                if e != s {
                    if s >= len || s < 0 {
                        return Err(format!(
                            "array index out of bounds: index {s}, length {len}"
                        ));
                    }
                    if e > len {
                        return Err(format!(
                            "array index out of bounds: index {}, length {len}",
                            e - 1
                        ));
                    }
                }
                if e > s {
                    out.extend(items.into_iter().skip(s as usize).take((e - s) as usize));
                }
            }
        }
        Step::Union(parts) => {
            for p in parts {
                out.extend(eval(p, input.clone())?);
            }
        }
        Step::Filter { left, op, right } => {
            for v in input {
                let items = match v {
                    Cow::Borrowed(Value::Array(a)) => {
                        a.iter().map(Cow::Borrowed).collect::<Vec<_>>()
                    }
                    Cow::Owned(Value::Array(a)) => a.into_iter().map(Cow::Owned).collect(),
                    other => {
                        return Err(format!(
                            "{} is not array or slice and cannot be filtered",
                            text(&other)
                        ))
                    }
                };
                for item in items {
                    let lefts = eval(left, vec![item.clone()]);
                    if op == "exists" {
                        if lefts.is_ok_and(|l| !l.is_empty()) {
                            out.push(item);
                        }
                        continue;
                    }
                    let lefts = lefts?;
                    let rights = eval(right, vec![item.clone()])?;
                    if lefts.len() != 1 || rights.len() != 1 {
                        return Err("can only compare one element at a time".into());
                    }
                    if compare(&lefts[0], op, &rights[0])? {
                        out.push(item);
                    }
                }
            }
        }
    }
    Ok(out)
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map[string]interface {}",
        Value::String(_) => "string",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Bool(_) => "bool",
        Value::Array(_) => "[]interface {}",
        Value::Null => "<nil>",
    }
}

/// Go template comparison: numbers with numbers (ints with ints, floats
/// with floats), strings with strings, bools only for (in)equality.
fn compare(l: &Value, op: &str, r: &Value) -> Result<bool, String> {
    use std::cmp::Ordering;
    let ord = match (l, r) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() == b.is_f64() => {
            if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
                x.cmp(&y)
            } else {
                let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
        }
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) if matches!(op, "==" | "!=") => {
            return Ok((a == b) == (op == "=="))
        }
        _ => return Err("incompatible types for comparison".into()),
    };
    Ok(match op {
        "<" => ord == Ordering::Less,
        ">" => ord == Ordering::Greater,
        "==" => ord == Ordering::Equal,
        "!=" => ord != Ordering::Equal,
        "<=" => ord != Ordering::Greater,
        ">=" => ord != Ordering::Less,
        other => return Err(format!("unrecognized filter operator {other}")),
    })
}

struct Parser<'s> {
    s: &'s str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The steps inside `{...}` (after the `{`), up to and past the `}`;
    /// and the identifier (`range`, `end`) if the action is one.
    fn action(&mut self) -> Result<(Vec<Step>, Option<String>), String> {
        let mut steps = Vec::new();
        let mut ident = None;
        loop {
            let rest = self.rest();
            if rest.starts_with('}') {
                self.pos += 1;
                return Ok((steps, ident));
            }
            if rest.starts_with("[?(") {
                steps.push(self.filter()?);
                continue;
            }
            if rest.starts_with("..") {
                if matches!(steps.last(), Some(Step::Recursive)) {
                    return Err("invalid multiple recursive descent".into());
                }
                self.pos += 2;
                steps.push(Step::Recursive);
                if self.peek().is_some_and(alnum) {
                    steps.push(self.field());
                }
                continue;
            }
            let Some(c) = self.peek() else {
                return Err("unclosed action".into());
            };
            match c {
                '\n' | '\r' => return Err("unclosed action".into()),
                ' ' | '@' | '$' => self.pos += 1,
                '[' => steps.push(self.array()?),
                '"' | '\'' => steps.push(Step::Literal(Value::String(self.quote(c)?))),
                '.' => {
                    self.pos += 1;
                    steps.push(self.field());
                }
                '+' | '-' | '0'..='9' => steps.push(self.number()?),
                c if alnum(c) => {
                    let word = self.word();
                    match word.as_str() {
                        "true" => steps.push(Step::Literal(Value::Bool(true))),
                        "false" => steps.push(Step::Literal(Value::Bool(false))),
                        _ => ident = Some(word),
                    }
                }
                other => {
                    return Err(format!(
                        "unrecognized character in action: U+{:04X} '{other}'",
                        other as u32
                    ))
                }
            }
        }
    }

    fn word(&mut self) -> String {
        let end = self
            .rest()
            .find(terminator)
            .map_or(self.s.len(), |n| self.pos + n);
        let w = self.s[self.pos..end].to_string();
        self.pos = end;
        w
    }

    fn field(&mut self) -> Step {
        let mut name = String::new();
        let mut chars = self.rest().char_indices();
        let mut end = self.rest().len();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                if let Some((_, n)) = chars.next() {
                    name.push(n);
                }
                continue;
            }
            if terminator(c) {
                end = i;
                break;
            }
            name.push(c);
        }
        self.pos += end;
        if name == "*" {
            Step::Wildcard
        } else {
            Step::Field(name)
        }
    }

    fn number(&mut self) -> Result<Step, String> {
        let start = self.pos;
        if matches!(self.peek(), Some('+' | '-')) {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c == '.' || c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text = &self.s[start..self.pos];
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Step::Literal(Value::from(i)));
        }
        text.parse::<f64>()
            .map(|f| Step::Literal(Value::from(f)))
            .map_err(|_| format!("cannot parse number {text}"))
    }

    fn quote(&mut self, q: char) -> Result<String, String> {
        let start = self.pos;
        self.pos += 1;
        let mut prev = '\0';
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated quoted string".into());
            };
            self.pos += c.len_utf8();
            if c == '\n' {
                return Err("unterminated quoted string".into());
            }
            if c == q && prev != '\\' {
                break;
            }
            prev = c;
        }
        let raw = &self.s[start..self.pos];
        unquote(raw).ok_or_else(|| format!("unquote string {raw} error invalid syntax"))
    }

    fn array(&mut self) -> Result<Step, String> {
        let start = self.pos;
        let Some(close) = self.rest().find([']', '\n']) else {
            return Err("unterminated array".into());
        };
        if self.rest().as_bytes()[close] == b'\n' {
            return Err("unterminated array".into());
        }
        self.pos += close + 1;
        let inner = &self.s[start + 1..self.pos - 1];
        let inner = if inner == "*" { ":" } else { inner };
        if inner.contains(',') {
            let mut parts = Vec::new();
            for part in inner.split(',') {
                let text = format!("[{}]}}", part.trim());
                parts.push(Parser { s: &text, pos: 0 }.action()?.0);
            }
            return Ok(Step::Union(parts));
        }
        if let Some(key) = inner
            .strip_prefix('\'')
            .and_then(|k| k.strip_suffix('\''))
            .filter(|k| !k.contains('\''))
        {
            return Ok(Step::Field(key.to_string()));
        }
        slice(inner).ok_or_else(|| format!("invalid array index {inner}"))
    }

    fn filter(&mut self) -> Result<Step, String> {
        self.pos += 3;
        let start = self.pos;
        let (mut begin, mut end, mut pair) = (false, false, '\0');
        let mut prev = '\0';
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated filter".into());
            };
            self.pos += c.len_utf8();
            match c {
                '\n' => return Err("unterminated filter".into()),
                '"' | '\'' if !begin => {
                    begin = true;
                    pair = c;
                }
                '"' | '\'' if prev != '\\' && c == pair => end = true,
                ')' if begin == end => break,
                _ => {}
            }
            prev = c;
        }
        if self.peek() != Some(']') {
            return Err("unclosed array expect ]".into());
        }
        self.pos += 1;
        let text = &self.s[start..self.pos - 2];
        let sub = |t: &str| -> Result<Vec<Step>, String> {
            let owned = format!("{t}}}");
            let mut p = Parser { s: &owned, pos: 0 };
            Ok(p.action()?.0)
        };
        // `^([^!<>=]+)([!<>=]+)(.+?)$`
        let op_start = text.find(['!', '<', '>', '=']);
        match op_start {
            Some(i) if i > 0 => {
                let op_len = text[i..]
                    .find(|c: char| !matches!(c, '!' | '<' | '>' | '='))
                    .unwrap_or(text.len() - i);
                let (left, rest) = text.split_at(i);
                let (op, right) = rest.split_at(op_len);
                if right.is_empty() {
                    return Ok(Step::Filter {
                        left: sub(text)?,
                        op: "exists".into(),
                        right: Vec::new(),
                    });
                }
                Ok(Step::Filter {
                    left: sub(left)?,
                    op: op.to_string(),
                    right: sub(right)?,
                })
            }
            _ => Ok(Step::Filter {
                left: sub(text)?,
                op: "exists".into(),
                right: Vec::new(),
            }),
        }
    }
}

/// `^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`
fn slice(text: &str) -> Option<Step> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 {
        return None;
    }
    let num = |s: &str| -> Option<Option<i64>> {
        if s.is_empty() {
            return Some(None);
        }
        let body = s.strip_prefix('-').unwrap_or(s);
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().map(Some)
    };
    let start = num(parts[0])?;
    let end = match parts.get(1) {
        Some(e) => num(e)?,
        None => None,
    };
    if let Some(c) = parts.get(2) {
        num(c)?;
    }
    Some(Step::Slice {
        start,
        end,
        single: parts.len() == 1 && start.is_some(),
    })
}

fn alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn terminator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
    )
}

/// Go's `strconv.Unquote`, also for single quotes.
fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    let body = s.strip_prefix(q)?.strip_suffix(q)?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'x' => {
                let h: String = chars.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&h, 16).ok()?));
            }
            'u' => {
                let h: String = chars.by_ref().take(4).collect();
                out.push(char::from_u32(u32::from_str_radix(&h, 16).ok()?)?);
            }
            'U' => {
                let h: String = chars.by_ref().take(8).collect();
                out.push(char::from_u32(u32::from_str_radix(&h, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Templates and what kubectl 1.37 printed for them over the same list
    /// (captured with `kubectl get cm -o jsonpath=...` against
    /// kubewire-server).
    #[test]
    fn renders_as_kubectl() {
        let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
            {"kind": "ConfigMap", "metadata": {"name": "jp", "labels": {"app": "web", "tier": "x"}, "creationTimestamp": "2026-12-01T23:46:00Z"}, "data": {"a": "1", "b": "two"}},
            {"kind": "ConfigMap", "metadata": {"name": "ytest", "labels": {"x": "1"}, "creationTimestamp": "2026-12-01T23:42:45Z"}, "data": {"at": "@a"}},
        ]});
        let cases = [
            ("{.metadata.labels}", ""),
            ("{.nope}", ""),
            (
                "{range .items[*]}{.metadata.name}{\"\\t\"}{end}",
                "jp\tytest\t",
            ),
            ("{.items[*].metadata.name}", "jp ytest"),
            ("{.items[-1:].metadata.name}", "ytest"),
            ("{.items[?(@.metadata.name==\"jp\")].data.b}", "two"),
            ("{.kind}", "List"),
            ("{$.kind}", "List"),
            ("{@.kind}", "List"),
            (
                "{.items[*].metadata.labels}",
                "{\"app\":\"web\",\"tier\":\"x\"} {\"x\":\"1\"}",
            ),
            ("{.items[*]['metadata']['name']}", "jp ytest"),
            ("{.items[*].metadata.nope}", ""),
            (
                "{.items[*].metadata.creationTimestamp}",
                "2026-12-01T23:46:00Z 2026-12-01T23:42:45Z",
            ),
            ("kind is {.kind}", "kind is List"),
            ("{.items[0].data.*}", "1 two"),
            (
                "{.items[*].metadata['name','labels']}",
                "jp ytest {\"app\":\"web\",\"tier\":\"x\"} {\"x\":\"1\"}",
            ),
        ];
        for (t, want) in cases {
            assert_eq!(
                Template::parse(t).unwrap().render(&list).unwrap(),
                want,
                "{t}"
            );
        }
        assert_eq!(
            Template::parse("{..name}").unwrap().render(&list).unwrap(),
            "jp ytest"
        );
        let err = Template::parse("{.items[1:3].metadata.name}")
            .unwrap()
            .render(&list)
            .unwrap_err();
        assert!(
            err.contains("array index out of bounds: index 2, length 2"),
            "{err}"
        );
        let err = Template::parse("{.items[99]}")
            .unwrap()
            .render(&list)
            .unwrap_err();
        assert!(
            err.contains("array index out of bounds: index 99, length 2"),
            "{err}"
        );
        let err = Template::parse("{.items[*][\"metadata.name\"]}").unwrap_err();
        assert!(
            err.contains("invalid array index \"metadata.name\""),
            "{err}"
        );
        assert!(Template::parse("{.a").is_err());
    }
}
