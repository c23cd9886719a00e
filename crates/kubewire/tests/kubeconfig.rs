//! Kubeconfig vectors: kubectl's merge rules, relative paths, inline data,
//! every auth kind, and a clear error for each broken field.

use std::path::Path;

use kubewire::kubeconfig::{
    merge, AuthPlan, ClusterConfig, ConfigError, ExecCredential, ExecError, FileOrData,
    FileOrSecret, Kubeconfig,
};

fn load(name: &str, dir: &str) -> Kubeconfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/kubeconfig")
        .join(name);
    let mut k = Kubeconfig::from_json(&std::fs::read(path).unwrap()).unwrap();
    k.resolve_paths(dir);
    k
}

fn merged() -> Kubeconfig {
    merge([
        load("a.json", "/home/me/.kube"),
        load("b.json", "/etc/kube"),
    ])
}

#[test]
fn first_file_wins_for_names_and_current_context() {
    let k = merged();
    assert_eq!(k.current_context.as_deref(), Some("dev"));
    let shared = k.resolve(Some("shared")).unwrap();
    assert_eq!(shared.server, "https://shared-from-a.example:443");
    match &shared.auth {
        AuthPlan::Bearer(t) => assert_eq!(t.expose(), "s3cr3t-token-value"),
        other => panic!("{other:?}"),
    }
    let names: Vec<&str> = k.context_names().collect();
    assert_eq!(
        names,
        ["dev", "shared", "prod", "rotating", "basic", "anonymous"]
    );
}

