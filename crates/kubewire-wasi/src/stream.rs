//! Response bodies read through `wasi:io`: each chunk goes into a core
//! decoder the moment the host has it, and each complete item or event
//! comes out at once. Memory is bounded by one object, not by the list.

use kubewire::decode::{Drain, ListDecoder, ListMeta, Step, WatchDecoder};
use kubewire::WatchEvent;
use wasi::clocks::monotonic_clock;
use wasi::http::types::{IncomingBody, IncomingResponse};
use wasi::io::poll::Pollable;
use wasi::io::streams::{InputStream, StreamError};

use crate::Error;

/// The most bytes asked of the host per read. The host returns what it has,
/// at least one byte, so small watch events are not held back.
const READ_SIZE: u64 = 64 * 1024;

/// A response body being read. Field order is drop order, and it matters:
/// `wasi:http` resources must be dropped child first (stream, then body,
/// then response).
pub(crate) struct Body {
    stream: InputStream,
    _body: IncomingBody,
    _response: IncomingResponse,
}

impl Body {
    pub(crate) fn new(response: IncomingResponse) -> Result<Self, Error> {
        let body = response
            .consume()
            .map_err(|()| Error::Resource("the response body"))?;
        let stream = body
            .stream()
            .map_err(|()| Error::Resource("the response body's stream"))?;
        Ok(Body {
            stream,
            _body: body,
            _response: response,
        })
    }

    /// Ready when [`try_chunk`](Self::try_chunk) has bytes, the end, or
    /// an error to give.
    pub(crate) fn subscribe(&self) -> Pollable {
        self.stream.subscribe()
    }

    /// What the host has now, without waiting.
    pub(crate) fn try_chunk(&mut self) -> Result<Chunk, Error> {
        match self.stream.read(READ_SIZE) {
            Ok(bytes) if bytes.is_empty() => Ok(Chunk::Nothing),
            Ok(bytes) => Ok(Chunk::Bytes(bytes)),
            Err(StreamError::Closed) => Ok(Chunk::End),
            Err(StreamError::LastOperationFailed(e)) => Err(stream_error(&e)),
        }
    }

    /// The next chunk, `None` at the end of the body. `blocking-read`
    /// sleeps on the stream's pollable until bytes arrive: no spinning.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        loop {
            match self.stream.blocking_read(READ_SIZE) {
                Ok(bytes) if bytes.is_empty() => continue,
                Ok(bytes) => return Ok(Some(bytes)),
                Err(StreamError::Closed) => return Ok(None),
                Err(StreamError::LastOperationFailed(e)) => return Err(stream_error(&e)),
            }
        }
    }
}

/// What a read that does not wait found.
pub(crate) enum Chunk {
    /// Bytes.
    Bytes(Vec<u8>),
    /// Nothing yet.
    Nothing,
    /// The end of the body.
    End,
}

fn stream_error(e: &wasi::io::error::Error) -> Error {
    Error::Body {
        code: wasi::http::types::http_error_code(e),
        detail: e.to_debug_string(),
    }
}

/// A pollable that is ready at once: what a `subscribe` returns when
/// there is something to take now.
pub fn ready_now() -> Pollable {
    monotonic_clock::subscribe_duration(0)
}

pub use kubewire::decode::Pull;

/// A response body decoded as it streams; an iterator of values (which
/// blocks), with [`try_next`](Self::try_next) and
/// [`subscribe`](Self::subscribe) for callers that must not block.
pub struct Decoded<D, T> {
    body: Body,
    /// The core's loop over the body, the same as every adapter's.
    drain: Drain<D, Vec<u8>>,
    /// A value taken by `subscribe` to see whether one was ready.
    ready: Option<Result<T, Error>>,
    done: bool,
}

/// The items of a LIST, one at a time.
pub type ListStream<T> = Decoded<ListDecoder, T>;
/// The events of a WATCH, one at a time.
pub type WatchStream<T> = Decoded<WatchDecoder, WatchEvent<T>>;

impl<D, T> Decoded<D, T> {
    pub(crate) fn new(body: Body, decoder: D) -> Self {
        Decoded {
            body,
            drain: Drain::new(decoder),
            ready: None,
            done: false,
        }
    }

    /// The decoder, e.g. to see how many bytes it holds.
    pub fn decoder(&self) -> &D {
        self.drain.decoder()
    }
}

impl<T> Decoded<ListDecoder, T> {
    /// The LIST's metadata once the decoder has seen it (for the usual
    /// field order, after the last item).
    pub fn metadata(&self) -> Option<&ListMeta> {
        self.decoder().metadata()
    }
}

impl<D: Pull<T>, T> Decoded<D, T> {
    /// The next value if the bytes for it have arrived, without waiting;
    /// `None` when they have not (or the body is over: see
    /// [`is_done`](Self::is_done)).
    pub fn try_next(&mut self) -> Option<Result<T, Error>> {
        if let Some(ready) = self.ready.take() {
            return Some(ready);
        }
        self.pull(false)
    }

    /// Ready when [`try_next`](Self::try_next) has a value (or an error,
    /// or the end) to give.
    pub fn subscribe(&mut self) -> Pollable {
        if self.ready.is_none() {
            self.ready = self.pull(false);
        }
        if self.ready.is_some() || self.done {
            ready_now()
        } else {
            self.body.subscribe()
        }
    }

    /// Whether every value has been handed out.
    pub fn is_done(&self) -> bool {
        self.done && self.ready.is_none()
    }

    /// Step the core's drain, reading from the body when it needs bytes;
    /// waiting for them only when `block`.
    fn pull(&mut self, block: bool) -> Option<Result<T, Error>> {
        loop {
            match self.drain.step() {
                Step::Value(value) => return Some(value.map_err(Into::into)),
                Step::Done => {
                    self.done = true;
                    return None;
                }
                Step::NeedChunk => {}
            }
            let read = if block {
                self.body
                    .next_chunk()
                    .map(|c| c.map_or(Chunk::End, Chunk::Bytes))
            } else {
                self.body.try_chunk()
            };
            match read {
                Ok(Chunk::Bytes(chunk)) => self.drain.push(chunk),
                Ok(Chunk::End) => self.drain.end(),
                Ok(Chunk::Nothing) => return None,
                Err(e) => {
                    self.drain.stop();
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<D: Pull<T>, T> Iterator for Decoded<D, T> {
    type Item = Result<T, Error>;

    /// The next value; blocks until its bytes have arrived.
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(ready) = self.ready.take() {
            return Some(ready);
        }
        self.pull(true)
    }
}
