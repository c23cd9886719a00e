//! A fresh server per scenario and the admin client that fills it.

use futures_util::{stream, StreamExt};
use kubewire::{known, PostParams};
use kubewire_hyper::Client;
use kubewire_server::{RunningServer, ServerBuilder};
use serde_json::{json, Value};

use crate::adapter::Target;

/// The admin token every scenario server accepts.
pub(crate) const TOKEN: &str = "conformance-admin";

/// A running server, its address for adapters, and an admin client.
pub(crate) struct Env {
    pub(crate) server: RunningServer,
    pub(crate) target: Target,
    pub(crate) admin: Client,
}

pub(crate) async fn start(builder: ServerBuilder) -> Env {
    let server = builder
        .token(TOKEN, "admin")
        .start()
        .await
        .expect("kubewire-server starts");
    let target = Target {
        server: server.url().to_owned(),
        token: Some(TOKEN.into()),
        ca_pem: server.ca_pem().map(String::from),
    };
    let admin = crate::native::client(&target).expect("admin client");
    Env {
        server,
        target,
        admin,
    }
}

impl Env {
    pub(crate) async fn namespace(&self, name: &str) {
        let req = known::namespaces()
            .all()
            .create(&PostParams::default(), &json!({"metadata": {"name": name}}))
            .expect("valid request");
        self.admin
            .call::<Value>(&req)
            .await
            .expect("namespace created");
    }

    /// Create ConfigMaps `names` in `ns` with `data`, 16 requests in flight.
    pub(crate) async fn config_maps(
        &self,
        ns: &str,
        names: impl IntoIterator<Item = String>,
        data: Value,
    ) {
        let cms = known::config_maps().within(ns);
        stream::iter(names)
            .map(|name| {
                let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data});
                let req = cms.create(&PostParams::default(), &body).expect("valid request");
                let admin = self.admin.clone();
                async move { admin.call::<Value>(&req).await.expect("config map created") }
            })
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await;
    }

    /// Create ConfigMap `name` in `ns` labelled `app=APP`.
    pub(crate) async fn labelled_config_map(&self, ns: &str, name: &str, app: &str, data: Value) {
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"app": app}}, "data": data});
        let req = known::config_maps()
            .within(ns)
            .create(&PostParams::default(), &body)
            .expect("valid request");
        self.admin
            .call::<Value>(&req)
            .await
            .expect("config map created");
    }

    pub(crate) async fn stop(self) {
        self.server.shutdown().await;
    }
}
