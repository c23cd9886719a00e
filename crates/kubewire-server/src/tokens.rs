//! Service-account tokens: TokenRequest issues ES256-signed JWTs with the
//! claims kube-apiserver puts in (bound to a Pod, Secret or Node when
//! asked); bearer authentication and TokenReview accept them while the
//! service account and the bound object still exist with the same uid;
//! the public key is at `/openid/v1/jwks`.
//!
//! ES256 rather than the real server's RS256: ring can generate a P-256
//! key in microseconds (it cannot generate RSA keys at all), and every JWT
//! library verifies both; kube-apiserver itself signs ES256 when its
//! service-account key is an EC key.
//!
//! Error texts are the real server's (see the `tokenreview-*` captures):
//! the union authenticator's `invalid bearer token`, then the reason.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Map, Value};

use crate::auth::StaticTokens;
use crate::objects::now_rfc3339;
use crate::status::{cause, ApiError};
use crate::storage::{Key, Store};

/// Where TokenReviews are posted.
pub const TOKEN_REVIEWS: &str = "/apis/authentication.k8s.io/v1/tokenreviews";

/// The issuer and default audience, as in-cluster tokens have them.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// The shortest lifetime a TokenRequest may ask for.
const MIN_EXPIRATION_SECS: i64 = 600;
/// The longest lifetime granted (kube-apiserver's default
/// `--service-account-max-token-expiration` is unlimited; 48 h keeps test
/// tokens short-lived).
const MAX_EXPIRATION_SECS: i64 = 48 * 3600;

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

/// A name and uid in the `kubernetes.io` claim.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectRef {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.uid`.
    pub uid: String,
}

/// The objects a token is bound to (`kubernetes.io.pod/.secret/.node`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bound {
    /// The Pod, for a Pod-bound token.
    pub pod: Option<ObjectRef>,
    /// The Secret, for a Secret-bound token.
    pub secret: Option<ObjectRef>,
    /// The Node: of the bound Pod when it is scheduled, or the bound Node.
    pub node: Option<ObjectRef>,
}

/// A token whose signature, issuer and expiry check out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The service account.
    pub subject: TokenSubject,
    /// `aud`.
    pub audiences: Vec<String>,
    /// `jti`.
    pub jti: Option<String>,
    /// Bound objects.
    pub bound: Bound,
}

/// Why a token does not authenticate, worded as kube-apiserver's
/// TokenReview `status.error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub String);

impl Rejected {
    fn because(reason: impl std::fmt::Display) -> Self {
        Rejected(format!("[invalid bearer token, {reason}]"))
    }
}

