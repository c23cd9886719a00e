//! The example proxy component (examples/wasi-proxy) under wasmtime:
//! requests in through wasi:http/incoming-handler, answers made from what
//! it gets, lists and watches from kubewire-server.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use kubewire::{known, Patch, PatchParams, PostParams};
use kubewire_conformance::native::client;
use kubewire_conformance::Target;
use kubewire_server::Server;
use kubewire_wasi_host::{engine, linker, load, proxy_component_path, State};
use serde_json::{json, Value};
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

const TOKEN: &str = "proxy-test";

/// Send `path` to a fresh proxy instance; return the status and the body.
async fn request(pre: &ProxyPre<State>, server: &str, path: &str) -> (u16, HyperOutgoingBody) {
    let mut store = Store::new(
        pre.engine(),
        State::new(&[("KUBEWIRE_SERVER", server), ("KUBEWIRE_TOKEN", TOKEN)]),
    );
    let req = hyper::Request::get(format!("http://proxy.test{path}"))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let req = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let out = store.data_mut().http().new_response_outparam(tx).unwrap();
    let pre = pre.clone();
    // The handler keeps running after the status line (it streams the body).
    tokio::spawn(async move {
        let proxy = pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiate");
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, req, out)
            .await
            .expect("no trap");
    });
    let resp = tokio::time::timeout(Duration::from_secs(20), rx)
        .await
        .expect("answer in time")
        .unwrap()
        .unwrap();
    (resp.status().as_u16(), resp.into_body())
}

/// The next chunk of a streaming body (a line, as the proxy flushes each).
async fn next_text(body: &mut HyperOutgoingBody) -> String {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), body.frame())
            .await
            .expect("a chunk in time")
            .expect("more body")
            .expect("no body error");
        if let Ok(data) = frame.into_data() {
            return String::from_utf8(data.to_vec()).unwrap();
        }
    }
}

async fn whole(body: HyperOutgoingBody) -> String {
    let bytes = tokio::time::timeout(Duration::from_secs(60), body.collect())
        .await
        .expect("in time")
        .unwrap()
        .to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_serves_keys_names_and_changes() {
    let srv = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    let admin = client(&Target {
        server: srv.url().into(),
        token: Some(TOKEN.into()),
        ca_pem: None,
    })
    .unwrap();
    let ns = known::namespaces()
        .all()
        .create(
            &PostParams::default(),
            &json!({"metadata": {"name": "demo"}}),
        )
        .unwrap();
    admin.call::<Value>(&ns).await.unwrap();
    let cms = known::config_maps().within("demo");
    for (name, data) in [
        ("app", json!({"mode": "fast", "level": "3"})),
        ("other", json!({})),
    ] {
        let body = json!({"metadata": {"name": name}, "data": data});
        admin
            .call::<Value>(&cms.create(&PostParams::default(), &body).unwrap())
            .await
            .unwrap();
    }

    let engine = engine();
    let component = load(&engine, &proxy_component_path());
    let pre = ProxyPre::new(linker(&engine).instantiate_pre(&component).unwrap()).unwrap();

    let (code, body) = request(&pre, srv.url(), "/configmaps/demo/app").await;
    assert_eq!(
        (code, whole(body).await),
        (200, "level=3\nmode=fast\n".to_string())
    );

    let (code, body) = request(&pre, srv.url(), "/configmaps/demo").await;
    assert_eq!((code, whole(body).await), (200, "app\nother\n".to_string()));

    let (code, body) = request(&pre, srv.url(), "/configmaps/demo/missing").await;
    assert_eq!(code, 404);
    assert!(whole(body).await.contains("not found"));

    // A watch: the current state first, then each change as it happens,
    // while the proxy's response (and its watch) is still open.
    let (code, mut body) = request(&pre, srv.url(), "/configmaps/demo/app?watch=30").await;
    assert_eq!(code, 200);
    assert_eq!(next_text(&mut body).await, "ADDED level=3,mode=fast\n");
    let patch = Patch::Merge(json!({"data": {"mode": "slow"}}));
    admin
        .call::<Value>(&cms.patch("app", &PatchParams::default(), &patch).unwrap())
        .await
        .unwrap();
    assert_eq!(next_text(&mut body).await, "MODIFIED level=3,mode=slow\n");
    drop(body);
    srv.shutdown().await;
}
