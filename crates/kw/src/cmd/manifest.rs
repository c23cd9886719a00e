//! Commands that read manifests: `apply` (server-side apply) and
//! `create`; and where a manifest's object goes (shared with `delete -f`).

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use kubewire::{Patch, PatchParams, PostParams, ResourceInfo};
use serde::Deserialize;
use serde_json::Value;

use crate::cli::Global;
use crate::failure::{Failure, Result};
use crate::print::kind_name;
use crate::session::{self, Target};

/// Commands that read manifests.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// A YAML or JSON file (several documents allowed), or `-` for stdin.
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<PathBuf>,
    /// For apply: take over fields other managers own.
    #[arg(long)]
    pub force_conflicts: bool,
    /// The field manager name.
    #[arg(long, default_value = "kw")]
    pub field_manager: String,
    /// Validate on the server only; store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// [`read_manifests`] on a blocking thread: parsing a large file must not
/// hold one of the runtime's workers.
pub async fn manifests(files: &[PathBuf]) -> Result<Vec<Value>> {
    let files = files.to_vec();
    tokio::task::spawn_blocking(move || read_manifests(&files))
        .await
        .map_err(|e| Failure::Input(format!("reading the files: {e}")))?
}

/// Every YAML document of a text, its nesting depth checked first: the YAML
/// parser's cost grows with the square of the depth, and no object nests
/// anywhere near the limit (the API server's own).
fn documents(text: &str) -> std::result::Result<Vec<Value>, String> {
    let limit = kubewire::decode::DEFAULT_MAX_DEPTH;
    if kubewire::decode::yaml_depth(text.as_bytes(), limit) > limit {
        return Err(format!("the document is nested deeper than {limit} levels"));
    }
    serde_norway::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).map_err(|e| e.to_string()))
        .collect()
}

/// Every document of the files (`-` is stdin); YAML or JSON, several per
/// file, `kind: List` unpacked.
pub fn read_manifests(files: &[PathBuf]) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    for file in files {
        let text = if file == Path::new("-") {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Failure::Input(format!("stdin: {e}")))?;
            s
        } else {
            std::fs::read_to_string(file)
                .map_err(|e| Failure::Input(format!("{}: {e}", file.display())))?
        };
        let values =
            documents(&text).map_err(|e| Failure::Input(format!("{}: {e}", file.display())))?;
        for value in values {
            match value {
                Value::Null => {}
                Value::Object(ref m) if m.get("kind").and_then(Value::as_str) == Some("List") => {
                    docs.extend(
                        m.get("items")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default(),
                    );
                }
                other => docs.push(other),
            }
        }
    }
    if docs.is_empty() {
        return Err(Failure::Input("no objects passed".into()));
    }
    Ok(docs)
}

/// The resource, collection, name and namespace a manifest goes to.
pub async fn place(
    target: &mut Target,
    global: &Global,
    doc: &Value,
) -> Result<(ResourceInfo, kubewire::Collection, String, String)> {
    let api_version = doc["apiVersion"].as_str().unwrap_or("");
    let kind = doc["kind"].as_str().unwrap_or("");
    let name = doc["metadata"]["name"].as_str().unwrap_or("").to_string();
    if api_version.is_empty() || kind.is_empty() {
        return Err(Failure::Input(format!(
            "object {name:?} has no apiVersion or kind"
        )));
    }
    let info = target.discovery.find_kind(api_version, kind).await?;
    let ns = doc["metadata"]["namespace"]
        .as_str()
        .map(String::from)
        .or_else(|| global.namespace.clone())
        .unwrap_or_else(|| target.client.default_namespace().to_string());
    if let (Some(flag), Some(in_doc)) = (&global.namespace, doc["metadata"]["namespace"].as_str()) {
        if flag != in_doc {
            return Err(Failure::Input(format!(
                "the namespace from the provided object {in_doc:?} does not match the namespace {flag:?}"
            )));
        }
    }
    let coll = info.resource.within(&ns);
    Ok((info, coll, name, ns))
}

/// `kw apply -f`: server-side apply, each object as one PATCH.
pub async fn apply(global: &Global, args: FileArgs) -> Result<()> {
    let docs = manifests(&args.files).await?;
    let mut target = session::single(global)?;
    let params = PatchParams {
        dry_run: args.dry_run,
        force: args.force_conflicts,
        field_manager: Some(args.field_manager.clone()),
        field_validation: Some(kubewire::ValidationDirective::Strict),
    };
    for doc in docs {
        let (info, coll, name, _) = place(&mut target, global, &doc).await?;
        if name.is_empty() {
            return Err(Failure::Input("apply needs metadata.name".into()));
        }
        let req = coll.patch(&name, &params, &Patch::Apply(&doc))?;
        target.client.call::<Value>(&req).await?;
        println!(
            "{} serverside-applied{}",
            kind_name(&info, &name),
            dry_run_suffix(args.dry_run)
        );
    }
    Ok(())
}

/// `kw create -f`.
pub async fn create(global: &Global, args: FileArgs) -> Result<()> {
    let docs = manifests(&args.files).await?;
    let mut target = session::single(global)?;
    let params = PostParams {
        dry_run: args.dry_run,
        field_manager: Some(args.field_manager.clone()),
        field_validation: Some(kubewire::ValidationDirective::Strict),
    };
    for doc in docs {
        let (info, coll, _, _) = place(&mut target, global, &doc).await?;
        let created: Value = target.client.call(&coll.create(&params, &doc)?).await?;
        let name = created["metadata"]["name"].as_str().unwrap_or("");
        println!(
            "{} created{}",
            kind_name(&info, name),
            dry_run_suffix(args.dry_run)
        );
    }
    Ok(())
}

fn dry_run_suffix(dry: bool) -> &'static str {
    if dry {
        " (server dry run)"
    } else {
        ""
    }
}
