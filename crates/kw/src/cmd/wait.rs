//! `kw wait --for=delete|create|condition=TYPE[=VALUE]|jsonpath=EXPR[=VALUE]`:
//! watches each object (the list+watch machine, so a cut connection or a
//! 410 loses nothing) until it meets the condition or `--timeout` passes,
//! with kubectl's messages.

use std::collections::BTreeSet;
use std::time::Duration;

use clap::Args;
use futures_util::StreamExt;
use kubewire::listwatch::{Config, Event, Object, ObjectKey, ObjectMeta, Tombstone};
use kubewire_hyper::watcher::Watcher;
use serde_json::Value;

use crate::cli::Global;
use crate::cmd::{namespace, split_type};
use crate::failure::{Failure, Result};
use crate::print::jsonpath::{text, Template};
use crate::print::kind_name;
use crate::session;

/// `kw wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// `TYPE NAME...` or `TYPE/NAME...`.
    #[arg(required = true, num_args = 1..)]
    pub args: Vec<String>,
    /// `delete`, `create`, `condition=TYPE[=VALUE]` or
    /// `jsonpath=EXPR[=VALUE]`.
    #[arg(long = "for")]
    pub condition: Option<String>,
    /// How long to wait: `30s`, `5m`, `1h`.
    #[arg(long, default_value = "30s", value_parser = timeout)]
    pub timeout: Duration,
    /// The objects matching this label selector.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Every object of the type in the namespace.
    #[arg(long)]
    pub all: bool,
}

fn timeout(s: &str) -> std::result::Result<Duration, String> {
    crate::duration::parse(s, false)
}

#[derive(Debug, Clone)]
enum Condition {
    Delete,
    Create,
    Status {
        kind: String,
        value: String,
    },
    JsonPath {
        template: Template,
        value: Option<String>,
    },
}

impl Condition {
    fn parse(text: Option<&str>) -> Result<Self> {
        let unrecognized =
            || Failure::Message(format!("unrecognized condition: {:?}", text.unwrap_or("")));
        let Some(text) = text else {
            return Err(Failure::Message("unrecognized condition: []".into()));
        };
        if text.eq_ignore_ascii_case("delete") {
            return Ok(Condition::Delete);
        }
        if text.eq_ignore_ascii_case("create") {
            return Ok(Condition::Create);
        }
        if let Some(c) = text.strip_prefix("condition=") {
            let (kind, value) = c.split_once('=').unwrap_or((c, "true"));
            if kind.is_empty() {
                return Err(unrecognized());
            }
            return Ok(Condition::Status {
                kind: kind.into(),
                value: value.into(),
            });
        }
        if let Some(j) = text.strip_prefix("jsonpath=") {
            // The value follows the first `=` after the expression's closing
            // brace (or the first `=` of a relaxed `.a.b=value`).
            let from = j.rfind('}').unwrap_or(0);
            let (expr, value) = match j[from..].find('=') {
                Some(i) => (&j[..from + i], Some(j[from + i + 1..].to_string())),
                None => (j, None),
            };
            let inner = expr
                .strip_prefix('{')
                .and_then(|e| e.strip_suffix('}'))
                .unwrap_or(expr);
            let inner = inner.strip_prefix('.').unwrap_or(inner);
            let template = Template::parse(&format!("{{.{inner}}}")).map_err(Failure::Message)?;
            return Ok(Condition::JsonPath { template, value });
        }
        Err(unrecognized())
    }

    /// Whether `obj` meets a condition on an object's state.
    fn met(&self, obj: &Value) -> bool {
        match self {
            Condition::Delete => false,
            Condition::Create => true,
            Condition::Status { kind, value } => obj["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| {
                    c["type"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case(kind))
                        && c["status"]
                            .as_str()
                            .is_some_and(|s| s.eq_ignore_ascii_case(value))
                }),
            Condition::JsonPath { template, value } => match template.find(obj) {
                Ok(found) if found.is_empty() => false,
                Ok(found) => match value {
                    None => true,
                    Some(want) => found.len() == 1 && text(&found[0]) == *want,
                },
                Err(_) => false,
            },
        }
    }
}

