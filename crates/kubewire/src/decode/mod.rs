//! Incremental decoders for watch streams and LIST bodies (owned by the decoder work; see issue 3).
