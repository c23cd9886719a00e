//! Delegated authorization, as a Kubernetes aggregated API server does it
//! (`--authorization-kubeconfig`): a user a front proxy vouched for is
//! allowed what the main server's authorizer says in a
//! SubjectAccessReview. Answers are cached for ten seconds, allowed and
//! denied alike (the defaults of `--authorization-webhook-cache-*-ttl` in
//! a delegating server), so a busy client costs one review per ten
//! seconds and a change of RBAC shows within that time.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use serde_json::{json, Map, Value};

use super::client::{self, Target};
use crate::auth::User;
use crate::authz::{Attributes, Decision};
use crate::status::ApiError;

/// How long an answer is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(10);
/// The most answers kept.
const CACHE_ENTRIES: usize = 10_000;
/// Longest wait for the main server's answer.
const REVIEW_TIMEOUT: Duration = Duration::from_secs(10);

/// A SubjectAccessReview client for one main server.
pub struct Delegated {
    target: Target,
    credentials: Arc<kubewire_config::Credentials>,
    cache: Mutex<HashMap<String, (Instant, Decision)>>,
    ttl: Duration,
}

impl core::fmt::Debug for Delegated {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Delegated")
            .field("server", &self.target.authority)
            .finish_non_exhaustive()
    }
}

impl Delegated {
    /// The main server a kubeconfig's current context names, with its
    /// credentials (the reviews are created as that user, who needs
    /// `create` on `subjectaccessreviews`: `system:auth-delegator`).
    pub fn from_kubeconfig(path: &Path) -> Result<Self, String> {
        let e = |x: &dyn core::fmt::Display| format!("{}: {x}", path.display());
        let kc = kubewire_config::load::read_kubeconfig(path).map_err(|x| e(&x))?;
        let cfg = kc.resolve(None).map_err(|x| e(&x))?;
        let cluster =
            kubewire_config::Cluster::new(cfg, kubewire_config::EXEC_TIMEOUT).map_err(|x| e(&x))?;
        let name = cluster.server_name().map_err(|x| e(&x))?;
        let target =
            Target::parse(&cluster.config.server, name, cluster.tls.clone()).map_err(|x| e(&x))?;
        Ok(Delegated {
            target,
            credentials: cluster.credentials.clone(),
            cache: Mutex::new(HashMap::new()),
            ttl: CACHE_TTL,
        })
    }

    /// The main server's decision on `a` for `user`.
    pub async fn authorize(&self, user: &User, a: &Attributes<'_>) -> Result<Decision, ApiError> {
        let spec = review_spec(user, a);
        let key = spec.to_string();
        let now = Instant::now();
        if let Some((at, d)) = self.lock().get(&key) {
            if now.duration_since(*at) < self.ttl {
                return Ok(d.clone());
            }
        }
        let d = tokio::time::timeout(REVIEW_TIMEOUT, self.review(spec))
            .await
            .map_err(|_| ApiError::internal_error("subjectaccessreview: timed out"))??;
        let mut cache = self.lock();
        if cache.len() >= CACHE_ENTRIES {
            cache.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key, (now, d.clone()));
        Ok(d)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Decision)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn review(&self, spec: Value) -> Result<Decision, ApiError> {
        let fail = |why: String| ApiError::internal_error(&format!("subjectaccessreview: {why}"));
        let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec});
        let mut req = hyper::Request::post("/apis/authorization.k8s.io/v1/subjectaccessreviews")
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::USER_AGENT, "kubewire-server")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| fail(e.to_string()))?;
        let creds = self.credentials.clone();
        let header = if creds.may_block() {
            tokio::task::spawn_blocking(move || creds.header())
                .await
                .map_err(|e| fail(e.to_string()))?
        } else {
            creds.header()
        }
        .map_err(|e| fail(e.to_string()))?;
        if let Some(h) = header {
            let v = hyper::header::HeaderValue::from_str(h.expose())
                .map_err(|_| fail("the credential is not a valid header value".into()))?;
            req.headers_mut().insert(hyper::header::AUTHORIZATION, v);
        }
        let resp = client::send(&self.target, req).await.map_err(fail)?;
        let status = resp.status();
        let bytes = Limited::new(resp.into_body(), 1 << 20)
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        if !status.is_success() {
            return Err(fail(format!("the main server answered {status}")));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
        Ok(if v["status"]["allowed"].as_bool() == Some(true) {
            Decision::Allow(v["status"]["reason"].as_str().unwrap_or("").to_string())
        } else {
            Decision::Deny
        })
    }
}

/// A SubjectAccessReview's spec for `user` doing `a`.
fn review_spec(user: &User, a: &Attributes<'_>) -> Value {
    let mut ra = Map::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            ra.insert(k.into(), v.into());
        }
    };
    put("namespace", a.namespace);
    put("verb", Some(a.verb));
    put("group", Some(a.group));
    put("resource", Some(a.resource));
    put("subresource", a.subresource);
    put("name", a.name);
    let mut spec = json!({"user": user.name(), "groups": crate::authz::groups(user), "resourceAttributes": ra});
    if let User::Remote(r) = user {
        if !r.extra.is_empty() {
            let extra: Map<String, Value> =
                r.extra.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            spec["extra"] = Value::Object(extra);
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Remote;

    /// POSTs `body` to `path` as the kubeconfig's user; the status code.
    async fn post(d: &Delegated, path: &str, body: Value) -> u16 {
        let token = d.credentials.header().unwrap().unwrap();
        let req = hyper::Request::post(path)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::AUTHORIZATION, token.expose())
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        client::send(&d.target, req)
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[tokio::test]
    async fn answers_are_cached_for_the_ttl_then_asked_again() {
        let main = crate::Server::builder()
            .tls(true)
            .token("main-admin", "admin")
            .start()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kc = dir.path().join("kubeconfig");
        main.write_kubeconfig(&kc).unwrap();
        let mut d = Delegated::from_kubeconfig(&kc).unwrap();
        let user = User::Remote(Box::new(Remote {
            name: "system:serviceaccount:default:reader".into(),
            groups: vec![
                "system:serviceaccounts".into(),
                "system:authenticated".into(),
            ],
            extra: Vec::new(),
        }));
        let a = Attributes {
            verb: "list",
            group: "wardle.example.com",
            resource: "flunders",
            namespace: Some("default"),
            ..Default::default()
        };
        assert_eq!(d.authorize(&user, &a).await.unwrap(), Decision::Deny);
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r"},
            "rules": [{"verbs": ["list"], "apiGroups": ["wardle.example.com"], "resources": ["flunders"]}]});
        let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "r"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "default"}]});
        let rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/default";
        assert_eq!(post(&d, &format!("{rbac}/roles"), role).await, 201);
        assert_eq!(
            post(&d, &format!("{rbac}/rolebindings"), binding).await,
            201
        );
        // Within the TTL the denial is reused; another question is asked.
        assert_eq!(d.authorize(&user, &a).await.unwrap(), Decision::Deny);
        let get = Attributes {
            verb: "get",
            ..a.clone()
        };
        assert_eq!(d.authorize(&user, &get).await.unwrap(), Decision::Deny);
        // Once the TTL is over, the main server is asked again.
        d.ttl = Duration::ZERO;
        assert!(matches!(
            d.authorize(&user, &a).await.unwrap(),
            Decision::Allow(_)
        ));
        main.shutdown().await;
    }
}
