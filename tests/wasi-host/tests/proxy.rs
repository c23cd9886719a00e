//! The example proxy component (examples/wasi-proxy) under wasmtime:
//! requests in through wasi:http/incoming-handler, answered from a store
//! its list+watch keeps current against kubewire-server; an instance kept
//! between requests answers the later ones from memory, even while the
//! server is away.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use kubewire::{known, Patch, PatchParams, PostParams};
use kubewire_conformance::native::client;
use kubewire_conformance::Target;
use kubewire_server::Server;
use kubewire_wasi_host::{engine, linker, load, proxy_component_path, State};
use serde_json::{json, Value};
use wasmtime::component::Resource;
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::{Proxy, ProxyPre};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::p2::types::{HostIncomingRequest, HostResponseOutparam};
use wasmtime_wasi_http::WasiHttpView;

const TOKEN: &str = "proxy-test";

/// A proxy instance, kept between requests (as a host that reuses
/// instances does).
struct Instance {
    store: Option<Store<State>>,
    proxy: Option<Proxy>,
}

impl Instance {
    async fn new(pre: &ProxyPre<State>, server: &str) -> Self {
        let mut store = Store::new(
            pre.engine(),
            State::new(&[("KUBEWIRE_SERVER", server), ("KUBEWIRE_TOKEN", TOKEN)]),
        );
        let proxy = pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiate");
        Instance {
            store: Some(store),
            proxy: Some(proxy),
        }
    }

    /// Send `path`; return the status and the whole body. The instance
    /// is ready for the next request once the handler has returned.
    async fn get(&mut self, path: &str) -> (u16, String) {
        let (mut store, proxy) = (self.store.take().unwrap(), self.proxy.take().unwrap());
        let (req, out, rx) = incoming(&mut store, path);
        let handler = tokio::spawn(async move {
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, req, out)
                .await
                .expect("no trap");
            (store, proxy)
        });
        let (code, body) = answer(rx).await;
        let text = whole(body).await;
        let (store, proxy) = handler.await.expect("the handler returns");
        self.store = Some(store);
        self.proxy = Some(proxy);
        (code, text)
    }
}

/// Where the handler's response arrives.
type Answer = tokio::sync::oneshot::Receiver<Result<hyper::Response<HyperOutgoingBody>, ErrorCode>>;

/// A request for `path` in `store`, and where its response will come.
fn incoming(
    store: &mut Store<State>,
    path: &str,
) -> (
    Resource<HostIncomingRequest>,
    Resource<HostResponseOutparam>,
    Answer,
) {
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
    (req, out, rx)
}

async fn answer(rx: Answer) -> (u16, HyperOutgoingBody) {
    let resp = tokio::time::timeout(Duration::from_secs(30), rx)
        .await
        .expect("answer in time")
        .unwrap()
        .unwrap();
    (resp.status().as_u16(), resp.into_body())
}

/// Send `path` to a fresh proxy instance; return the status and the body.
async fn request(pre: &ProxyPre<State>, server: &str, path: &str) -> (u16, HyperOutgoingBody) {
    let Instance { store, proxy } = Instance::new(pre, server).await;
    let (mut store, proxy) = (store.unwrap(), proxy.unwrap());
    let (req, out, rx) = incoming(&mut store, path);
    // The handler keeps running after the status line (it streams the body).
    tokio::spawn(async move {
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, req, out)
            .await
            .expect("no trap");
    });
    answer(rx).await
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
    let patch = Patch::Merge(json!({"data": {"extra": "1"}}));
    admin
        .call::<Value>(&cms.patch("app", &PatchParams::default(), &patch).unwrap())
        .await
        .unwrap();
    assert_eq!(
        next_text(&mut body).await,
        "MODIFIED extra=1,level=3,mode=slow\n"
    );
    drop(body);

    // One instance for several requests: the first syncs the namespace,
    // the next ones answer from its store once the change has come in.
    let mut kept = Instance::new(&pre, srv.url()).await;
    assert_eq!(
        kept.get("/configmaps/demo/app").await,
        (200, "extra=1\nlevel=3\nmode=slow\n".to_string())
    );
    let patch = Patch::Merge(json!({"data": {"extra": null, "mode": "off"}}));
    admin
        .call::<Value>(&cms.patch("app", &PatchParams::default(), &patch).unwrap())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let (code, text) = kept.get("/configmaps/demo/app").await;
        assert_eq!(code, 200);
        if text == "level=3\nmode=off\n" {
            break;
        }
        assert_eq!(
            text, "extra=1\nlevel=3\nmode=slow\n",
            "the old state or the new"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the change never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The server goes away: the kept instance still answers from its store.
    let url = srv.url().to_string();
    srv.shutdown().await;
    assert_eq!(
        kept.get("/configmaps/demo").await,
        (200, "app\nother\n".to_string())
    );
    assert_eq!(
        kept.get("/configmaps/demo/app").await,
        (200, "level=3\nmode=off\n".to_string())
    );
    // A fresh instance cannot sync without it: a clear 502.
    let (code, body) = request(&pre, &url, "/configmaps/demo/app").await;
    let text = whole(body).await;
    assert_eq!(code, 502, "{text}");
}
