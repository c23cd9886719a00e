//! Request-header authentication, as kube-apiserver's `--requestheader-*`
//! flags configure it: a client certificate signed by the request-header
//! CA (with an allowed common name, when names are given) may say who the
//! user is in headers (`X-Remote-User`, `X-Remote-Group`,
//! `X-Remote-Extra-KEY`). Nobody else can: the same headers from any other
//! client are ignored.

use std::sync::Arc;

use hyper::HeaderMap;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;

use crate::auth::{Remote, User};
use crate::status::ApiError;

/// The `--requestheader-*` settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--requestheader-client-ca-file`'s contents (PEM).
    pub client_ca_pem: String,
    /// `--requestheader-allowed-names`: common names that may assert
    /// identities; empty means any certificate the CA signed.
    pub allowed_names: Vec<String>,
    /// `--requestheader-username-headers` (default `X-Remote-User`).
    pub username_headers: Vec<String>,
    /// `--requestheader-group-headers` (default `X-Remote-Group`).
    pub group_headers: Vec<String>,
    /// `--requestheader-extra-headers-prefix` (default `X-Remote-Extra-`).
    pub extra_prefixes: Vec<String>,
}

impl Options {
    /// The header names kubeadm configures (and the aggregation layer's
    /// documentation uses), with `client_ca_pem` as the CA.
    pub fn new(client_ca_pem: String) -> Self {
        Options {
            client_ca_pem,
            allowed_names: Vec::new(),
            username_headers: vec!["X-Remote-User".into()],
            group_headers: vec!["X-Remote-Group".into()],
            extra_prefixes: vec!["X-Remote-Extra-".into()],
        }
    }
}

/// Request-header authentication, ready to check connections.
#[derive(Clone)]
pub struct RequestHeader {
    options: Options,
    roots: Vec<CertificateDer<'static>>,
    verifier: Arc<dyn ClientCertVerifier>,
}

impl core::fmt::Debug for RequestHeader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RequestHeader")
            .field("allowed_names", &self.options.allowed_names)
            .finish_non_exhaustive()
    }
}

impl RequestHeader {
    /// Parses the CA; an empty or malformed bundle is an error.
    pub fn new(options: Options) -> Result<Self, String> {
        let roots: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(options.client_ca_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("requestheader client CA: {e}"))?;
        if roots.is_empty() {
            return Err("requestheader client CA: no PEM certificate found".into());
        }
        let mut store = rustls::RootCertStore::empty();
        for c in &roots {
            store
                .add(c.clone())
                .map_err(|e| format!("requestheader client CA: {e}"))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider)
            .build()
            .map_err(|e| format!("requestheader client CA: {e}"))?;
        Ok(RequestHeader {
            options,
            roots,
            verifier,
        })
    }

    /// The CA certificates, which the TLS listener must also accept.
    pub fn roots(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }

