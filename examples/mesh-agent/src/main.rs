//! `mesh-agent`: a node-local token agent.
//!
//! ```text
//! mesh-agent --node NODE [--listen 127.0.0.1:8181] [--expiration 3600]
//! mesh-agent --demo [--listen 127.0.0.1:8181]
//! ```
//!
//! With `--node` it uses the cluster of $KUBECONFIG / ~/.kube/config (or
//! in-cluster configuration). `--demo` starts the embedded kubewire-server
//! with loopback "pods" and prints curl commands to try (`just mesh-agent`).

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

use std::net::SocketAddr;

use mesh_agent::demo::{self, PODS};
use mesh_agent::{start, AgentConfig};

fn usage() -> ! {
    eprintln!("usage: mesh-agent --node NODE [--listen ADDR] [--expiration SECS] | --demo [--listen ADDR]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> Result<(), demo::SetupError> {
    let mut args = std::env::args().skip(1);
    let (mut node, mut listen, mut expiration, mut is_demo) = (
        None,
        "127.0.0.1:8181".parse::<SocketAddr>()?,
        3600u32,
        false,
    );
    while let Some(a) = args.next() {
        match a.as_str() {
            "--node" => node = Some(args.next().unwrap_or_else(|| usage())),
            "--listen" => listen = args.next().unwrap_or_else(|| usage()).parse()?,
            "--expiration" => expiration = args.next().unwrap_or_else(|| usage()).parse()?,
            "--demo" => is_demo = true,
            _ => usage(),
        }
    }
    let (client, cluster) = if is_demo {
        let c = demo::cluster(None).await?;
        c.populate().await?;
        eprintln!("mesh-agent: embedded kubewire-server at {}", c.server.url());
        (c.client.clone(), Some(c))
    } else {
        (kubewire_hyper::Client::infer()?, None)
    };
    let node = match (node, is_demo) {
        (Some(n), _) => n,
        (None, true) => demo::NODE.to_string(),
        (None, false) => usage(),
    };
    let mut config = AgentConfig::new(&node, listen);
    config.expiration_secs = expiration;
    let agent = start(client, config).await?;
    if cluster.is_some() {
        let url = format!("http://{}/token?audience=vault.example.com", agent.addr());
        println!("Try, as each \"pod\" (curl binds to its address):");
        for p in PODS {
            let what = match (p.node == demo::NODE, p.host_network) {
                (_, true) => "host network: 403",
                (false, _) => "another node: 403",
                _ => "gets a token for its service account",
            };
            println!(
                "  curl -s --interface {} '{url}'   # {} ({what})",
                p.ip, p.name
            );
        }
        println!("  curl -s --interface 127.0.10.9 '{url}'   # nobody: 403");
        println!("Ctrl-C stops.");
    }
    tokio::signal::ctrl_c().await?;
    drop(agent);
    if let Some(c) = cluster {
        c.server.shutdown().await;
    }
    Ok(())
}
