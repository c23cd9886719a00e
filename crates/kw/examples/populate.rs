//! Fill a cluster with ConfigMaps, many requests in flight at once: the
//! fixture for `scripts/kw-vs-kubectl.sh`.
//!
//! `cargo run --release -p kw --example populate -- COUNT NAMESPACE` (uses
//! $KUBECONFIG); `... -- COUNT NAMESPACE --update` changes the first COUNT
//! of them instead (a merge patch each), the changes a watch benchmark
//! counts.

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err)]

use futures_util::StreamExt;
use kubewire::{known, Patch, PatchParams, PostParams};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args
        .next()
        .ok_or("usage: populate COUNT NAMESPACE")?
        .parse()?;
    let namespace = args.next().ok_or("usage: populate COUNT NAMESPACE")?;
    let update = args.next().as_deref() == Some("--update");
    let client = kubewire_hyper::Client::infer()?;
    if update {
        return patch_all(&client, count, &namespace).await;
    }
    let ns = known::namespaces().all().create(
        &PostParams::default(),
        &json!({"metadata": {"name": namespace}}),
    )?;
    if let Err(e) = client.call::<Value>(&ns).await {
        if !e.status().is_some_and(|s| s.is_already_exists()) {
            return Err(e.into());
        }
    }
    let cms = known::config_maps().within(&namespace);
    let started = std::time::Instant::now();
    let results: Vec<Result<(), kubewire_hyper::Error>> = futures_util::stream::iter(0..count)
        .map(|i| {
            let (client, cms) = (client.clone(), cms.clone());
            async move {
                let cm = json!({"metadata": {"name": format!("cm-{i:07}"), "labels": {"batch": (i % 10).to_string()}},
                                "data": {"index": i.to_string(), "payload": "x".repeat(200)}});
                client.call::<Value>(&cms.create(&PostParams::default(), &cm)?).await.map(|_| ())
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    println!(
        "created {} ConfigMaps in {namespace} in {:.1} s ({failed} failed)",
        count - failed,
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        return Err(format!("{failed} creates failed").into());
    }
    Ok(())
}

/// Change the first `count` ConfigMaps of `namespace`, 32 at a time.
async fn patch_all(
    client: &kubewire_hyper::Client,
    count: usize,
    namespace: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let cms = known::config_maps().within(namespace);
    let started = std::time::Instant::now();
    let failed = futures_util::stream::iter(0..count)
        .map(|i| {
            let (client, cms) = (client.clone(), cms.clone());
            async move {
                let patch = Patch::Merge(json!({"data": {"changed": "yes"}}));
                let req = cms.patch(&format!("cm-{i:07}"), &PatchParams::default(), &patch)?;
                client.call::<Value>(&req).await.map(|_| ())
            }
        })
        .buffer_unordered(32)
        .filter(|r: &Result<(), kubewire_hyper::Error>| std::future::ready(r.is_err()))
        .count()
        .await;
    println!(
        "changed {} ConfigMaps in {namespace} in {:.1} s ({failed} failed)",
        count - failed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
