//! Response bodies read through `wasi:io`: each chunk goes into a core
//! decoder the moment the host has it, and each complete item or event
//! comes out at once. Memory is bounded by one object, not by the list.

use core::marker::PhantomData;

use kubewire::decode::{Drain, ListDecoder, ListMeta, Step, WatchDecoder};
use kubewire::WatchEvent;
use wasi::http::types::{IncomingBody, IncomingResponse};
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

    /// The next chunk, `None` at the end of the body. `blocking-read`
    /// sleeps on the stream's pollable until bytes arrive: no spinning.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        loop {
            match self.stream.blocking_read(READ_SIZE) {
                Ok(bytes) if bytes.is_empty() => continue,
                Ok(bytes) => return Ok(Some(bytes)),
                Err(StreamError::Closed) => return Ok(None),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Error::Body {
                        code: wasi::http::types::http_error_code(&e),
                        detail: e.to_debug_string(),
                    })
                }
            }
        }
    }
}

pub use kubewire::decode::Pull;

/// A response body decoded as it streams; an iterator of values.
pub struct Decoded<D, T> {
    body: Body,
    /// The core's loop over the body, the same as every adapter's.
    drain: Drain<D, Vec<u8>>,
    _out: PhantomData<fn() -> T>,
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
            _out: PhantomData,
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

impl<D: Pull<T>, T> Iterator for Decoded<D, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.drain.step() {
                Step::Value(value) => return Some(value.map_err(Into::into)),
                Step::Done => return None,
                Step::NeedChunk => {}
            }
            match self.body.next_chunk() {
                Ok(Some(chunk)) => self.drain.push(chunk),
                Ok(None) => self.drain.end(),
                Err(e) => {
                    self.drain.stop();
                    return Some(Err(e));
                }
            }
        }
    }
}
