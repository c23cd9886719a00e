//! YAML as kubectl writes it. kubectl turns an object into JSON and then
//! into YAML with go-yaml v2 (`sigs.k8s.io/yaml`), so its output follows
//! that emitter's rules, which this module reproduces for JSON values:
//!
//! - keys sorted; nested maps indented by two, lists under a key not
//!   indented (`key:\n- item`); empty maps and lists as `{}` and `[]`;
//! - a string that a YAML 1.1 reader would take for something else (`"9"`,
//!   `"true"`, `"y"`, `"0x1F"`, `"1:20"`, `"2024-01-01"`, `""`) is
//!   double-quoted; one that cannot be written plain (`'*'`, `'a: b'`, `'x '`)
//!   is single-quoted; one with control characters (or a space before a line
//!   break) double-quoted with escapes; one with line breaks as a literal
//!   block (`|`, `|-`, `|+`);
//! - lines longer than 80 columns are folded at a space (plain and quoted
//!   scalars), as go-yaml's emitter does.
//!
//! It is in the core because every host prints objects the same way: `kw
//! get -o yaml` and the browser dashboard's details pane (through
//! kubewire-web's `toYaml`) share this one copy. [`hide_managed_fields`] is
//! kubectl's default view of an object for `-o yaml` and `-o json` alike.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

mod node;
mod scalar;

pub use node::Node;
use scalar::{is_break_char, printable, style};

/// The YAML document for `v`, ending in a newline.
pub fn document(v: &Value) -> String {
    node_document(&Node::from_value(v))
}

/// [`document`] for a [`Node`].
pub fn node_document(v: &Node<'_>) -> String {
    let mut e = Emitter::default();
    e.node(v, Context::Root, 0);
    if !e.out.ends_with('\n') {
        e.out.push('\n');
    }
    e.out
}

/// One item of a `kind: List` document's `items:` (`- ` and the object at
/// indent 2), folded where kubectl folds it inside the whole list.
/// Appended to `out`, which is empty or ends a line: a long listing writes
/// every item through one buffer.
pub fn list_item(out: &mut String, v: &Node<'_>) {
    let mut e = Emitter {
        out: core::mem::take(out),
        ..Emitter::default()
    };
    e.write_indent(0);
    e.indicator("-", true, false, true);
    e.node(v, Context::SeqItem, 0);
    if !e.out.ends_with('\n') {
        e.out.push('\n');
    }
    *out = e.out;
}

/// An object's JSON text as `kubectl get -o yaml` shows it: managedFields
/// hidden, then [`document`]. For hosts that hold the object as text (the
/// browser has it as a JavaScript value and stringifies it).
pub fn from_json(json: &[u8]) -> Result<String, serde_json::Error> {
    let mut obj: Node<'_> = crate::json::from_bytes(json)?;
    hide_managed_fields_node(&mut obj);
    Ok(node_document(&obj))
}

/// kubectl hides `metadata.managedFields` unless `--show-managed-fields`:
/// they are server-side apply's bookkeeping, long and rarely what a person
/// looks for.
pub fn hide_managed_fields(obj: &mut Value) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
}

/// [`hide_managed_fields`] for a [`Node`].
pub fn hide_managed_fields_node(obj: &mut Node<'_>) {
    if let Some(meta) = obj.get_mut("metadata") {
        meta.remove("managedFields");
    }
}

const BEST_WIDTH: usize = 80;
const INDENT: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Root,
    /// The value of a key in a block map whose keys are at this indent.
    MapValue,
    /// An item of a block sequence.
    SeqItem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// The emitter's cursor state, named as go-yaml names it.
struct Emitter {
    out: String,
    column: usize,
    /// The last character written is whitespace (or nothing was written).
    whitespace: bool,
    /// Only indentation has been written on this line.
    indention: bool,
}

