//! Every write verb through the component, against kubewire-server:
//! create, replace, the four patch kinds (server-side apply with a field
//! manager, its conflict and `force`), delete, each answering with the
//! object or the server's Status (code, reason, retry-after and the Status
//! JSON); and the configuration a component can use: basic auth, a user
//! agent, extra headers (impersonation), a kubeconfig's text, with a clear
//! refusal of what it cannot do.

use std::sync::OnceLock;

use kubewire::known;
use kubewire_server::Server;
use kubewire_wasi_host::{client_component_path, config, resource, wit, Host, Session};
use serde_json::{json, Value};

const TOKEN: &str = "write-test";

fn host() -> Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new(&client_component_path()))
        .clone()
}

fn cms() -> wit::ApiResource {
    resource(&known::config_maps())
}

fn obj(text: Result<String, wit::Error>) -> Value {
    serde_json::from_str(&text.expect("the server's object")).unwrap()
}

fn refused(answer: Result<String, wit::Error>) -> wit::Status {
    match answer {
        Err(wit::Error::Api(status)) => status,
        other => panic!("not a Status: {other:?}"),
    }
}

fn patch_options(kind: wit::PatchType, manager: Option<&str>, force: bool) -> wit::PatchOptions {
    wit::PatchOptions {
        patch_type: Some(kind),
        field_manager: manager.map(Into::into),
        force: Some(force),
        dry_run: None,
        field_validation: None,
    }
}

/// The component's writes, in one instance.
struct Writer(Session);

impl Writer {
    async fn create(
        &mut self,
        ns: &str,
        object: Value,
        o: Option<wit::WriteOptions>,
    ) -> Result<String, wit::Error> {
        let s = &mut self.0;
        let api = s.api().clone();
        api.client()
            .call_create(
                &mut s.store,
                s.client,
                &cms(),
                Some(ns),
                &object.to_string(),
                o.as_ref(),
            )
            .await
            .expect("no trap")
    }

    async fn replace(&mut self, ns: &str, name: &str, object: Value) -> Result<String, wit::Error> {
        let s = &mut self.0;
        let api = s.api().clone();
        api.client()
            .call_replace(
                &mut s.store,
                s.client,
                &cms(),
                Some(ns),
                name,
                &object.to_string(),
                None,
            )
            .await
            .expect("no trap")
    }

    async fn patch(
        &mut self,
        ns: &str,
        name: &str,
        patch: Value,
        o: wit::PatchOptions,
    ) -> Result<String, wit::Error> {
        let s = &mut self.0;
        let api = s.api().clone();
        api.client()
            .call_patch(
                &mut s.store,
                s.client,
                &cms(),
                Some(ns),
                name,
                &patch.to_string(),
                Some(&o),
            )
            .await
            .expect("no trap")
    }

    async fn delete(
        &mut self,
        ns: &str,
        name: &str,
        o: Option<wit::DeleteOptions>,
    ) -> Result<String, wit::Error> {
        let s = &mut self.0;
        let api = s.api().clone();
        api.client()
            .call_delete(&mut s.store, s.client, &cms(), Some(ns), name, o.as_ref())
            .await
            .expect("no trap")
    }

