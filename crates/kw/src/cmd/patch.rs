//! `kw patch TYPE NAME -p PATCH [--type strategic|merge|json]
//! [--subresource S]`: kubectl's patch, its patch text read as YAML or
//! JSON, and its messages (`patched`, `patched (no change)`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use kubewire::{GetParams, Patch, PatchParams};
use serde::Deserialize;
use serde_json::Value;

use crate::cli::Global;
use crate::cmd::{namespace, split_type};
use crate::failure::{Failure, Result};
use crate::print::{kind_name, Form, Mode, Options, Printer, Source};
use crate::session;

/// The patch kinds kubectl's `--type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PatchType {
    /// Kubernetes strategic merge patch (the default).
    Strategic,
    /// RFC 7386 JSON merge patch.
    Merge,
    /// RFC 6902 JSON patch.
    Json,
}

/// `kw patch`.
#[derive(Debug, Args)]
pub struct PatchArgs {
    /// The resource type, or `TYPE/NAME`.
    pub resource: String,
    /// The object's name.
    pub name: Option<String>,
    /// The patch, JSON or YAML.
    #[arg(short = 'p', long)]
    pub patch: Option<String>,
    /// A file holding the patch.
    #[arg(long)]
    pub patch_file: Option<PathBuf>,
    /// The kind of patch.
    #[arg(long = "type", value_enum, default_value_t = PatchType::Strategic)]
    pub patch_type: PatchType,
    /// Patch this subresource (`status`, `scale`).
    #[arg(long)]
    pub subresource: Option<String>,
    /// `server`: validate on the server, store nothing.
    #[arg(long, default_value = "none", num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: String,
    /// Print the patched object in this form instead of a message.
    #[arg(short = 'o', long, value_parser = Form::parse)]
    pub output: Option<Form>,
    /// The field manager name.
    #[arg(long, default_value = "kw")]
    pub field_manager: String,
}

/// `kw patch`.
pub async fn run(global: &Global, args: PatchArgs) -> Result<()> {
    let names: Vec<String> = args.name.iter().cloned().collect();
    let (kind, names) = split_type(Some(&args.resource), &names)?;
    let [name] = names.as_slice() else {
        return Err(Failure::Usage(
            "patch needs exactly one TYPE NAME or TYPE/NAME".into(),
        ));
    };
    let text = match (&args.patch, &args.patch_file) {
        (Some(p), None) => p.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .map_err(|e| Failure::Input(format!("{}: {e}", f.display())))?,
        _ => {
            return Err(Failure::Message(
                "must specify --patch or --patch-file containing the contents of the patch".into(),
            ))
        }
    };
    // kubectl reads the patch as YAML (JSON is YAML) and sends JSON.
    let body = Value::deserialize(serde_norway::Deserializer::from_str(&text))
        .map_err(|e| Failure::Message(format!("unable to parse {text:?}: {e}")))?;
    let valid = match args.patch_type {
        PatchType::Json => body.is_array(),
        _ => body.is_object(),
    };
    if !valid {
        return Err(Failure::Message(format!(
            "unable to parse {text:?}: the patch is not a JSON {}",
            if args.patch_type == PatchType::Json {
                "array of operations"
            } else {
                "object"
            }
        )));
    }
    let dry_server = match args.dry_run.as_str() {
        "none" => false,
        "server" => true,
        "client" => {
            return Err(Failure::Message(
                "--dry-run=client doesn't work with patch: use --dry-run=server".into(),
            ))
        }
        other => {
            return Err(Failure::Message(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            )))
        }
    };
    let mut target = session::single(global)?;
    let info = target.discovery.find(&kind).await?;
    let coll = info.resource.within(&namespace(global, &target));
    let sub = args.subresource.as_deref();
    let before: Value = target
        .client
        .call(&coll.get_subresource(name, sub, &GetParams::default())?)
        .await?;
    let params = PatchParams {
        dry_run: dry_server,
        field_manager: Some(args.field_manager.clone()),
        ..PatchParams::default()
    };
    let patch = match args.patch_type {
        PatchType::Strategic => Patch::Strategic(&body),
        PatchType::Merge => Patch::Merge(&body),
        PatchType::Json => Patch::Json(&body),
    };
    let req = coll.patch_subresource(name, sub, &params, &patch)?;
    let after: Value = target.client.call(&req).await?;
    match args.output {
        Some(form) => {
            let src = Source {
                id: 0,
                cluster: "",
                info: &info,
                namespace_column: false,
            };
            let mut p = Printer::new(
                form,
                Options::default(),
                Mode::Single,
                std::io::stdout().lock(),
            );
            p.object(after, &src, None).map_err(|_| Failure::Reported)?;
        }
        None => {
            let verb = if before == after {
                "patched (no change)"
            } else {
                "patched"
            };
            println!("{} {verb}", kind_name(&info, name));
        }
    }
    Ok(())
}
