//! Request bodies (and `kw apply -f` files) into JSON values, with the
//! nesting depth checked first, in one linear pass.
//!
//! The YAML parser's cost grows with the square of the nesting depth:
//! 40 KB of `a: [[[[…` took 16 s of CPU. No Kubernetes object nests
//! anywhere near [`MAX_DEPTH`] levels (serde_json refuses deeper JSON for
//! the same reason), so a deeper document is refused before any parser
//! sees it. Sizes are bounded by the caller (the server's body limit).

use serde_json::Value;

/// The deepest nesting accepted, in YAML or JSON: serde_json's own limit.
pub const MAX_DEPTH: usize = 128;

/// A body above this size is converted from YAML on a blocking thread,
/// not on an async worker (see [`yaml_to_json_bytes`]).
pub const BLOCKING_PARSE_BYTES: usize = 16 * 1024;

fn too_deep() -> String {
    format!("the document is nested deeper than {MAX_DEPTH} levels")
}

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

/// Parses JSON after the depth check.
pub fn json(bytes: &[u8]) -> Result<Value, String> {
    if json_depth(bytes, MAX_DEPTH) > MAX_DEPTH {
        return Err(too_deep());
    }
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// Parses YAML (and so JSON) after the depth check. A body that is JSON
/// already is read by the JSON parser, which is many times faster.
pub fn yaml(bytes: &[u8]) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return Ok(v);
    }
    if yaml_depth(bytes, MAX_DEPTH) > MAX_DEPTH {
        return Err(too_deep());
    }
    serde_norway::from_slice::<Value>(bytes).map_err(|e| e.to_string())
}

/// Every document of a YAML stream (`---` separated), after the depth
/// check: `kw apply -f` and friends.
pub fn yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    if yaml_depth(text.as_bytes(), MAX_DEPTH) > MAX_DEPTH {
        return Err(too_deep());
    }
    use serde::Deserialize as _;
    serde_norway::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).map_err(|e| e.to_string()))
        .collect()
}

/// A large YAML body converted to JSON bytes on a blocking thread, so the
/// parse never holds an async worker; small or JSON bodies come back as
/// they are. Errors are left for the handler's own parse to report.
pub async fn yaml_to_json_bytes(body: bytes::Bytes) -> bytes::Bytes {
    if body.len() < BLOCKING_PARSE_BYTES || serde_json::from_slice::<Value>(&body).is_ok() {
        return body;
    }
    let original = body.clone();
    let converted = tokio::task::spawn_blocking(move || match yaml(&body) {
        Ok(v) => serde_json::to_vec(&v).map(bytes::Bytes::from).ok(),
        Err(_) => None,
    })
    .await
    .ok()
    .flatten();
    converted.unwrap_or(original)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_of_json() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[["}]}"#, 100), 3);
        assert_eq!(json_depth(br#""\"[""#, 100), 0);
        assert!(json_depth(&vec![b'['; 1000], MAX_DEPTH) > MAX_DEPTH);
    }

    #[test]
    fn depth_of_yaml() {
        let manifest = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    a: b\ndata:\n  script: |\n    if [ -f x ]; then\n      echo '[[[[['\n    fi\n  k: \"[{\"\n";
        let d = yaml_depth(manifest, 100);
        assert!((2..=4).contains(&d), "{d}");
        assert!(yaml_depth(format!("a: {}", "[".repeat(1000)).as_bytes(), MAX_DEPTH) > MAX_DEPTH);
        assert!(yaml_depth("- ".repeat(1000).as_bytes(), MAX_DEPTH) > MAX_DEPTH);
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        assert!(yaml_depth(block.as_bytes(), MAX_DEPTH) > MAX_DEPTH);
        // Never below what the parser sees.
        let v: Value = serde_norway::from_str("a:\n  - [1, {b: [2]}]\n").unwrap();
        assert_eq!(v["a"][0][1]["b"][0], 2);
        assert!(yaml_depth(b"a:\n  - [1, {b: [2]}]\n", 100) >= 5);
    }

    #[test]
    fn deep_documents_are_refused_quickly() {
        let t = std::time::Instant::now();
        let deep = format!("a: {}", "[".repeat(40_000));
        assert!(yaml(deep.as_bytes()).unwrap_err().contains("nested deeper"));
        assert!(yaml_documents(&deep).unwrap_err().contains("nested deeper"));
        assert!(json(format!("{{\"a\":{}", "[".repeat(40_000)).as_bytes())
            .unwrap_err()
            .contains("nested deeper"));
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }
}
