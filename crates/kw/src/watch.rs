//! `kw get -w`: the list+watch machine (watch-list or LIST, resume, 410
//! relist, backoff) for every target, printed in any output form.
//!
//! Exactly one line (or document) per change: a relist after a 410 hands
//! every listed object over again (kube-runtime's contract), and kw prints
//! only those that are new or changed since they were last printed (by
//! resourceVersion), and the objects that vanished meanwhile as deletions.
//! kw remembers, per object it printed, its resourceVersion and what a
//! deletion needs to be printed again (its table cells, or nothing for the
//! other forms).
//!
//! With `--cache DIR` the watched state persists: a later run prints it at
//! once (a note on stderr says it comes from the cache), resumes the watch
//! from the stored resourceVersion without listing, and prints what changed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use futures_util::stream::{self, StreamExt};
use kubewire::listwatch::{Config, Event, ObjectKey};
use kubewire::{Collection, ListParams, Request, ResourceInfo};
use kubewire_hyper::watcher::{WatchError, Watcher};
use serde_json::{json, Value};

use crate::cli::Global;
use crate::cmd::collection;
use crate::cmd::get::GetArgs;
use crate::failure::{Failure, Result};
use crate::print::{EventType, Form, Mode, Options, Printer, Source};
use crate::session::Target;

/// Rows printed together while a sync streams in: the listing lines up as
/// a page of `kw get` does.
const BATCH: usize = 500;

/// One watched collection and what was printed of it.
struct Watched {
    context: String,
    info: ResourceInfo,
    namespace_column: bool,
    client: kubewire_hyper::Client,
    collection: Collection,
    /// Objects printed and not deleted since: the resourceVersion printed
    /// and, for table forms, their cells and namespace, to print a deletion
    /// a relist finds.
    printed: HashMap<ObjectKey, Printed>,
    /// A sync (cached or live) has completed.
    synced: bool,
    /// Where this collection's columns are kept beside its cache.
    columns_file: Option<PathBuf>,
}

/// What kw keeps of an object it printed.
struct Printed {
    resource_version: String,
    remembered: Option<Value>,
}

/// A change to print.
struct Change {
    target: usize,
    event: EventType,
    object: Value,
}

