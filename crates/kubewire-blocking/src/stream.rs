//! Response bodies as iterators: each body chunk goes into a core decoder
//! the moment it arrives, and each complete item or event comes out at
//! once. Memory is bounded by one object, whatever the size of the
//! collection.

use std::marker::PhantomData;

use kubewire::decode::{Drain, ListDecoder, ListMeta, Pull, Step, WatchDecoder};
use kubewire::WatchEvent;

use crate::client::Response;
use crate::error::{is_timeout, Error};

/// A response body decoded as it streams.
pub struct Decoded<D, T> {
    response: Response,
    /// The core's loop over the body: values are read in place from each
    /// chunk and only what spans chunks is copied.
    drain: Drain<D, Vec<u8>>,
    _out: PhantomData<fn() -> T>,
}

/// The items of a LIST, one at a time.
pub type List<T> = Decoded<ListDecoder, T>;
/// The events of a WATCH, one at a time.
pub type Watch<T> = Decoded<WatchDecoder, WatchEvent<T>>;

impl<D, T> std::fmt::Debug for Decoded<D, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("response", &self.response)
            .finish_non_exhaustive()
    }
}

impl<D, T> Decoded<D, T> {
    pub(crate) fn new(response: Response, decoder: D) -> Self {
        Decoded {
            response,
            drain: Drain::new(decoder),
            _out: PhantomData,
        }
    }

    /// The decoder, e.g. to see how many bytes it holds.
    pub fn decoder(&self) -> &D {
        self.drain.decoder()
    }

    /// The response, e.g. to set a read timeout on the body
    /// ([`Response::set_read_timeout`]): a read that times out comes out
    /// as [`Error::Timeout`] and the iteration can go on.
    pub fn response_mut(&mut self) -> &mut Response {
        &mut self.response
    }
}

impl<T> Decoded<ListDecoder, T> {
    /// The LIST's metadata (resourceVersion, continue, remainingItemCount),
    /// once the decoder has seen it: for the servers' usual order, after
    /// the last item.
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
            match self.response.next_chunk_io() {
                Ok(Some(chunk)) => self.drain.push(chunk),
                Ok(None) => self.drain.end(),
                // The body is where it was: the next call reads on.
                Err(e) if is_timeout(&e) => return Some(Err(self.response.body_error(e))),
                Err(e) => {
                    self.drain.stop();
                    return Some(Err(self.response.body_error(e)));
                }
            }
        }
    }
}
