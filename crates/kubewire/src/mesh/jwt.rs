//! A service-account token's header and claims, decoded.
//!
//! This reads what a JWT *says*; it does not check who signed it. Signature
//! checks need a crypto library, which the no_std core does not carry: the
//! native `kubewire-mesh` crate verifies against the issuer's JWKS, and a
//! TokenReview ([`super::review`]) asks the API server. Use the claims of
//! an unverified token for routing and display, never to grant access.
//!
//! Errors say which part failed and where, never what the token holds.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::{Deserialize, Deserializer};

/// The JOSE header: which key signed the token, with which algorithm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Header {
    /// `alg`: `RS256` from kube-apiserver with an RSA key, `ES256` with an
    /// EC key.
    #[serde(default)]
    pub alg: String,
    /// `kid`: the key's id in the issuer's JWKS.
    #[serde(default)]
    pub kid: Option<String>,
    /// `typ`, when present.
    #[serde(default)]
    pub typ: Option<String>,
}

/// The registered claims and the `kubernetes.io` claim of a
/// service-account token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// `iss`: the service-account issuer.
    #[serde(default)]
    pub iss: String,
    /// `sub`: `system:serviceaccount:NAMESPACE:NAME`.
    #[serde(default)]
    pub sub: String,
    /// `aud`: a single string or a list in JSON; always a list here.
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// `exp`, in seconds since the Unix epoch.
    #[serde(default)]
    pub exp: Option<i64>,
    /// `iat`, in seconds since the Unix epoch.
    #[serde(default)]
    pub iat: Option<i64>,
    /// `nbf`, in seconds since the Unix epoch.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// `jti`: the credential id the API server reports as
    /// `authentication.kubernetes.io/credential-id`.
    #[serde(default)]
    pub jti: Option<String>,
    /// `kubernetes.io`: namespace, service account, and the object the
    /// token is bound to.
    #[serde(default, rename = "kubernetes.io")]
    pub kubernetes: Option<KubernetesClaims>,
}

/// The `kubernetes.io` claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct KubernetesClaims {
    /// The service account's namespace.
    #[serde(default)]
    pub namespace: String,
    /// The service account (name and uid at issue time).
    #[serde(default)]
    pub serviceaccount: Option<ObjectClaim>,
    /// The Pod the token is bound to.
    #[serde(default)]
    pub pod: Option<ObjectClaim>,
    /// The node: of the bound Pod, or the bound Node itself.
    #[serde(default)]
    pub node: Option<ObjectClaim>,
    /// The Secret the token is bound to.
    #[serde(default)]
    pub secret: Option<ObjectClaim>,
    /// `warnafter`: the time after which a client should have refreshed
    /// (set on extended-lifetime kubelet tokens).
    #[serde(default)]
    pub warnafter: Option<i64>,
}

/// A name and uid inside the `kubernetes.io` claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ObjectClaim {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `uid`.
    #[serde(default)]
    pub uid: String,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Aud>::deserialize(d)? {
        None => Vec::new(),
        Some(Aud::One(s)) => alloc::vec![s],
        Some(Aud::Many(v)) => v,
    })
}

impl Claims {
    /// The service account `(namespace, name)`: from the `kubernetes.io`
    /// claim, else from `sub`.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        if let Some(k) = &self.kubernetes {
            if let Some(sa) = &k.serviceaccount {
                if !k.namespace.is_empty() && !sa.name.is_empty() {
                    return Some((&k.namespace, &sa.name));
                }
            }
        }
        let rest = self.sub.strip_prefix("system:serviceaccount:")?;
        rest.split_once(':')
            .filter(|(ns, n)| !ns.is_empty() && !n.is_empty() && !n.contains(':'))
    }

    /// Whether `audience` is one of the token's audiences.
    pub fn has_audience(&self, audience: &str) -> bool {
        self.aud.iter().any(|a| a == audience)
    }

    /// Whether the token is expired at `unix_secs` (no `exp` never expires).
    pub fn expired_at(&self, unix_secs: i64) -> bool {
        self.exp.is_some_and(|e| unix_secs >= e)
    }

    /// Any other claims are ignored; this lists the bound objects' kinds
    /// present (`pod`, `node`, `secret`), for display.
    pub fn bound_kinds(&self) -> BTreeMap<&'static str, &str> {
        let mut out = BTreeMap::new();
        if let Some(k) = &self.kubernetes {
            for (kind, c) in [("pod", &k.pod), ("node", &k.node), ("secret", &k.secret)] {
                if let Some(c) = c {
                    out.insert(kind, c.name.as_str());
                }
            }
        }
        out
    }
}

