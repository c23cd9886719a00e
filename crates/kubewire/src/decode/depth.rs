//! Nesting depth of a JSON or YAML text, found in one linear pass before
//! any parser sees it.
//!
//! A YAML parser's cost can grow with the square of the nesting depth
//! (40 KB of `a: [[[[…` took serde_norway 16 s), and nothing Kubernetes
//! stores nests anywhere near [`DEFAULT_MAX_DEPTH`](super::DEFAULT_MAX_DEPTH)
//! levels, so a server reading a request body or a client reading a
//! manifest can refuse a deeper document at once. Both scanners stop
//! counting just past `limit`.

use alloc::vec::Vec;

/// The deepest `[`/`{` nesting of a JSON text (strings skipped); stops
/// counting past `limit`.
pub fn json_depth(bytes: &[u8], limit: usize) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
                if max > limit {
                    return max;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// An upper estimate of a YAML text's nesting depth: block indentation
/// levels, compact `- - x` entries and flow `[`/`{` brackets, with quoted
/// scalars, comments and block scalars (`|`, `>`) skipped. It may count a
/// level YAML would not (a bracket inside a plain scalar); never fewer.
pub fn yaml_depth(text: &[u8], limit: usize) -> usize {
    let mut max = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // Inside a quoted scalar that spans lines: its quote character.
    let mut quote: Option<u8> = None;
    // Inside a block scalar: the indentation of the line that opened it.
    let mut block_parent: Option<usize> = None;
    for line in text.split(|b| *b == b'\n') {
        let indent = line.iter().take_while(|b| **b == b' ').count();
        let rest = &line[indent..];
        if let Some(parent) = block_parent {
            if rest.is_empty() || rest == b"\r" || indent > parent {
                continue;
            }
            block_parent = None;
        }
        let mut i = 0;
        if quote.is_none() && flow == 0 {
            if rest.is_empty() || rest[0] == b'#' {
                continue;
            }
            while indents.last().is_some_and(|t| *t >= indent) {
                indents.pop();
            }
            indents.push(indent);
            // Compact sequences: every `- ` opens one more level.
            let mut col = indent;
            while rest.get(i) == Some(&b'-') && matches!(rest.get(i + 1), Some(b' ' | b'\t')) {
                i += 2;
                col += 2;
                while rest.get(i) == Some(&b' ') {
                    i += 1;
                    col += 1;
                }
                indents.push(col);
            }
        }
        let mut last_plain = 0u8;
        while i < rest.len() {
            let b = rest[i];
            match quote {
                Some(b'"') => match b {
                    b'\\' => i += 1,
                    b'"' => quote = None,
                    _ => {}
                },
                Some(q) => {
                    if b == q {
                        // '' is an escaped quote inside a single-quoted scalar.
                        if rest.get(i + 1) == Some(&q) {
                            i += 1;
                        } else {
                            quote = None;
                        }
                    }
                }
                None => match b {
                    b'"' | b'\'' => quote = Some(b),
                    b'#' if i == 0 || matches!(last_plain, b' ' | b'\t') => break,
                    b'[' | b'{' => {
                        flow += 1;
                        max = max.max(indents.len() + flow);
                        if max > limit {
                            return max;
                        }
                    }
                    b']' | b'}' => flow = flow.saturating_sub(1),
                    _ => {}
                },
            }
            last_plain = b;
            i += 1;
        }
        max = max.max(indents.len() + flow);
        if max > limit {
            return max;
        }
        // `key: |` or `- >-`: the more-indented lines after are text.
        if quote.is_none() && flow == 0 {
            let trimmed = rest
                .iter()
                .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
                .map_or(&rest[..0], |e| &rest[..=e]);
            let indicator = trimmed
                .iter()
                .rposition(|b| matches!(b, b'|' | b'>'))
                .filter(|p| {
                    trimmed[p + 1..]
                        .iter()
                        .all(|c| matches!(c, b'-' | b'+' | b'0'..=b'9'))
                        && (*p == 0 || matches!(trimmed[p - 1], b' ' | b'\t'))
                });
            if indicator.is_some() {
                block_parent = Some(indent);
            }
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::DEFAULT_MAX_DEPTH;

    #[test]
    fn depth_of_json() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[["}]}"#, 100), 3);
        assert_eq!(json_depth(br#""\"[""#, 100), 0);
        assert!(json_depth(&[b'['; 1000], DEFAULT_MAX_DEPTH) > DEFAULT_MAX_DEPTH);
    }

    #[test]
    fn depth_of_yaml() {
        let manifest = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    a: b\ndata:\n  script: |\n    if [ -f x ]; then\n      echo '[[[[['\n    fi\n  k: \"[{\"\n";
        let d = yaml_depth(manifest, 100);
        assert!((2..=4).contains(&d), "{d}");
        let flow: Vec<u8> = b"a: ".iter().chain([b'['; 1000].iter()).copied().collect();
        assert!(yaml_depth(&flow, DEFAULT_MAX_DEPTH) > DEFAULT_MAX_DEPTH);
        let compact: Vec<u8> = b"- ".repeat(1000);
        assert!(yaml_depth(&compact, DEFAULT_MAX_DEPTH) > DEFAULT_MAX_DEPTH);
        let mut block = Vec::new();
        for i in 0..200 {
            block.extend(core::iter::repeat_n(b' ', i));
            block.extend(alloc::format!("k{i}:\n").bytes());
        }
        assert!(yaml_depth(&block, DEFAULT_MAX_DEPTH) > DEFAULT_MAX_DEPTH);
        // Never below what a parser sees: a, the sequence, the flow list,
        // the flow map and its list.
        assert!(yaml_depth(b"a:\n  - [1, {b: [2]}]\n", 100) >= 5);
    }
}
