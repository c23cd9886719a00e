//! List the ConfigMaps of the current namespace, then watch them: the same
//! program as `examples/list-watch`, on the blocking adapter. No async
//! runtime, no thread: the items and events are plain iterators.
//! `kubewire-blocking` re-exports the core as `kubewire_blocking::kubewire`.
//!
//! Run: `cargo run -p list-watch-blocking` (uses $KUBECONFIG or ~/.kube/config).

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err)]

use kubewire_blocking::kubewire::{known, ListParams, WatchEvent, WatchParams};
use kubewire_blocking::{Client, Error};

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

fn main() -> Result<(), Error> {
    let client = Client::infer()?;
    let cms = known::config_maps().within(client.default_namespace());

    let mut list = client.list::<ConfigMap>(&cms.list(&ListParams::default())?)?;
    for cm in list.by_ref() {
        println!("{}", cm?.metadata.name);
    }
    let rv = list
        .metadata()
        .and_then(|m| m.resource_version.clone())
        .unwrap_or_default();

    let events = client.watch::<ConfigMap>(&cms.watch(&WatchParams::from_version(&rv))?)?;
    for event in events {
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