/// The part of a token that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The JOSE header.
    Header,
    /// The claims.
    Payload,
}

/// Why a token's claims could not be read. Never carries token bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three `.`-separated parts (`parts` were found).
    Shape {
        /// How many parts there were.
        parts: usize,
    },
    /// A part is not base64url.
    Base64(Part),
    /// A part is not the JSON expected there.
    Json {
        /// Which part.
        part: Part,
        /// The column in the decoded JSON where reading stopped.
        column: usize,
    },
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |p: &Part| match p {
            Part::Header => "header",
            Part::Payload => "claims",
        };
        match self {
            JwtError::Shape { parts } => {
                write!(f, "not a JWT: {parts} dot-separated parts, expected 3")
            }
            JwtError::Base64(p) => write!(f, "the token's {} are not base64url", name(p)),
            JwtError::Json { part, column } => write!(
                f,
                "the token's {} are not the expected JSON (column {column})",
                name(part)
            ),
        }
    }
}

impl core::error::Error for JwtError {}

/// Read a JWT's header and claims without checking its signature.
pub fn decode(token: &str) -> Result<(Header, Claims), JwtError> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [h, p, _sig] = parts.as_slice() else {
        return Err(JwtError::Shape { parts: parts.len() });
    };
    Ok((part(h, Part::Header)?, part(p, Part::Payload)?))
}

