//! `kw label` and `kw annotate`: `TYPE NAME... KEY=VALUE... KEY-...`,
//! applied as one merge patch per object, with kubectl's rules (changing
//! an existing value needs `--overwrite`) and messages (`labeled`,
//! `unlabeled`, `not labeled`, `annotated`).

use std::collections::BTreeMap;

use clap::Args;
use kubewire::{GetParams, ListParams, Patch, PatchParams};
use serde_json::{json, Map, Value};

use crate::cli::Global;
use crate::cmd::{namespace, split_type};
use crate::failure::{Failure, Result};
use crate::print::{kind_name, Form, Mode, Options, Printer, Source};
use crate::session;

/// Which map of `metadata` the command changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `kw label`.
    Labels,
    /// `kw annotate`.
    Annotations,
}

impl Field {
    fn key(self) -> &'static str {
        match self {
            Field::Labels => "labels",
            Field::Annotations => "annotations",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Field::Labels => "label",
            Field::Annotations => "annotation",
        }
    }
}

/// `kw label` / `kw annotate`.
#[derive(Debug, Args)]
pub struct MetaArgs {
    /// `TYPE NAME... KEY=VALUE... KEY-...` (or `TYPE/NAME ...`).
    #[arg(required = true, num_args = 1..)]
    pub args: Vec<String>,
    /// Allow changing a key that already has a value.
    #[arg(long)]
    pub overwrite: bool,
    /// Every object of the type in the namespace.
    #[arg(long)]
    pub all: bool,
    /// The objects matching this label selector.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// `server`: validate on the server, store nothing; `client`: only
    /// print what would be done; `none` (the default).
    #[arg(long, default_value = "none", num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: String,
    /// Print the changed objects in this form (name, json, yaml, ...)
    /// instead of a message.
    #[arg(short = 'o', long, value_parser = Form::parse)]
    pub output: Option<Form>,
    /// Print the object's current keys and values, change nothing.
    #[arg(long)]
    pub list: bool,
    /// The field manager name.
    #[arg(long, default_value = "kw")]
    pub field_manager: String,
}

/// `kw label` or `kw annotate`.
pub async fn run(global: &Global, field: Field, args: MetaArgs) -> Result<()> {
    let (resources, changes): (Vec<String>, Vec<String>) = args
        .args
        .iter()
        .cloned()
        .partition(|a| !(a.contains('=') || (a.ends_with('-') && !a.contains('/'))));
    let mut set = BTreeMap::new();
    let mut remove = Vec::new();
    for c in &changes {
        match c.split_once('=') {
            Some((k, v)) => {
                set.insert(k.to_string(), v.to_string());
            }
            None => remove.push(c.trim_end_matches('-').to_string()),
        }
    }
    if set.is_empty() && remove.is_empty() && !args.list {
        return Err(Failure::Message(format!(
            "at least one {} update is required",
            field.noun()
        )));
    }
    let (kind, names) = split_type(
        resources.first().map(String::as_str),
        &resources[1.min(resources.len())..],
    )?;
    if names.is_empty() && !args.all && args.selector.is_none() {
        return Err(Failure::Usage(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>"
                .into(),
        ));
    }
    let mut target = session::single(global)?;
    let info = target.discovery.find(&kind).await?;
    let ns = namespace(global, &target);
    let coll = info.resource.within(&ns);
    let mut objects = Vec::new();
    if names.is_empty() {
        let mut params = ListParams::default();
        if let Some(s) = &args.selector {
            params = params.labels(s);
        }
        let list: Value = target.client.call(&coll.list(&params)?).await?;
        objects.extend(list["items"].as_array().cloned().unwrap_or_default());
    } else {
        for name in &names {
            objects.push(
                target
                    .client
                    .call::<Value>(&coll.get(name, &GetParams::default())?)
                    .await?,
            );
        }
    }
    let dry_server = args.dry_run == "server";
    let dry_client = args.dry_run == "client";
    if !matches!(args.dry_run.as_str(), "none" | "server" | "client") {
        return Err(Failure::Message(format!(
            "Invalid dry-run value ({}). Must be \"none\", \"server\", or \"client\".",
            args.dry_run
        )));
    }
    let mut printer = args
        .output
        .clone()
        .map(|f| Printer::new(f, Options::default(), Mode::Watch, std::io::stdout().lock()));
    let src = Source {
        id: 0,
        cluster: "",
        info: &info,
        namespace_column: false,
    };
    for obj in objects {
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let current: Map<String, Value> = obj["metadata"][field.key()]
            .as_object()
            .cloned()
            .unwrap_or_default();
        if args.list {
            for (k, v) in &current {
                println!("{k}={}", v.as_str().unwrap_or(""));
            }
            continue;
        }
        if !args.overwrite {
            for (k, v) in &set {
                if let Some(old) = current.get(k).and_then(Value::as_str) {
                    if old != v {
                        return Err(Failure::Message(format!(
                            "'{k}' already has a value ({old}), and --overwrite is false"
                        )));
                    }
                }
            }
        }
        let mut patch = Map::new();
        for r in &remove {
            if !current.contains_key(r) {
                println!("{} {r:?} not found.", field.noun());
            }
            patch.insert(r.clone(), Value::Null);
        }
        for (k, v) in &set {
            patch.insert(k.clone(), json!(v));
        }
        let mut after = current.clone();
        for (k, v) in &patch {
            match v {
                Value::Null => {
                    after.remove(k);
                }
                v => {
                    after.insert(k.clone(), v.clone());
                }
            }
        }
        let verb = match field {
            Field::Annotations => "annotated",
            Field::Labels if after == current => "not labeled",
            // kubectl's rule: fewer bytes without --overwrite reads as a removal.
            Field::Labels
                if !args.overwrite
                    && Value::Object(after.clone()).to_string().len()
                        < Value::Object(current.clone()).to_string().len() =>
            {
                "unlabeled"
            }
            Field::Labels => "labeled",
        };
        let result = if dry_client {
            let mut o = obj.clone();
            o["metadata"][field.key()] = Value::Object(after);
            o
        } else {
            let params = PatchParams {
                dry_run: dry_server,
                field_manager: Some(args.field_manager.clone()),
                ..PatchParams::default()
            };
            let body = json!({"metadata": {field.key(): Value::Object(patch)}});
            target
                .client
                .call::<Value>(&coll.patch(&name, &params, &Patch::Merge(&body))?)
                .await?
        };
        match printer.as_mut() {
            Some(p) => p
                .object(result, &src, None)
                .map_err(|_| Failure::Reported)?,
            None => {
                let suffix = if dry_server {
                    " (server dry run)"
                } else if dry_client {
                    " (dry run)"
                } else {
                    ""
                };
                println!("{} {verb}{suffix}", kind_name(&info, &name));
            }
        }
    }
    Ok(())
}