/// `kw wait`.
pub async fn run(global: &Global, args: WaitArgs) -> Result<()> {
    let condition = Condition::parse(args.condition.as_deref())?;
    let (kind, names) = split_type(args.args.first().map(String::as_str), &args.args[1..])?;
    if names.is_empty() && !args.all && args.selector.is_none() {
        return Err(Failure::Usage(
            "resource(s) were provided, but no name was specified".into(),
        ));
    }
    let mut target = session::single(global)?;
    let info = target.discovery.find(&kind).await?;
    let ns = namespace(global, &target);
    let coll = info.resource.within(&ns);
    let mut config = Config::new(coll).page_size(500);
    match names.as_slice() {
        [one] => config.field_selector = Some(format!("metadata.name={one}")),
        _ => config.label_selector.clone_from(&args.selector),
    }
    let wanted: Option<BTreeSet<String>> =
        (!names.is_empty()).then(|| names.iter().cloned().collect());
    let wanted_key = |k: &ObjectKey| wanted.as_ref().is_none_or(|w| w.contains(&k.name));
    let mut watcher = Watcher::<Value>::new(target.client.clone(), config)?;
    // Objects still to wait for; which exist is known once the first
    // listing is complete.
    let mut waiting: BTreeSet<ObjectKey> = BTreeSet::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut listed = false;
    let create = matches!(condition, Condition::Create);
    let delete = matches!(condition, Condition::Delete);
    let deadline = tokio::time::Instant::now() + args.timeout;
    loop {
        let event = match tokio::time::timeout_at(deadline, watcher.next()).await {
            Ok(Some(Ok(update))) => update.event,
            // The machine retries by itself.
            Ok(Some(Err(_))) => continue,
            Ok(None) => return Err(Failure::Message("the watch ended".into())),
            Err(_) => {
                let which = waiting
                    .iter()
                    .next()
                    .map(|k| k.name.clone())
                    .or_else(|| names.first().cloned());
                return Err(Failure::Message(match which {
                    Some(n) if !create => format!(
                        "timed out waiting for the condition on {}/{n}",
                        info.resource.plural
                    ),
                    _ => "timed out waiting for the condition".into(),
                }));
            }
        };
        match event {
            Event::InitApply(o) | Event::Apply(o) if wanted_key(&o.meta.key) => {
                seen.insert(o.meta.key.name.clone());
                if delete {
                    if !listed {
                        waiting.insert(o.meta.key);
                    }
                } else if condition.met(&o.value) {
                    if waiting.remove(&o.meta.key) || !listed || create {
                        println!("{} condition met", kind_name(&info, &o.meta.key.name));
                    }
                    if create {
                        return Ok(());
                    }
                } else if !listed {
                    waiting.insert(o.meta.key);
                }
            }
            Event::Delete(Object {
                meta: ObjectMeta { key, .. },
                ..
            })
            | Event::InitDelete(Tombstone { key, .. })
                if delete && wanted_key(&key) && waiting.remove(&key) =>
            {
                println!("{} condition met", kind_name(&info, &key.name));
            }
            Event::InitDone { .. } if !listed => {
                listed = true;
                if !delete && !create {
                    // A condition on an object that does not exist: kubectl
                    // reports it as the server's NotFound.
                    if let Some(missing) = names.iter().find(|n| !seen.contains(*n)) {
                        return Err(Failure::Verbatim(format!(
                            "Error from server (NotFound): {} {missing:?} not found",
                            info.resource.plural
                        )));
                    }
                }
            }
            _ => {}
        }
        if listed && waiting.is_empty() && !create {
            return Ok(());
        }
    }
}