    async fn get(&mut self, ns: &str, name: &str) -> Result<String, wit::Error> {
        let s = &mut self.0;
        let api = s.api().clone();
        api.client()
            .call_get(&mut s.store, s.client, &cms(), Some(ns), name)
            .await
            .expect("no trap")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_verb_and_its_conflicts() {
    let srv = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    let mut w = Writer(
        host()
            .session(&config(srv.url(), Some(TOKEN)))
            .await
            .unwrap(),
    );
    let s = &mut w.0;
    let api = s.api().clone();
    let ns = json!({"metadata": {"name": "w"}}).to_string();
    let namespaces = resource(&known::namespaces());
    api.client()
        .call_create(&mut s.store, s.client, &namespaces, None, &ns, None)
        .await
        .unwrap()
        .expect("the namespace");

    // create; a second create of the same name is 409 AlreadyExists.
    let cm = json!({"metadata": {"name": "app"}, "data": {"mode": "fast"}});
    let created = obj(w.create("w", cm.clone(), None).await);
    assert_eq!(created["data"], json!({"mode": "fast"}));
    let rv1 = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let exists = refused(w.create("w", cm.clone(), None).await);
    assert_eq!(
        (exists.code, exists.reason.as_str()),
        (409, "AlreadyExists")
    );
    let status: Value = serde_json::from_str(&exists.json).unwrap();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "AlreadyExists");
    assert_eq!(status["details"]["name"], "app");
    assert_eq!(status["message"], exists.message.as_str());

    // A dry run answers, and stores nothing.
    let dry = wit::WriteOptions {
        dry_run: Some(true),
        field_manager: None,
        field_validation: None,
    };
    obj(w
        .create("w", json!({"metadata": {"name": "dry"}}), Some(dry))
        .await);
    assert_eq!(refused(w.get("w", "dry").await).code, 404);

    // replace: with the current resourceVersion, then with the old one (409 Conflict).
    let mut next = created.clone();
    next["data"] = json!({"mode": "slow"});
    let replaced = obj(w.replace("w", "app", next.clone()).await);
    assert_eq!(replaced["data"], json!({"mode": "slow"}));
    next["metadata"]["resourceVersion"] = json!(rv1);
    let conflict = refused(w.replace("w", "app", next).await);
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert!(conflict.json.contains("\"Conflict\""), "{}", conflict.json);

    // The four patch kinds.
    let merged = obj(w
        .patch(
            "w",
            "app",
            json!({"data": {"level": "3"}}),
            patch_options(wit::PatchType::Merge, None, false),
        )
        .await);
    assert_eq!(merged["data"], json!({"mode": "slow", "level": "3"}));
    let ops = json!([{"op": "replace", "path": "/data/level", "value": "4"}]);
    let patched = obj(w
        .patch(
            "w",
            "app",
            ops,
            patch_options(wit::PatchType::Json, None, false),
        )
        .await);
    assert_eq!(patched["data"]["level"], "4");
    let failed = refused(
        w.patch(
            "w",
            "app",
            json!([{"op": "test", "path": "/data/level", "value": "9"}]),
            patch_options(wit::PatchType::Json, None, false),
        )
        .await,
    );
    assert_eq!(failed.code, 422, "{failed:?}");
    let strategic = obj(w
        .patch(
            "w",
            "app",
            json!({"metadata": {"labels": {"tier": "web"}}}),
            patch_options(wit::PatchType::Strategic, None, false),
        )
        .await);
    assert_eq!(strategic["metadata"]["labels"], json!({"tier": "web"}));

    // Server-side apply: a manager owns `shared`; another manager's apply
    // of it conflicts, unless forced.
    let apply = |value: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"shared": value}});
    let applied = obj(w
        .patch(
            "w",
            "app",
            apply("a"),
            patch_options(wit::PatchType::Apply, Some("manager-a"), false),
        )
        .await);
    assert_eq!(applied["data"]["shared"], "a");
    let contested = refused(
        w.patch(
            "w",
            "app",
            apply("b"),
            patch_options(wit::PatchType::Apply, Some("manager-b"), false),
        )
        .await,
    );
    assert_eq!(
        (contested.code, contested.reason.as_str()),
        (409, "Conflict"),
        "{contested:?}"
    );
    assert!(contested.message.contains("manager-a"), "{contested:?}");
    let forced = obj(w
        .patch(
            "w",
            "app",
            apply("b"),
            patch_options(wit::PatchType::Apply, Some("manager-b"), true),
        )
        .await);
    assert_eq!(forced["data"]["shared"], "b");
    // Apply without a field manager never leaves the component.
    let no_manager = w
        .patch(
            "w",
            "app",
            apply("c"),
            patch_options(wit::PatchType::Apply, None, false),
        )
        .await;
    assert!(
        matches!(&no_manager, Err(wit::Error::Invalid(m)) if m.contains("fieldManager")),
        "{no_manager:?}"
    );
    let not_json = w
        .patch(
            "w",
            "app",
            json!(null),
            patch_options(wit::PatchType::Merge, None, false),
        )
        .await;
    assert!(not_json.is_err(), "{not_json:?}");

    // delete: a precondition that fails is 409; then the delete itself,
    // then 404 for the next.
    let current = obj(w.get("w", "app").await);
    let stale = wit::DeleteOptions {
        grace_period_seconds: None,
        propagation_policy: Some(wit::PropagationPolicy::Background),
        precondition_uid: None,
        precondition_resource_version: Some(rv1),
        dry_run: None,
    };
    let precondition = refused(w.delete("w", "app", Some(stale)).await);
    assert_eq!(precondition.code, 409, "{precondition:?}");
    let uid = current["metadata"]["uid"].as_str().unwrap().to_owned();
    let by_uid = wit::DeleteOptions {
        grace_period_seconds: Some(0),
        propagation_policy: None,
        precondition_uid: Some(uid),
        precondition_resource_version: None,
        dry_run: None,
    };
    let deleted = obj(w.delete("w", "app", Some(by_uid)).await);
    assert!(
        deleted["kind"] == "Status" || deleted["metadata"]["name"] == "app",
        "{deleted}"
    );
    let gone = refused(w.delete("w", "app", None).await);
    assert_eq!((gone.code, gone.reason.as_str()), (404, "NotFound"));
    assert_eq!(gone.retry_after_seconds, None);
    srv.shutdown().await;
}

