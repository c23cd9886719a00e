//! REST mapping: `deploy`, `cm`, `widgets.example.com` to the resource to
//! call, from the server's discovery documents.
//!
//! The walk itself (aggregated discovery, the legacy walk for servers
//! without it, which documents make the mapper) is the core's
//! [`kubewire::discovery::Discovery`]; this file sends its requests one
//! after another on the calling thread.

use kubewire::discovery::{self, DiscoveryError, Poll};
use kubewire::restmap::ResourceInfo;
use kubewire::{Request, RestMapper};

use crate::client::Client;
use crate::error::Error;

/// REST mapping for one cluster, read once and kept in memory.
#[derive(Debug)]
pub struct Discovery {
    client: Client,
    mapper: Option<RestMapper>,
    failures: Vec<DiscoveryError>,
}

impl Discovery {
    /// Discovery for `client`'s cluster; nothing is sent until asked.
    pub fn new(client: Client) -> Self {
        Discovery {
            client,
            mapper: None,
            failures: Vec::new(),
        }
    }

    /// The resource `name` refers to. A miss reads discovery again once
    /// (a CRD may have been created since).
    pub fn find(&mut self, name: &str) -> Result<ResourceInfo, Error> {
        if let Ok(r) = self.mapper(false)?.find(name) {
            return Ok(r.clone());
        }
        self.mapper(true)?
            .find(name)
            .cloned()
            .map_err(Error::NotFound)
    }

    /// The resource serving `apiVersion`/`kind` (from a manifest), with
    /// the same refresh on a miss.
    pub fn find_kind(&mut self, api_version: &str, kind: &str) -> Result<ResourceInfo, Error> {
        if let Ok(r) = self.mapper(false)?.find_kind(api_version, kind) {
            return Ok(r.clone());
        }
        self.mapper(true)?
            .find_kind(api_version, kind)
            .cloned()
            .map_err(Error::NotFound)
    }

    /// Every resource the server serves.
    pub fn all(&mut self) -> Result<&RestMapper, Error> {
        self.mapper(false)
    }

    /// The group versions the last walk had to leave out (an aggregated
    /// API server that is down), as kubectl warns about them.
    pub fn failures(&self) -> &[DiscoveryError] {
        &self.failures
    }

    fn mapper(&mut self, refresh: bool) -> Result<&RestMapper, Error> {
        if refresh || self.mapper.is_none() {
            let mapper = self.fetch()?;
            self.mapper = Some(mapper);
        }
        Ok(self.mapper.get_or_insert_with(RestMapper::default))
    }

    /// Run the core's walk, each request in turn.
    fn fetch(&mut self) -> Result<RestMapper, Error> {
        let mut walk = discovery::Discovery::new();
        let mut round = Vec::new();
        loop {
            match walk.poll() {
                Poll::Send(id, req) => round.push((id, req)),
                Poll::Wait => {
                    for (id, req) in round.drain(..) {
                        let (code, body) = answer(&self.client, &req)?;
                        walk.handle(id, code, &body).map_err(Error::Discovery)?;
                    }
                }
                Poll::Done => {
                    self.failures = walk.failures().to_vec();
                    return Ok(walk.into_mapper());
                }
            }
        }
    }
}

/// Send one discovery request; its status and whole body, whatever the
/// status (the core's walk decides what an error answer means).
fn answer(client: &Client, req: &Request) -> Result<(u16, Vec<u8>), Error> {
    let mut resp = client.send(req)?;
    let whole = resp.read_whole()?;
    Ok((whole.code(), whole.raw()?))
}
