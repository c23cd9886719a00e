//! Credentials for one cluster, from its [`AuthPlan`]: static tokens, token
//! files re-read on use, basic auth, client certificates, and exec
//! credential plugins cached until they expire.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kubewire::auth::{bearer, Authorization};
use kubewire::kubeconfig::{AuthPlan, ClusterConfig, ExecConfig, ExecCredentialStatus};
use kubewire::Secret;

use crate::error::{file_error, Error};
use crate::exec::run_plugin;
use crate::tls::{read, read_key, ClientCert};

/// How long a credential plugin may run before it is killed, with every
/// process it started: long enough for a browser login, which is what
/// kubelogin allows too (kubectl has no limit at all).
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(180);

/// Refresh an exec credential this long before it expires, so a request
/// never leaves with a token that dies in flight.
const EXPIRY_SLACK: Duration = Duration::from_secs(10);

type Cached = Option<(ExecCredentialStatus, Option<SystemTime>)>;

/// The credentials of one cluster. Shared by every request of a client;
/// an exec plugin runs once however many requests wait for it.
pub struct Credentials {
    plan: AuthPlan,
    cluster: ClusterConfig,
    cert: Arc<ClientCert>,
    exec_timeout: Duration,
    exec_cache: Mutex<Cached>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The plan's own Debug never shows a credential.
        f.debug_struct("Credentials")
            .field("plan", &self.plan)
            .field("exec_timeout", &self.exec_timeout)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The credentials of `cluster`. A client certificate named by the
    /// kubeconfig is read and installed into `cert` now; a plugin is only
    /// run when a request needs its token, and killed after
    /// `exec_timeout`.
    pub fn new(
        cluster: &ClusterConfig,
        cert: Arc<ClientCert>,
        exec_timeout: Duration,
    ) -> Result<Self, Error> {
        if let AuthPlan::ClientCertificate { cert: c, key, .. } = &cluster.auth {
            cert.set_pem(&read(c)?, &read_key(key)?)?;
        }
        Ok(Credentials {
            plan: cluster.auth.clone(),
            cluster: cluster.clone(),
            cert,
            exec_timeout,
            exec_cache: Mutex::new(None),
        })
    }

    /// Whether a 401 may be cured by fetching a fresh credential (and the
    /// request should be sent once more after [`Credentials::invalidate`]).
    pub fn can_refresh(&self) -> bool {
        matches!(self.plan, AuthPlan::Exec(_) | AuthPlan::BearerFile(_))
    }

    /// Forget a cached exec credential (after a 401).
    pub fn invalidate(&self) {
        *self.cache() = None;
    }

    /// Whether [`Credentials::header`] may block for long: a plugin must
    /// run (none cached, or the cached one is about to expire). An async
    /// caller runs it on a blocking thread then. Reading a token file is a
    /// few hundred bytes and does not count.
    pub fn may_block(&self) -> bool {
        matches!(self.plan, AuthPlan::Exec(_)) && self.fresh_exec().is_none()
    }

    /// The `Authorization` header value for the next request, if any:
    /// the core's rule for the plan, with the token file read or the
    /// plugin run when it needs that.
    pub fn header(&self) -> Result<Option<Secret>, Error> {
        Ok(match self.plan.authorization() {
            Authorization::None => None,
            Authorization::Header(value) => Some(value),
            Authorization::TokenFile(path) => {
                // Re-read each time: kubelet rotates projected tokens in place.
                let token = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
                Some(bearer(&token))
            }
            Authorization::Exec(exec) => {
                let status = self.exec_credential(exec)?;
                status.token.as_ref().map(|t| bearer(t.expose()))
            }
        })
    }

    fn cache(&self) -> MutexGuard<'_, Cached> {
        // A panic elsewhere while holding the lock leaves a valid value.
        self.exec_cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh_exec(&self) -> Option<ExecCredentialStatus> {
        let cache = self.cache();
        let (status, expiry) = cache.as_ref()?;
        expiry
            .is_none_or(|t| SystemTime::now() + EXPIRY_SLACK < t)
            .then(|| status.clone())
    }

    fn exec_credential(&self, exec: &ExecConfig) -> Result<ExecCredentialStatus, Error> {
        // Held while the plugin runs: requests that need it meanwhile wait
        // for its answer instead of starting it again.
        let mut cache = self.cache();
        if let Some((status, expiry)) = cache.as_ref() {
            if expiry.is_none_or(|t| SystemTime::now() + EXPIRY_SLACK < t) {
                return Ok(status.clone());
            }
        }
        let status = run_plugin(exec, &self.cluster, self.exec_timeout)?;
        if let Some(t) = &status.token {
            // Caught here, where it can be named: a token the plugin
            // printed that cannot go into an Authorization header.
            if !fits_header(t.expose()) {
                return Err(Error::Exec {
                    command: exec.command.clone(),
                    message: "returned a token with characters not allowed in an HTTP header \
                              (control characters or non-ASCII); it was not sent"
                        .into(),
                });
            }
        }
        if let (Some(cert), Some(key)) = (&status.client_certificate_data, &status.client_key_data)
        {
            self.cert
                .set_pem(cert.as_bytes(), key.expose().as_bytes())?;
        }
        let expiry = status
            .expires_at_unix()
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64));
        *cache = Some((status.clone(), expiry));
        Ok(status)
    }
}

/// Whether `value` can be sent as a header value as it is: visible ASCII,
/// spaces and tabs (the `http` crate's rule; a line break would end the
/// header and start another).
pub fn fits_header(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b' '..0x7f).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_visible_ascii_spaces_and_tabs() {
        assert!(fits_header("Bearer abc.DEF-_~+/="));
        assert!(fits_header("a\tb c"));
        for bad in ["a\nb", "a\rb", "a\u{7f}", "jürgen", "a\0"] {
            assert!(!fits_header(bad), "{bad:?}");
        }
    }
}