fn part<T: serde::de::DeserializeOwned>(b64: &str, which: Part) -> Result<T, JwtError> {
    // RFC 7515 says unpadded; some issuers pad anyway.
    let bytes = URL_SAFE_NO_PAD
        .decode(b64)
        .or_else(|_| URL_SAFE.decode(b64))
        .map_err(|_| JwtError::Base64(which))?;
    crate::json::from_bytes(&bytes).map_err(|e| JwtError::Json {
        part: which,
        column: e.column(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token of the real API server's `tokenrequest-create` capture
    /// (signed with a test-only key).
    const REAL: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6Ik9WaVlBSmFqTEE3TG1HZGtndzBpeFcxTTlEbGo1Z2xpa0dlQllGZFQxNFUifQ.eyJhdWQiOlsiaHR0cHM6Ly9rdWJlcm5ldGVzLmRlZmF1bHQuc3ZjLmNsdXN0ZXIubG9jYWwiXSwiZXhwIjoxNzk1MzA4NTI5LCJpYXQiOjE3OTUzMDQ5MjksImlzcyI6Imh0dHBzOi8va3ViZXJuZXRlcy5kZWZhdWx0LnN2Yy5jbHVzdGVyLmxvY2FsIiwianRpIjoiOTBkYjYxMTAtY2IzMy00NGFmLTg1ZGYtNDlkMjgzNzUzZjk1Iiwia3ViZXJuZXRlcy5pbyI6eyJuYW1lc3BhY2UiOiJkZW1vIiwic2VydmljZWFjY291bnQiOnsibmFtZSI6ImxpbWl0ZWQiLCJ1aWQiOiJkMTUyYTBmNi04OTJiLTRiMGQtYjM1Yy00NDRiNjg4ZGU1MzQifX0sIm5iZiI6MTc5NTMwNDkyOSwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OmRlbW86bGltaXRlZCJ9.rOgj1DxpTGMjZhNxOLx_ugBWvS30d8jL3Bg143QXALWUFTh6Q4HLRis-seg_d7pMsq0xJOLOyviv9mMUL4nJ73m4sLD2SrK3j3zOi9DQysfPQycnbwRbzT9mhnvmTS-AcfaLQsmvp0W5TpqHrf_bkEQLS_83H9S8VuJPzb-XpMYqMneUEbKA3JVx1Ir3AqnYo8D7q2Qfhj2HH_rM_Xi2KWfIcl11fEz57TDxgFo58oVylRYqMHmZLfsOF1WM-Kjttjx4CIqtMYbmhH8nVrEw1DuOZ5R7sDpE8Cm46p8sK_U6ceMh-a2tJ_GGVYVDXm8qNZfdeBNKiv5FT90t8QDEjQ";

    #[test]
    fn the_real_servers_token_decodes() {
        let (h, c) = decode(REAL).unwrap();
        assert_eq!(h.alg, "RS256");
        assert_eq!(
            h.kid.as_deref(),
            Some("OViYAJajLA7LmGdkgw0ixW1M9Dlj5glikGeBYFdT14U")
        );
        assert_eq!(c.iss, "https://kubernetes.default.svc.cluster.local");
        assert_eq!(c.aud, ["https://kubernetes.default.svc.cluster.local"]);
        assert_eq!(
            (c.iat, c.nbf, c.exp),
            (Some(1795304929), Some(1795304929), Some(1795308529))
        );
        assert_eq!(c.service_account(), Some(("demo", "limited")));
        let k = c.kubernetes.as_ref().unwrap();
        assert_eq!(
            k.serviceaccount.as_ref().unwrap().uid,
            "d152a0f6-892b-4b0d-b35c-444b688de534"
        );
        assert!(k.pod.is_none() && k.node.is_none());
        assert!(c.expired_at(1795308529) && !c.expired_at(1795308528));
    }

    #[test]
    fn bound_pod_claims_as_the_real_server_writes_them() {
        // tokenrequest-bound-pod.claims.json, re-encoded (the capture
        // masks the token itself).
        let claims = r#"{"aud":["https://kubernetes.default.svc"],"exp":1796167529,"iat":1796163929,"iss":"https://kubernetes.default.svc","jti":"58fb4d70-b089-40d4-a110-75081e134e1d","kubernetes.io":{"namespace":"capture","pod":{"name":"bound-pod","uid":"26bc659c-756f-4751-a3df-f03543fc336c"},"serviceaccount":{"name":"reader","uid":"0cfdda85-f2e1-48d0-b43e-927ae6f8355c"}},"nbf":1796163929,"sub":"system:serviceaccount:capture:reader"}"#;
        let token = alloc::format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let (_, c) = decode(&token).unwrap();
        let k = c.kubernetes.as_ref().unwrap();
        assert_eq!(k.pod.as_ref().map(|p| p.name.as_str()), Some("bound-pod"));
        assert_eq!(c.bound_kinds().get("pod"), Some(&"bound-pod"));
        assert_eq!(
            c.jti.as_deref(),
            Some("58fb4d70-b089-40d4-a110-75081e134e1d")
        );
        // `aud` as a single string, `sub` only.
        let single = alloc::format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"aud":"vault","sub":"system:serviceaccount:ns:sa"}"#)
        );
        let (_, c) = decode(&single).unwrap();
        assert_eq!(c.aud, ["vault"]);
        assert!(c.has_audience("vault"));
        assert_eq!(c.service_account(), Some(("ns", "sa")));
    }

    #[test]
    fn errors_never_quote_the_token() {
        let secretish = "c2VjcmV0LXRva2VuLWJ5dGVz";
        for (bad, want) in [
            ("not-a-jwt-at-all", JwtError::Shape { parts: 1 }),
            ("a.b.c.d", JwtError::Shape { parts: 4 }),
            ("!!.e30.x", JwtError::Base64(Part::Header)),
        ] {
            assert_eq!(decode(bad).unwrap_err(), want, "{bad}");
        }
        let wrong_type = alloc::format!(
            "e30.{}.sig",
            URL_SAFE_NO_PAD.encode(alloc::format!(r#"{{"exp":"{secretish}"}}"#))
        );
        let e = decode(&wrong_type).unwrap_err();
        assert!(
            matches!(
                e,
                JwtError::Json {
                    part: Part::Payload,
                    ..
                }
            ),
            "{e:?}"
        );
        let shown = alloc::format!("{e} {e:?}");
        assert!(!shown.contains(secretish), "{shown}");
    }
}
