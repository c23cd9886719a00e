//! One context, ready to connect to: what every native transport builds
//! first, built once here.

use std::sync::Arc;
use std::time::Duration;

use kubewire::kubeconfig::ClusterConfig;
use rustls::pki_types::ServerName;

use crate::credentials::Credentials;
use crate::error::Error;
use crate::tls::{client_config, server_name, ClientCert};

/// A resolved context with its credentials and TLS configuration.
#[derive(Debug)]
pub struct Cluster {
    /// The context as the kubeconfig resolved it.
    pub config: ClusterConfig,
    /// Its `Authorization` header source, shared by every request.
    pub credentials: Arc<Credentials>,
    /// The rustls configuration (trust, client certificate resolver);
    /// without ALPN: a transport sets the protocols it speaks.
    pub tls: rustls::ClientConfig,
}

impl Cluster {
    /// Read what `config` names (client certificate and key, CA) and set
    /// up its credentials; exec plugins are killed after `exec_timeout`.
    /// Nothing is sent and no plugin is run yet.
    pub fn new(config: ClusterConfig, exec_timeout: Duration) -> Result<Self, Error> {
        let cert = Arc::new(ClientCert::default());
        let credentials = Credentials::new(&config, cert.clone(), exec_timeout)?;
        let tls = client_config(&config.tls, cert, &config.server)?;
        Ok(Cluster {
            config,
            credentials: Arc::new(credentials),
            tls,
        })
    }

    /// The name the server's certificate must carry: `tls-server-name`,
    /// else the URL's host. Asked when a TLS connection is made (a server
    /// URL that is not even valid is the transport's error to report).
    pub fn server_name(&self) -> Result<ServerName<'static>, Error> {
        server_name(&self.config.tls, &self.config.server)
    }
}
