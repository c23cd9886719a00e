//! Commands that change objects: `apply` (server-side apply), `create`,
//! `delete`, and `token` (TokenRequest).

use std::io::Read;
use std::path::Path;

use kubewire::{DeleteParams, ListParams, Patch, PatchParams, PostParams, ResourceInfo};
use serde_json::{json, Value};

use crate::cli::{DeleteArgs, FileArgs, Global, TokenArgs};
use crate::failure::{Failure, Result};
use crate::get::split_type;
use crate::output::{kind_name, parse_duration};
use crate::session::{self, Target};

/// [`read_manifests`] on a blocking thread: parsing a large file must not
/// hold one of the runtime's workers.
pub async fn manifests(files: &[std::path::PathBuf]) -> Result<Vec<Value>> {
    let files = files.to_vec();
    tokio::task::spawn_blocking(move || read_manifests(&files))
        .await
        .map_err(|e| Failure::Input(format!("reading the files: {e}")))?
}

/// Every document of the files (`-` is stdin); YAML or JSON, several per
/// file, `kind: List` unpacked.
pub fn read_manifests(files: &[std::path::PathBuf]) -> Result<Vec<Value>> {
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
        // Depth checked first: a deeply nested file costs the YAML parser
        // the square of its depth.
        let values = kubewire_server::decode::yaml_documents(&text)
            .map_err(|e| Failure::Input(format!("{}: {e}", file.display())))?;
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

/// The resource and namespace a manifest goes to.
async fn place(
    target: &mut Target,
    global: &Global,
    doc: &Value,
) -> Result<(ResourceInfo, kubewire::Collection, String)> {
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
    Ok((info, coll, name))
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
        let (info, coll, name) = place(&mut target, global, &doc).await?;
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
        let (info, coll, _) = place(&mut target, global, &doc).await?;
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

/// `kw delete TYPE NAME...`, `-l SELECTOR`, or `-f FILE`.
pub async fn delete(global: &Global, args: DeleteArgs) -> Result<()> {
    let mut target = session::single(global)?;
    let mut jobs: Vec<(ResourceInfo, kubewire::Collection, String)> = Vec::new();
    if !args.files.is_empty() {
        for doc in manifests(&args.files).await? {
            jobs.push(place(&mut target, global, &doc).await?);
        }
    } else {
        let (kind, names) = split_type(args.resource.as_deref(), &args.names)?;
        let info = target.discovery.find(&kind).await?;
        let ns = global
            .namespace
            .clone()
            .unwrap_or_else(|| target.client.default_namespace().to_string());
        let coll = info.resource.within(&ns);
        if let Some(selector) = &args.selector {
            let req = coll.delete_collection(
                &DeleteParams::default(),
                &ListParams::default().labels(selector),
            )?;
            let list: Value = target.client.call(&req).await?;
            let deleted = list["items"].as_array().cloned().unwrap_or_default();
            if deleted.is_empty() {
                println!("No resources found");
            }
            for item in deleted {
                println!(
                    "{} \"{}\" deleted",
                    info.resource.kind.to_lowercase(),
                    item["metadata"]["name"].as_str().unwrap_or("")
                );
            }
            return Ok(());
        }
        if names.is_empty() {
            return Err(Failure::Usage(
                "resource(s) were provided, but no name was specified".into(),
            ));
        }
        jobs.extend(names.into_iter().map(|n| (info.clone(), coll.clone(), n)));
    }
    let mut last_error = None;
    for (info, coll, name) in jobs {
        match target
            .client
            .call::<Value>(&coll.delete(&name, &DeleteParams::default())?)
            .await
        {
            Ok(_) => println!("{} \"{name}\" deleted", info.resource.kind.to_lowercase()),
            Err(e) if args.ignore_not_found && e.status().is_some_and(|s| s.is_not_found()) => {}
            Err(e) => {
                let f = Failure::from(e);
                eprintln!("{}", f.describe());
                last_error = Some(f);
            }
        }
    }
    match last_error {
        // Already reported above; the exit status must still say it failed.
        Some(_) => Err(Failure::Input("some objects were not deleted".into())),
        None => Ok(()),
    }
}

/// `kw token SA --audience A --duration 1h`: a TokenRequest.
pub async fn token(global: &Global, args: TokenArgs) -> Result<()> {
    let target = session::single(global)?;
    let seconds = parse_duration(&args.duration).ok_or_else(|| {
        Failure::Usage(format!(
            "--duration {:?}: use e.g. 600s, 10m, 1h",
            args.duration
        ))
    })?;
    let ns = global
        .namespace
        .clone()
        .unwrap_or_else(|| target.client.default_namespace().to_string());
    let mut spec = json!({ "expirationSeconds": seconds });
    if !args.audiences.is_empty() {
        spec["audiences"] = json!(args.audiences);
    }
    let body =
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec});
    let req = kubewire::known::service_accounts()
        .within(&ns)
        .create_subresource(
            &args.service_account,
            "token",
            &PostParams::default(),
            &body,
        )?;
    let resp: Value = target.client.call(&req).await?;
    match resp["status"]["token"].as_str() {
        Some(t) => {
            println!("{t}");
            Ok(())
        }
        None => Err(Failure::Input("the server answered without a token".into())),
    }
}