/// Watch every target and print each change until interrupted.
pub async fn run(
    global: &Global,
    args: &GetArgs,
    names: &[String],
    targets: Vec<Target>,
    infos: Vec<ResourceInfo>,
    options: Options,
) -> Result<()> {
    let field_selector = match names {
        [] => args.field_selector.clone(),
        [one] => Some(format!("metadata.name={one}")),
        _ => {
            return Err(Failure::Usage(
                "watch is only supported on individual resources and resource collections, but 2 or more resources were found".into(),
            ))
        }
    };
    let form = args.output.clone();
    let headers = request_headers(&form);
    let mut printer = Printer::new(form.clone(), options, Mode::Watch, std::io::stdout());
    let mut watched = Vec::new();
    let mut streams = Vec::new();
    for (i, (target, info)) in targets.into_iter().zip(infos).enumerate() {
        let coll = collection(&target, &info, global, args.all_namespaces);
        // No seed: the adapter draws one from the operating system.
        let mut config = Config::new(coll.clone()).page_size(args.chunk_size);
        config.label_selector.clone_from(&args.selector);
        config.field_selector.clone_from(&field_selector);
        config.headers.clone_from(&headers);
        let (watcher, columns_file) = match &args.cache {
            Some(dir) => {
                let name = cache_name(&target.context, &config.identity());
                let w = Watcher::<Value>::cached(target.client.clone(), config, &dir.join(&name))
                    .map_err(|e| {
                    Failure::Input(format!("cannot open the cache in {}: {e}", dir.display()))
                })?;
                (w, Some(dir.join(format!("{name}.columns.json"))))
            }
            None => (Watcher::new(target.client.clone(), config)?, None),
        };
        if let Some(defs) = columns_file.as_deref().and_then(read_columns) {
            printer.learn_columns(i, &json!({ "columnDefinitions": defs }));
        }
        watched.push(Watched {
            context: target.context.clone(),
            namespace_column: args.all_namespaces && info.resource.is_namespaced(),
            info,
            client: target.client.clone(),
            collection: coll,
            printed: HashMap::new(),
            synced: false,
            columns_file,
        });
        streams.push(watcher.map(move |u| (i, u)));
    }
    let mut merged = stream::select_all(streams);
    let mut pending: Vec<Change> = Vec::new();
    let mut cached_count = vec![0usize; watched.len()];
    while let Some((i, update)) = merged.next().await {
        let update = match update {
            Ok(u) => u,
            // The machine retries by itself; say why the server refused.
            Err(WatchError::Protocol(e)) => {
                eprintln!("{}", crate::sanitize::for_terminal(&e.to_string()));
                continue;
            }
            Err(_) => continue,
        };
        let w = &mut watched[i];
        let quiet = args.watch_only && !w.synced;
        let change = match update.event {
            Event::Init | Event::Bookmark { .. } => None,
            Event::InitDone { resource_version } => {
                w.synced = true;
                if update.cached {
                    eprintln!(
                        "kw: {} {} from the cache in {} (as of resourceVersion {resource_version}); watching for changes",
                        cached_count[i],
                        w.info.resource.plural,
                        args.cache.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
                    );
                }
                flush(&mut printer, &mut watched, &mut pending).await?;
                continue;
            }
            Event::InitApply(o) | Event::Apply(o) => {
                if update.cached {
                    cached_count[i] += 1;
                }
                let before = w.printed.insert(
                    o.meta.key,
                    Printed {
                        resource_version: o.meta.resource_version.clone(),
                        remembered: remember(&form, &o.value),
                    },
                );
                let known = before.is_some();
                // A relist repeats what did not change: printed already.
                let unchanged =
                    before.is_some_and(|b| b.resource_version == o.meta.resource_version);
                (!quiet && !unchanged).then_some(Change {
                    target: i,
                    event: if known {
                        EventType::Modified
                    } else {
                        EventType::Added
                    },
                    object: o.value,
                })
            }
            Event::Delete(o) => {
                w.printed.remove(&o.meta.key);
                (!quiet).then_some(Change {
                    target: i,
                    event: EventType::Deleted,
                    object: o.value,
                })
            }
            // Found gone by a relist: print it from what was remembered.
            Event::InitDelete(t) => {
                let remembered = w.printed.remove(&t.key).and_then(|p| p.remembered);
                let object = vanished(&form, w, &t.key, &t.resource_version, remembered);
                (!quiet).then_some(Change {
                    target: i,
                    event: EventType::Deleted,
                    object,
                })
            }
        };
        let syncing = !watched[i].synced;
        pending.extend(change);
        if !syncing || pending.len() >= BATCH {
            flush(&mut printer, &mut watched, &mut pending).await?;
        }
    }
    Ok(())
}

/// Print the pending changes, in order.
async fn flush(
    printer: &mut Printer<std::io::Stdout>,
    watched: &mut [Watched],
    pending: &mut Vec<Change>,
) -> Result<()> {
    let mut rows: Vec<Value> = Vec::new();
    let mut run: Option<(usize, EventType)> = None;
    for change in std::mem::take(pending) {
        let w = &watched[change.target];
        if printer.form().is_table() {
            let learned = !printer.knows_columns(change.target) && has_columns(&change.object);
            if !printer.knows_columns(change.target) && !learned {
                // A row without the columns (a Table LIST page's, or the
                // cache's without its file): ask the server for them once.
                if let Some(table) = columns_from_server(w).await {
                    printer.learn_columns(change.target, &table);
                    save_columns(w, &table);
                }
            }
            if learned {
                save_columns(w, &change.object);
            }
            if has_columns(&change.object) {
                print_rows(printer, watched, &mut rows, run.take())?;
                printer.learn_columns(change.target, &change.object);
            }
            // Consecutive rows of one target and event type print as one
            // block, aligned together.
            if run.is_some_and(|r| r != (change.target, change.event)) {
                print_rows(printer, watched, &mut rows, run.take())?;
            }
            run = Some((change.target, change.event));
            rows.extend(rows_of(change.object));
        } else {
            let w = &watched[change.target];
            let src = source(change.target, w);
            let event = Some(change.event);
            match printer.form() {
                Form::Name => {
                    let name = change.object["metadata"]["name"].as_str().unwrap_or("");
                    printer.name_line(name, &src, event)
                }
                _ => printer.object(change.object, &src, event),
            }
            .map_err(|_| Failure::Reported)?;
        }
    }
    print_rows(printer, watched, &mut rows, run)?;
    printer.flush().map_err(|_| Failure::Reported)
}

