//! `kubewire-dashboard`: serve examples/dashboard and a kubewire-server that
//! allows the page's origin (CORS), on 127.0.0.1, for a person to open.
//!
//! ```text
//! kubewire-dashboard [--port 8080] [--api-port 0] [--no-demo]
//! ```
//!
//! With the demo on (the default), a few namespaces, pods and configmaps
//! are created, then one object changes every two seconds so the table has
//! something to follow.

use std::time::Duration;

use kubewire::{known, DeleteParams, Patch, PatchParams, PostParams};
use kubewire_browser_tests::files::Files;
use kubewire_browser_tests::site;
use kubewire_conformance::Target;
use kubewire_hyper::Client;
use serde_json::{json, Value};

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

async fn demo(admin: Client) {
    for ns in ["shop", "billing"] {
        let req = known::namespaces()
            .all()
            .create(&PostParams::default(), &json!({"metadata": {"name": ns}}));
        let _ = admin.call::<Value>(&req.expect("valid")).await;
    }
    let cms = known::config_maps().within("shop");
    let pods = known::pods().within("shop");
    for (i, name) in ["checkout", "catalog", "cart"].into_iter().enumerate() {
        let pod = json!({"metadata": {"name": name, "labels": {"app": name}}, "spec": {"nodeName": format!("node-{}", i % 2), "containers": [{"name": name, "image": format!("example/{name}:1.{i}")}]}, "status": {"phase": "Running"}});
        let _ = admin
            .call::<Value>(&pods.create(&PostParams::default(), &pod).expect("valid"))
            .await;
    }
    let billing = known::config_maps().within("billing");
    let cm = json!({"metadata": {"name": "rates"}, "data": {"eur": "1.00", "usd": "1.08"}});
    let _ = admin
        .call::<Value>(&billing.create(&PostParams::default(), &cm).expect("valid"))
        .await;
    // One change every two seconds, cycling through create, update, delete.
    for tick in 0u64.. {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let name = format!("flags-{}", tick / 3 % 4);
        let req = match tick % 3 {
            0 => cms.create(
                &PostParams::default(),
                &json!({"metadata": {"name": name}, "data": {"tick": tick.to_string()}}),
            ),
            1 => cms.patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"tick": tick.to_string(), "beta": "on"}})),
            ),
            _ => cms.delete(&name, &DeleteParams::default()),
        };
        let _ = admin.call::<Value>(&req.expect("valid")).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let port: u16 = arg("--port").and_then(|p| p.parse().ok()).unwrap_or(8080);
    let api_port: u16 = arg("--api-port").and_then(|p| p.parse().ok()).unwrap_or(0);
    let files = Files::start(site(), port).unwrap_or_else(|e| panic!("127.0.0.1:{port}: {e}"));
    let token = "dashboard-admin";
    let server = kubewire_server::Server::builder()
        .listen(std::net::SocketAddr::from(([127, 0, 0, 1], api_port)))
        .token(token, "admin")
        .cors_origin(&files.origin())
        .start()
        .await
        .expect("kubewire-server starts");
    let config = json!({"server": server.url(), "token": token});
    files.set(
        "/dashboard/config.json",
        "application/json",
        config.to_string(),
    );
    println!(
        "kubewire-server: {} (CORS allows {})",
        server.url(),
        files.origin()
    );
    println!("dashboard:       {}/dashboard/", files.origin());
    println!("Press Ctrl-C to stop.");
    let target = Target {
        server: server.url().to_string(),
        token: Some(token.into()),
        ca_pem: None,
    };
    let admin = kubewire_conformance::native::client(&target).expect("admin client");
    if std::env::args().any(|a| a == "--no-demo") {
        let _ = tokio::signal::ctrl_c().await;
    } else {
        tokio::select! {
            _ = demo(admin) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    server.shutdown().await;
}
