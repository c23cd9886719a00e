//! rustls configuration from a cluster's TLS settings, for any rustls
//! transport.
//!
//! The client certificate is served through a resolver whose key can be
//! swapped at run time: an exec plugin may hand out a fresh certificate
//! when the old one expires, and new connections must use it.

use std::sync::{Arc, Once, RwLock};

use kubewire::kubeconfig::{FileOrData, FileOrSecret, TlsConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{file_error, tls_setup, Error};

/// The client certificate currently in use, if any: the resolver rustls
/// asks at each handshake.
#[derive(Debug, Default)]
pub struct ClientCert {
    current: RwLock<Option<Arc<CertifiedKey>>>,
}

impl ClientCert {
    /// Install a certificate chain and its key (PEM); connections made
    /// from now on present it.
    pub fn set_pem(&self, cert_pem: &[u8], key_pem: &[u8]) -> Result<(), Error> {
        let certs = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls_setup("client certificate", Some(Box::new(e))))?;
        if certs.is_empty() {
            return Err(tls_setup(
                "client certificate: no PEM certificate found",
                None,
            ));
        }
        // Errors about the key never quote it.
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|_| tls_setup("client key: not a PEM RSA, EC or PKCS#8 private key", None))?;
        let signing = provider()
            .key_provider
            .load_private_key(key)
            .map_err(|e| tls_setup("client key", Some(Box::new(e))))?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) =
            Some(Arc::new(CertifiedKey::new(certs, signing)));
        Ok(())
    }

    fn get(&self) -> Option<Arc<CertifiedKey>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl ResolvesClientCert for ClientCert {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.get()
    }

    fn has_certs(&self) -> bool {
        self.get().is_some()
    }
}

/// The crypto provider every kubewire connection uses (ring, trimmed to
/// what Kubernetes API servers use: [`crate::crypto`]).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(crate::crypto::provider())
}

/// Read a [`FileOrData`] into bytes.
pub(crate) fn read(source: &FileOrData) -> Result<Vec<u8>, Error> {
    match source {
        FileOrData::Data(d) => Ok(d.clone()),
        FileOrData::File(path) => std::fs::read(path).map_err(|e| file_error(path, e)),
    }
}

/// Read a private key source into PEM bytes.
pub(crate) fn read_key(source: &FileOrSecret) -> Result<Vec<u8>, Error> {
    match source {
        FileOrSecret::Data(s) => Ok(s.expose().as_bytes().to_vec()),
        FileOrSecret::File(path) => std::fs::read(path).map_err(|e| file_error(path, e)),
    }
}

/// Build the rustls configuration for one cluster: its CA (or the
/// system's roots), or no verification at all for
/// `insecure-skip-tls-verify` (with a warning on stderr, once), and `cert`
/// as the client certificate resolver. ALPN is the transport's to set.
pub fn client_config(
    tls: &TlsConfig,
    cert: Arc<ClientCert>,
    server: &str,
) -> Result<ClientConfig, Error> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_setup("protocol versions", Some(Box::new(e))))?;
    let builder = if tls.insecure {
        warn_insecure(server);
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
    } else {
        builder.with_root_certificates(roots(tls)?)
    };
    Ok(builder.with_client_cert_resolver(cert))
}

/// The name to check the server's certificate against: the kubeconfig's
/// `tls-server-name` when it sets one, else the host of `server`.
pub fn server_name(tls: &TlsConfig, server: &str) -> Result<ServerName<'static>, Error> {
    let name = match &tls.server_name {
        Some(name) => name.clone(),
        None => host_of(server).to_owned(),
    };
    ServerName::try_from(name.clone()).map_err(|e| {
        tls_setup(
            format!("server name {name:?} is not a valid name"),
            Some(Box::new(e)),
        )
    })
}

/// The host of a URL: between the scheme and the port or path, without
/// the brackets of an IPv6 literal.
fn host_of(server: &str) -> &str {
    let rest = server.split_once("://").map_or(server, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn roots(tls: &TlsConfig) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    match &tls.ca {
        Some(source) => {
            let pem = read(source)?;
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert =
                    cert.map_err(|e| tls_setup("certificate authority", Some(Box::new(e))))?;
                store
                    .add(cert)
                    .map_err(|e| tls_setup("certificate authority", Some(Box::new(e))))?;
                added += 1;
            }
            if added == 0 {
                return Err(tls_setup(
                    "certificate authority: no PEM certificate found",
                    None,
                ));
            }
        }
        None => system_roots(&mut store)?,
    }
    Ok(store)
}

#[cfg(feature = "native-roots")]
fn system_roots(store: &mut RootCertStore) -> Result<(), Error> {
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = store.add(cert);
    }
    if store.is_empty() {
        return Err(tls_setup(
            "no certificate-authority in the kubeconfig and no system roots found",
            None,
        ));
    }
    Ok(())
}

#[cfg(not(feature = "native-roots"))]
fn system_roots(_: &mut RootCertStore) -> Result<(), Error> {
    Err(tls_setup(
        "no certificate-authority in the kubeconfig, and this build has no system roots \
         (feature `native-roots` of kubewire-config)",
        None,
    ))
}

fn warn_insecure(server: &str) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        eprintln!(
            "WARNING: insecure-skip-tls-verify is set for {server}: the server's identity is NOT checked, \
             and anyone on the network path can read and change this traffic, credentials included."
        );
    });
}

/// `insecure-skip-tls-verify`: accept any certificate, but still check the
/// handshake signatures so the connection is at least a real TLS session.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without system roots a cluster that names no CA fails clearly
    /// instead of trusting nothing (every handshake failing) or anything.
    #[cfg(not(feature = "native-roots"))]
    #[test]
    fn no_ca_without_native_roots_is_a_clear_error() {
        let e = roots(&TlsConfig::default()).err().unwrap().to_string();
        assert!(e.contains("feature `native-roots`"), "{e}");
    }

    #[test]
    fn the_server_name_is_the_urls_host_unless_the_kubeconfig_names_one() {
        let tls = TlsConfig::default();
        for (url, host) in [
            ("https://10.0.0.1:6443", "10.0.0.1"),
            ("https://kube.example.com", "kube.example.com"),
            ("https://[::1]:6443/", "::1"),
            ("https://kube.example.com:443/prefix?x", "kube.example.com"),
        ] {
            let want = ServerName::try_from(host.to_owned()).unwrap();
            assert_eq!(server_name(&tls, url).unwrap(), want, "{url}");
        }
        let named = TlsConfig {
            server_name: Some("api.internal".into()),
            ..TlsConfig::default()
        };
        let want = ServerName::try_from("api.internal").unwrap().to_owned();
        assert_eq!(server_name(&named, "https://10.0.0.1").unwrap(), want);
        assert!(server_name(&TlsConfig::default(), "https://bad name").is_err());
    }

    #[test]
    fn a_ca_without_certificates_is_an_error() {
        let tls = TlsConfig {
            ca: Some(kubewire::kubeconfig::FileOrData::Data(b"not pem".to_vec())),
            ..TlsConfig::default()
        };
        let e = roots(&tls).err().unwrap().to_string();
        assert!(e.contains("no PEM certificate"), "{e}");
    }
}
