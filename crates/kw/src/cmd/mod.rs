//! One module per command; what several share is here: reading `TYPE
//! NAME...` and finding the namespace a command acts in.

pub mod api_resources;
pub mod config;
pub mod dashboard;
pub mod delete;
pub mod demo;
pub mod get;
pub mod label;
pub mod manifest;
pub mod patch;
pub mod proxy;
pub mod token;
pub mod wait;

use kubewire::{Collection, ResourceInfo};

use crate::cli::Global;
use crate::failure::{Failure, Result};
use crate::session::Target;

/// The request type and names from `TYPE NAME...` or `TYPE/NAME...`.
pub fn split_type(resource: Option<&str>, names: &[String]) -> Result<(String, Vec<String>)> {
    let Some(resource) = resource else {
        return Err(Failure::Usage(
            "you must specify the type of resource".into(),
        ));
    };
    match resource.split_once('/') {
        Some((kind, name)) => {
            let mut all = vec![name.to_string()];
            all.extend(names.iter().cloned());
            Ok((kind.to_string(), all))
        }
        None => Ok((resource.to_string(), names.to_vec())),
    }
}

/// The namespace a command acts in: `-n`, else the context's.
pub fn namespace(global: &Global, target: &Target) -> String {
    global
        .namespace
        .clone()
        .unwrap_or_else(|| target.client.default_namespace().to_string())
}

/// The collection a command reads: every namespace with `-A` (for
/// namespaced resources), else the command's namespace.
pub fn collection(
    target: &Target,
    info: &ResourceInfo,
    global: &Global,
    all_namespaces: bool,
) -> Collection {
    if all_namespaces {
        info.resource.all()
    } else {
        info.resource.within(&namespace(global, target))
    }
}

/// `configmap "x" deleted from NS namespace`, `deployment.apps "x"
/// deleted from NS namespace`, `namespace "x" deleted`: kubectl 1.37's
/// words for a deletion.
pub fn deleted_message(info: &ResourceInfo, name: &str, namespace: Option<&str>) -> String {
    let kind = crate::print::kind_group(info);
    match namespace.filter(|_| info.resource.is_namespaced()) {
        Some(ns) => format!("{kind} \"{name}\" deleted from {ns} namespace"),
        None => format!("{kind} \"{name}\" deleted"),
    }
}
