//! `kw demo`: the client at work, on the embedded server when no cluster
//! is configured (and kw was built with it).

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kubewire::{
    known, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kubewire_hyper::{Client, Error};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::cli::Global;
use crate::failure::Result;
use crate::print::table::{Aligner, TableColumns};
use crate::session;

/// `kw demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Keep the embedded server running after the demo, for kubectl and kw.
    #[arg(long)]
    pub follow: bool,
    /// Use the embedded server even when a cluster is configured.
    #[arg(long)]
    pub embedded: bool,
    /// How many ConfigMaps the streaming-list part creates.
    #[arg(long, default_value_t = 5000)]
    pub objects: usize,
}

#[cfg(feature = "server")]
use crate::embedded::Embedded;

/// Without the embedded server, the demo needs a cluster.
#[cfg(not(feature = "server"))]
struct Embedded {
    client: Client,
}

#[cfg(not(feature = "server"))]
impl Embedded {
    async fn start(_: &Global) -> Result<Self> {
        Err(crate::failure::Failure::Message(
            "no cluster configured, and this kw was built without the embedded server (cargo feature `server`)".into(),
        ))
    }

    async fn finish(self, _follow: bool) {}
}

/// The namespaces the demo works in, removed at the end on a real cluster.
const NAMESPACES: [&str; 3] = ["kw-demo-a", "kw-demo-b", "kw-demo-bulk"];

#[derive(Deserialize)]
struct Meta {
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(rename = "resourceVersion", default)]
    resource_version: String,
}

/// The projection the demo's watch decodes into: only what it prints.
#[derive(Deserialize)]
struct Obj {
    metadata: Meta,
    #[serde(default)]
    data: serde_json::Map<String, Value>,
}

fn step(n: usize, text: &str) {
    println!("\n== {n}. {text}");
}

