//! Service-account tokens: TokenRequest issues ES256-signed JWTs with the
//! claims kube-apiserver puts in; the server accepts them as bearer tokens
//! and publishes the public key at `/openid/v1/jwks`.
//!
//! ES256 rather than the real server's RS256: ring can generate a P-256
//! key in microseconds (an RSA key takes seconds in a debug build), and
//! every JWT library verifies both.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

/// The issuer and default audience, as in-cluster tokens have them.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// Signs and verifies service-account tokens.
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    x: String,
    y: String,
}

/// The identity inside a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    /// Namespace of the service account.
    pub namespace: String,
    /// Service account name.
    pub name: String,
    /// Service account uid when the token was issued.
    pub uid: String,
}

impl TokenIssuer {
    /// Loads the signing key from `dir/sa-signing-key.pk8`, or generates one
    /// (and saves it there when `dir` is given, so tokens survive restarts).
    pub fn load_or_generate(dir: Option<&Path>) -> std::io::Result<Self> {
        let path = dir.map(|d| d.join("sa-signing-key.pk8"));
        let pkcs8 = match path.as_ref().filter(|p| p.exists()) {
            Some(p) => {
                crate::storage::persist::make_private(p)?;
                std::fs::read(p)?
            }
            None => {
                let rng = ring::rand::SystemRandom::new();
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| std::io::Error::other("key generation failed"))?;
                if let Some(p) = &path {
                    crate::storage::persist::write_private_file(p, doc.as_ref())?;
                }
                doc.as_ref().to_vec()
            }
        };
        let rng = ring::rand::SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|_| std::io::Error::other("bad signing key"))?;
        let public = pair.public_key().as_ref();
        // Uncompressed point: 0x04 || x (32 bytes) || y (32 bytes).
        let x = URL_SAFE_NO_PAD.encode(&public[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&public[33..65]);
        let kid = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, public));
        let decoding = DecodingKey::from_ec_components(&x, &y)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(TokenIssuer {
            encoding: EncodingKey::from_ec_der(&pkcs8),
            decoding,
            kid,
            x,
            y,
        })
    }

    /// Issues a token; returns it and its expiry (unix seconds).
    pub fn issue(
        &self,
        subject: &TokenSubject,
        audiences: &[String],
        expiration_secs: i64,
    ) -> (String, i64) {
        let now = jiff::Timestamp::now().as_second();
        let exp = now + expiration_secs;
        let claims = json!({
            "aud": audiences,
            "exp": exp,
            "iat": now,
            "iss": ISSUER,
            "jti": uuid::Uuid::new_v4().to_string(),
            "kubernetes.io": {
                "namespace": subject.namespace,
                "serviceaccount": {"name": subject.name, "uid": subject.uid}
            },
            "nbf": now,
            "sub": format!("system:serviceaccount:{}:{}", subject.namespace, subject.name),
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = None;
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap_or_default();
        (token, exp)
    }

    /// Verifies signature, expiry and that the audience includes the API
    /// server's own; returns the subject.
    pub fn verify(&self, token: &str) -> Option<TokenSubject> {
        let mut v = Validation::new(Algorithm::ES256);
        v.set_audience(&[ISSUER]);
        v.set_issuer(&[ISSUER]);
        let data = jsonwebtoken::decode::<Value>(token, &self.decoding, &v).ok()?;
        let k = &data.claims["kubernetes.io"];
        Some(TokenSubject {
            namespace: k["namespace"].as_str()?.to_string(),
            name: k["serviceaccount"]["name"].as_str()?.to_string(),
            uid: k["serviceaccount"]["uid"].as_str()?.to_string(),
        })
    }

    /// `/openid/v1/jwks`.
    pub fn jwks(&self) -> Value {
        json!({"keys": [{"use": "sig", "kty": "EC", "kid": self.kid, "crv": "P-256", "alg": "ES256", "x": self.x, "y": self.y}]})
    }

    /// `/.well-known/openid-configuration`.
    pub fn openid_configuration(&self) -> Value {
        json!({
            "issuer": ISSUER,
            "jwks_uri": format!("{ISSUER}/openid/v1/jwks"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_and_verify() {
        let t = TokenIssuer::load_or_generate(None).unwrap();
        let s = TokenSubject {
            namespace: "demo".into(),
            name: "sa".into(),
            uid: "u".into(),
        };
        let (tok, _) = t.issue(&s, &[ISSUER.to_string()], 3600);
        assert_eq!(t.verify(&tok), Some(s.clone()));
        let (other, _) = t.issue(&s, &["other".to_string()], 3600);
        assert_eq!(
            t.verify(&other),
            None,
            "wrong audience must not authenticate"
        );
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(tok.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        for k in [
            "aud",
            "exp",
            "iat",
            "iss",
            "jti",
            "kubernetes.io",
            "nbf",
            "sub",
        ] {
            assert!(claims.get(k).is_some(), "claim {k}");
        }
    }
}
