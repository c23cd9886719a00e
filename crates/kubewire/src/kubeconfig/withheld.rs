//! Parse errors that never repeat a value from the input.
//!
//! serde's messages quote what they did not expect: `invalid type: string
//! "eyJhbGciOi…", expected struct AuthInfo` for a kubeconfig `user:` given
//! as a string, or the token itself when a plugin's `status` is a string.
//! Those inputs are credentials, and errors end up in terminals, logs and
//! bug reports. [`withhold_values`] keeps what the message says about the
//! program (the kind of value found, what was expected, where) and drops
//! every quoted piece of the input.

use alloc::string::String;

/// `msg` (a serde error's text) with every value from the input left out:
/// the `"…"` of a string, the `` `…` `` of a number, boolean, character,
/// variant or field name. Nothing between quotes survives.
pub fn withhold_values(msg: &str) -> String {
    const EXPECTED: &str = ", expected ";
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(start) = rest.find(['"', '`']) {
        // What follows ", expected" (outside quotes) is the program's own
        // description of what it wanted: keep it whole.
        if rest[..start].contains(EXPECTED) {
            out.push_str(rest);
            return out;
        }
        out.push_str(rest[..start].trim_end_matches(' '));
        let quote = rest.as_bytes()[start];
        let after = &rest[start + 1..];
        let end = match quote {
            // serde prints strings with Rust's escaping: skip `\"`.
            b'"' => closing_double_quote(after),
            _ => after.find('`'),
        };
        match end {
            Some(e) => rest = &after[e + 1..],
            // An unclosed quote: everything after it may be input.
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn closing_double_quote(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn values_are_withheld_and_the_rest_kept() {
        assert_eq!(
            withhold_values(
                "invalid type: string \"sk-live-123\\\"x\", expected struct AuthInfo at line 5 column 9"
            ),
            "invalid type: string, expected struct AuthInfo at line 5 column 9"
        );
        assert_eq!(
            withhold_values("invalid value: integer `42`, expected a boolean"),
            "invalid value: integer, expected a boolean"
        );
        assert_eq!(
            withhold_values("unknown variant `hunter2`, expected one of `A`, `B`"),
            "unknown variant, expected one of `A`, `B`"
        );
        assert_eq!(
            withhold_values("EOF while parsing a value at line 1 column 0"),
            "EOF while parsing a value at line 1 column 0"
        );
        assert_eq!(withhold_values("bad \"unclosed secret"), "bad");
    }

    #[test]
    fn serde_json_errors_lose_the_secret() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct S {
            user: Inner,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Inner {}
        let e = serde_json::from_str::<S>(r#"{"user": "tok-3f9a\"e"}"#).unwrap_err();
        assert!(
            e.to_string().contains("tok-3f9a"),
            "the raw error quotes it"
        );
        let shown = withhold_values(&e.to_string());
        assert!(!shown.contains("tok-3f9a"), "{shown}");
        assert!(shown.contains("invalid type: string"), "{shown}");
    }

    #[test]
    fn a_kubeconfig_user_given_as_a_string_is_not_quoted() {
        let json = br#"{"users":[{"name":"u","user":"sk-live-0a1b2c"}]}"#;
        let e = crate::kubeconfig::Kubeconfig::from_json(json).unwrap_err();
        let shown = e.to_string();
        assert!(!shown.contains("sk-live-0a1b2c"), "{shown}");
        assert!(shown.contains("invalid type: string"), "{shown}");
    }
}
