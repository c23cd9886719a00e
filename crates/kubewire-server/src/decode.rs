//! Request bodies into JSON values, with the nesting depth checked first,
//! in one linear pass (the core's [`kubewire::decode::yaml_depth`]).
//!
//! The YAML parser's cost grows with the square of the nesting depth:
//! 40 KB of `a: [[[[…` took 16 s of CPU. No Kubernetes object nests
//! anywhere near [`MAX_DEPTH`] levels (serde_json refuses deeper JSON for
//! the same reason), so a deeper document is refused before any parser
//! sees it. Sizes are bounded by the caller (the server's body limit).

use kubewire::decode::{json_depth, yaml_depth};
use serde_json::Value;

/// The deepest nesting accepted, in YAML or JSON: serde_json's own limit.
pub const MAX_DEPTH: usize = kubewire::decode::DEFAULT_MAX_DEPTH;

/// A body above this size is converted from YAML on a blocking thread,
/// not on an async worker (see [`yaml_to_json_bytes`]).
pub const BLOCKING_PARSE_BYTES: usize = 16 * 1024;

fn too_deep() -> String {
    format!("the document is nested deeper than {MAX_DEPTH} levels")
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
    fn deep_documents_are_refused_quickly() {
        let t = std::time::Instant::now();
        let deep = format!("a: {}", "[".repeat(40_000));
        assert!(yaml(deep.as_bytes()).unwrap_err().contains("nested deeper"));
        assert!(json(format!("{{\"a\":{}", "[".repeat(40_000)).as_bytes())
            .unwrap_err()
            .contains("nested deeper"));
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }
}
