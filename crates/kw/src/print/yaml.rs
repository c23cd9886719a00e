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

use serde_json::Value;

/// The YAML document for `v`, ending in a newline.
pub fn document(v: &Value) -> String {
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
pub fn list_item(out: &mut String, v: &Value) {
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
enum Style {
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
    fn node(&mut self, v: &Value, ctx: Context, indent: usize) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                let inner = if ctx == Context::Root {
                    0
                } else {
                    indent + INDENT
                };
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                for key in keys {
                    self.write_indent(inner);
                    self.key_value(key, &m[key], inner);
                }
            }
            Value::Array(items) if !items.is_empty() => {
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
            Value::Object(_) => self.indicator("{}", true, false, false),
            Value::Array(_) => self.indicator("[]", true, false, false),
            scalar => {
                let text = scalar_text(scalar);
                let style = match scalar {
                    Value::String(s) => style(s, false),
                    _ => Style::Plain,
                };
                self.scalar(&text, style, indent + INDENT, true);
            }
        }
    }

    /// `key: value` with the key at `indent` (already written to).
    fn key_value(&mut self, key: &str, value: &Value, indent: usize) {
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

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => yaml_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// go-yaml writes a float with `strconv.FormatFloat(f, 'g', -1, 64)`; a
/// JSON number that is a whole float (`2.0`) was read back as an int first.
fn yaml_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        return format!("{}", f as i64);
    }
    match crate::print::table::go_float(f).as_str() {
        "+Inf" => ".inf".into(),
        "-Inf" => "-.inf".into(),
        "NaN" => ".nan".into(),
        other => other.into(),
    }
}

fn is_break_char(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml's `is_printable` (which also rules out characters outside the
/// Basic Multilingual Plane: they are escaped).
fn printable(c: char) -> bool {
    let v = c as u32;
    v == 0x0a
        || (0x20..=0x7e).contains(&v)
        || (0xa0..=0xd7ff).contains(&v)
        || ((0xe000..=0xfffd).contains(&v) && v != 0xfeff)
}

/// The style go-yaml picks for a string.
fn style(s: &str, simple_key: bool) -> Style {
    let requested = if s.contains('\n') {
        Style::Literal
    } else if resolves_to_string(s) && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::Double
    };
    let a = analyze(s);
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// go-yaml's `yaml_emitter_analyze_scalar`, for block context.
fn analyze(s: &str) -> Analysis {
    // The common case: letters, digits and `-._/` only, not starting with
    // `-` or `.`: plain everywhere.
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/'))
        && !s.starts_with(['-', '.'])
    {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
    }
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|&n| n == ' ' || n == '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' if followed_by_whitespace => block_indicators = true,
                '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !printable(c) {
            special = true;
        }
        let last = i + 1 == chars.len();
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break_char(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = c == ' ' || c == '\t' || is_break_char(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Whether go-yaml's resolver reads `s`, written plain, back as a string
/// (not a bool, null, number, timestamp or merge key).
fn resolves_to_string(s: &str) -> bool {
    let Some(first) = s.bytes().next() else {
        return false; // "" is null
    };
    const MAPPED: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "~", "null", "Null", "NULL",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            !MAPPED.contains(&s)
        }
        b'.' => !MAPPED.contains(&s) && !is_go_float(s),
        b'+' | b'-' | b'0'..=b'9' => {
            if MAPPED.contains(&s) || is_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            !(is_go_int(&plain)
                || is_yaml_style_float(&plain) && is_go_float(&plain)
                || is_binary(&plain))
        }
        _ => true,
    }
}

/// `strconv.ParseInt(s, 0, 64)` or `ParseUint` succeeds: decimal, `0x`,
/// `0o`, `0b`, or a leading-zero octal.
fn is_go_int(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (digits, radix) =
        if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (h, 16)
        } else if let Some(o) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (o, 8)
        } else if let Some(b) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (b, 2)
        } else if body.len() > 1 && body.starts_with('0') {
            (&body[1..], 8)
        } else {
            (body, 10)
        };
    !digits.is_empty() && u64::from_str_radix(digits, radix).is_ok() && {
        // ParseInt's range for a signed value; ParseUint takes the rest
        // (without a sign).
        let v = u64::from_str_radix(digits, radix).unwrap_or(u64::MAX);
        !s.starts_with('-') || v <= 1 << 63
    }
}

fn is_binary(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    body.strip_prefix("0b")
        .is_some_and(|b| !b.is_empty() && i64::from_str_radix(b, 2).is_ok())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` succeeds (for the inputs the resolver
/// hands it: decimal forms; Go also reads hex floats and `inf`, which the
/// resolver never reaches with these first characters).
fn is_go_float(s: &str) -> bool {
    is_yaml_style_float(s) || {
        let b = s.strip_prefix(['+', '-']).unwrap_or(s);
        b.eq_ignore_ascii_case("inf")
            || b.eq_ignore_ascii_case("infinity")
            || b.eq_ignore_ascii_case("nan")
    }
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let group = &b[start..i];
        let ok = match group {
            [d] => d.is_ascii_digit(),
            [a, _] => (b'0'..=b'5').contains(a),
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml's `parseTimestamp`: `time.Parse` with `2006-1-2T15:4:5.999999999Z07:00`
/// (also lower-case `t`), `2006-1-2 15:4:5.999999999` or `2006-1-2`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    let num = |i: &mut usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < 2 {
            *i += 1;
        }
        if *i == start {
            return None;
        }
        s[start..*i].parse().ok()
    };
    let year: u32 = s[..4].parse().unwrap_or(0);
    let Some(month) = num(&mut i) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i) else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    let zoned = match b.get(i) {
        None => return true,
        Some(b'T' | b't') => true,
        Some(b' ') => false,
        Some(_) => return false,
    };
    i += 1;
    let Some(hour) = num(&mut i) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(minute) = num(&mut i) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(second) = num(&mut i) else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if !zoned {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let z = &b[i + 1..];
            z.len() == 5
                && z[0].is_ascii_digit()
                && z[1].is_ascii_digit()
                && z[2] == b':'
                && z[3].is_ascii_digit()
                && z[4].is_ascii_digit()
        }
        _ => false,
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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
}
