//! Text from a server (a Status message, an event's reason) or a plugin
//! (its stderr) made safe to print on a terminal.
//!
//! A hostile or broken server controls those strings: ANSI escapes can
//! rewrite the screen, move the cursor over earlier output or set the
//! window title, and a 100 KB message buries everything else. kubectl
//! prints them raw; `kw` does not.

/// The most characters of one message printed; the rest is counted.
pub const MAX_CHARS: usize = 2_000;

/// `text` with every control character (ESC and the other C0 and C1
/// codes, DEL; newline and tab kept) shown as `\u{..}`, cut after
/// [`MAX_CHARS`] characters with a note of how much was left out.
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CHARS + 64));
    let mut chars = text.chars();
    for c in chars.by_ref().take(MAX_CHARS) {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            // Bidirectional overrides reorder what follows them on screen.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    let left = chars.count();
    if left > 0 {
        out.push_str(&format!(" … ({left} more characters not shown)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_obeyed_and_long_text_is_cut() {
        assert_eq!(
            for_terminal("bad \u{1b}[2J\u{1b}]0;title\u{7}x\r\n"),
            "bad \\u{1b}[2J\\u{1b}]0;title\\u{7}x\\u{d}\n"
        );
        assert_eq!(for_terminal("a\u{9b}b\u{202e}c"), "a\\u{9b}b\\u{202e}c");
        let long = "y".repeat(100_000);
        let shown = for_terminal(&long);
        assert!(shown.len() < MAX_CHARS + 64);
        assert!(
            shown.ends_with("(98000 more characters not shown)"),
            "{shown}"
        );
        assert_eq!(for_terminal("plain: ünïcode"), "plain: ünïcode");
    }
}
