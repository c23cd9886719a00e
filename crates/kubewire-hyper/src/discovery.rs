//! Discovery with a disk cache, as kubectl keeps one in `~/.kube/cache`.
//!
//! Aggregated discovery answers in two requests; the raw documents are
//! cached per server with a TTL so most commands need none. Servers without
//! aggregated discovery get the legacy walk (`/api`, `/apis`, then each
//! preferred group version).

use std::path::{Path, PathBuf};
use std::time::Duration;

use kubewire::restmap::{MapError, ResourceInfo};
use kubewire::{discovery, Request, RestMapper};
use serde::Deserialize;

use crate::client::Client;
use crate::error::Error;

/// How long cached discovery is trusted (kubectl's default).
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// REST mapping for one cluster, backed by a disk cache.
#[derive(Debug)]
pub struct Discovery {
    client: Client,
    cache: Option<PathBuf>,
    ttl: Duration,
    mapper: Option<RestMapper>,
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<LegacyGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyGroup {
    preferred_version: Option<GroupVersionRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupVersionRef {
    group_version: String,
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
        }
    }

    /// The resource `name` refers to. A miss refreshes discovery once (a
    /// CRD may have been created since the cache was written).
    pub async fn find(&mut self, name: &str) -> Result<ResourceInfo, Error> {
        if let Ok(r) = self.mapper(false).await?.find(name) {
            return Ok(r.clone());
        }
        match self.mapper(true).await?.find(name) {
            Ok(r) => Ok(r.clone()),
            Err(MapError::NotFound(n)) => Err(Error::Api(not_found_status(&n))),
            Err(e) => Err(Error::Discovery(e.to_string())),
        }
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
        match self.mapper(true).await?.find_kind(api_version, kind) {
            Ok(r) => Ok(r.clone()),
            Err(MapError::NotFound(_)) => Err(Error::Api(not_found_status(&format!(
                "{kind} ({api_version})"
            )))),
            Err(e) => Err(Error::Discovery(e.to_string())),
        }
    }

    /// Every resource the server serves.
    pub async fn all(&mut self) -> Result<&RestMapper, Error> {
        self.mapper(false).await
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
        Ok(self.mapper.as_ref().expect("set above"))
    }

    fn load_cache(&self) -> Option<RestMapper> {
        let dir = self.cache.as_ref()?;
        let mut mapper = RestMapper::default();
        for file in ["api.json", "apis.json"] {
            let path = dir.join(file);
            let age = std::fs::metadata(&path)
                .ok()?
                .modified()
                .ok()?
                .elapsed()
                .unwrap_or(Duration::MAX);
            if age > self.ttl {
                return None;
            }
            let body = std::fs::read(&path).ok()?;
            // A cache that does not parse is just a miss.
            mapper.add_aggregated(&body).ok()?;
        }
        Some(mapper)
    }

    async fn fetch(&self) -> Result<RestMapper, Error> {
        let mut mapper = RestMapper::default();
        let core = self.get(&discovery::aggregated_core()).await?;
        let groups = self.get(&discovery::aggregated_groups()).await?;
        if mapper.add_aggregated(&core).is_ok() && mapper.add_aggregated(&groups).is_ok() {
            self.store_cache(&core, &groups);
            return Ok(mapper);
        }
        // No aggregated discovery: walk the preferred group versions.
        let mut mapper = RestMapper::default();
        let mut paths = vec![discovery::resources("", "v1")];
        let list: GroupList =
            kubewire::decode_response(200, None, &self.get(&discovery::groups()).await?)
                .map_err(|e| Error::Discovery(format!("bad /apis document: {e}")))?;
        for g in list.groups {
            if let Some(gv) = g.preferred_version {
                if let Some((group, version)) = gv.group_version.split_once('/') {
                    paths.push(discovery::resources(group, version));
                }
            }
        }
        for req in paths {
            let body = self.get(&req).await?;
            mapper
                .add_resource_list(&body)
                .map_err(|e| Error::Discovery(format!("{}: {e}", req.path_and_query)))?;
        }
        Ok(mapper)
    }

    async fn get(&self, req: &Request) -> Result<bytes::Bytes, Error> {
        self.client.call_bytes(req).await
    }

    fn store_cache(&self, core: &[u8], groups: &[u8]) {
        let Some(dir) = &self.cache else { return };
        // The cache is an optimisation: failing to write it is not an error.
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        for (file, body) in [("api.json", core), ("apis.json", groups)] {
            let tmp = dir.join(format!("{file}.{}.tmp", std::process::id()));
            if std::fs::write(&tmp, body).is_ok() {
                let _ = std::fs::rename(&tmp, dir.join(file));
            }
        }
    }
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

fn not_found_status(name: &str) -> kubewire::Status {
    kubewire::Status {
        kind: "Status".into(),
        api_version: "v1".into(),
        status: "Failure".into(),
        message: MapError::NotFound(name.into()).to_string(),
        reason_text: "NotFound".into(),
        code: 404,
        ..Default::default()
    }
}
