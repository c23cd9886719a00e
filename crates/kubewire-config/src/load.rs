//! Finding and reading kubeconfig files, as kubectl does.
//!
//! The order: an explicit path (`--kubeconfig`), else every file in
//! `KUBECONFIG` (merged, first definition wins, missing files skipped),
//! else `~/.kube/config`, else the Pod's in-cluster service account.
//! The merge and resolution rules themselves are in the core.

use std::path::{Path, PathBuf};

use kubewire::kubeconfig::{merge, ClusterConfig, Kubeconfig, IN_CLUSTER_NAMESPACE_PATH};

use crate::error::{file_error, Error};

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// These kubeconfig files, in merge order.
    Files(Vec<PathBuf>),
    /// The Pod's service account.
    InCluster,
}

/// A loaded configuration: every context of the merged kubeconfig.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The merged kubeconfig (empty when in-cluster).
    pub kubeconfig: Kubeconfig,
    /// Where it came from.
    pub source: Source,
}

impl Loaded {
    /// Resolve a context, or the current one; in a Pod, the in-cluster
    /// configuration.
    pub fn cluster(&self, context: Option<&str>) -> Result<ClusterConfig, Error> {
        match self.source {
            Source::InCluster => in_cluster(),
            Source::Files(_) => Ok(self.kubeconfig.resolve(context)?),
        }
    }
}

/// Read and parse one kubeconfig file (YAML or JSON), with its relative
/// paths made absolute against its directory.
pub fn read_kubeconfig(path: &Path) -> Result<Kubeconfig, Error> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| file_error(&shown, e))?;
    // An empty file is an empty config to kubectl, not an error.
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Kubeconfig::default());
    }
    let mut config: Kubeconfig = serde_norway::from_slice(&bytes)
        // withhold_values: serde quotes the value it did not expect, and a
        // kubeconfig's values are credentials.
        .map_err(|e| Error::Kubeconfig {
            path: shown.clone(),
            message: format!(
                "not a valid kubeconfig: {}",
                kubewire::kubeconfig::withhold_values(&e.to_string())
            ),
        })?;
    let dir = path
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        })
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    config.resolve_paths(&dir.to_string_lossy());
    expand_home(&mut config);
    Ok(config)
}

/// Load the configuration kubectl would use. `explicit` is `--kubeconfig`.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, Error> {
    if let Some(path) = explicit {
        return Ok(Loaded {
            kubeconfig: read_kubeconfig(path)?,
            source: Source::Files(vec![path.to_path_buf()]),
        });
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty() && p.exists())
            .collect();
        let files = paths
            .iter()
            .map(|p| read_kubeconfig(p))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Loaded {
            kubeconfig: merge(files),
            source: Source::Files(paths),
        });
    }
    if let Some(home) = home_dir() {
        let default = home.join(".kube").join("config");
        if default.exists() {
            return Ok(Loaded {
                kubeconfig: read_kubeconfig(&default)?,
                source: Source::Files(vec![default]),
            });
        }
    }
    in_cluster()?;
    Ok(Loaded {
        kubeconfig: Kubeconfig::default(),
        source: Source::InCluster,
    })
}

/// The in-cluster configuration from `KUBERNETES_SERVICE_HOST`/`PORT`.
pub fn in_cluster() -> Result<ClusterConfig, Error> {
    let host = std::env::var("KUBERNETES_SERVICE_HOST").unwrap_or_default();
    let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_default();
    let namespace = std::fs::read_to_string(IN_CLUSTER_NAMESPACE_PATH).ok();
    Ok(ClusterConfig::in_cluster(
        &host,
        &port,
        namespace.as_deref(),
    )?)
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `~/` in a path field means the user's home, as in kubectl.
fn expand_home(config: &mut Kubeconfig) {
    let Some(home) = home_dir() else { return };
    let fix = |p: &mut Option<String>| {
        if let Some(rest) = p.as_deref().and_then(|s| s.strip_prefix("~/")) {
            *p = Some(home.join(rest).to_string_lossy().into_owned());
        }
    };
    for c in &mut config.clusters {
        fix(&mut c.cluster.certificate_authority);
    }
    for u in &mut config.users {
        fix(&mut u.user.client_certificate);
        fix(&mut u.user.client_key);
        fix(&mut u.user.token_file);
    }
}
