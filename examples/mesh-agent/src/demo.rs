//! The embedded setup of `mesh-agent --demo` (and of the tests): a
//! kubewire-server on 127.0.0.1 with two nodes and a few "pods" whose
//! addresses are loopback addresses, so that a client binding to one of
//! them (`curl --interface 127.0.10.2`) calls the agent as that Pod.
//!
//! Every address in 127.0.0.0/8 is local on Linux, so no network setup is
//! needed: node-a's Pods live in 127.0.10.0/24, node-b's in 127.0.20.0/24.

use kubewire_hyper::kubewire::{known, Patch, PatchParams, PostParams};
use kubewire_hyper::Client;
use kubewire_server::{RunningServer, Server};
use serde_json::{json, Value};

/// The node the demo agent serves.
pub const NODE: &str = "node-a";

/// A demo Pod: namespace `demo`.
#[derive(Debug, Clone, Copy)]
pub struct DemoPod {
    /// Name.
    pub name: &'static str,
    /// Service account.
    pub service_account: &'static str,
    /// Node.
    pub node: &'static str,
    /// `status.podIP`.
    pub ip: &'static str,
    /// `spec.hostNetwork`.
    pub host_network: bool,
}

/// The Pods of the demo.
pub const PODS: &[DemoPod] = &[
    DemoPod {
        name: "web-1",
        service_account: "web",
        node: "node-a",
        ip: "127.0.10.2",
        host_network: false,
    },
    DemoPod {
        name: "api-1",
        service_account: "api",
        node: "node-a",
        ip: "127.0.10.3",
        host_network: false,
    },
    DemoPod {
        name: "node-exporter",
        service_account: "default",
        node: "node-a",
        ip: "127.0.10.1",
        host_network: true,
    },
    DemoPod {
        name: "web-remote",
        service_account: "web",
        node: "node-b",
        ip: "127.0.20.2",
        host_network: false,
    },
];

/// The embedded API server and an admin client for it.
pub struct Cluster {
    /// The server (stops when dropped or shut down).
    pub server: RunningServer,
    /// An admin client.
    pub client: Client,
    /// Its configuration, for more clients (with other options).
    pub config: kubewire_hyper::kubewire::ClusterConfig,
}

/// Any error of the setup, as text (it is a demo).
pub type SetupError = Box<dyn std::error::Error + Send + Sync>;

/// Start kubewire-server on 127.0.0.1 (token auth) and connect to it.
/// `history` bounds the server's watch history (a small one makes watches
/// resume with 410 Gone, for the relist tests).
pub async fn cluster(history: Option<usize>) -> Result<Cluster, SetupError> {
    let mut b = Server::builder().token(&format!("mesh-agent-demo-{}", crate::entropy()?), "admin");
    if let Some(h) = history {
        b = b.history_capacity(h);
    }
    let server = b.start().await?;
    let kubeconfig = std::env::temp_dir().join(format!(
        "mesh-agent-{}-{}.kubeconfig",
        std::process::id(),
        crate::entropy()?
    ));
    server.write_kubeconfig(&kubeconfig)?;
    let loaded = kubewire_hyper::load::load(Some(&kubeconfig));
    // The token is inline: the client needs the file no longer.
    let _ = std::fs::remove_file(&kubeconfig);
    let config = loaded?.cluster(None)?;
    let client = Client::new(config.clone())?;
    Ok(Cluster {
        server,
        client,
        config,
    })
}

impl Cluster {
    /// Create an object (POST) and return it.
    pub async fn create(
        &self,
        req: kubewire_hyper::kubewire::Request,
    ) -> Result<Value, SetupError> {
        Ok(self.client.call::<Value>(&req).await?)
    }

    /// Namespace `demo`, nodes node-a and node-b, the service accounts and
    /// the Pods of [`PODS`].
    pub async fn populate(&self) -> Result<(), SetupError> {
        let post = PostParams::default();
        self.create(
            known::namespaces()
                .all()
                .create(&post, &json!({"metadata": {"name": "demo"}}))?,
        )
        .await?;
        for (node, cidr, addr) in [
            ("node-a", "127.0.10.0/24", "127.0.10.1"),
            ("node-b", "127.0.20.0/24", "127.0.20.1"),
        ] {
            self.create(known::nodes().all().create(
                &post,
                &json!({"metadata": {"name": node}, "spec": {"podCIDR": cidr, "podCIDRs": [cidr]}}),
            )?)
            .await?;
            self.client
                .call::<Value>(&known::nodes().all().patch_subresource(
                    node,
                    Some("status"),
                    &PatchParams::default(),
                    &Patch::Merge(json!({"status": {"addresses": [{"type": "InternalIP", "address": addr}, {"type": "Hostname", "address": node}]}})),
                )?)
                .await?;
        }
        for sa in ["web", "api", "default"] {
            self.service_account(sa).await?;
        }
        // What the demo's service accounts may do with their tokens (RBAC
        // decides, as on a real cluster): read the namespace's ConfigMaps.
        self.create(known::roles().within("demo").create(
            &post,
            &json!({"metadata": {"name": "config-reader"},
                "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]}),
        )?)
        .await?;
        self.create(known::role_bindings().within("demo").create(
            &post,
            &json!({"metadata": {"name": "config-reader"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "config-reader"},
                "subjects": [{"kind": "Group", "name": "system:serviceaccounts:demo"}]}),
        )?)
        .await?;
        for p in PODS {
            self.pod(p).await?;
        }
        Ok(())
    }

    /// Create service account `demo/name`.
    pub async fn service_account(&self, name: &str) -> Result<Value, SetupError> {
        self.create(
            known::service_accounts()
                .within("demo")
                .create(&PostParams::default(), &json!({"metadata": {"name": name}}))?,
        )
        .await
    }

    /// Create a Pod and give it its address (as the kubelet would).
    pub async fn pod(&self, p: &DemoPod) -> Result<Value, SetupError> {
        let pods = known::pods().within("demo");
        let mut spec = json!({"nodeName": p.node, "serviceAccountName": p.service_account, "containers": [{"name": "app", "image": "registry.example.com/app:1"}]});
        if p.host_network {
            spec["hostNetwork"] = true.into();
        }
        self.create(pods.create(
            &PostParams::default(),
            &json!({"metadata": {"name": p.name, "labels": {"app": p.name}}, "spec": spec}),
        )?)
        .await?;
        self.set_status(p.name, "Running", p.ip).await
    }

    /// Patch a Pod's phase and address.
    pub async fn set_status(&self, name: &str, phase: &str, ip: &str) -> Result<Value, SetupError> {
        let status = json!({"status": {"phase": phase, "podIP": ip, "podIPs": [{"ip": ip}]}});
        Ok(self
            .client
            .call::<Value>(&known::pods().within("demo").patch_subresource(
                name,
                Some("status"),
                &PatchParams::default(),
                &Patch::Merge(status),
            )?)
            .await?)
    }

    /// Delete a Pod.
    pub async fn delete_pod(&self, name: &str) -> Result<(), SetupError> {
        self.client
            .call::<Value>(
                &known::pods()
                    .within("demo")
                    .delete(name, &Default::default())?,
            )
            .await?;
        Ok(())
    }
}
