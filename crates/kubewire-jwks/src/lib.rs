//! Service-account token signatures, checked against the issuer's JSON Web
//! Key Set (`/openid/v1/jwks`).
//!
//! The core ([`kubewire::mesh::jwt`]) reads a token's claims without any
//! cryptography (it is `no_std` and keeps its dependencies few); this
//! crate adds the check that the issuer signed them, with `jsonwebtoken`
//! (ring underneath). It does no IO: the host fetches the JWKS document
//! (`GET /openid/v1/jwks` on the API server, or the issuer's
//! `jwks_uri`) and hands the bytes in, and passes "now" in, so expiry is
//! tested on virtual time like the rest of kubewire.
//!
//! What is checked, in order: the header names a key of the set (`kid`,
//! or the set's only key) of an asymmetric family (RSA or EC; symmetric
//! `oct` keys are refused, as are `alg: none` and an `alg` that differs
//! from the key's); the signature; `iss`; one of the wanted audiences;
//! `exp` and `nbf` against `now`. Errors say which check failed and never
//! quote the token.
//!
//! ```
//! use kubewire_jwks::{Jwks, VerifyError};
//! let set = Jwks::from_json(br#"{"keys":[]}"#, "https://kubernetes.default.svc").unwrap();
//! assert!(matches!(set.verify("a.b.c", &["vault"], 0), Err(VerifyError::Malformed)));
//! ```

use core::fmt;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kubewire::mesh::jwt::Claims;

/// The public keys of one issuer.
pub struct Jwks {
    issuer: String,
    keys: Vec<(Option<String>, Option<Algorithm>, Family, DecodingKey)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Rsa,
    Ec,
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<_> = self.keys.iter().map(|(k, ..)| k.as_deref()).collect();
        f.debug_struct("Jwks")
            .field("issuer", &self.issuer)
            .field("kids", &kids)
            .finish()
    }
}

/// Why a JWKS document is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksError {
    /// Not a JWK Set (`{"keys": [...]}`) — with serde_json's position.
    Json {
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
    },
    /// A key whose parameters do not make a public key.
    BadKey {
        /// Its `kid`.
        kid: Option<String>,
    },
}

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwksError::Json { line, column } => {
                write!(f, "not a JWK Set (line {line}, column {column})")
            }
            JwksError::BadKey { kid } => {
                write!(f, "key {kid:?} of the JWK Set is not a usable public key")
            }
        }
    }
}

impl core::error::Error for JwksError {}

/// Why a token is not accepted. Never carries token bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a JWT (three base64url parts with a JSON header).
    Malformed,
    /// `alg` is none, symmetric, or not the key's.
    Algorithm(String),
    /// No key of the set has this `kid` (or the set has several keys and
    /// the token names none).
    UnknownKey(Option<String>),
    /// The signature does not match the key.
    Signature,
    /// `iss` is not this issuer.
    Issuer,
    /// None of the wanted audiences is in `aud`.
    Audience,
    /// `exp` has passed.
    Expired,
    /// `nbf` is still ahead.
    NotYetValid,
    /// The claims are not a service-account token's.
    Claims,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed => f.write_str("not a JWT"),
            VerifyError::Algorithm(a) => write!(f, "signing algorithm {a} not accepted"),
            VerifyError::UnknownKey(k) => write!(f, "no key {k:?} in the issuer's JWKS"),
            VerifyError::Signature => f.write_str("the signature does not verify"),
            VerifyError::Issuer => f.write_str("issued by someone else"),
            VerifyError::Audience => f.write_str("not issued for this audience"),
            VerifyError::Expired => f.write_str("expired"),
            VerifyError::NotYetValid => f.write_str("not valid yet"),
            VerifyError::Claims => f.write_str("the claims are not a service-account token's"),
        }
    }
}

impl core::error::Error for VerifyError {}