impl Default for Emitter {
    fn default() -> Self {
        Emitter {
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
        }
    }
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// go-yaml's `write_indent`.
    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    /// go-yaml's `write_indicator`.
    fn indicator(
        &mut self,
        text: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in text.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// A node at `indent` (the indent its own block content would use).
    fn node(&mut self, v: &Node<'_>, ctx: Context, indent: usize) {
        match v {
            Node::Map(entries) if !entries.is_empty() => {
                let inner = if ctx == Context::Root {
                    0
                } else {
                    indent + INDENT
                };
                for (key, value) in entries {
                    self.write_indent(inner);
                    self.key_value(key, value, inner);
                }
            }
            Node::Seq(items) if !items.is_empty() => {
                // A list that is a map's value is not indented; one inside a
                // list is.
                let inner = match ctx {
                    Context::MapValue => indent,
                    Context::SeqItem => indent + INDENT,
                    Context::Root => 0,
                };
                for item in items {
                    self.write_indent(inner);
                    self.indicator("-", true, false, true);
                    self.node(item, Context::SeqItem, inner);
                }
            }
            Node::Map(_) => self.indicator("{}", true, false, false),
            Node::Seq(_) => self.indicator("[]", true, false, false),
            Node::Str(s) => self.scalar(s, style(s, false), indent + INDENT, true),
            Node::Null => self.scalar("null", Style::Plain, indent + INDENT, true),
            Node::Bool(b) => {
                let text = if *b { "true" } else { "false" };
                self.scalar(text, Style::Plain, indent + INDENT, true);
            }
            Node::Number(n) => {
                let text = match n.as_f64() {
                    Some(f) if n.is_f64() => yaml_float(f),
                    _ => n.to_string(),
                };
                self.scalar(&text, Style::Plain, indent + INDENT, true);
            }
        }
    }

    /// `key: value` with the key at `indent` (already written to).
    fn key_value(&mut self, key: &str, value: &Node<'_>, indent: usize) {
        let simple = key.len() <= 128 && !key.contains(is_break_char);
        if simple {
            self.scalar(key, style(key, true), indent, false);
            self.indicator(":", false, false, false);
        } else {
            // A key go-yaml will not write as a simple key: `? key` then
            // `: value` on the next line.
            self.indicator("?", true, false, true);
            self.scalar(key, Style::Double, indent + INDENT, true);
            self.write_indent(indent);
            self.indicator(":", true, false, true);
        }
        self.node(value, Context::MapValue, indent);
    }

    fn scalar(&mut self, s: &str, style: Style, indent: usize, allow_breaks: bool) {
        match style {
            Style::Plain => self.plain(s, indent, allow_breaks),
            Style::Single => self.single_quoted(s, indent, allow_breaks),
            Style::Double => self.double_quoted(s, indent, allow_breaks),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let width = s.chars().count();
        // No fold can happen: a space is only ever broken past column 80.
        if !allow_breaks || self.column + width <= BEST_WIDTH + 1 || !s.contains(' ') {
            self.out.push_str(s);
            self.column += width;
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
            i += 1;
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                    && !next_space
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("\"", true, false, false);
        let width = s.chars().count();
        let needs_escape = s
            .chars()
            .any(|c| !printable(c) || c == '\u{feff}' || is_break_char(c) || c == '"' || c == '\\');
        if !needs_escape
            && (!allow_breaks || self.column + width <= BEST_WIDTH + 1 || !s.contains(' '))
        {
            self.out.push_str(s);
            self.column += width;
            self.indicator("\"", false, false, false);
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !printable(c) || c == '\u{feff}' || is_break_char(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c => {
                        let v = c as u32;
                        let (letter, width) = if v <= 0xff {
                            ('x', 2)
                        } else if v <= 0xffff {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for ch in format!("{v:0width$X}").chars() {
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != chars.len()
                {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.indicator("|", true, false, false);
        // Block scalar hints: an indentation indicator when the text starts
        // with a space or break, and the chomping indicator.
        let chars: Vec<char> = s.chars().collect();
        if chars.first().is_some_and(|&c| c == ' ' || is_break_char(c)) {
            self.indicator(&INDENT.to_string(), false, false, false);
        }
        let chomp = match chars.as_slice() {
            [] => Some("-"),
            [.., last] if !is_break_char(*last) => Some("-"),
            [_] => Some("+"),
            [.., before, _] if is_break_char(*before) => Some("+"),
            _ => None,
        };
        if let Some(c) = chomp {
            self.indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break_char(c) {
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                    breaks = false;
                }
                self.put(c);
                self.indention = false;
            }
        }
    }
}

/// go-yaml writes a float with `strconv.FormatFloat(f, 'g', -1, 64)`; a
/// JSON number that is a whole float (`2.0`) was read back as an int first.
fn yaml_float(f: f64) -> String {
    // (`f64::fract` is std-only: a whole float is one the cast keeps.)
    if (f as i64) as f64 == f && f > -9.2e18 && f < 9.2e18 {
        return format!("{}", f as i64);
    }
    match go_float(f).as_str() {
        "+Inf" => ".inf".into(),
        "-Inf" => "-.inf".into(),
        "NaN" => ".nan".into(),
        other => other.into(),
    }
}

/// A float as Go's `%v` prints it: the shortest digits, in exponent form
/// when the decimal exponent is below -4 or at least 6 (strconv's rule for
/// the shortest `g`).
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, digits) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m.replace('.', "")),
        None => ("", mantissa.replace('.', "")),
    };
    if !(-4..6).contains(&exp) {
        let rest = &digits[1..];
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{}{dot}{rest}e{esign}{:02}", &digits[..1], exp.abs());
    }
    let point = exp + 1;
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What kubectl 1.37 printed for these ConfigMap data values (captured
    /// against kubewire-server with `kubectl get cm -o yaml`).
    #[test]
    fn quotes_and_folds_as_kubectl() {
        let cases: &[(&str, &str)] = &[
            ("@a", "'@a'"),
            ("1:20", "\"1:20\""),
            ("!a", "'!a'"),
            ("0b101", "\"0b101\""),
            ("a{b", "a{b"),
            ("a\\b", "a\\b"),
            ("`a", "'`a'"),
            (":a", ":a"),
            ("a:", "'a:'"),
            ("a: b", "'a: b'"),
            ("a,b", "a,b"),
            ("a\rb", "\"a\\rb\""),
            ("a\u{1}b", "\"a\\x01b\""),
            ("- x", "'- x'"),
            ("---x", "'---x'"),
            (".", "."),
            ("...", "'...'"),
            ("\"a\"", "'\"a\"'"),
            ("1e", "1e"),
            ("😀", "\"\\U0001F600\""),
            ("", "\"\""),
            (".5", "\".5\""),
            ("a #b", "'a #b'"),
            ("0x1F", "\"0x1F\""),
            (".inf", "\".inf\""),
            (" x", "' x'"),
            ("-a", "-a"),
            ("-1", "\"-1\""),
            ("-0b1", "\"-0b1\""),
            ("~", "\"~\""),
            ("1e3", "\"1e3\""),
            ("0o17", "\"0o17\""),
            ("On", "\"On\""),
            ("%a", "'%a'"),
            ("+1", "\"+1\""),
            ("?a", "?a"),
            ("? a", "'? a'"),
            ("'a'", "'''a'''"),
            ("a \nb", "\"a \\nb\""),
            ("a  b", "a  b"),
            ("*", "'*'"),
            ("a\tb", "\"a\\tb\""),
            ("x ", "'x '"),
            ("2024-01-01", "\"2024-01-01\""),
            ("2024-1-2 3:4:5", "\"2024-1-2 3:4:5\""),
            ("2026-12-01T23:41:39Z", "\"2026-12-01T23:41:39Z\""),
            ("1_000", "\"1_000\""),
            ("é", "é"),
            ("y", "\"y\""),
            ("007", "\"007\""),
            ("9", "\"9\""),
            ("true", "\"true\""),
            ("1.0.0", "1.0.0"),
            ("2024-01-01T00:00:00", "2024-01-01T00:00:00"),
        ];
        for (input, want) in cases {
            let doc = document(&serde_json::json!({"k": input}));
            assert_eq!(doc, format!("k: {want}\n"), "for {input:?}");
        }
    }

    #[test]
    fn blocks_and_nesting_as_kubectl() {
        let v = serde_json::json!({
            "data": {"nl": "a\nb", "nl2": "a\nb\n", "nl3": "a\nb\n\n", "e": {}, "l": []},
            "items": [{"a": 1, "b": ["x", {"c": null}]}, [1, 2]],
        });
        assert_eq!(
            document(&v),
            "data:\n  e: {}\n  l: []\n  nl: |-\n    a\n    b\n  nl2: |\n    a\n    b\n  nl3: |+\n    a\n    b\n\nitems:\n- a: 1\n  b:\n  - x\n  - c: null\n- - 1\n  - 2\n"
        );
        // Folding at 80 columns, plain and double-quoted, as captured.
        let long = ["word"; 40].join(" ");
        assert_eq!(
            document(&serde_json::json!({"data": {"long": long}})),
            "data:\n  long: word word word word word word word word word word word word word word word\n    word word word word word word word word word word word word word word word word\n    word word word word word word word word word\n"
        );
        let longnl = format!("{}\nline two", "line one ".repeat(12));
        assert_eq!(
            document(&serde_json::json!({"data": {"longnl": longnl}})),
            "data:\n  longnl: \"line one line one line one line one line one line one line one line one\n    line one line one line one line one \\nline two\"\n"
        );
    }

    #[test]
    fn from_json_is_kubectls_view() {
        let json = br#"{"kind":"ConfigMap","metadata":{"name":"a","managedFields":[{"manager":"kw"}]},"data":{"n":"9"}}"#;
        assert_eq!(
            from_json(json).unwrap(),
            // `n` is quoted as a key too: go-yaml (YAML 1.1) reads it as false.
            "data:\n  \"n\": \"9\"\nkind: ConfigMap\nmetadata:\n  name: a\n"
        );
        assert!(from_json(b"{not json").is_err());
        assert!(from_json(&[0xff]).is_err());
        // A whole float is an int to go-yaml; others as Go prints them.
        assert_eq!(
            from_json(br#"{"a":2.0,"b":1e21,"c":0.5}"#).unwrap(),
            "a: 2\nb: 1e+21\nc: 0.5\n"
        );
    }
}
