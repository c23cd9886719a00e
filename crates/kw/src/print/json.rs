//! JSON as kubectl writes it (Go's `encoding/json` over an unstructured
//! object): keys sorted, four-space indent, and Go's escapes: `<`, `>`, `&`,
//! U+2028 and U+2029 as `\u003c`..., other control characters as `\u00XX`.

use kubewire::yaml::Node;
use serde_json::Value;

/// `json.MarshalIndent(v, "", "    ")`, without the final newline.
pub fn pretty(v: &Value) -> String {
    let mut out = String::new();
    pretty_into(&mut out, &Node::from_value(v), 0);
    out
}

/// [`pretty`] appended to `out` as if every line after the first were
/// indented by `level` more steps: how an item sits inside a `kind: List`
/// (level 2). Written in one pass into the caller's buffer, since a long
/// listing prints this once per item.
pub fn pretty_into(out: &mut String, v: &Node<'_>, level: usize) {
    write(out, v, Some(level));
}

/// `json.Marshal(v)`: one line.
pub fn compact(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, &Node::from_value(v), None);
    out
}

fn newline(out: &mut String, indent: Option<usize>) {
    if let Some(level) = indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str("    ");
        }
    }
}

/// Writes `v`; a [`Node`]'s maps are already sorted by key, as Go writes
/// a map.
fn write(out: &mut String, v: &Node<'_>, indent: Option<usize>) {
    let inner = indent.map(|l| l + 1);
    match v {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push_str(&go_json_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Node::Str(s) => string(out, s),
        Node::Seq(items) if items.is_empty() => out.push_str("[]"),
        Node::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write(out, item, inner);
            }
            newline(out, indent);
            out.push(']');
        }
        Node::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Node::Map(entries) => {
            out.push('{');
            for (i, (k, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                string(out, k);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(out, value, inner);
            }
            newline(out, indent);
            out.push('}');
        }
    }
}

/// A JSON string with Go's escapes.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    // Most strings need no escape: copy them whole.
    let plain = s
        .bytes()
        .all(|b| b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&'))
        && !s.contains(['\u{2028}', '\u{2029}']);
    if plain {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float as `encoding/json` writes it: plain decimals, exponent form
/// (`1e+21`, `1e-7`) outside [1e-6, 1e21).
fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format!("{f:e}");
        let (m, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{}", exp.abs());
    }
    let text = format!("{f}");
    text.strip_suffix(".0").map(String::from).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_what_kubectl_writes() {
        let v =
            json!({"b": [], "a": {"h": "<a&b> \u{2028} é 😀 \u{1}", "e": {}}, "n": 1.5, "i": 7});
        assert_eq!(
            pretty(&v),
            "{\n    \"a\": {\n        \"e\": {},\n        \"h\": \"\\u003ca\\u0026b\\u003e \\u2028 é 😀 \\u0001\"\n    },\n    \"b\": [],\n    \"i\": 7,\n    \"n\": 1.5\n}"
        );
        assert_eq!(
            compact(&json!({"type": "ADDED", "object": {"x": [1, 2]}})),
            r#"{"object":{"x":[1,2]},"type":"ADDED"}"#
        );
        // Inside a List: every line after the first four more spaces in per
        // level, nothing else changed.
        let mut nested = String::from("        ");
        pretty_into(&mut nested, &Node::from_value(&v), 2);
        let indented: Vec<String> = pretty(&v).lines().map(|l| format!("        {l}")).collect();
        assert_eq!(nested, indented.join("\n"));
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert_eq!(go_json_float(2.0), "2");
    }
}
