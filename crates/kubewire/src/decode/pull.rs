//! One shape for "a decoder that yields typed values", so every adapter's
//! streaming loop is the same few lines: pull from the current chunk until
//! `None`, then wait for the next; finish at the end of the body.

use serde::de::DeserializeOwned;

use super::{DecodeError, ListDecoder, WatchDecoder};
use crate::event::WatchEvent;

/// A core decoder that yields `T`s: LIST items (`ListDecoder`, any `T`) or
/// typed watch events (`WatchDecoder`, `WatchEvent<T>`).
pub trait Pull<T> {
    /// Give it bytes, split anywhere.
    fn feed(&mut self, bytes: &[u8]);
    /// The next complete value, `Ok(None)` when it needs more bytes. A
    /// `DecodeError::Deserialize` concerns one value only; the stream goes on.
    fn pull(&mut self) -> Result<Option<T>, DecodeError>;
    /// The body ended: fail if it ended mid-value.
    fn finish(&mut self) -> Result<(), DecodeError>;
    /// `feed` and `pull` in one: takes bytes from the front of `input`
    /// (advancing it) and returns the next complete value; `Ok(None)` when
    /// all of `input` has been taken and more is needed. A decoder that can
    /// read a value straight from `input` (the watch decoder: every line
    /// wholly inside the chunk) does so instead of copying it first.
    fn pull_from(&mut self, input: &mut &[u8]) -> Result<Option<T>, DecodeError> {
        if !input.is_empty() {
            self.feed(input);
            *input = &[];
        }
        self.pull()
    }
}

impl<T: DeserializeOwned> Pull<T> for ListDecoder {
    fn feed(&mut self, bytes: &[u8]) {
        ListDecoder::feed(self, bytes)
    }
    fn pull(&mut self) -> Result<Option<T>, DecodeError> {
        self.next_item()?.map(|item| item.deserialize()).transpose()
    }
    fn finish(&mut self) -> Result<(), DecodeError> {
        ListDecoder::finish(self)
    }
}

impl<T: DeserializeOwned> Pull<WatchEvent<T>> for WatchDecoder {
    fn feed(&mut self, bytes: &[u8]) {
        WatchDecoder::feed(self, bytes)
    }
    fn pull(&mut self) -> Result<Option<WatchEvent<T>>, DecodeError> {
        self.next_event()?
            .map(|e| WatchEvent::from_raw(&e))
            .transpose()
    }
    fn finish(&mut self) -> Result<(), DecodeError> {
        WatchDecoder::finish(self)
    }
    fn pull_from(&mut self, input: &mut &[u8]) -> Result<Option<WatchEvent<T>>, DecodeError> {
        self.next_event_from(input)?
            .map(|e| WatchEvent::from_raw(&e))
            .transpose()
    }
}