#[test]
fn current_context_resolves_with_paths_relative_to_its_file() {
    let c = merged().resolve(None).unwrap();
    assert_eq!(c.context, "dev");
    assert_eq!(c.server, "https://127.0.0.1:6443", "trailing slash dropped");
    assert_eq!(c.namespace, "team-a");
    assert_eq!(
        c.tls.ca,
        Some(FileOrData::File("/home/me/.kube/certs/ca.crt".into()))
    );
    assert_eq!(c.tls.server_name.as_deref(), Some("kubernetes"));
    match c.auth {
        AuthPlan::ClientCertificate { cert, key, bearer } => {
            assert_eq!(
                cert,
                FileOrData::File("/home/me/.kube/certs/admin.crt".into())
            );
            assert_eq!(
                key,
                FileOrSecret::File("/home/me/.kube/certs/admin.key".into())
            );
            assert!(bearer.is_none());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn inline_ca_is_decoded() {
    let c = merged().resolve(Some("shared")).unwrap();
    match c.tls.ca {
        Some(FileOrData::Data(pem)) => assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----")),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.impersonate.user.as_deref(), Some("jane"));
    assert_eq!(c.impersonate.groups, ["ops", "dev"]);
    assert_eq!(c.namespace, "default");
}

#[test]
fn exec_token_file_basic_and_anonymous() {
    let k = merged();
    let prod = k.resolve(Some("prod")).unwrap();
    assert!(prod.tls.insecure);
    assert_eq!(prod.proxy_url.as_deref(), Some("socks5://127.0.0.1:1080"));
    match &prod.auth {
        AuthPlan::Exec(e) => {
            assert_eq!(
                e.command, "/etc/kube/bin/get-token",
                "a command with a / is relative to its file"
            );
            assert_eq!(e.args, ["--cluster", "prod"]);
            assert_eq!(e.interactive_mode.as_deref(), Some("Never"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        k.resolve(Some("rotating")).unwrap().auth,
        AuthPlan::BearerFile("/etc/kube/tokens/current".into())
    );
    assert_eq!(k.resolve(Some("rotating")).unwrap().namespace, "default");
    match k.resolve(Some("basic")).unwrap().auth {
        AuthPlan::Basic { username, password } => {
            assert_eq!(username, "admin");
            assert_eq!(password.expose(), "hunter2");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(k.resolve(Some("anonymous")).unwrap().auth, AuthPlan::None);
}

#[test]
fn bare_exec_command_stays_on_path() {
    let mut k: Kubeconfig = serde_json::from_str(
        r#"{"users":[{"name":"u","user":{"exec":{"command":"aws","args":["eks","get-token"]}}}]}"#,
    )
    .unwrap();
    k.resolve_paths("/somewhere");
    assert_eq!(k.users[0].user.exec.as_ref().unwrap().command, "aws");
}

#[test]
fn every_context_resolves_on_its_own_credentials() {
    let all = merged().resolve_all();
    assert_eq!(all.len(), 6);
    for (name, result) in &all {
        let c = result.as_ref().unwrap();
        assert_eq!(&c.context, name);
        if let AuthPlan::Bearer(t) = &c.auth {
            assert_ne!(t.expose(), "from-b-must-not-win");
        }
    }
}

#[test]
fn debug_never_shows_credentials() {
    let k = merged();
    let dump = format!("{k:?} {:?}", k.resolve_all());
    for secret in ["s3cr3t-token-value", "hunter2", "from-b-must-not-win"] {
        assert!(!dump.contains(secret), "{secret} leaked into Debug");
    }
    let inline_key = r#"{"users":[{"name":"u","user":{"client-certificate-data":"Y2VydA==","client-key-data":"LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t"}}],
        "clusters":[{"name":"c","cluster":{"server":"https://h"}}],"contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}]}"#;
    let k = Kubeconfig::from_json(inline_key.as_bytes()).unwrap();
    let c = k.resolve(Some("x")).unwrap();
    let dump = format!("{k:?} {c:?}");
    assert!(
        !dump.contains("LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t")
            && !dump.contains("BEGIN EC PRIVATE KEY"),
        "{dump}"
    );
    match c.auth {
        AuthPlan::ClientCertificate {
            key: FileOrSecret::Data(pem),
            ..
        } => {
            assert_eq!(pem.expose(), "-----BEGIN EC PRIVATE KEY-----")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn broken_entries_give_clear_errors() {
    let k = load("broken.json", "/x");
    let err = |ctx: &str| k.resolve(Some(ctx)).unwrap_err();
    assert!(matches!(err("noserver"), ConfigError::BadServer { .. }));
    assert_eq!(
        err("nocluster"),
        ConfigError::ClusterNotFound {
            context: "nocluster".into(),
            cluster: "missing".into()
        }
    );
    assert_eq!(
        err("nouser"),
        ConfigError::UserNotFound {
            context: "nouser".into(),
            user: "ghost".into()
        }
    );
    assert!(matches!(err("both"), ConfigError::ConflictingAuth { .. }));
    assert_eq!(
        err("halfcert"),
        ConfigError::IncompleteClientCertificate {
            user: "halfcert".into()
        }
    );
    assert!(
        matches!(err("gcp"), ConfigError::UnsupportedAuthProvider { ref provider, .. } if provider == "gcp")
    );
    assert_eq!(
        err("badca"),
        ConfigError::BadBase64 {
            field: "clusters[badca].certificate-authority-data".into()
        }
    );
    assert_eq!(k.resolve(None).unwrap_err(), ConfigError::NoCurrentContext);
    assert_eq!(
        k.resolve(Some("nope")).unwrap_err(),
        ConfigError::ContextNotFound("nope".into())
    );
    for ctx in [
        "noserver",
        "nocluster",
        "nouser",
        "both",
        "halfcert",
        "gcp",
        "badca",
    ] {
        let msg = err(ctx).to_string();
        assert!(!msg.is_empty() && !msg.contains("ya29.secret"), "{msg}");
    }
    assert!(matches!(
        Kubeconfig::from_json(b"{not json"),
        Err(ConfigError::Parse(_))
    ));
}

#[test]
fn in_cluster() {
    let c = ClusterConfig::in_cluster("10.96.0.1", "443", Some("team-b\n")).unwrap();
    assert_eq!(c.server, "https://10.96.0.1:443");
    assert_eq!(c.namespace, "team-b");
    assert_eq!(
        c.auth,
        AuthPlan::BearerFile(kubewire::kubeconfig::IN_CLUSTER_TOKEN_PATH.into())
    );
    assert_eq!(c.authority(), "10.96.0.1:443");
    let v6 = ClusterConfig::in_cluster("fd00::1", "443", None).unwrap();
    assert_eq!(v6.server, "https://[fd00::1]:443");
    assert_eq!(v6.namespace, "default");
    assert_eq!(
        ClusterConfig::in_cluster("", "", None).unwrap_err(),
        ConfigError::NotInCluster
    );
}

#[test]
fn exec_credentials() {
    let k = merged();
    let prod = k.resolve(Some("prod")).unwrap();
    let AuthPlan::Exec(exec) = &prod.auth else {
        panic!()
    };
    let ok = br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"plugin-token","expirationTimestamp":"2026-11-21T23:54:45Z"}}"#;
    let status = ExecCredential::parse(ok, exec).unwrap();
    assert_eq!(status.token.as_ref().unwrap().expose(), "plugin-token");
    assert_eq!(status.expires_at_unix(), Some(1_795_305_285));
    assert!(!format!("{status:?}").contains("plugin-token"));

    let wrong = br#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}"#;
    assert!(matches!(
        ExecCredential::parse(wrong, exec),
        Err(ExecError::WrongApiVersion { .. })
    ));
    let empty =
        br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}"#;
    assert_eq!(
        ExecCredential::parse(empty, exec),
        Err(ExecError::NoCredential)
    );
    let half = br#"{"apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"x"}}"#;
    assert_eq!(
        ExecCredential::parse(half, exec),
        Err(ExecError::HalfACertificate)
    );
    let bad_time = br#"{"apiVersion":"client.authentication.k8s.io/v1","status":{"token":"t","expirationTimestamp":"soon"}}"#;
    assert!(matches!(
        ExecCredential::parse(bad_time, exec),
        Err(ExecError::BadExpiration(_))
    ));
    assert!(matches!(
        ExecCredential::parse(b"Password:", exec),
        Err(ExecError::Parse(_))
    ));

    let info: serde_json::Value =
        serde_json::from_str(&ExecCredential::exec_info(exec, &prod, false)).unwrap();
    assert_eq!(info["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(info["kind"], "ExecCredential");
    assert_eq!(info["spec"]["interactive"], false);
    assert_eq!(
        info["spec"]["cluster"]["server"],
        "https://prod.example:6443"
    );
    assert_eq!(info["spec"]["cluster"]["insecure-skip-tls-verify"], true);
    assert_eq!(
        info["spec"]["cluster"]["proxy-url"],
        "socks5://127.0.0.1:1080"
    );
}

/// Issue 12: a token, password or plugin credential is never sent in clear
/// text off the machine. Plain http is fine on loopback (kubectl proxy,
/// kw serve) and without credentials; elsewhere the kubeconfig is refused
/// before anything is sent, without quoting the credential.
#[test]
fn credentials_are_refused_over_plain_http_off_loopback() {
    let config = |server: &str, user: serde_json::Value| {
        Kubeconfig::from_json(
            serde_json::json!({
                "apiVersion": "v1", "kind": "Config", "current-context": "c",
                "clusters": [{"name": "k", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap()
        .resolve(None)
    };
    let token = serde_json::json!({"token": "s3cr3t-token-value"});
    let basic = serde_json::json!({"username": "me", "password": "s3cr3t-token-value"});
    let exec = serde_json::json!({"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "plugin"}});
    for server in [
        "http://10.0.0.1:8080",
        "http://api.example.com",
        "http://[fd00::1]:80",
        "http://127.0.0.1.example.com",
    ] {
        for user in [&token, &basic, &exec] {
            match config(server, user.clone()) {
                Err(e @ ConfigError::CredentialsOverPlainHttp { .. }) => {
                    let text = e.to_string();
                    assert!(
                        text.contains("clear text") && !text.contains("s3cr3t"),
                        "{text}"
                    );
                }
                other => panic!("{server} {user}: {other:?}"),
            }
        }
    }
    for server in [
        "http://127.0.0.1:8001",
        "http://127.0.0.5",
        "http://localhost:8080",
        "http://[::1]:6443",
        "https://10.0.0.1",
    ] {
        assert!(config(server, token.clone()).is_ok(), "{server}");
    }
    assert!(config("http://10.0.0.1", serde_json::json!({})).is_ok());
}
