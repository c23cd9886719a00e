//! The trimmed TLS provider against rustls servers offering what API
//! servers and middle boxes offer: it agrees on AES-GCM with TLS 1.3 (and
//! 1.2 with the `tls12` feature), verifies ECDSA and (with `ed25519`)
//! Ed25519 certificates, and fails clearly against a server that only offers
//! ChaCha20-Poly1305.

use std::sync::Arc;

use rustls::crypto::ring::{cipher_suite, default_provider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{
    CipherSuite, ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection,
    SupportedCipherSuite,
};

/// A self-signed certificate for `localhost` and its key.
fn certificate(
    alg: &'static rcgen::SignatureAlgorithm,
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (
        cert.der().clone(),
        PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    )
}

/// A server offering `suites` (all of ring's when empty) over `versions`.
fn server(
    alg: &'static rcgen::SignatureAlgorithm,
    suites: &[SupportedCipherSuite],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (ServerConfig, CertificateDer<'static>) {
    let mut provider = default_provider();
    if !suites.is_empty() {
        provider.cipher_suites = suites.to_vec();
    }
    let (cert, key) = certificate(alg);
    let config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    (config, cert)
}

/// Runs a handshake in memory; the negotiated suite, or the client's error.
fn handshake(
    server: ServerConfig,
    ca: CertificateDer<'static>,
) -> Result<CipherSuite, rustls::Error> {
    let mut roots = RootCertStore::empty();
    roots.add(ca).unwrap();
    let client = ClientConfig::builder_with_provider(kubewire_config::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let mut c = ClientConnection::new(Arc::new(client), name).unwrap();
    let mut s = ServerConnection::new(Arc::new(server)).unwrap();
    for _ in 0..20 {
        let mut wire = Vec::new();
        c.write_tls(&mut wire).unwrap();
        if !wire.is_empty() {
            s.read_tls(&mut &wire[..]).unwrap();
            // The server's own refusal reaches the client as an alert.
            let _ = s.process_new_packets();
        }
        let mut back = Vec::new();
        s.write_tls(&mut back).unwrap();
        if !back.is_empty() {
            c.read_tls(&mut &back[..]).unwrap();
            c.process_new_packets()?;
        }
        if !c.is_handshaking() {
            return Ok(c.negotiated_cipher_suite().unwrap().suite());
        }
    }
    panic!("the handshake did not finish");
}

#[test]
fn tls13_agrees_on_aes_gcm_with_every_certificate_kind() {
    let mut algs = vec![
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
    ];
    if cfg!(feature = "ed25519") {
        algs.push(&rcgen::PKCS_ED25519);
    }
    for alg in algs {
        let (config, ca) = server(alg, &[], &[&rustls::version::TLS13]);
        assert_eq!(
            handshake(config, ca).unwrap(),
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            "{alg:?}"
        );
    }
}

#[test]
fn a_server_offering_only_chacha20_is_refused_clearly() {
    let (config, ca) = server(
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &[cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
        &[&rustls::version::TLS13],
    );
    let err = handshake(config, ca).unwrap_err();
    assert!(
        matches!(
            err,
            rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure)
        ),
        "{err:?}"
    );
}

#[cfg(feature = "tls12")]
#[test]
fn tls12_agrees_on_ecdhe_aes_gcm() {
    let (config, ca) = server(
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &[],
        &[&rustls::version::TLS12],
    );
    assert_eq!(
        handshake(config, ca).unwrap(),
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    );
}

#[cfg(not(feature = "ed25519"))]
#[test]
fn without_ed25519_an_ed25519_certificate_is_refused() {
    let (config, ca) = server(&rcgen::PKCS_ED25519, &[], &[&rustls::version::TLS13]);
    assert!(handshake(config, ca).is_err());
}

#[cfg(not(feature = "tls12"))]
#[test]
fn without_tls12_a_tls12_only_server_is_refused() {
    let (config, ca) = server(
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &[],
        &[&rustls::version::TLS12],
    );
    assert!(handshake(config, ca).is_err());
}
