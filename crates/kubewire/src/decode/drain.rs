//! The loop every adapter runs over a response body, in one place: take
//! values from the current chunk until it is used up, ask for the next,
//! and at the end of the body check that it did not stop mid-value. The
//! rule for errors lives here too, so that no adapter decides it alone: a
//! value that does not fit `T` is reported and the stream goes on; a broken
//! stream is reported once and ends.

use super::{DecodeError, Pull};

/// What [`Drain::step`] found.
#[derive(Debug, PartialEq)]
pub enum Step<T> {
    /// The next value, or an error. A [`DecodeError::Deserialize`] concerns
    /// that one value and the stream goes on; any other error ends it (the
    /// following steps are [`Step::Done`]).
    Value(Result<T, DecodeError>),
    /// The current chunk is used up: [`push`](Drain::push) the next one, or
    /// call [`end`](Drain::end) if the body ended.
    NeedChunk,
    /// Nothing more will come.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// The body ended; values still buffered come out, then `finish`.
    Ended,
    Done,
}

/// A decoder driven over a body that arrives in chunks of type `B` (the
/// adapter's own: `bytes::Bytes`, `Vec<u8>`, …). The chunk is kept as it
/// is and values are read from it in place where the decoder can.
///
/// ```
/// use kubewire::decode::{Drain, Step, WatchDecoder};
/// use kubewire::WatchEvent;
///
/// #[derive(serde::Deserialize)]
/// struct Obj {
///     n: u32,
/// }
///
/// let chunks = [&b"{\"type\":\"ADDED\",\"object\":{\"n\":1}}\n{\"type\":\"ADD"[..],
///               &b"ED\",\"object\":{\"n\":\"two\"}}\n{\"type\":\"ADDED\",\"object\":{\"n\":3}}\n"[..]];
/// let mut chunks = chunks.into_iter();
/// let mut drain = Drain::new(WatchDecoder::new());
/// let mut seen = Vec::new();
/// loop {
///     match drain.step::<WatchEvent<Obj>>() {
///         Step::Value(Ok(WatchEvent::Added(o))) => seen.push(Ok(o.n)),
///         Step::Value(Ok(_)) => unreachable!(),
///         Step::Value(Err(e)) => seen.push(Err(e.offset())),
///         Step::NeedChunk => match chunks.next() {
///             Some(chunk) => drain.push(chunk),
///             None => drain.end(),
///         },
///         Step::Done => break,
///     }
/// }
/// // The second object does not fit `Obj`: reported, and the stream goes on.
/// assert_eq!(seen, [Ok(1), Err(68), Ok(3)]);
/// ```
#[derive(Debug)]
pub struct Drain<D, B> {
    decoder: D,
    chunk: Option<B>,
    /// How much of `chunk` the decoder has taken.
    taken: usize,
    state: State,
}

impl<D, B: AsRef<[u8]>> Drain<D, B> {
    /// Drives `decoder`; the first step asks for a chunk.
    pub fn new(decoder: D) -> Self {
        Drain {
            decoder,
            chunk: None,
            taken: 0,
            state: State::Reading,
        }
    }

    /// The decoder, e.g. for a LIST's metadata once it has been seen.
    pub fn decoder(&self) -> &D {
        &self.decoder
    }

    /// The next chunk of the body, after [`Step::NeedChunk`] (which is
    /// when the previous one is used up).
    pub fn push(&mut self, chunk: B) {
        debug_assert!(
            self.chunk.is_none(),
            "Drain::push before the current chunk was used up"
        );
        self.chunk = Some(chunk);
        self.taken = 0;
    }

    /// The body ended, after [`Step::NeedChunk`]: the next steps give what
    /// is still buffered, then an error if the body stopped mid-value.
    pub fn end(&mut self) {
        if self.state == State::Reading {
            self.state = State::Ended;
        }
    }

    /// The transport failed and the adapter reports that itself: no more
    /// steps.
    pub fn stop(&mut self) {
        self.state = State::Done;
        self.chunk = None;
    }

