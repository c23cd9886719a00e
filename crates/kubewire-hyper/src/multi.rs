//! Every context of a kubeconfig at once: the multi-cluster view.

use std::path::Path;

use crate::client::{Client, Options};
use crate::error::Error;
use crate::load::{load, Loaded, Source};

/// One client per context, each with only its own credentials.
#[derive(Debug)]
pub struct Clients {
    /// The current context's name, if one is set.
    pub current: Option<String>,
    /// `(context, client or why there is none)`, in kubeconfig order.
    pub clients: Vec<(String, Result<Client, Error>)>,
}

impl Clients {
    /// Load every context of the kubeconfig kubectl would use (in a Pod,
    /// the one in-cluster client).
    pub fn load(explicit: Option<&Path>, options: &Options) -> Result<Self, Error> {
        let loaded = load(explicit)?;
        Ok(Self::from_loaded(&loaded, options))
    }

    /// Build the clients of an already loaded configuration.
    pub fn from_loaded(loaded: &Loaded, options: &Options) -> Self {
        if loaded.source == Source::InCluster {
            let client = loaded
                .cluster(None)
                .map_err(Error::from)
                .and_then(|c| Client::with_options(c, options.clone()));
            return Clients {
                current: Some("in-cluster".into()),
                clients: vec![("in-cluster".into(), client)],
            };
        }
        let clients = loaded
            .kubeconfig
            .resolve_all()
            .into_iter()
            .map(|(name, cluster)| {
                let client = cluster
                    .map_err(Error::from)
                    .and_then(|c| Client::with_options(c, options.clone()));
                (name, client)
            })
            .collect();
        Clients {
            current: loaded.kubeconfig.current_context.clone(),
            clients,
        }
    }

    /// The current context's client.
    pub fn default_client(&self) -> Option<&Client> {
        let current = self.current.as_deref()?;
        self.clients
            .iter()
            .find(|(name, _)| name == current)
            .and_then(|(_, c)| c.as_ref().ok())
    }
}