    /// The common name of a peer chain that the request-header CA signed
    /// (whatever the name: [`RequestHeader::user`] checks it per request,
    /// answering 401 as kube-apiserver does for a name not allowed).
    pub fn proxy_name(&self, chain: &[CertificateDer<'_>]) -> Option<String> {
        let (leaf, rest) = chain.split_first()?;
        self.verifier
            .verify_client_cert(leaf, rest, UnixTime::now())
            .ok()?;
        crate::tls::client_cert_user(leaf)
    }

    /// The user a front proxy named `proxy` asserts in `headers`; `None`
    /// when it names nobody (the request is then judged by its other
    /// credentials); 401 when the proxy's name is not allowed.
    pub fn user(&self, proxy: &str, headers: &HeaderMap) -> Result<Option<User>, ApiError> {
        let o = &self.options;
        if !o.allowed_names.is_empty() && !o.allowed_names.iter().any(|n| n == proxy) {
            return Err(ApiError::unauthorized());
        }
        let values = |name: &str| {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let Some(name) = o
            .username_headers
            .iter()
            .flat_map(|h| values(h))
            .find(|v| !v.is_empty())
        else {
            return Ok(None);
        };
        let groups = o.group_headers.iter().flat_map(|h| values(h)).collect();
        let mut extra: Vec<(String, Vec<String>)> = Vec::new();
        for (k, v) in headers {
            let key = k.as_str();
            let Some(rest) = o.extra_prefixes.iter().find_map(|p| {
                key.get(..p.len())
                    .filter(|head| head.eq_ignore_ascii_case(p))
                    .map(|_| &key[p.len()..])
            }) else {
                continue;
            };
            // Keys are percent-encoded on the wire (they may hold `/`),
            // and case-insensitive as header names are: lower case.
            let k = percent_decode(rest).to_lowercase();
            let Ok(v) = v.to_str() else { continue };
            match extra.iter_mut().find(|(e, _)| *e == k) {
                Some((_, vs)) => vs.push(v.to_string()),
                None => extra.push((k, vec![v.to_string()])),
            }
        }
        Ok(Some(User::Remote(Box::new(Remote {
            name,
            groups,
            extra,
        }))))
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// What an extra key may hold unescaped in a header name (RFC 3986's
/// unreserved characters, as client-go's `headerKeyEscape`).
const KEY_ESCAPE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes an extra key for an `X-Remote-Extra-` header name.
pub fn percent_encode_key(k: &str) -> String {
    percent_encoding::utf8_percent_encode(k, KEY_ESCAPE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

    fn ca() -> (rcgen::Certificate, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(DnType::CommonName, "front-proxy-ca");
        (p.self_signed(&key).unwrap(), key)
    }

    fn leaf(ca: &(rcgen::Certificate, KeyPair), cn: &str) -> CertificateDer<'static> {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        p.signed_by(&key, &ca.0, &ca.1).unwrap().der().clone()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                hyper::header::HeaderName::try_from(*k).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn only_the_cas_certificates_are_proxies() {
        let ours = ca();
        let rh = RequestHeader::new(Options::new(ours.0.pem())).unwrap();
        assert_eq!(
            rh.proxy_name(&[leaf(&ours, "front-proxy-client")]),
            Some("front-proxy-client".into())
        );
        assert_eq!(rh.proxy_name(&[leaf(&ca(), "front-proxy-client")]), None);
        assert_eq!(rh.proxy_name(&[]), None);
        assert!(RequestHeader::new(Options::new("not pem".into())).is_err());
    }

    #[test]
    fn headers_name_the_user_its_groups_and_extras() {
        let mut o = Options::new(ca().0.pem());
        o.allowed_names = vec!["front-proxy-client".into()];
        let rh = RequestHeader::new(o).unwrap();
        let h = headers(&[
            ("x-remote-user", "alice"),
            ("x-remote-group", "devs"),
            ("x-remote-group", "system:authenticated"),
            ("x-remote-extra-Scopes.example.com%2Fkind", "a"),
            ("x-remote-extra-scopes.example.com%2fkind", "b"),
            ("x-remote-extra-reason", "audit"),
        ]);
        let Ok(Some(User::Remote(r))) = rh.user("front-proxy-client", &h) else {
            panic!("no remote user");
        };
        assert_eq!(r.name, "alice");
        assert_eq!(r.groups, ["devs", "system:authenticated"]);
        assert_eq!(
            r.extra,
            [
                (
                    "scopes.example.com/kind".to_string(),
                    vec!["a".to_string(), "b".to_string()]
                ),
                ("reason".to_string(), vec!["audit".to_string()]),
            ]
        );
        // A certificate of the CA with a name not allowed: 401.
        let e = rh.user("someone-else", &h).unwrap_err();
        assert_eq!(e.code(), 401);
        // No user header: the request's other credentials decide.
        assert!(rh
            .user("front-proxy-client", &headers(&[("x-remote-group", "g")]))
            .unwrap()
            .is_none());
    }

    #[test]
    fn extra_keys_round_trip() {
        let k = "scopes.example.com/a b";
        assert_eq!(percent_encode_key(k), "scopes.example.com%2Fa%20b");
        assert_eq!(percent_decode(&percent_encode_key(k)), k);
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
