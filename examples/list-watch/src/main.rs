//! List the ConfigMaps of the current namespace, then watch them: the
//! casual use from the seeds ("get this and tell me when it changes"), in
//! the fewest lines and the smallest binary. `kubewire-hyper` re-exports the
//! core as `kubewire_hyper::kubewire`.
//!
//! Run: `cargo run -p list-watch` (uses $KUBECONFIG or ~/.kube/config).

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err)]

use futures_util::StreamExt;
use kubewire_hyper::kubewire::{known, ListParams, WatchEvent, WatchParams};
use kubewire_hyper::{Client, Error};

/// Only the fields this program prints.
#[derive(serde::Deserialize)]
struct ConfigMap {
    metadata: Meta,
}

#[derive(serde::Deserialize)]
struct Meta {
    name: String,
    #[serde(rename = "resourceVersion")]
    resource_version: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let client = Client::infer()?;
    let cms = known::config_maps().within(client.default_namespace());

    let mut list = client
        .list::<ConfigMap>(&cms.list(&ListParams::default())?)
        .await?;
    while let Some(cm) = list.next().await {
        println!("{}", cm?.metadata.name);
    }
    let rv = list
        .metadata()
        .and_then(|m| m.resource_version.clone())
        .unwrap_or_default();

    let mut events = client
        .watch::<ConfigMap>(&cms.watch(&WatchParams::from_version(&rv))?)
        .await?;
    while let Some(event) = events.next().await {
        match event? {
            WatchEvent::Added(cm) | WatchEvent::Modified(cm) => {
                println!(
                    "changed {} at {}",
                    cm.metadata.name, cm.metadata.resource_version
                )
            }
            WatchEvent::Deleted(cm) => println!("deleted {}", cm.metadata.name),
            WatchEvent::Bookmark(_) => {}
            WatchEvent::Error(status) => return Err(Error::Api(status)),
        }
    }
    Ok(())
}
