//! TLS: a self-signed CA, a server certificate for localhost/127.0.0.1 and
//! an admin client certificate, generated once (rcgen) and kept in
//! `DATA/pki/` when a data directory is used. rustls runs on the `ring`
//! provider (no cmake/aws-lc build).

use std::path::Path;
use std::sync::Arc;

use crate::storage::persist::{create_private_dir, make_private, write_private_file};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

/// PEM material of the generated PKI.
#[derive(Debug, Clone)]
pub struct Pki {
    /// CA certificate.
    pub ca_cert: String,
    /// Server certificate (signed by the CA).
    pub server_cert: String,
    /// Server private key.
    pub server_key: String,
    /// Admin client certificate (CN=kubewire-admin, O=system:masters).
    pub client_cert: String,
    /// Admin client key.
    pub client_key: String,
}

const FILES: [&str; 5] = [
    "ca.crt",
    "server.crt",
    "server.key",
    "admin.crt",
    "admin.key",
];

fn rc(e: rcgen::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl Pki {
    /// Loads `dir/pki/*` or generates (and saves) a fresh PKI whose server
    /// certificate names localhost, 127.0.0.1 and `extra_names` (DNS names
    /// or IP addresses: an aggregated API server's `SERVICE.NAMESPACE.svc`,
    /// say). A PKI loaded from `dir` keeps the names it was made with.
    pub fn load_or_generate(dir: Option<&Path>, extra_names: &[String]) -> std::io::Result<Pki> {
        let pki_dir = dir.map(|d| d.join("pki"));
        if let Some(p) = &pki_dir {
            if FILES.iter().all(|f| p.join(f).exists()) {
                // Keys written world-readable by an older version are
                // made private before use.
                make_private(p)?;
                for f in FILES {
                    make_private(&p.join(f))?;
                }
                let r = |f: &str| std::fs::read_to_string(p.join(f));
                return Ok(Pki {
                    ca_cert: r(FILES[0])?,
                    server_cert: r(FILES[1])?,
                    server_key: r(FILES[2])?,
                    client_cert: r(FILES[3])?,
                    client_key: r(FILES[4])?,
                });
            }
        }
        let ca_key = KeyPair::generate().map_err(rc)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "kubewire-ca");
        let ca_cert = ca.self_signed(&ca_key).map_err(rc)?;

        let server_key = KeyPair::generate().map_err(rc)?;
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        for n in extra_names {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        let mut sp = CertificateParams::new(names).map_err(rc)?;
        sp.distinguished_name
            .push(DnType::CommonName, "kubewire-server");
        sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = sp.signed_by(&server_key, &ca_cert, &ca_key).map_err(rc)?;

        let client_key = KeyPair::generate().map_err(rc)?;
        let mut cp = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
        cp.distinguished_name
            .push(DnType::CommonName, "kubewire-admin");
        cp.distinguished_name
            .push(DnType::OrganizationName, "system:masters");
        cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = cp.signed_by(&client_key, &ca_cert, &ca_key).map_err(rc)?;

        let pki = Pki {
            ca_cert: ca_cert.pem(),
            server_cert: server_cert.pem(),
            server_key: server_key.serialize_pem(),
            client_cert: client_cert.pem(),
            client_key: client_key.serialize_pem(),
        };
        if let Some(p) = &pki_dir {
            create_private_dir(p)?;
            let contents = [
                &pki.ca_cert,
                &pki.server_cert,
                &pki.server_key,
                &pki.client_cert,
                &pki.client_key,
            ];
            // Private from creation (0600 in a 0700 directory): the keys
            // are never readable by other users, not even for a moment.
            for (f, c) in FILES.iter().zip(contents) {
                write_private_file(&p.join(f), c.as_bytes())?;
            }
        }
        Ok(pki)
    }

    /// A rustls server config: the server certificate, HTTP/2 and HTTP/1.1
    /// via ALPN, and optional client certificates signed by the CA or by
    /// one of `extra_client_roots` (a request-header CA).
    pub fn server_config(
        &self,
        extra_client_roots: &[CertificateDer<'static>],
    ) -> std::io::Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let bad = |e: &dyn core::fmt::Display| std::io::Error::other(e.to_string());
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(self.ca_cert.as_bytes()) {
            roots.add(c.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
        }
        for c in extra_client_roots {
            roots.add(c.clone()).map_err(|e| bad(&e))?;
        }
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(|e| bad(&e))?;
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.server_cert.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| bad(&e))?;
        let key = PrivateKeyDer::from_pem_slice(self.server_key.as_bytes()).map_err(|e| bad(&e))?;
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(&e))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .map_err(|e| bad(&e))?;
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

/// The user name (CN) of a verified client certificate.
pub fn client_cert_user(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = cert.subject().iter_common_name().next()?;
    cn.as_str().ok().map(String::from)
}
