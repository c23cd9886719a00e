//! The TLS crypto of every native kubewire connection: ring, with what
//! Kubernetes API servers use and nothing else.
//!
//! kube-apiserver (Go's crypto/tls) and the front ends of the managed
//! clusters always offer the AES-GCM suites, so ChaCha20-Poly1305 is left
//! out (ring's AES-GCM is constant-time without AES instructions too),
//! which leaves its code out of every binary. TLS 1.2 (feature `tls12`,
//! on by default) is for middle boxes that still lack 1.3: every
//! kube-apiserver since Go 1.13 speaks TLS 1.3. Certificates may be
//! signed with ECDSA (P-256, P-384) or RSA (PKCS#1 v1.5 or PSS, 2048–8192
//! bits) — what kubeadm, k3s and the cloud providers issue — and, with the
//! feature `ed25519` (on by default), Ed25519, which Kubernetes' own
//! tooling never issues but a private PKI may. The key exchange groups
//! are ring's: X25519, P-256, P-384.

use std::sync::Arc;

use rustls::crypto::ring::{cipher_suite as suite, kx_group, sign};
use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use rustls::{SignatureScheme, SupportedCipherSuite};
use webpki::ring as alg;

/// The provider; see the module's documentation for what it holds.
pub fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: SUITES.to_vec(),
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1],
        signature_verification_algorithms: SIGNATURES,
        secure_random: &Os,
        key_provider: &Os,
    }
}

/// In preference order, as ring's own list.
static SUITES: &[SupportedCipherSuite] = &[
    suite::TLS13_AES_256_GCM_SHA384,
    suite::TLS13_AES_128_GCM_SHA256,
    #[cfg(feature = "tls12")]
    suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    #[cfg(feature = "tls12")]
    suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    #[cfg(feature = "tls12")]
    suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    #[cfg(feature = "tls12")]
    suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
];

/// ring's verification algorithms (rustls's own table for it, which is
/// not public).
static SIGNATURES: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        alg::ECDSA_P256_SHA256,
        alg::ECDSA_P256_SHA384,
        alg::ECDSA_P384_SHA256,
        alg::ECDSA_P384_SHA384,
        #[cfg(feature = "ed25519")]
        alg::ED25519,
        alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        alg::RSA_PKCS1_2048_8192_SHA256,
        alg::RSA_PKCS1_2048_8192_SHA384,
        alg::RSA_PKCS1_2048_8192_SHA512,
    ],
    mapping: &[
        // TLS 1.2 does not tie the curve to the scheme; TLS 1.3 does.
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256],
        ),
        #[cfg(feature = "ed25519")]
        (SignatureScheme::ED25519, &[alg::ED25519]),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[alg::RSA_PKCS1_2048_8192_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[alg::RSA_PKCS1_2048_8192_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[alg::RSA_PKCS1_2048_8192_SHA256],
        ),
    ],
};

/// The operating system's randomness, and ring's client keys (RSA, ECDSA,
/// Ed25519).
#[derive(Debug)]
struct Os;

impl SecureRandom for Os {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        getrandom::getrandom(buf).map_err(|_| GetRandomFailed)
    }
}

impl KeyProvider for Os {
    fn load_private_key(
        &self,
        key: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        sign::any_supported_type(&key)
    }
}