const ACCEPTED: &[(Algorithm, Family)] = &[
    (Algorithm::RS256, Family::Rsa),
    (Algorithm::RS384, Family::Rsa),
    (Algorithm::RS512, Family::Rsa),
    (Algorithm::PS256, Family::Rsa),
    (Algorithm::PS384, Family::Rsa),
    (Algorithm::PS512, Family::Rsa),
    (Algorithm::ES256, Family::Ec),
    (Algorithm::ES384, Family::Ec),
];

impl Jwks {
    /// The keys of `issuer` from its JWKS document. Symmetric and unknown
    /// key types are left out (they can never verify a token here).
    pub fn from_json(document: &[u8], issuer: &str) -> Result<Self, JwksError> {
        let set: JwkSet = serde_json::from_slice(document).map_err(|e| JwksError::Json {
            line: e.line(),
            column: e.column(),
        })?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let family = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Family::Rsa,
                AlgorithmParameters::EllipticCurve(_) => Family::Ec,
                _ => continue,
            };
            let kid = jwk.common.key_id.clone();
            let key =
                DecodingKey::from_jwk(jwk).map_err(|_| JwksError::BadKey { kid: kid.clone() })?;
            keys.push((kid, key_alg(jwk), family, key));
        }
        Ok(Jwks {
            issuer: issuer.into(),
            keys,
        })
    }

    /// How many usable keys the set has.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Check `token` for one of `audiences` at `now_unix` (seconds since
    /// the epoch); its claims when good.
    pub fn verify(
        &self,
        token: &str,
        audiences: &[&str],
        now_unix: i64,
    ) -> Result<Claims, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let alg = header.alg;
        let family = ACCEPTED
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, f)| *f)
            .ok_or_else(|| VerifyError::Algorithm(format!("{alg:?}")))?;
        let candidates: Vec<_> = match &header.kid {
            Some(kid) => self
                .keys
                .iter()
                .filter(|(k, ..)| k.as_deref() == Some(kid.as_str()))
                .collect(),
            None if self.keys.len() == 1 => self.keys.iter().collect(),
            None => Vec::new(),
        };
        let (_, key_alg, key_family, key) = candidates
            .first()
            .ok_or_else(|| VerifyError::UnknownKey(header.kid.clone()))?;
        if *key_family != family || key_alg.is_some_and(|a| a != alg) {
            return Err(VerifyError::Algorithm(format!("{alg:?}")));
        }
        let mut v = Validation::new(alg);
        // Time and audience are checked below, against the host's clock
        // and with a typed answer.
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        v.set_issuer(&[&self.issuer]);
        let data = jsonwebtoken::decode::<Claims>(token, key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::InvalidSignature | K::InvalidEcdsaKey | K::InvalidRsaKey(_) => {
                    VerifyError::Signature
                }
                K::InvalidIssuer | K::MissingRequiredClaim(_) => VerifyError::Issuer,
                K::Json(_) => VerifyError::Claims,
                _ => VerifyError::Malformed,
            }
        })?;
        let c = data.claims;
        if !audiences.iter().any(|a| c.has_audience(a)) {
            return Err(VerifyError::Audience);
        }
        match c.exp {
            Some(exp) if now_unix < exp => {}
            _ => return Err(VerifyError::Expired),
        }
        if c.nbf.is_some_and(|nbf| now_unix < nbf) {
            return Err(VerifyError::NotYetValid);
        }
        if c.service_account().is_none() {
            return Err(VerifyError::Claims);
        }
        Ok(c)
    }
}

fn key_alg(jwk: &Jwk) -> Option<Algorithm> {
    use jsonwebtoken::jwk::KeyAlgorithm as K;
    Some(match jwk.common.key_algorithm? {
        K::RS256 => Algorithm::RS256,
        K::RS384 => Algorithm::RS384,
        K::RS512 => Algorithm::RS512,
        K::PS256 => Algorithm::PS256,
        K::PS384 => Algorithm::PS384,
        K::PS512 => Algorithm::PS512,
        K::ES256 => Algorithm::ES256,
        K::ES384 => Algorithm::ES384,
        // Anything else can match none of the accepted algorithms.
        _ => Algorithm::HS256,
    })
}