/// Who a token authenticates as, as TokenReview's `status.user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// `system:serviceaccount:NS:NAME`, or the static token's user.
    pub username: String,
    /// The service account's uid (empty for static tokens).
    pub uid: String,
    /// Groups.
    pub groups: Vec<String>,
    /// `authentication.kubernetes.io/...` extras, in key order.
    pub extra: Vec<(String, String)>,
    /// The audiences the token was accepted for.
    pub audiences: Vec<String>,
    /// The service account `(namespace, name)`; `None` for static tokens.
    pub service_account: Option<(String, String)>,
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
        bound: &Bound,
    ) -> (String, i64) {
        let now = jiff::Timestamp::now().as_second();
        let exp = now + expiration_secs;
        let r = |o: &ObjectRef| json!({"name": o.name, "uid": o.uid});
        let mut k = Map::new();
        k.insert("namespace".into(), subject.namespace.clone().into());
        if let Some(n) = &bound.node {
            k.insert("node".into(), r(n));
        }
        if let Some(p) = &bound.pod {
            k.insert("pod".into(), r(p));
        }
        if let Some(s) = &bound.secret {
            k.insert("secret".into(), r(s));
        }
        k.insert(
            "serviceaccount".into(),
            json!({"name": subject.name, "uid": subject.uid}),
        );
        let claims = json!({
            "aud": audiences,
            "exp": exp,
            "iat": now,
            "iss": ISSUER,
            "jti": uuid::Uuid::new_v4().to_string(),
            "kubernetes.io": k,
            "nbf": now,
            "sub": format!("system:serviceaccount:{}:{}", subject.namespace, subject.name),
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = None;
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap_or_default();
        (token, exp)
    }

    /// Checks signature, issuer and expiry (not the audience: callers
    /// check it against what they serve).
    pub fn verify(&self, token: &str) -> Result<Verified, Rejected> {
        let mut v = Validation::new(Algorithm::ES256);
        v.validate_aud = false;
        v.set_issuer(&[ISSUER]);
        v.leeway = 0;
        let data = jsonwebtoken::decode::<Value>(token, &self.decoding, &v).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature => {
                    Rejected::because("service account token has expired")
                }
                // Not a JWT, or someone else's: no authenticator knows it.
                _ => Rejected("invalid bearer token".into()),
            }
        })?;
        let c = data.claims;
        let k = &c["kubernetes.io"];
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let obj = |v: &Value| {
            v.is_object().then(|| ObjectRef {
                name: s(&v["name"]),
                uid: s(&v["uid"]),
            })
        };
        let subject = TokenSubject {
            namespace: s(&k["namespace"]),
            name: s(&k["serviceaccount"]["name"]),
            uid: s(&k["serviceaccount"]["uid"]),
        };
        if subject.namespace.is_empty() || subject.name.is_empty() {
            return Err(Rejected("invalid bearer token".into()));
        }
        let audiences = match &c["aud"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => vec![],
        };
        Ok(Verified {
            subject,
            audiences,
            jti: c["jti"].as_str().map(String::from),
            bound: Bound {
                pod: obj(&k["pod"]),
                secret: obj(&k["secret"]),
                node: obj(&k["node"]),
            },
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

/// Go's `%q` of a string slice, as the API server's messages print one.
fn go_quoted(list: &[String]) -> String {
    let inner: Vec<String> = list
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
    format!("[{}]", inner.join(" "))
}

fn uid_in(store: &Store, resource: &str, namespace: &str, name: &str) -> Option<String> {
    let o = store.get(&Key::new("", resource, namespace, name))?;
    Some(
        o["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Authenticate `token` for `audiences` (empty: the API server's own), as
/// kube-apiserver's authenticators do for bearer tokens and TokenReview:
/// static tokens, then service-account tokens whose service account and
/// bound objects still exist with the uids they were issued for.
pub fn authenticate(
    issuer: &TokenIssuer,
    statics: &StaticTokens,
    store: &Store,
    token: &str,
    audiences: &[String],
) -> Result<Authenticated, Rejected> {
    let target: Vec<String> = if audiences.is_empty() {
        vec![ISSUER.to_string()]
    } else {
        audiences.to_vec()
    };
    if let Some(user) = statics.user(token) {
        // Static tokens know no audiences: good only where the API server's is.
        if !target.iter().any(|a| a == ISSUER) {
            return Err(Rejected("invalid bearer token".into()));
        }
        return Ok(Authenticated {
            username: user.to_string(),
            uid: String::new(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
            extra: vec![],
            audiences: vec![ISSUER.to_string()],
            service_account: None,
        });
    }
    let v = issuer.verify(token)?;
    let accepted: Vec<String> = target
        .iter()
        .filter(|a| v.audiences.contains(a))
        .cloned()
        .collect();
    if accepted.is_empty() {
        return Err(Rejected::because(format!(
            "token audiences {} is invalid for the target audiences {}",
            go_quoted(&v.audiences),
            go_quoted(&target)
        )));
    }
    let ns = &v.subject.namespace;
    let invalidated = || Rejected::because("service account token has been invalidated");
    match uid_in(store, "serviceaccounts", ns, &v.subject.name) {
        None => return Err(invalidated()),
        Some(uid) if uid != v.subject.uid => {
            return Err(Rejected::because(format!(
                "service account UID ({uid}) does not match claim ({})",
                v.subject.uid
            )))
        }
        Some(_) => {}
    }
    let bound = [
        ("pods", "pod", v.bound.pod.as_ref(), ns.as_str()),
        ("secrets", "secret", v.bound.secret.as_ref(), ns.as_str()),
    ];
    for (resource, what, claim, namespace) in bound {
        let Some(claim) = claim else { continue };
        match uid_in(store, resource, namespace, &claim.name) {
            None => return Err(invalidated()),
            Some(uid) if uid != claim.uid => {
                return Err(Rejected::because(format!(
                    "{what} UID ({uid}) does not match service account {what} ref claim ({})",
                    claim.uid
                )))
            }
            Some(_) => {}
        }
    }
    // A Node-bound token (no Pod claim) depends on its Node; a Pod-bound
    // token's node claim is informational, as on a real server.
    if let (Some(node), None) = (&v.bound.node, &v.bound.pod) {
        match uid_in(store, "nodes", "", &node.name) {
            None => return Err(invalidated()),
            Some(uid) if uid != node.uid => {
                return Err(Rejected::because(format!(
                    "node UID ({uid}) does not match service account node ref claim ({})",
                    node.uid
                )))
            }
            Some(_) => {}
        }
    }
    let mut extra = Vec::new();
    if let Some(j) = &v.jti {
        extra.push((
            "authentication.kubernetes.io/credential-id".into(),
            format!("JTI={j}"),
        ));
    }
    if let Some(n) = &v.bound.node {
        extra.push((
            "authentication.kubernetes.io/node-name".into(),
            n.name.clone(),
        ));
        extra.push((
            "authentication.kubernetes.io/node-uid".into(),
            n.uid.clone(),
        ));
    }
    if let Some(p) = &v.bound.pod {
        extra.push((
            "authentication.kubernetes.io/pod-name".into(),
            p.name.clone(),
        ));
        extra.push(("authentication.kubernetes.io/pod-uid".into(), p.uid.clone()));
    }
    Ok(Authenticated {
        username: format!("system:serviceaccount:{ns}:{}", v.subject.name),
        uid: v.subject.uid.clone(),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".into(),
        ],
        extra,
        audiences: accepted,
        service_account: Some((ns.clone(), v.subject.name.clone())),
    })
}

/// `POST /apis/authentication.k8s.io/v1/tokenreviews`: the TokenReview as
/// kube-apiserver answers it (201, the spec echoed, `status.error` on
/// failure).
pub fn token_review(
    issuer: &TokenIssuer,
    statics: &StaticTokens,
    store: &Store,
    body: &[u8],
    manager: &str,
) -> Result<Value, ApiError> {
    let review: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::bad_request(
            "the object provided is unrecognized (must be of type TokenReview): couldn't get version/kind; json parse error",
        )
    })?;
    let spec = &review["spec"];
    let token = spec["token"].as_str().unwrap_or_default();
    let audiences: Vec<String> = spec["audiences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let status = match authenticate(issuer, statics, store, token, &audiences) {
        Ok(a) => {
            let mut user = Map::new();
            user.insert("username".into(), a.username.into());
            if !a.uid.is_empty() {
                user.insert("uid".into(), a.uid.into());
            }
            user.insert("groups".into(), a.groups.into());
            if !a.extra.is_empty() {
                let extra: Map<String, Value> = a
                    .extra
                    .into_iter()
                    .map(|(k, v)| (k, Value::from(vec![v])))
                    .collect();
                user.insert("extra".into(), extra.into());
            }
            json!({"authenticated": true, "user": user, "audiences": a.audiences})
        }
        Err(Rejected(error)) => json!({"user": {}, "error": error}),
    };
    let mut fields = Map::new();
    if spec.get("audiences").is_some() {
        fields.insert("f:audiences".into(), json!({}));
    }
    fields.insert("f:token".into(), json!({}));
    Ok(json!({
        "kind": "TokenReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"managedFields": [{"manager": manager, "operation": "Update", "apiVersion": "authentication.k8s.io/v1", "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": fields}}]},
        "spec": spec.clone(),
        "status": status,
    }))
}

/// `POST .../serviceaccounts/NAME/token`: a TokenRequest, bound to a Pod,
/// Secret or Node when `spec.boundObjectRef` names one (which must exist,
/// with the uid given if any; a Pod must run as this service account).
pub fn token_request(
    issuer: &TokenIssuer,
    store: &Store,
    namespace: &str,
    name: &str,
    body: &Value,
    manager: &str,
) -> Result<Value, ApiError> {
    let Some(sa) = store.get(&Key::new("", "serviceaccounts", namespace, name)) else {
        return Err(ApiError::not_found("", "serviceaccounts", name));
    };
    let exp = body["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    if exp < MIN_EXPIRATION_SECS {
        return Err(too_short(exp));
    }
    let exp = exp.min(MAX_EXPIRATION_SECS);
    let audiences: Vec<String> = body["spec"]["audiences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .filter(|a: &Vec<String>| !a.is_empty())
        .unwrap_or_else(|| vec![ISSUER.to_string()]);
    let uid = sa["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let mut bound_ref = body["spec"]["boundObjectRef"].clone();
    let bound = match bound_ref.as_object() {
        Some(_) => bind(store, namespace, name, &mut bound_ref)?,
        None => Bound::default(),
    };
    let subject = TokenSubject {
        namespace: namespace.into(),
        name: name.into(),
        uid: uid.clone(),
    };
    let (token, exp_at) = issuer.issue(&subject, &audiences, exp, &bound);
    let expiry = jiff::Timestamp::from_second(exp_at)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let mut spec_fields = Map::new();
    spec_fields.insert("f:audiences".into(), json!({}));
    if bound_ref.is_object() {
        let f: Map<String, Value> = ["apiVersion", "kind", "name", "uid"]
            .iter()
            .filter(|k| body["spec"]["boundObjectRef"].get(**k).is_some())
            .map(|k| (format!("f:{k}"), json!({})))
            .collect();
        spec_fields.insert("f:boundObjectRef".into(), f.into());
    }
    if !body["spec"]["expirationSeconds"].is_null() {
        spec_fields.insert("f:expirationSeconds".into(), json!({}));
    }
    Ok(json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid,
            "creationTimestamp": now_rfc3339(),
            "managedFields": [{"manager": manager, "operation": "Update", "apiVersion": "authentication.k8s.io/v1", "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": spec_fields}, "subresource": "token"}],
        },
        "spec": {"audiences": audiences, "expirationSeconds": exp, "boundObjectRef": bound_ref},
        "status": {"token": token, "expirationTimestamp": expiry},
    }))
}

fn too_short(exp: i64) -> ApiError {
    ApiError::invalid(
        "authentication.k8s.io",
        "TokenRequest.authentication.k8s.io",
        "",
        vec![cause(
            "FieldValueInvalid",
            format!("Invalid value: {exp}: may not specify a duration less than 10 minutes"),
            "spec.expirationSeconds",
        )],
    )
}

/// The claims for `spec.boundObjectRef`, checked as kube-apiserver's token
/// REST storage does; fills in the uid when the reference left it out.
fn bind(store: &Store, namespace: &str, sa: &str, r: &mut Value) -> Result<Bound, ApiError> {
    let kind = r["kind"].as_str().unwrap_or_default().to_string();
    let api_version = r["apiVersion"].as_str().unwrap_or_default().to_string();
    let name = r["name"].as_str().unwrap_or_default().to_string();
    let want_uid = r["uid"].as_str().unwrap_or_default().to_string();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
    if !group.is_empty() || version != "v1" || !matches!(kind.as_str(), "Pod" | "Secret" | "Node") {
        let gvk = if group.is_empty() {
            format!("/{version}, Kind={kind}")
        } else {
            format!("{group}/{version}, Kind={kind}")
        };
        return Err(ApiError::bad_request(format!(
            "cannot bind token to object of type {gvk}"
        )));
    }
    let (resource, ns) = match kind.as_str() {
        "Pod" => ("pods", namespace),
        "Secret" => ("secrets", namespace),
        _ => ("nodes", ""),
    };
    let Some(obj) = store.get(&Key::new("", resource, ns, &name)) else {
        return Err(ApiError::not_found("", resource, &name));
    };
    let uid = obj["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !want_uid.is_empty() && want_uid != uid {
        let mut e = ApiError::conflict("", &kind, &name);
        e.0.message = format!(
            "Operation cannot be fulfilled on {kind} \"{name}\": the UID in the bound object reference ({want_uid}) does not match the UID in record. The object might have been deleted and then recreated"
        );
        return Err(e);
    }
    r["uid"] = uid.clone().into();
    let this = ObjectRef {
        name: name.clone(),
        uid,
    };
    let node_of = |node: &str| ObjectRef {
        name: node.to_string(),
        uid: store
            .get(&Key::new("", "nodes", "", node))
            .and_then(|n| n["metadata"]["uid"].as_str().map(String::from))
            .unwrap_or_default(),
    };
    Ok(match kind.as_str() {
        "Pod" => {
            let runs_as = obj["spec"]["serviceAccountName"]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or("default");
            if runs_as != sa {
                return Err(ApiError::bad_request(format!(
                    "cannot bind token for serviceaccount {sa:?} to pod running with different serviceaccount name."
                )));
            }
            let node = obj["spec"]["nodeName"].as_str().filter(|n| !n.is_empty());
            Bound {
                pod: Some(this),
                node: node.map(node_of),
                secret: None,
            }
        }
        "Secret" => Bound {
            secret: Some(this),
            ..Bound::default()
        },
        _ => Bound {
            node: Some(this),
            ..Bound::default()
        },
    })
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
        let bound = Bound {
            pod: Some(ObjectRef {
                name: "p".into(),
                uid: "pu".into(),
            }),
            ..Bound::default()
        };
        let (tok, _) = t.issue(&s, &[ISSUER.to_string()], 3600, &bound);
        let v = t.verify(&tok).unwrap();
        assert_eq!(v.subject, s);
        assert_eq!(v.bound, bound);
        assert_eq!(v.audiences, [ISSUER]);
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
        assert_eq!(
            claims["kubernetes.io"]["pod"],
            json!({"name": "p", "uid": "pu"})
        );
        assert!(claims["kubernetes.io"].get("node").is_none());
        assert_eq!(
            t.verify("not-a-jwt-at-all"),
            Err(Rejected("invalid bearer token".into()))
        );
        let (old, _) = t.issue(&s, &[ISSUER.to_string()], -10, &Bound::default());
        assert_eq!(
            t.verify(&old),
            Err(Rejected(
                "[invalid bearer token, service account token has expired]".into()
            ))
        );
        let other = TokenIssuer::load_or_generate(None).unwrap();
        assert!(other.verify(&tok).is_err(), "another key's token");
    }

    #[test]
    fn audiences_print_as_go_quotes_them() {
        assert_eq!(
            go_quoted(&["https://vault.example.com".into()]),
            r#"["https://vault.example.com"]"#
        );
        assert_eq!(go_quoted(&["a".into(), "b".into()]), r#"["a" "b"]"#);
    }
}