/// `kw demo`: show the client at work, on the embedded server when no
/// cluster is configured.
pub async fn run(global: &Global, args: DemoArgs) -> Result<()> {
    let started = Instant::now();
    let configured = if args.embedded {
        None
    } else {
        session::single(global).ok()
    };
    let mut embedded: Option<Embedded> = None;
    let client = match configured {
        Some(t) => {
            println!(
                "Using context {:?} ({}).",
                t.context,
                t.client.cluster().server
            );
            t.client
        }
        None => {
            let e = Embedded::start(global).await?;
            let client = e.client.clone();
            embedded = Some(e);
            client
        }
    };

    step(1, "Who is there: GET /version");
    let version: Value = client.call(&kubewire::discovery::version()).await?;
    println!(
        "server {} ({})",
        version["gitVersion"].as_str().unwrap_or("?"),
        version["platform"].as_str().unwrap_or("?")
    );

    step(
        2,
        "Namespaces, created with POST; the request as curl (credentials redacted):",
    );
    for ns in NAMESPACES {
        let req = known::namespaces()
            .all()
            .create(&PostParams::default(), &json!({"metadata": {"name": ns}}))?;
        if ns == NAMESPACES[0] {
            let mut shown = req.clone();
            shown.set_header("Authorization", "Bearer kw-demo-admin-token");
            println!(
                "{}",
                kubewire::curl(
                    &shown,
                    &kubewire::CurlOptions {
                        base_url: client.cluster().server.clone(),
                        ..Default::default()
                    }
                )
            );
        }
        match client.call::<Value>(&req).await {
            Ok(_) => println!("namespace/{ns} created"),
            Err(e) if e.status().is_some_and(|s| s.is_already_exists()) => {
                println!("namespace/{ns} exists")
            }
            Err(e) => return Err(e.into()),
        }
    }

    step(
        3,
        "A live watch of ConfigMaps labelled app=kw-demo, in every namespace, while they change:",
    );
    let rv = current_rv(&client).await?;
    let watch_req = known::config_maps().all().watch(
        &WatchParams::from_version(&rv)
            .labels("app=kw-demo")
            .timeout(120),
    )?;
    let mut watch = client.watch::<Obj>(&watch_req).await?;
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel::<String>();
    let watcher = tokio::spawn(async move {
        while let Some(event) = watch.next().await {
            let line = match event {
                Ok(WatchEvent::Added(o)) => describe_event("ADDED", &o),
                Ok(WatchEvent::Modified(o)) => describe_event("MODIFIED", &o),
                Ok(WatchEvent::Deleted(o)) => describe_event("DELETED", &o),
                Ok(WatchEvent::Bookmark(_)) => continue,
                Ok(WatchEvent::Error(s)) => format!(
                    "watch ended by the server: {}",
                    crate::sanitize::for_terminal(&s.to_string())
                ),
                Err(e) => format!("watch failed: {e}"),
            };
            println!("    [watch] {line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let cms_a = known::config_maps().within(NAMESPACES[0]);
    let cms_b = known::config_maps().within(NAMESPACES[1]);
    let settings = json!({"metadata": {"name": "settings", "labels": {"app": "kw-demo"}}, "data": {"mode": "fast"}});
    let actions: Vec<(&str, kubewire::Request)> = vec![
        ("create configmap kw-demo-a/settings", cms_a.create(&PostParams::default(), &settings)?),
        (
            "merge-patch kw-demo-a/settings: mode=safe, add retries",
            cms_a.patch("settings", &PatchParams::default(), &Patch::Merge(json!({"data": {"mode": "safe", "retries": "3"}})))?,
        ),
        (
            "server-side apply kw-demo-b/features as field manager kw-demo",
            cms_b.patch(
                "features",
                &PatchParams::apply("kw-demo"),
                &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "features", "labels": {"app": "kw-demo"}}, "data": {"beta": "on"}})),
            )?,
        ),
        ("delete kw-demo-a/settings", cms_a.delete("settings", &DeleteParams::default())?),
    ];
    for (what, req) in &actions {
        println!("  -> {what}");
        client.call::<Value>(req).await?;
        // Wait for the watch to report it before the next change, so the
        // output shows each event arriving while the stream stays open.
        match tokio::time::timeout(Duration::from_secs(10), seen.recv()).await {
            Ok(Some(_)) => {}
            _ => println!("    (no watch event within 10 s)"),
        }
    }
    watcher.abort();

    step(
        4,
        "Typed errors: the same create again, and a missing object",
    );
    for req in [
        cms_b.create(
            &PostParams::default(),
            &json!({"metadata": {"name": "features"}}),
        )?,
        cms_a.get("settings", &Default::default())?,
    ] {
        match client.call::<Value>(&req).await {
            Err(Error::Api(s)) => println!(
                "{:?}: {} (HTTP {})",
                s.reason(),
                crate::sanitize::for_terminal(&s.message),
                s.code
            ),
            other => println!("unexpected: {other:?}"),
        }
    }

    step(5, "Pods, shown as kubectl shows them (the server's Table)");
    let pods = known::pods().within(NAMESPACES[1]);
    for name in ["web-0", "web-1"] {
        let pod = json!({"metadata": {"name": name, "labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}});
        client
            .call::<Value>(&pods.create(&PostParams::default(), &pod)?)
            .await?;
    }
    let table: Value = client
        .call(&pods.list(&ListParams::default())?.as_table(None))
        .await?;
    if let Some(cols) = TableColumns::of(&table, false) {
        let mut rows = vec![cols.header(&[])];
        rows.extend(
            table["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| cols.row(r, Vec::new())),
        );
        let _ = Aligner::default().write(&mut std::io::stdout().lock(), &rows);
    }

    step(
        6,
        &format!(
            "A LIST of {} ConfigMaps, decoded item by item as the body streams",
            args.objects
        ),
    );
    let bulk = known::config_maps().within(NAMESPACES[2]);
    let creates = futures_util::stream::iter(0..args.objects).map(|i| {
        let client = client.clone();
        let bulk = bulk.clone();
        async move {
            let cm = json!({"metadata": {"name": format!("item-{i:06}")}, "data": {"payload": "x".repeat(512)}});
            client.call::<Value>(&bulk.create(&PostParams::default(), &cm)?).await.map(|_| ()).or_else(|e| {
                if e.status().is_some_and(|s| s.is_already_exists()) { Ok(()) } else { Err(e) }
            })
        }
    });
    let results: Vec<std::result::Result<(), Error>> = creates.buffer_unordered(16).collect().await;
    results
        .into_iter()
        .collect::<std::result::Result<Vec<()>, Error>>()?;
    let list_started = Instant::now();
    let mut items = client
        .list::<Obj>(&bulk.list(&ListParams::default())?)
        .await?;
    let (mut count, mut peak, mut bytes) = (0usize, 0usize, 0usize);
    while let Some(item) = items.next().await {
        let item = item?;
        count += 1;
        bytes += item
            .data
            .get("payload")
            .and_then(Value::as_str)
            .map_or(0, str::len);
        peak = peak.max(items.decoder().buffered());
    }
    println!(
        "{count} items ({} KiB of payload) in {} ms; the decoder never held more than {} KiB at once",
        bytes / 1024,
        list_started.elapsed().as_millis(),
        peak.div_ceil(1024)
    );

    if embedded.is_none() {
        step(7, "Cleaning up the demo namespaces");
        for ns in NAMESPACES {
            client
                .call::<Value>(
                    &known::namespaces()
                        .all()
                        .delete(ns, &DeleteParams::default())?,
                )
                .await?;
            println!("namespace \"{ns}\" deleted");
        }
    }
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    if let Some(e) = embedded {
        e.finish(args.follow).await;
    }
    Ok(())
}

fn describe_event(kind: &str, o: &Obj) -> String {
    let keys: Vec<&str> = o.data.keys().map(String::as_str).collect();
    format!(
        "{kind:<8} {}/{} rv={} data keys: [{}]",
        o.metadata.namespace,
        o.metadata.name,
        o.metadata.resource_version,
        keys.join(", ")
    )
}

/// The newest resourceVersion, from an empty page of a cheap LIST.
async fn current_rv(client: &Client) -> std::result::Result<String, Error> {
    let req = known::namespaces()
        .all()
        .list(&ListParams::default().limit(1))?;
    let list: Value = client.call(&req).await?;
    Ok(list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("")
        .to_string())
}
