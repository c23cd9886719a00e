//! A LIST page asked for ahead: sent in its own task while the caller
//! still reads the page before it, so the server prepares page N+1 while
//! page N is decoded and printed (a paged listing otherwise pays the
//! server's time per page and the client's in turn).

use hyper::body::Incoming;
use kubewire::decode::ListDecoder;
use kubewire::Request;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::stream::{Decoded, ListStream};
use crate::Client;

/// A LIST sent ahead ([`Client::list_ahead`]); [`PendingList::items`]
/// waits for its answer. Dropped unread, its request is abandoned.
pub struct PendingList {
    task: JoinHandle<Result<Incoming, Error>>,
    client: Client,
    req: Request,
}

impl Client {
    /// Send a LIST now, in a task of the current tokio runtime; read its
    /// items later with [`PendingList::items`].
    pub fn list_ahead(&self, req: &Request) -> PendingList {
        let (client, owned) = (self.clone(), req.clone());
        let task = tokio::spawn(async move { client.streaming(&owned).await });
        PendingList {
            task,
            client: self.clone(),
            req: req.clone(),
        }
    }
}

impl PendingList {
    /// The page's items, as [`Client::list`] streams them.
    pub async fn items<T: DeserializeOwned>(mut self) -> Result<ListStream<T>, Error> {
        let body = match (&mut self.task).await {
            Ok(answer) => answer?,
            // The task panicked: as if the request had been sent here.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled (the runtime is shutting down): ask again here.
            Err(_) => self.client.streaming(&self.req).await?,
        };
        Ok(Decoded::new(body, ListDecoder::new()))
    }
}

impl Drop for PendingList {
    fn drop(&mut self) {
        self.task.abort();
    }
}
