//! The agent end to end on loopback: kubewire-server with two nodes and
//! Pods whose `status.podIP`s are 127.0.10.x (node-a, the agent's) and
//! 127.0.20.x (node-b); each test client binds to a Pod's address before
//! calling the agent, so the agent sees it as that Pod.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use kubewire_hyper::kubewire::mesh::jwt;
use kubewire_hyper::kubewire::mesh::review::{token_review, TokenReview};
use kubewire_hyper::kubewire::{curl, known, CurlOptions, ListParams, Secret};
use kubewire_hyper::{Client, Options};
use mesh_agent::demo::{self, Cluster, DemoPod};
use mesh_agent::{start, AgentConfig, RunningAgent};
use serde_json::Value;
use tokio::net::TcpSocket;

const AUD: &str = "vault.example.com";
const API_AUDIENCE: &str = "https://kubernetes.default.svc.cluster.local";

struct Setup {
    cluster: Cluster,
    agent: RunningAgent,
    /// The agent's log lines and the curl renderings of its requests.
    seen: Arc<Mutex<Vec<String>>>,
}

async fn setup() -> Setup {
    let cluster = demo::cluster(None).await.unwrap();
    cluster.populate().await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let curl_options = CurlOptions {
        base_url: cluster.config.server.clone(),
        ..CurlOptions::default()
    };
    let log_to = seen.clone();
    let options = Options {
        observer: Some(Arc::new(move |x: &kubewire_hyper::Exchange<'_>| {
            log_to.lock().unwrap().push(curl(x.request, &curl_options));
        })),
        ..Options::default()
    };
    let agent_client = Client::with_options(cluster.config.clone(), options).unwrap();
    let mut config = AgentConfig::new(demo::NODE, "127.0.0.1:0".parse().unwrap());
    config.seed = Some(42);
    let log_to = seen.clone();
    config.log = Arc::new(move |line| log_to.lock().unwrap().push(line.to_string()));
    let agent = start(agent_client, config).await.unwrap();
    eventually("the agent syncs", || agent.synced()).await;
    Setup {
        cluster,
        agent,
        seen,
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out: {what}");
}

/// `GET /token?audience=...` from `from`, as that Pod.
async fn ask(agent: SocketAddr, from: &str, query: &str) -> (u16, Value) {
    let ip: IpAddr = from.parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(ip, 0)).unwrap();
    let stream = socket.connect(agent).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get(format!("/token{query}"))
        .header("host", agent.to_string())
        .body(Empty::<Bytes>::new())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

async fn token(s: &Setup, from: &str, audience: &str) -> (u16, Value) {
    ask(s.agent.addr(), from, &format!("?audience={audience}")).await
}

fn claims(t: &Value) -> jwt::Claims {
    jwt::decode(t["token"].as_str().unwrap()).unwrap().1
}

async fn pod_uid(c: &Cluster, name: &str) -> String {
    let p: Value = c
        .client
        .call(
            &known::pods()
                .within("demo")
                .get(name, &Default::default())
                .unwrap(),
        )
        .await
        .unwrap();
    p["metadata"]["uid"].as_str().unwrap().to_string()
}

