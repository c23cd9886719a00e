//! `kw delete TYPE NAME...`, `-l SELECTOR`, or `-f FILE`, with kubectl
//! 1.37's messages (`configmap "x" deleted from NS namespace`).

use std::path::PathBuf;

use clap::Args;
use kubewire::{DeleteParams, ListParams, PropagationPolicy, ResourceInfo};
use serde_json::Value;

use crate::cli::Global;
use crate::cmd::manifest::{manifests, place};
use crate::cmd::{deleted_message, namespace, split_type};
use crate::failure::{Failure, Result};
use crate::session;

/// `kw delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The resource type, or `TYPE/NAME`.
    pub resource: Option<String>,
    /// Names of objects to delete.
    pub names: Vec<String>,
    /// Delete what these files describe.
    #[arg(short = 'f', long = "filename")]
    pub files: Vec<PathBuf>,
    /// Delete every object matching this label selector.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Do not fail when an object is already gone.
    #[arg(long)]
    pub ignore_not_found: bool,
}

/// kubectl's default: dependents are removed in the background.
fn params() -> DeleteParams {
    DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    }
}

/// `kw delete`.
pub async fn run(global: &Global, args: DeleteArgs) -> Result<()> {
    let mut target = session::single(global)?;
    let mut jobs: Vec<(ResourceInfo, kubewire::Collection, String, String)> = Vec::new();
    if !args.files.is_empty() {
        for doc in manifests(&args.files).await? {
            let (info, coll, name, ns) = place(&mut target, global, &doc).await?;
            jobs.push((info, coll, name, ns));
        }
    } else {
        let (kind, names) = split_type(args.resource.as_deref(), &args.names)?;
        let info = target.discovery.find(&kind).await?;
        let ns = namespace(global, &target);
        let coll = info.resource.within(&ns);
        if let Some(selector) = &args.selector {
            let req = coll.delete_collection(&params(), &ListParams::default().labels(selector))?;
            let list: Value = target.client.call(&req).await?;
            let deleted = list["items"].as_array().cloned().unwrap_or_default();
            if deleted.is_empty() {
                println!("No resources found");
            }
            for item in deleted {
                let name = item["metadata"]["name"].as_str().unwrap_or("");
                println!("{}", deleted_message(&info, name, Some(&ns)));
            }
            return Ok(());
        }
        if names.is_empty() {
            return Err(Failure::Usage(
                "resource(s) were provided, but no name was specified".into(),
            ));
        }
        jobs.extend(
            names
                .into_iter()
                .map(|n| (info.clone(), coll.clone(), n, ns.clone())),
        );
    }
    let mut failed = false;
    for (info, coll, name, ns) in jobs {
        match target
            .client
            .call::<Value>(&coll.delete(&name, &params())?)
            .await
        {
            Ok(_) => println!("{}", deleted_message(&info, &name, Some(&ns))),
            Err(e) if args.ignore_not_found && e.status().is_some_and(|s| s.is_not_found()) => {}
            Err(e) => {
                eprintln!("{}", Failure::from(e).describe());
                failed = true;
            }
        }
    }
    // Each failure was told on its own line; the exit status still says so.
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}
