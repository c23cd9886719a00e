//! Response bodies as streams: each body chunk goes into a core decoder the
//! moment it arrives, and each complete item or event comes out at once.
//! Memory is bounded by one object, whatever the size of the collection.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http_body::Body;
use hyper::body::Incoming;
use kubewire::decode::{Drain, ListDecoder, ListMeta, Step, WatchDecoder};
use kubewire::WatchEvent;

use crate::error::Error;

pub use kubewire::decode::Pull;

/// A response body decoded as it streams.
pub struct Decoded<D, T> {
    body: Incoming,
    /// The core's loop over the body: it reads events in place from each
    /// frame and copies only what spans frames.
    drain: Drain<D, Bytes>,
    _out: PhantomData<fn() -> T>,
}

/// The items of a LIST, one at a time.
pub type ListStream<T> = Decoded<ListDecoder, T>;
/// The events of a WATCH, one at a time.
pub type WatchStream<T> = Decoded<WatchDecoder, WatchEvent<T>>;

impl<D, T> Decoded<D, T> {
    pub(crate) fn new(body: Incoming, decoder: D) -> Self {
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
    /// The LIST's metadata (resourceVersion, continue, remainingItemCount),
    /// once the decoder has seen it: for the servers' usual order, after
    /// the last item.
    pub fn metadata(&self) -> Option<&ListMeta> {
        self.decoder().metadata()
    }
}

impl<D: Pull<T> + Unpin, T> Stream for Decoded<D, T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.drain.step() {
                Step::Value(value) => return Poll::Ready(Some(value.map_err(Into::into))),
                Step::Done => return Poll::Ready(None),
                Step::NeedChunk => {}
            }
            match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        this.drain.push(data);
                    }
                }
                Some(Err(e)) => {
                    this.drain.stop();
                    return Poll::Ready(Some(Err(Error::Body { source: e })));
                }
                None => this.drain.end(),
            }
        }
    }
}
