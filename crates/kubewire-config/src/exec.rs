//! Running a credential plugin the way client-go does, with a time limit.

use std::io::IsTerminal;
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kubewire::kubeconfig::{ClusterConfig, ExecConfig, ExecCredential, ExecCredentialStatus};

use crate::error::Error;

/// Cap on a plugin's output we keep: a credential is small; a runaway
/// plugin must not fill memory.
const MAX_PLUGIN_OUTPUT: usize = 1 << 20;

/// Run `exec` for `cluster` and parse what it prints. A plugin still
/// running after `timeout` is killed (with its process group, when it has
/// one of its own) and reported as [`Error::ExecTimeout`].
pub(crate) fn run_plugin(
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
    // std has no wait with a deadline: a thread waits (and drains both
    // pipes, so a chatty plugin never blocks on a full one) while this one
    // keeps the clock.
    let (tx, rx) = mpsc::channel::<std::io::Result<Output>>();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(timeout) {
        Ok(waited) => waited.map_err(not_started)?,
        Err(_) => {
            // The waiting thread returns once every holder of the pipes is
            // gone, which the group kill makes so; it is not joined.
            kill_plugin(pid, !interactive);
            return Err(Error::ExecTimeout {
                command: exec.command.clone(),
                after: timeout,
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
/// one, else the process itself.
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Instant;

    fn script(dir: &std::path::Path, name: &str, body: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn config(command: String) -> ExecConfig {
        ExecConfig {
            command,
            api_version: "client.authentication.k8s.io/v1".into(),
            interactive_mode: Some("Never".into()),
            ..ExecConfig::default()
        }
    }

    fn cluster() -> ClusterConfig {
        ClusterConfig::in_cluster("10.0.0.1", "443", None).unwrap()
    }

    #[test]
    fn a_plugin_is_run_and_its_token_parsed() {
        let dir = tempfile::tempdir().unwrap();
        let cmd = script(
            dir.path(),
            "ok",
            r#"printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-1"}}'"#,
        );
        let status = run_plugin(&config(cmd), &cluster(), Duration::from_secs(20)).unwrap();
        assert_eq!(status.token.unwrap().expose(), "tok-1");
    }

    /// A plugin that hangs (and its child, which holds the pipes) is
    /// killed at the limit instead of stalling the client for ever.
    #[test]
    fn a_hanging_plugin_and_its_children_are_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let cmd = script(
            dir.path(),
            "hang",
            &format!("sleep 30 & echo $! > {}\nwait", pidfile.display()),
        );
        let started = Instant::now();
        let e = run_plugin(&config(cmd), &cluster(), Duration::from_millis(500)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "{e}");
        assert!(
            matches!(&e, Error::ExecTimeout { after, .. } if *after == Duration::from_millis(500)),
            "{e:?}"
        );
        assert!(e.to_string().contains("did not finish within 0.5 s"), "{e}");
        // The child went with its group.
        let child = std::fs::read_to_string(&pidfile).unwrap();
        let gone = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            !std::path::Path::new(&format!("/proc/{}", child.trim())).exists()
                || std::fs::read_to_string(format!("/proc/{}/stat", child.trim()))
                    .is_ok_and(|s| s.contains(") Z "))
        });
        assert!(gone, "the plugin's child {child} still runs");
    }

    #[test]
    fn a_failing_plugin_is_named_with_its_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let cmd = script(dir.path(), "fail", "echo 'login required' >&2; exit 3");
        let e = run_plugin(&config(cmd), &cluster(), Duration::from_secs(20)).unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains("login required") && shown.contains("fail"),
            "{shown}"
        );
        let missing = config("/nonexistent/plugin".into());
        let e = run_plugin(&missing, &cluster(), Duration::from_secs(20)).unwrap_err();
        assert!(matches!(e, Error::Exec { .. }), "{e:?}");
    }
}
