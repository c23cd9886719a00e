//! The `Authorization` header an [`AuthPlan`] asks for, and the
//! impersonation headers, once for every adapter.
//!
//! Most plans give a header with no IO at all (a token, basic auth, the
//! token beside a client certificate). Two need the host: a token file is
//! read before each request (kubelet rotates projected tokens in place),
//! and an exec plugin is run; the host then makes the header with
//! [`bearer`]. Client certificates are TLS, also the host's.
//!
//! ```
//! use kubewire::auth::{bearer, Authorization};
//! use kubewire::{AuthPlan, Secret};
//!
//! let plan = AuthPlan::Basic { username: "admin".into(), password: Secret::new("s3cret") };
//! let Authorization::Header(value) = plan.authorization() else { unreachable!() };
//! assert_eq!(value.expose(), "Basic YWRtaW46czNjcmV0");
//!
//! let file = AuthPlan::BearerFile("/var/run/secrets/kubernetes.io/serviceaccount/token".into());
//! let Authorization::TokenFile(path) = file.authorization() else { unreachable!() };
//! // ... the host reads `path` ...
//! assert_eq!(bearer("eyJhbGciOi...\n").expose(), "Bearer eyJhbGciOi...");
//! ```

use alloc::format;

use base64::Engine;

use crate::kubeconfig::{AuthPlan, ExecConfig, Impersonation};
use crate::secret::Secret;

/// What to send as `Authorization` for a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization<'a> {
    /// No `Authorization` header (anonymous, or a client certificate alone).
    None,
    /// This value, ready to send (mark it sensitive in the host's headers).
    Header(Secret),
    /// Read this file before each request and send [`bearer`] of it.
    TokenFile(&'a str),
    /// Run this credential plugin (cached to its expiry) and send
    /// [`bearer`] of its token.
    Exec(&'a ExecConfig),
}

impl AuthPlan {
    /// The `Authorization` header of this plan, or what the host must do
    /// to make it.
    pub fn authorization(&self) -> Authorization<'_> {
        match self {
            AuthPlan::None => Authorization::None,
            AuthPlan::Bearer(token) => Authorization::Header(bearer(token.expose())),
            AuthPlan::ClientCertificate { bearer: token, .. } => match token {
                Some(t) => Authorization::Header(bearer(t.expose())),
                None => Authorization::None,
            },
            AuthPlan::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose());
                Authorization::Header(Secret::new(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )))
            }
            AuthPlan::BearerFile(path) => Authorization::TokenFile(path),
            AuthPlan::Exec(exec) => Authorization::Exec(exec),
        }
    }
}

/// `Bearer TOKEN`. Surrounding whitespace is dropped, as client-go drops it
/// from a token file (which usually ends in a newline).
pub fn bearer(token: &str) -> Secret {
    Secret::new(format!("Bearer {}", token.trim()))
}

impl Impersonation {
    /// The headers to add to every request: `Impersonate-User`, then one
    /// `Impersonate-Group` per group (only with a user, as kubectl sends
    /// them).
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.user.iter().flat_map(move |user| {
            core::iter::once(("Impersonate-User", user.as_str())).chain(
                self.groups
                    .iter()
                    .map(|g| ("Impersonate-Group", g.as_str())),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn every_plan_gives_its_header_or_the_hosts_task() {
        assert_eq!(AuthPlan::None.authorization(), Authorization::None);
        let token = AuthPlan::Bearer(Secret::new("abc"));
        assert_eq!(
            token.authorization(),
            Authorization::Header(Secret::new("Bearer abc"))
        );
        let cert = AuthPlan::ClientCertificate {
            cert: crate::kubeconfig::FileOrData::File("c".into()),
            key: crate::kubeconfig::FileOrSecret::File("k".into()),
            bearer: None,
        };
        assert_eq!(cert.authorization(), Authorization::None);
        assert_eq!(
            AuthPlan::BearerFile("/t".into()).authorization(),
            Authorization::TokenFile("/t")
        );
    }

    #[test]
    fn impersonation_needs_a_user() {
        let none = Impersonation {
            user: None,
            groups: alloc::vec!["g".into()],
        };
        assert_eq!(none.headers().count(), 0);
        let some = Impersonation {
            user: Some("jane".into()),
            groups: alloc::vec!["a".into(), "b".into()],
        };
        let h: Vec<_> = some.headers().collect();
        assert_eq!(
            h,
            [
                ("Impersonate-User", "jane"),
                ("Impersonate-Group", "a"),
                ("Impersonate-Group", "b")
            ]
        );
    }
}
