//! Credentials for one cluster, from its [`AuthPlan`]: static tokens, token
//! files re-read on use, basic auth, client certificates, and exec
//! credential plugins cached until they expire.

use std::io::IsTerminal;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kubewire::auth::{bearer, Authorization};
use kubewire::kubeconfig::{
    AuthPlan, ClusterConfig, ExecConfig, ExecCredential, ExecCredentialStatus,
};
use kubewire::Secret;
use tokio::sync::Mutex;

use crate::error::{file_error, Error};
use crate::tls::{read, read_key, ClientCert};

/// Refresh an exec credential this long before it expires, so a request
/// never leaves with a token that dies in flight.
const EXPIRY_SLACK: Duration = Duration::from_secs(10);

/// Cap on a plugin's output we keep: a credential is small; a runaway
/// plugin must not fill memory.
const MAX_PLUGIN_OUTPUT: usize = 1 << 20;

pub(crate) struct Auth {
    plan: AuthPlan,
    cluster: ClusterConfig,
    cert: Arc<ClientCert>,
    exec_timeout: Duration,
    exec_cache: Mutex<Option<(ExecCredentialStatus, Option<SystemTime>)>>,
}

impl Auth {
    pub(crate) fn new(
        cluster: &ClusterConfig,
        cert: Arc<ClientCert>,
        exec_timeout: Duration,
    ) -> Result<Self, Error> {
        if let AuthPlan::ClientCertificate { cert: c, key, .. } = &cluster.auth {
            cert.set_pem(&read(c)?, &read_key(key)?)?;
        }
        Ok(Auth {
            plan: cluster.auth.clone(),
            cluster: cluster.clone(),
            cert,
            exec_timeout,
            exec_cache: Mutex::new(None),
        })
    }

    /// Whether a 401 may be cured by fetching a fresh credential.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self.plan, AuthPlan::Exec(_) | AuthPlan::BearerFile(_))
    }

    /// Forget a cached exec credential (after a 401).
    pub(crate) async fn invalidate(&self) {
        *self.exec_cache.lock().await = None;
    }

    /// The `Authorization` header value for the next request, if any:
    /// the core's rule for the plan, with the file read or the plugin run
    /// when it needs that.
    pub(crate) async fn header(&self) -> Result<Option<Secret>, Error> {
        Ok(match self.plan.authorization() {
            Authorization::None => None,
            Authorization::Header(value) => Some(value),
            Authorization::TokenFile(path) => {
                // Re-read each time: kubelet rotates projected tokens in place.
                // A token file is a few hundred bytes: a blocking read is cheaper
                // than pulling in an async file system.
                let token = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
                Some(bearer(&token))
            }
            Authorization::Exec(exec) => {
                let status = self.exec_credential(exec).await?;
                status.token.as_ref().map(|t| bearer(t.expose()))
            }
        })
    }

    async fn exec_credential(&self, exec: &ExecConfig) -> Result<ExecCredentialStatus, Error> {
        let mut cache = self.exec_cache.lock().await;
        if let Some((status, expiry)) = cache.as_ref() {
            if expiry.is_none_or(|t| SystemTime::now() + EXPIRY_SLACK < t) {
                return Ok(status.clone());
            }
        }
        let status = run_plugin(exec, &self.cluster, self.exec_timeout).await?;
        if let Some(t) = &status.token {
            // Caught here, where it can be named: a token the plugin
            // printed that cannot go into an Authorization header.
            if http::HeaderValue::from_str(&format!("Bearer {}", t.expose())).is_err() {
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

/// Run a credential plugin the way client-go does.
async fn run_plugin(
    exec: &ExecConfig,
    cluster: &ClusterConfig,
    timeout: Duration,
) -> Result<ExecCredentialStatus, Error> {
    let mode = exec.interactive_mode.as_deref().unwrap_or("IfAvailable");
    let terminal = std::io::stdin().is_terminal();
    let interactive = match mode {
        "Never" => false,
        "Always" if !terminal => {
            return Err(Error::Exec {
                command: exec.command.clone(),
                message: "interactiveMode is Always but standard input is not a terminal".into(),
            })
        }
        _ => terminal,
    };
    let mut cmd = std::process::Command::new(&exec.command);
    cmd.args(&exec.args)
        .env(
            "KUBERNETES_EXEC_INFO",
            ExecCredential::exec_info(exec, cluster, interactive),
        )
        .envs(exec.env.iter().map(|e| (&e.name, &e.value)))
        // stdout carries the credential and is never shown. stderr goes to
        // our stderr only when a person may be prompted; otherwise it is kept
        // for the error message, so it never mixes into our own output.
        .stdout(Stdio::piped())
        .stdin(if interactive {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .stderr(if interactive {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    // Non-interactive plugins get a process group of their own, so a
    // timeout ends everything they started (a shell and its children).
    // An interactive one stays in ours: a background group reading from
    // the terminal would be stopped by SIGTTIN.
    #[cfg(unix)]
    if !interactive {
        use std::os::unix::process::CommandExt as _;
        cmd.process_group(0);
    }
    let not_started = |e: std::io::Error| Error::Exec {
        command: exec.command.clone(),
        message: match (&exec.install_hint, e.kind()) {
            (Some(hint), std::io::ErrorKind::NotFound) => format!("not found. {hint}"),
            _ => e.to_string(),
        },
    };
    let child = cmd.spawn().map_err(not_started)?;
    let pid = child.id();
    // The plugin is waited for on a thread of its own: it may take seconds
    // (a login), and must not stall the runtime's workers. Not on the
    // runtime's blocking pool: the wait ends only when every holder of the
    // plugin's pipes is gone, a child that left the plugin's process group
    // (`setsid`) survives the kill below, and a runtime waits for its
    // blocking tasks before the program may exit.
    let (done, waited) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("exec-plugin".into())
        .spawn(move || {
            let _ = done.send(child.wait_with_output());
        })
        .map_err(not_started)?;
    let output = match tokio::time::timeout(timeout, waited).await {
        Ok(joined) => joined
            .map_err(|e| Error::Exec {
                command: exec.command.clone(),
                message: e.to_string(),
            })?
            .map_err(not_started)?,
        Err(_) => {
            kill_plugin(pid, !interactive);
            return Err(Error::Exec {
                command: exec.command.clone(),
                message: format!(
                    "did not finish within {} s and was killed",
                    timeout.as_secs()
                ),
            });
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr[..output.stderr.len().min(4096)])
            .trim()
            .to_string();
        return Err(Error::Exec {
            command: exec.command.clone(),
            message: format!(
                "exited with {}{}",
                output.status,
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!(": {stderr}")
                }
            ),
        });
    }
    if output.stdout.len() > MAX_PLUGIN_OUTPUT {
        return Err(Error::Exec {
            command: exec.command.clone(),
            message: format!("printed more than {MAX_PLUGIN_OUTPUT} bytes"),
        });
    }
    Ok(ExecCredential::parse(&output.stdout, exec)?)
}

/// Kills a plugin that ran too long: its whole process group when it has
/// one (the blocking wait then returns, as every holder of its pipes is
/// gone), else the process itself.
fn kill_plugin(pid: u32, group: bool) {
    #[cfg(unix)]
    {
        use rustix::process::{kill_process, kill_process_group, Pid, Signal};
        let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
            return;
        };
        let _ = if group {
            kill_process_group(pid, Signal::KILL)
        } else {
            kill_process(pid, Signal::KILL)
        };
    }
    #[cfg(not(unix))]
    let _ = (pid, group);
}
