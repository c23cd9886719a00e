//! examples/list-watch, written with kube 5 + k8s-openapi, for the
//! footprint comparison (crates, build time, binary size).

use futures::TryStreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ListParams, WatchEvent, WatchParams};
use kube::{Api, Client};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::try_default().await?;
    let cms: Api<ConfigMap> = Api::default_namespaced(client);

    let list = cms.list(&ListParams::default()).await?;
    for cm in &list {
        println!("{}", cm.metadata.name.as_deref().unwrap_or(""));
    }
    let rv = list.metadata.resource_version.unwrap_or_default();

    let mut events = Box::pin(cms.watch(&WatchParams::default(), &rv).await?);
    while let Some(event) = events.try_next().await? {
        match event {
            WatchEvent::Added(cm) | WatchEvent::Modified(cm) => println!(
                "changed {} at {}",
                cm.metadata.name.unwrap_or_default(),
                cm.metadata.resource_version.unwrap_or_default()
            ),
            WatchEvent::Deleted(cm) => println!("deleted {}", cm.metadata.name.unwrap_or_default()),
            WatchEvent::Bookmark(_) => {}
            WatchEvent::Error(e) => return Err(e.into()),
        }
    }
    Ok(())
}