/// A server that answers every request with a 404 Status (and a
/// `Retry-After`), and hands over each request's head, lower-cased.
fn recording_server() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line.to_ascii_lowercase());
            }
            let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"nothing\" not found","reason":"NotFound","details":{"name":"nothing","kind":"configmaps"},"code":404}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nRetry-After: 7\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tx.send(head);
        }
    });
    (url, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_user_agent_headers_and_kubeconfig_text() {
    let (url, heads) = recording_server();
    // Basic auth, a user agent and an extra header, on every request.
    let basic = wit::Config {
        username: Some("alice".into()),
        password: Some("wonder".into()),
        user_agent: Some("wasi2-test/1.0".into()),
        headers: Some(vec![("X-Tenant".into(), "blue".into())]),
        ..config(&url, None)
    };
    let mut w = Writer(host().session(&basic).await.unwrap());
    let missing = refused(w.get("default", "nothing").await);
    assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
    // Retry-After reaches the status; the Status JSON is the server's.
    assert_eq!(missing.retry_after_seconds, Some(7));
    let status: Value = serde_json::from_str(&missing.json).unwrap();
    assert_eq!(status["details"]["name"], "nothing");
    let head = heads.recv().unwrap();
    assert!(
        head.contains(
            "authorization: basic YWxpY2U6d29uZGVy"
                .to_ascii_lowercase()
                .as_str()
        ),
        "{head}"
    );
    assert!(head.contains("user-agent: wasi2-test/1.0\r\n"), "{head}");
    assert!(head.contains("x-tenant: blue\r\n"), "{head}");
    // A token and a password at once is a mistake, said before sending.
    let both = wit::Config {
        token: Some(TOKEN.into()),
        ..basic.clone()
    };
    assert!(matches!(
        host().session(&both).await.err(),
        Some(wit::Error::Invalid(_))
    ));

    // A kubeconfig's text: the context's token, impersonation and namespace.
    let kubeconfig = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "c", "cluster": {"server": url}}],
        "users": [{"name": "u", "user": {"token": TOKEN, "as": "bob", "as-groups": ["ops"]}}],
        "contexts": [{"name": "test", "context": {"cluster": "c", "user": "u", "namespace": "kube-system"}}],
    });
    let mut s = host()
        .session_from_kubeconfig(&kubeconfig.to_string(), None)
        .await
        .expect("a usable kubeconfig");
    let api = s.api().clone();
    let ns = api
        .client()
        .call_namespace(&mut s.store, s.client)
        .await
        .unwrap();
    assert_eq!(ns, "kube-system");
    let mut k = Writer(s);
    assert_eq!(refused(k.get("default", "nothing").await).code, 404);
    let head = heads.recv().unwrap();
    assert!(
        head.contains(&format!("authorization: bearer {TOKEN}\r\n")),
        "{head}"
    );
    assert!(head.contains("impersonate-user: bob\r\n"), "{head}");
    assert!(head.contains("impersonate-group: ops\r\n"), "{head}");
    assert!(head.contains("user-agent: kubewire/"), "{head}");

    // What a component cannot do is named, never attempted.
    let with_user = |user: Value| {
        let mut k = kubeconfig.clone();
        k["users"][0]["user"] = user;
        k.to_string()
    };
    for (user, what) in [
        (
            json!({"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"}),
            "client certificate",
        ),
        (
            json!({"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "get-token"}}),
            "exec",
        ),
        (json!({"tokenFile": "/var/run/token"}), "token file"),
    ] {
        match host().session_from_kubeconfig(&with_user(user), None).await {
            Err(wit::Error::Unsupported(m)) => assert!(m.contains(what), "{m}"),
            other => panic!("{what}: {:?}", other.err()),
        }
    }
    let mut proxied = kubeconfig.clone();
    proxied["clusters"][0]["cluster"]["proxy-url"] = json!("http://proxy:3128");
    match host()
        .session_from_kubeconfig(&proxied.to_string(), None)
        .await
    {
        Err(wit::Error::Unsupported(m)) => assert!(m.contains("proxy"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
    match host().session_from_kubeconfig("{not json", None).await {
        Err(wit::Error::Invalid(m)) => assert!(m.contains("kubeconfig"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
    match host()
        .session_from_kubeconfig(&kubeconfig.to_string(), Some("elsewhere"))
        .await
    {
        Err(wit::Error::Invalid(m)) => assert!(m.contains("elsewhere"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
    assert!(
        heads.try_recv().is_err(),
        "nothing was sent for a refused configuration"
    );
}