async fn review(c: &Cluster, token: &str, audiences: &[&str]) -> TokenReview {
    let auds: Vec<String> = audiences.iter().map(|a| a.to_string()).collect();
    c.client
        .call(&token_review(&Secret::new(token), &auds).unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_pod_gets_its_own_service_accounts_token_bound_to_it_from_cache() {
    let s = setup().await;
    assert_eq!(
        s.agent.pods(),
        3,
        "only node-a's Pods are indexed (node-b's web-remote is not)"
    );
    let (code, web) = token(&s, "127.0.10.2", AUD).await;
    assert_eq!(code, 200, "{web}");
    assert_eq!(web["serviceAccount"], "demo/web");
    assert_eq!(web["pod"], "demo/web-1");
    let c = claims(&web);
    assert_eq!(c.service_account(), Some(("demo", "web")));
    assert_eq!(c.aud, [AUD]);
    let k = c.kubernetes.as_ref().unwrap();
    assert_eq!(k.pod.as_ref().unwrap().name, "web-1");
    assert_eq!(
        k.pod.as_ref().unwrap().uid,
        pod_uid(&s.cluster, "web-1").await
    );
    assert_eq!(k.node.as_ref().unwrap().name, "node-a");
    assert!(web["expirationTimestamp"].as_str().unwrap().ends_with('Z'));

    let (code, api) = token(&s, "127.0.10.3", AUD).await;
    assert_eq!(code, 200);
    assert_eq!(claims(&api).service_account(), Some(("demo", "api")));

    // Verified against the issuer's JWKS, natively.
    let jwks_doc = s
        .cluster
        .client
        .call_bytes(&kubewire_hyper::kubewire::Request::new(
            kubewire_hyper::kubewire::Method::Get,
            "/openid/v1/jwks".into(),
        ))
        .await
        .unwrap();
    let jwks = kubewire_jwks::Jwks::from_json(&jwks_doc, API_AUDIENCE).unwrap();
    let now = c.iat.unwrap() + 1;
    assert!(jwks
        .verify(web["token"].as_str().unwrap(), &[AUD], now)
        .is_ok());
    assert!(jwks
        .verify(web["token"].as_str().unwrap(), &["other"], now)
        .is_err());

    // From the cache: the same token, no new TokenRequest.
    let requests = s.agent.stats().token_requests.load(Ordering::Relaxed);
    for _ in 0..20 {
        let (_, again) = token(&s, "127.0.10.2", AUD).await;
        assert_eq!(again["token"], web["token"]);
    }
    assert_eq!(
        s.agent.stats().token_requests.load(Ordering::Relaxed),
        requests
    );
    assert!(s.agent.stats().served_cached.load(Ordering::Relaxed) >= 20);
    // Another audience is another token.
    let (_, other) = token(&s, "127.0.10.2", "other.example.com").await;
    assert_ne!(other["token"], web["token"]);
    assert_eq!(claims(&other).aud, ["other.example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_off_node_and_host_network_callers_are_refused_with_the_reason() {
    let s = setup().await;
    for (from, reason) in [
        ("127.0.10.1", "host-network caller"),
        (
            "127.0.20.2",
            "off-node caller: the address belongs to node node-b",
        ),
        (
            "127.0.20.9",
            "off-node caller: the address belongs to node node-b",
        ),
        ("127.0.10.9", "unknown caller"),
        ("127.0.99.1", "unknown caller"),
    ] {
        let (code, body) = token(&s, from, AUD).await;
        assert_eq!(code, 403, "{from}: {body}");
        assert_eq!(body["error"], "Forbidden");
        assert!(
            body["reason"].as_str().unwrap().starts_with(reason),
            "{from}: {body}"
        );
    }
    let (code, body) = ask(s.agent.addr(), "127.0.10.2", "").await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        s.agent.stats().token_requests.load(Ordering::Relaxed),
        0,
        "no TokenRequest for a refusal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_at_once_make_one_token_request() {
    let s = setup().await;
    let addr = s.agent.addr();
    let asks: Vec<_> = (0..20)
        .map(|_| tokio::spawn(async move { ask(addr, "127.0.10.3", "?audience=burst").await }))
        .collect();
    let mut tokens = Vec::new();
    for a in asks {
        let (code, body) = a.await.unwrap();
        assert_eq!(code, 200, "{body}");
        tokens.push(body["token"].clone());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1);
    assert_eq!(s.agent.stats().token_requests.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_accepted_by_the_server_until_their_pod_is_gone() {
    let s = setup().await;
    let (code, t) = token(&s, "127.0.10.2", API_AUDIENCE).await;
    assert_eq!(code, 200, "{t}");
    let raw = t["token"].as_str().unwrap().to_string();
    // As a bearer credential.
    let mut cfg = s.cluster.config.clone();
    cfg.auth = kubewire_hyper::kubewire::AuthPlan::Bearer(Secret::new(raw.clone()));
    let as_pod = Client::new(cfg).unwrap();
    let cms = known::config_maps()
        .within("demo")
        .list(&ListParams::default())
        .unwrap();
    assert!(as_pod.call::<Value>(&cms).await.is_ok());
    // And by TokenReview, which names the Pod.
    let r = review(&s.cluster, &raw, &[]).await;
    assert!(r.status.authenticated, "{:?}", r.status.error);
    assert_eq!(r.status.user.username, "system:serviceaccount:demo:web");
    assert_eq!(r.status.user.pod().map(|p| p.0), Some("web-1"));
    let (_, vault) = token(&s, "127.0.10.2", AUD).await;
    let vault = vault["token"].as_str().unwrap().to_string();
    assert!(
        review(&s.cluster, &vault, &[AUD])
            .await
            .status
            .authenticated
    );
    assert!(s.agent.tokens() >= 2);

    s.cluster.delete_pod("web-1").await.unwrap();
    // The agent forgets the Pod and its tokens...
    let agent = &s.agent;
    eventually("the agent drops web-1's tokens", || agent.tokens() == 0).await;
    let (code, body) = token(&s, "127.0.10.2", AUD).await;
    assert_eq!(code, 403, "{body}");
    // ...and the server no longer accepts them.
    let e = as_pod.call::<Value>(&cms).await.unwrap_err();
    assert!(
        matches!(e, kubewire_hyper::Error::Api(ref st) if st.code == 401),
        "{e}"
    );
    for (t, aud) in [(&raw, vec![]), (&vault, vec![AUD])] {
        let r = review(&s.cluster, t, &aud).await;
        assert!(!r.status.authenticated);
        assert_eq!(
            r.status.error,
            "[invalid bearer token, service account token has been invalidated]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_follows_deletion_and_address_reuse() {
    let s = setup().await;
    let (_, first) = token(&s, "127.0.10.2", AUD).await;
    assert_eq!(first["pod"], "demo/web-1");
    // A new Pod gets 127.0.10.2 before web-1's end is seen (web-1 still
    // claims it): the newer claim wins.
    let reuse = DemoPod {
        name: "api-2",
        service_account: "api",
        node: "node-a",
        ip: "127.0.10.2",
        host_network: false,
    };
    s.cluster.pod(&reuse).await.unwrap();
    let addr = s.agent.addr();
    let mut now_api = false;
    for _ in 0..200 {
        let (code, body) = ask(addr, "127.0.10.2", "?audience=vault.example.com").await;
        if code == 200 && body["pod"] == "demo/api-2" {
            assert_eq!(claims(&body).service_account(), Some(("demo", "api")));
            now_api = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(now_api, "the address passed to api-2");
    // web-1's late end (finished, then deleted) does not take it away.
    s.cluster
        .set_status("web-1", "Succeeded", "127.0.10.2")
        .await
        .unwrap();
    s.cluster.delete_pod("web-1").await.unwrap();
    let agent = &s.agent;
    eventually("web-1 leaves the index", || agent.pods() == 3).await;
    let (code, body) = token(&s, "127.0.10.2", AUD).await;
    assert_eq!(
        (code, body["pod"].as_str()),
        (200, Some("demo/api-2")),
        "{body}"
    );
    // And when api-2 goes, the address is nobody's.
    s.cluster.delete_pod("api-2").await.unwrap();
    eventually("api-2 leaves the index", || agent.pods() == 2).await;
    let (code, _) = token(&s, "127.0.10.2", AUD).await;
    assert_eq!(code, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_in_any_log_line_or_curl_rendering() {
    let s = setup().await;
    let mut issued = Vec::new();
    for (from, aud) in [
        ("127.0.10.2", AUD),
        ("127.0.10.3", AUD),
        ("127.0.10.2", API_AUDIENCE),
    ] {
        let (code, t) = token(&s, from, aud).await;
        assert_eq!(code, 200);
        issued.push(t["token"].as_str().unwrap().to_string());
    }
    let r = review(&s.cluster, &issued[2], &[]).await;
    assert!(r.status.authenticated);
    let shown_review = curl(
        &token_review(&Secret::new(issued[2].clone()), &[]).unwrap(),
        &CurlOptions::default(),
    );
    s.cluster.delete_pod("api-1").await.unwrap();
    let agent = &s.agent;
    eventually("api-1 leaves", || agent.pods() == 2).await;
    token(&s, "127.0.10.3", AUD).await;
    let seen = s.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|l| l.contains("/serviceaccounts/web/token")),
        "the TokenRequests were rendered: {seen:?}"
    );
    assert!(seen.iter().any(|l| l.contains("200 (TokenRequest)")));
    for t in &issued {
        // Any 16-character piece of the signature would do to replay it.
        let sig = t.rsplit('.').next().unwrap();
        for line in seen.iter().chain(std::iter::once(&shown_review)) {
            assert!(
                !line.contains(t.as_str()) && !line.contains(&sig[..16]),
                "token in: {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pod_cannot_grow_the_cache_without_bound() {
    let s = setup().await;
    for i in 0..mesh_agent::MAX_AUDIENCES_PER_POD {
        let (code, body) = token(&s, "127.0.10.2", &format!("aud-{i}")).await;
        assert_eq!(code, 200, "{body}");
    }
    let (code, body) = token(&s, "127.0.10.2", "one-too-many").await;
    assert_eq!(code, 429, "{body}");
    // The audiences it holds are still served, and other Pods are unaffected.
    assert_eq!(token(&s, "127.0.10.2", "aud-0").await.0, 200);
    assert_eq!(token(&s, "127.0.10.3", "one-too-many").await.0, 200);
    assert_eq!(s.agent.tokens(), mesh_agent::MAX_AUDIENCES_PER_POD + 1);
}