    /// The next value, or what the drain needs.
    pub fn step<T>(&mut self) -> Step<T>
    where
        D: Pull<T>,
    {
        let pulled = match self.state {
            State::Done => return Step::Done,
            State::Reading => {
                let input = match &self.chunk {
                    Some(chunk) => &chunk.as_ref()[self.taken..],
                    None => &[],
                };
                let mut rest = input;
                let pulled = self.decoder.pull_from(&mut rest);
                self.taken += input.len() - rest.len();
                if let Ok(None) = pulled {
                    self.chunk = None;
                    return Step::NeedChunk;
                }
                pulled
            }
            State::Ended => match self.decoder.pull() {
                Ok(None) => {
                    self.state = State::Done;
                    return match self.decoder.finish() {
                        Ok(()) => Step::Done,
                        Err(e) => Step::Value(Err(e)),
                    };
                }
                pulled => pulled,
            },
        };
        match pulled {
            Ok(value) => Step::Value(Ok(value.expect("`None` was handled above"))),
            Err(e) => {
                if !matches!(e, DecodeError::Deserialize { .. }) {
                    self.stop();
                }
                Step::Value(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{ListDecoder, WatchDecoder};
    use crate::event::WatchEvent;
    use alloc::vec::Vec;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Obj {
        n: u32,
    }

    /// Every value and error, in order, driving `drain` over `chunks`.
    fn run<D: Pull<T>, T>(
        mut drain: Drain<D, &[u8]>,
        chunks: &[&'static [u8]],
    ) -> Vec<Result<T, DecodeError>> {
        let mut chunks = chunks.iter();
        let mut out = Vec::new();
        loop {
            match drain.step() {
                Step::Value(v) => out.push(v),
                Step::NeedChunk => match chunks.next() {
                    Some(chunk) => drain.push(chunk),
                    None => drain.end(),
                },
                Step::Done => return out,
            }
        }
    }

    fn watch(chunks: &[&'static [u8]]) -> Vec<Result<WatchEvent<Obj>, DecodeError>> {
        run(Drain::new(WatchDecoder::new()), chunks)
    }

    const LINES: &[u8] =
        b"{\"type\":\"ADDED\",\"object\":{\"n\":1}}\n{\"type\":\"DELETED\",\"object\":{\"n\":2}}\n";

    #[test]
    fn values_come_out_however_the_body_is_cut() {
        let whole = watch(&[LINES]);
        assert_eq!(
            whole,
            [
                Ok(WatchEvent::Added(Obj { n: 1 })),
                Ok(WatchEvent::Deleted(Obj { n: 2 }))
            ]
        );
        for at in 0..=LINES.len() {
            let (a, b) = LINES.split_at(at);
            assert_eq!(watch(&[a, b]), whole, "cut at {at}");
        }
        let bytes: Vec<&'static [u8]> = LINES.chunks(1).collect();
        assert_eq!(watch(&bytes), whole);
    }

    #[test]
    fn a_value_that_does_not_fit_is_reported_and_the_stream_goes_on() {
        let got = watch(&[b"{\"type\":\"ADDED\",\"object\":{\"n\":\"x\"}}\n", LINES]);
        assert!(matches!(got[0], Err(DecodeError::Deserialize { .. })));
        assert_eq!(got.len(), 3);
        assert!(got[1..].iter().all(Result::is_ok));
    }

    #[test]
    fn a_broken_stream_is_reported_once_and_ends() {
        let got = watch(&[LINES, b"not json\n", LINES]);
        assert_eq!(got.len(), 3);
        assert!(matches!(
            got[2],
            Err(DecodeError::InvalidJson { offset: 70, .. })
        ));
    }

    #[test]
    fn a_body_cut_mid_value_ends_with_an_eof_error() {
        let got = watch(&[&LINES[..40]]);
        assert_eq!(
            got,
            [
                Ok(WatchEvent::Added(Obj { n: 1 })),
                Err(DecodeError::UnexpectedEof { offset: 34 })
            ]
        );
    }

    #[test]
    fn list_items_and_metadata() {
        let body: &[u8] = b"{\"kind\":\"List\",\"items\":[{\"n\":1},{\"n\":2}],\"metadata\":{\"resourceVersion\":\"9\"}}";
        let mut drain = Drain::new(ListDecoder::new());
        let mut items = Vec::new();
        let mut chunks = body.chunks(5);
        loop {
            match drain.step::<Obj>() {
                Step::Value(v) => items.push(v.unwrap().n),
                Step::NeedChunk => match chunks.next() {
                    Some(c) => drain.push(c),
                    None => drain.end(),
                },
                Step::Done => break,
            }
        }
        assert_eq!(items, [1, 2]);
        let meta = drain.decoder().metadata().unwrap();
        assert_eq!(meta.resource_version.as_deref(), Some("9"));
    }

    #[test]
    fn stop_ends_at_once() {
        let mut drain: Drain<WatchDecoder, &[u8]> = Drain::new(WatchDecoder::new());
        drain.push(LINES);
        drain.stop();
        assert_eq!(drain.step::<WatchEvent<Obj>>(), Step::Done);
    }
}