fn print_rows(
    printer: &mut Printer<std::io::Stdout>,
    watched: &[Watched],
    rows: &mut Vec<Value>,
    run: Option<(usize, EventType)>,
) -> Result<()> {
    if let Some((target, event)) = run {
        let src = source(target, &watched[target]);
        printer
            .rows(rows, &src, Some(event))
            .map_err(|_| Failure::Reported)?;
    }
    rows.clear();
    Ok(())
}

fn source(id: usize, w: &Watched) -> Source<'_> {
    Source {
        id,
        cluster: &w.context,
        info: &w.info,
        namespace_column: w.namespace_column,
    }
}

/// The `Accept` a form's watch asks for: Tables for table forms, metadata
/// for names, whole objects for the rest.
fn request_headers(form: &Form) -> Vec<(String, String)> {
    let probe = Request::new(kubewire::Method::Get, String::new());
    match form {
        f if f.is_table() => probe.as_table(None).headers,
        Form::Name => probe.as_metadata().headers,
        _ => Vec::new(),
    }
}

fn has_columns(v: &Value) -> bool {
    v["columnDefinitions"]
        .as_array()
        .is_some_and(|c| !c.is_empty())
}

/// The rows an event's object holds: a Table's (a watch event), or the
/// object itself when it is one row (a Table LIST's items).
fn rows_of(v: Value) -> Vec<Value> {
    match v {
        Value::Object(mut m) => match m.remove("rows") {
            Some(Value::Array(rows)) => rows,
            Some(_) => Vec::new(),
            None if m.contains_key("cells") => vec![Value::Object(m)],
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// What a deletion found by a relist needs of a printed object.
fn remember(form: &Form, v: &Value) -> Option<Value> {
    if !form.is_table() {
        return None;
    }
    let row = v["rows"].get(0).unwrap_or(v);
    Some(json!({
        "cells": row["cells"],
        "object": {"metadata": {"namespace": row["object"]["metadata"]["namespace"]}},
    }))
}

/// The object to print for a deletion a relist found (the machine keeps
/// keys, not objects): the remembered row for tables, else the object's
/// identity and last resourceVersion.
fn vanished(
    form: &Form,
    w: &Watched,
    key: &ObjectKey,
    resource_version: &str,
    remembered: Option<Value>,
) -> Value {
    if form.is_table() {
        return remembered.unwrap_or_else(
            || json!({"cells": [key.name], "object": {"metadata": {"namespace": key.namespace}}}),
        );
    }
    let mut meta = json!({"name": key.name, "resourceVersion": resource_version});
    if let Some(ns) = &key.namespace {
        meta["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": w.info.resource.api_version(),
        "kind": w.info.resource.kind,
        "metadata": meta,
    })
}

/// A file name for one context's watch of one collection.
fn cache_name(context: &str, identity: &str) -> String {
    let safe: String = context
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{safe}-{:08x}",
        kubewire::store::journal::crc32(format!("{context}\n{identity}").as_bytes())
    )
}

fn read_columns(path: &Path) -> Option<Value> {
    let text = std::fs::read(path).ok()?;
    serde_json::from_slice::<Value>(&text)
        .ok()
        .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
}

/// Keep a Table's column definitions beside the cache, so a restart can
/// print the cached rows before the server answers (written aside and
/// renamed: never half a file).
fn save_columns(w: &Watched, table: &Value) {
    let Some(path) = &w.columns_file else { return };
    let Ok(text) = serde_json::to_vec(&table["columnDefinitions"]) else {
        return;
    };
    let tmp = path.with_extension("json.tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// One Table page of a single object, for its column definitions.
async fn columns_from_server(w: &Watched) -> Option<Value> {
    let req = w
        .collection
        .list(&ListParams::default().limit(1))
        .ok()?
        .as_table(Some(kubewire::IncludeObject::None));
    let table: Value = w.client.call(&req).await.ok()?;
    has_columns(&table).then_some(table)
}

#[allow(dead_code)]
fn _assert_write<W: Write>(_: &Printer<W>) {}
