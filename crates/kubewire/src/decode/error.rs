//! The one error type of the decoders.

use alloc::string::{String, ToString};
use core::fmt;

/// Why a watch stream or LIST body could not be decoded.
///
/// Every variant carries `offset`: the position, counted in bytes from the
/// first byte ever fed to the decoder, where the problem was found. Offsets do
/// not depend on how the input was split into chunks.
///
/// Needing more input is never an error: the decoders return `Ok(None)` for
/// that. Once a decoder has returned an error it keeps returning the same
/// error, so a caller that loses track cannot silently resynchronise on the
/// middle of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A watch line (without its `\n`) is longer than the configured limit.
    LineTooLong {
        /// Where the line starts.
        offset: u64,
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// A LIST item (or another member of the LIST object) is larger than the
    /// configured limit.
    ItemTooLarge {
        /// Where the item starts.
        offset: u64,
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// Arrays and objects are nested deeper than the configured limit.
    TooDeep {
        /// The bracket that went one level too deep.
        offset: u64,
        /// The configured limit.
        limit: usize,
    },
    /// The bytes are not JSON of the expected shape.
    InvalidJson {
        /// The first offending byte.
        offset: u64,
        /// What was expected there.
        reason: &'static str,
    },
    /// A watch line is valid JSON but not a watch event (`type` or `object`
    /// missing, or `type` not a string).
    InvalidEvent {
        /// Where the line starts.
        offset: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A watch event whose `type` is none of `ADDED`, `MODIFIED`, `DELETED`,
    /// `BOOKMARK`, `ERROR`.
    UnknownEventType {
        /// Where the type string starts.
        offset: u64,
        /// The type as sent (escapes left as they were).
        event_type: String,
    },
    /// The input ended (`finish` was called) inside a line, an item or the
    /// LIST object.
    UnexpectedEof {
        /// The start of the incomplete line or value, or the end of input.
        offset: u64,
    },
    /// serde could not deserialize a raw object into the requested type.
    ///
    /// This comes from `deserialize::<T>()`, not from the decoder itself, and
    /// does not put the decoder into the failed state: a caller may try
    /// another type or skip the object.
    Deserialize {
        /// The position serde reported, mapped to a stream offset.
        offset: u64,
        /// serde's message.
        message: String,
    },
}

impl DecodeError {
    /// The stream offset at which the problem was found.
    pub fn offset(&self) -> u64 {
        match *self {
            DecodeError::LineTooLong { offset, .. }
            | DecodeError::ItemTooLarge { offset, .. }
            | DecodeError::TooDeep { offset, .. }
            | DecodeError::InvalidJson { offset, .. }
            | DecodeError::InvalidEvent { offset, .. }
            | DecodeError::UnknownEventType { offset, .. }
            | DecodeError::UnexpectedEof { offset }
            | DecodeError::Deserialize { offset, .. } => offset,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::LineTooLong { offset, limit } => {
                write!(
                    f,
                    "watch line at byte {offset} is longer than {limit} bytes"
                )
            }
            DecodeError::ItemTooLarge { offset, limit } => {
                write!(f, "list item at byte {offset} is larger than {limit} bytes")
            }
            DecodeError::TooDeep { offset, limit } => {
                write!(f, "JSON nested deeper than {limit} levels at byte {offset}")
            }
            DecodeError::InvalidJson { offset, reason } => {
                write!(f, "invalid JSON at byte {offset}: {reason}")
            }
            DecodeError::InvalidEvent { offset, reason } => {
                write!(f, "invalid watch event at byte {offset}: {reason}")
            }
            DecodeError::UnknownEventType { offset, event_type } => {
                write!(
                    f,
                    "unknown watch event type {event_type:?} at byte {offset}"
                )
            }
            DecodeError::UnexpectedEof { offset } => {
                write!(f, "input ended inside the value starting at byte {offset}")
            }
            DecodeError::Deserialize { offset, message } => {
                write!(
                    f,
                    "cannot deserialize the object near byte {offset}: {message}"
                )
            }
        }
    }
}

// `core::error::Error` is stable since Rust 1.81 (our MSRV is 1.85), so the
// impl needs no `std` feature.
impl core::error::Error for DecodeError {}

/// Deserializes `raw` (which starts at stream offset `offset`) into `T`,
/// mapping serde's line/column to a stream offset.
pub(crate) fn deserialize_at<'a, T: serde::Deserialize<'a>>(
    raw: &'a [u8],
    offset: u64,
) -> Result<T, DecodeError> {
    // Through `from_str` only, as everywhere in the crate (see `crate::json`):
    // bytes that are not UTF-8 are refused where they stop being it.
    let text = core::str::from_utf8(raw).map_err(|e| DecodeError::Deserialize {
        offset: offset + e.valid_up_to() as u64,
        message: crate::json::not_utf8(e).to_string(),
    })?;
    serde_json::from_str(text).map_err(|e| DecodeError::Deserialize {
        offset: offset + index_of(raw, e.line(), e.column()) as u64,
        message: e.to_string(),
    })
}

/// The byte index of serde_json's 1-based `line` and `column` in `raw`.
fn index_of(raw: &[u8], line: usize, column: usize) -> usize {
    let mut line_start = 0;
    let mut lines_left = line.saturating_sub(1);
    while lines_left > 0 {
        match memchr::memchr(b'\n', &raw[line_start..]) {
            Some(i) => line_start += i + 1,
            None => break,
        }
        lines_left -= 1;
    }
    // serde_json's column is the count of bytes read on the line, i.e. the
    // 1-based position of the byte it stopped at (0 when it failed before
    // reading any byte of the line).
    (line_start + column.saturating_sub(1)).min(raw.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_positions_map_to_stream_offsets() {
        let raw = b"{\"a\":\n  tru}";
        let err = deserialize_at::<serde_json::Value>(raw, 100).unwrap_err();
        match err {
            // serde stops at the `}` after `tru` (line 2, column 6).
            DecodeError::Deserialize { offset, .. } => assert_eq!(offset, 100 + 11),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn display_names_the_offset() {
        let e = DecodeError::LineTooLong {
            offset: 7,
            limit: 3,
        };
        assert_eq!(e.to_string(), "watch line at byte 7 is longer than 3 bytes");
        assert_eq!(e.offset(), 7);
    }
}
