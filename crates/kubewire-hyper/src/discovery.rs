//! Discovery with a disk cache, as kubectl keeps one in `~/.kube/cache`.
//!
//! The walk itself (aggregated discovery, the legacy walk for servers
//! without it, which documents make the mapper) is the core's
//! [`kubewire::discovery::Discovery`]; this file sends its requests, all
//! of a round at once, and keeps the documents it read on disk per server
//! with a TTL, so most commands need no discovery request at all.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kubewire::discovery::{self, DiscoveryError, Poll};
use kubewire::restmap::ResourceInfo;
use kubewire::{Request, RestMapper};
use tokio::task::JoinSet;

use crate::client::{read_whole, Client};
use crate::error::Error;

/// How long cached discovery is trusted (kubectl's default).
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// The cache file in a server's directory.
const CACHE_FILE: &str = "discovery";

/// REST mapping for one cluster, backed by a disk cache.
#[derive(Debug)]
pub struct Discovery {
    client: Client,
    cache: Option<PathBuf>,
    ttl: Duration,
    mapper: Option<RestMapper>,
    failures: Vec<DiscoveryError>,
}

impl Discovery {
    /// Discovery for `client`'s cluster, cached under `cache_root` (per
    /// server) when given.
    pub fn new(client: Client, cache_root: Option<&Path>, ttl: Duration) -> Self {
        let cache = cache_root.map(|root| root.join(cache_key(&client.cluster().server)));
        Discovery {
            client,
            cache,
            ttl,
            mapper: None,
            failures: Vec::new(),
        }
    }

    /// The resource `name` refers to. A miss refreshes discovery once (a
    /// CRD may have been created since the cache was written).
    pub async fn find(&mut self, name: &str) -> Result<ResourceInfo, Error> {
        if let Ok(r) = self.mapper(false).await?.find(name) {
            return Ok(r.clone());
        }
        self.mapper(true)
            .await?
            .find(name)
            .cloned()
            .map_err(Error::NotFound)
    }

    /// The resource serving `apiVersion`/`kind` (from a manifest), with
    /// the same refresh-on-miss.
    pub async fn find_kind(
        &mut self,
        api_version: &str,
        kind: &str,
    ) -> Result<ResourceInfo, Error> {
        if let Ok(r) = self.mapper(false).await?.find_kind(api_version, kind) {
            return Ok(r.clone());
        }
        self.mapper(true)
            .await?
            .find_kind(api_version, kind)
            .cloned()
            .map_err(Error::NotFound)
    }

    /// Every resource the server serves.
    pub async fn all(&mut self) -> Result<&RestMapper, Error> {
        self.mapper(false).await
    }

    /// The group versions the last walk had to leave out (an aggregated
    /// API server that is down), as kubectl warns about them.
    pub fn failures(&self) -> &[DiscoveryError] {
        &self.failures
    }

    async fn mapper(&mut self, refresh: bool) -> Result<&RestMapper, Error> {
        if refresh || self.mapper.is_none() {
            let cached = if refresh { None } else { self.load_cache() };
            let mapper = match cached {
                Some(m) => m,
                None => self.fetch().await?,
            };
            self.mapper = Some(mapper);
        }
        Ok(self.mapper.get_or_insert_with(RestMapper::default))
    }

    /// Run the core's walk: each round's requests at once.
    async fn fetch(&mut self) -> Result<RestMapper, Error> {
        let mut walk = discovery::Discovery::new();
        loop {
            let mut round = JoinSet::new();
            loop {
                match walk.poll() {
                    Poll::Send(id, req) => {
                        let client = self.client.clone();
                        round.spawn(async move { (id, answer(&client, &req).await) });
                    }
                    Poll::Wait => break,
                    Poll::Done => {
                        self.store_cache(walk.documents().map(|(_, body)| body));
                        self.failures = walk.failures().to_vec();
                        return Ok(walk.into_mapper());
                    }
                }
            }
            while let Some(joined) = round.join_next().await {
                // A request task only ends by returning: it never panics
                // and is never aborted while the set is alive.
                let Ok((id, answer)) = joined else { continue };
                let (code, body) = answer?;
                walk.handle(id, code, &body).map_err(Error::Discovery)?;
            }
        }
    }

    fn load_cache(&self) -> Option<RestMapper> {
        let path = self.cache.as_ref()?.join(CACHE_FILE);
        let age = std::fs::metadata(&path)
            .ok()?
            .modified()
            .ok()?
            .elapsed()
            .unwrap_or(Duration::MAX);
        if age > self.ttl {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        // A cache that does not parse is just a miss.
        RestMapper::from_documents(unframe(&bytes)?).ok()
    }

    fn store_cache<'a>(&self, documents: impl Iterator<Item = &'a [u8]>) {
        let Some(dir) = &self.cache else { return };
        // The cache is an optimisation: failing to write it is not an error.
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let mut framed = Vec::new();
        for body in documents {
            framed.extend_from_slice(format!("{}\n", body.len()).as_bytes());
            framed.extend_from_slice(body);
        }
        let tmp = dir.join(format!("{CACHE_FILE}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, &framed).is_ok() {
            let _ = std::fs::rename(&tmp, dir.join(CACHE_FILE));
        }
    }
}

/// Send one discovery request; its status and whole body, whatever the
/// status (the core's walk decides what an error answer means).
async fn answer(client: &Client, req: &Request) -> Result<(u16, Vec<u8>), Error> {
    let resp = client.send(req).await?;
    let (parts, body) = resp.into_parts();
    let whole = read_whole(parts.status, &parts.headers, body).await?;
    let code = whole.code();
    Ok((code, whole.raw()?))
}

/// The cached documents: each is its length in decimal, a newline, then
/// its bytes. `None` for a file that does not frame.
fn unframe(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let nl = bytes.iter().position(|b| *b == b'\n')?;
        let len: usize = std::str::from_utf8(&bytes[..nl]).ok()?.parse().ok()?;
        let rest = &bytes[nl + 1..];
        if rest.len() < len {
            return None;
        }
        out.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Some(out)
}

/// One directory per server, named so that it is a valid file name.
fn cache_key(server: &str) -> String {
    server
        .split_once("://")
        .map_or(server, |(_, rest)| rest)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_documents_frame_and_unframe() {
        let docs: [&[u8]; 3] = [b"{\"a\":1}", b"", b"x\ny"];
        let mut framed = Vec::new();
        for d in docs {
            framed.extend_from_slice(format!("{}\n", d.len()).as_bytes());
            framed.extend_from_slice(d);
        }
        assert_eq!(unframe(&framed).unwrap(), docs);
        assert_eq!(unframe(b"").unwrap(), Vec::<&[u8]>::new());
        assert!(unframe(b"9\nshort").is_none());
        assert!(unframe(b"nope").is_none());
    }
}
