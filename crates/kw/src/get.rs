//! `kw get` (with `-w`) and `kw api-resources`.

use std::io::Write;

use futures_util::stream::{self, StreamExt};
use kubewire::listwatch::{Config, Event};
use kubewire::{Collection, GetParams, ListParams, Request, ResourceInfo};
use kubewire_hyper::watcher::{WatchError, Watcher};
use serde::Deserialize;
use serde_json::Value;

use crate::cli::{ApiResourcesArgs, GetArgs, Global, Output};
use crate::failure::{Failure, Result};
use crate::output::{kind_name, with_type, write_aligned, ListPrinter, TableColumns};
use crate::session::{self, Target};

/// What `-o name` needs of an object, and nothing more: memory per item
/// stays tiny however large the objects are.
#[derive(Deserialize)]
struct NameOnly {
    metadata: NameMeta,
}

#[derive(Deserialize)]
struct NameMeta {
    name: String,
}

/// The request type and names from `TYPE NAME...` or `TYPE/NAME`.
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

fn collection(
    target: &Target,
    info: &ResourceInfo,
    global: &Global,
    all_namespaces: bool,
) -> Collection {
    let ns = global
        .namespace
        .clone()
        .unwrap_or_else(|| target.client.default_namespace().to_string());
    if all_namespaces {
        info.resource.all()
    } else {
        info.resource.within(&ns)
    }
}

/// `kw get`.
pub async fn get(global: &Global, args: GetArgs) -> Result<()> {
    if let Some(path) = &args.raw {
        return raw(global, path).await;
    }
    let (kind, names) = split_type(args.resource.as_deref(), &args.names)?;
    let mut targets = session::targets(global)?;
    let show_cluster = global.all_contexts;
    let mut out = std::io::stdout().lock();
    let mut printed = 0usize;
    let mut widths: Option<Vec<usize>> = None;
    let mut printer = ListPrinter::new(args.output);
    let single_object =
        names.len() == 1 && matches!(args.output, Output::Json | Output::Yaml) && !show_cluster;
    let mut failures: Vec<Failure> = Vec::new();
    let mut watches = Vec::new();
    let mut info_seen = None;
    for target in &mut targets {
        let info = target.discovery.find(&kind).await?;
        let all_ns = args.all_namespaces && info.resource.is_namespaced();
        let coll = collection(target, &info, global, args.all_namespaces);
        let cluster = show_cluster.then_some(target.context.as_str());
        let mut list_rv = None;
        if names.is_empty() {
            let params = ListParams {
                label_selector: args.selector.clone(),
                field_selector: args.field_selector.clone(),
                limit: Some(args.chunk_size),
                ..ListParams::default()
            };
            list_rv = match args.output {
                Output::Table | Output::Wide => {
                    list_table(
                        target,
                        &coll,
                        params,
                        args.output == Output::Wide,
                        cluster,
                        all_ns,
                        &mut out,
                        &mut printed,
                        &mut widths,
                    )
                    .await?
                }
                Output::Name => {
                    stream_pages::<NameOnly>(target, &coll, params, |item| {
                        let line = kind_name(&info, &item.metadata.name);
                        let _ = match cluster {
                            Some(c) => writeln!(out, "{c}   {line}"),
                            None => writeln!(out, "{line}"),
                        };
                        printed += 1;
                    })
                    .await?
                }
                Output::Json | Output::Yaml => {
                    stream_pages::<Value>(target, &coll, params, |item| {
                        let _ = printer.item(&mut out, &with_type(&info, item));
                        printed += 1;
                    })
                    .await?
                }
            };
        } else {
            for name in &names {
                match get_one(
                    target,
                    &info,
                    &coll,
                    name,
                    args.output,
                    cluster,
                    all_ns,
                    &mut out,
                    &mut printer,
                    single_object,
                    &mut widths,
                    printed == 0,
                )
                .await
                {
                    Ok(()) => printed += 1,
                    Err(e) => failures.push(e),
                }
            }
        }
        if args.watch {
            watches.push((
                target.context.clone(),
                target.client.clone(),
                coll,
                info.clone(),
                list_rv,
            ));
        }
        info_seen = Some(info);
    }
    if matches!(args.output, Output::Json | Output::Yaml)
        && !single_object
        && (names.is_empty() || printed > 0)
    {
        let _ = printer.finish(&mut out);
    }
    let _ = out.flush();
    drop(out);
    if printed == 0
        && failures.is_empty()
        && matches!(args.output, Output::Table | Output::Wide)
        && !args.watch
    {
        match (
            &global.namespace,
            args.all_namespaces,
            info_seen.map(|i| i.resource.is_namespaced()),
        ) {
            (_, false, Some(true)) => {
                let ns = global
                    .namespace
                    .clone()
                    .unwrap_or_else(|| targets[0].client.default_namespace().to_string());
                eprintln!("No resources found in {ns} namespace.");
            }
            _ => eprintln!("No resources found"),
        }
    }
    let last_failure = failures.pop();
    for e in &failures {
        eprintln!("{}", e.describe());
    }
    if let Some(e) = last_failure {
        return Err(e);
    }
    if args.watch {
        let opts = WatchOptions {
            names: &names,
            output: args.output,
            show_cluster,
            all_namespaces: args.all_namespaces,
            selector: args.selector.clone(),
            field_selector: args.field_selector.clone(),
            cache: args.cache.as_deref(),
        };
        watch_all(watches, opts, widths).await?;
    }
    Ok(())
}

/// LIST page by page (`limit`/`continue`), each page streamed item by
/// item into `each`; returns the list's resourceVersion.
async fn stream_pages<T: serde::de::DeserializeOwned>(
    target: &Target,
    coll: &Collection,
    mut params: ListParams,
    mut each: impl FnMut(T),
) -> Result<Option<String>> {
    let mut progress = Progress::new();
    loop {
        let mut items = target.client.list::<T>(&coll.list(&params)?).await?;
        while let Some(item) = items.next().await {
            each(item?);
            progress.tick();
        }
        let meta = items.metadata().cloned().unwrap_or_default();
        match meta.continue_token.filter(|c| !c.is_empty()) {
            Some(c) => {
                params = ListParams {
                    continue_token: Some(c),
                    ..params
                }
            }
            None => return Ok(meta.resource_version),
        }
    }
}

/// A count on stderr while a long list streams, when stderr is a terminal
/// (never in pipes or logs).
struct Progress {
    shown: bool,
    count: u64,
    enabled: bool,
}

impl Progress {
    fn new() -> Self {
        use std::io::IsTerminal;
        Progress {
            shown: false,
            count: 0,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn tick(&mut self) {
        self.count += 1;
        if self.enabled && self.count % 5_000 == 0 {
            eprint!("\r{} items...", self.count);
            self.shown = true;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn list_table(
    target: &Target,
    coll: &Collection,
    mut params: ListParams,
    wide: bool,
    cluster: Option<&str>,
    all_ns: bool,
    out: &mut impl Write,
    printed: &mut usize,
    widths: &mut Option<Vec<usize>>,
) -> Result<Option<String>> {
    loop {
        // One page at a time: memory is bounded by the page size.
        let page: Value = target
            .client
            .call(&coll.list(&params)?.as_table(None))
            .await?;
        let columns = TableColumns::of(&page, wide);
        let rows = page["rows"].as_array().cloned().unwrap_or_default();
        let mut lines = Vec::new();
        if *printed == 0 && !rows.is_empty() {
            lines.push(columns.header(cluster.is_some(), all_ns));
        }
        for row in &rows {
            lines.push(columns.row(row, cluster, all_ns));
        }
        if !lines.is_empty() {
            *widths = Some(write_aligned(out, &lines, widths.as_deref()).unwrap_or_default());
        }
        *printed += rows.len();
        let rv = page["metadata"]["resourceVersion"]
            .as_str()
            .map(String::from);
        match page["metadata"]["continue"]
            .as_str()
            .filter(|c| !c.is_empty())
        {
            Some(c) => {
                params = ListParams {
                    continue_token: Some(c.to_string()),
                    ..params
                }
            }
            None => return Ok(rv),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn get_one(
    target: &Target,
    info: &ResourceInfo,
    coll: &Collection,
    name: &str,
    output: Output,
    cluster: Option<&str>,
    all_ns: bool,
    out: &mut impl Write,
    printer: &mut ListPrinter,
    single_object: bool,
    widths: &mut Option<Vec<usize>>,
    first: bool,
) -> Result<()> {
    let req = coll.get(name, &GetParams::default())?;
    match output {
        Output::Table | Output::Wide => {
            let table: Value = target.client.call(&req.as_table(None)).await?;
            let columns = TableColumns::of(&table, output == Output::Wide);
            let mut lines = Vec::new();
            if first {
                lines.push(columns.header(cluster.is_some(), all_ns));
            }
            for row in table["rows"].as_array().into_iter().flatten() {
                lines.push(columns.row(row, cluster, all_ns));
            }
            *widths = Some(write_aligned(out, &lines, widths.as_deref()).unwrap_or_default());
        }
        Output::Name => {
            let obj: NameOnly = target.client.call(&req).await?;
            let _ = writeln!(out, "{}", kind_name(info, &obj.metadata.name));
        }
        Output::Json | Output::Yaml => {
            let obj: Value = target.client.call(&req).await?;
            if single_object {
                let text = if output == Output::Json {
                    crate::output::json(&obj) + "\n"
                } else {
                    crate::output::yaml(&obj)
                };
                let _ = write!(out, "{text}");
            } else {
                let _ = printer.item(out, &obj);
            }
        }
    }
    Ok(())
}

type WatchTarget = (
    String,
    kubewire_hyper::Client,
    Collection,
    ResourceInfo,
    Option<String>,
);

/// What `watch_all` needs of the command line.
struct WatchOptions<'a> {
    names: &'a [String],
    output: Output,
    show_cluster: bool,
    all_namespaces: bool,
    selector: Option<String>,
    field_selector: Option<String>,
    cache: Option<&'a std::path::Path>,
}

/// One watched target's printing state.
struct Shown {
    context: String,
    info: ResourceInfo,
    all_ns: bool,
    columns: Option<TableColumns>,
    /// Until the first live `InitDone`: the listing already printed these.
    quiet_sync: bool,
    first: bool,
}

/// Watch every target at once with the list+watch machine (resume, 410
/// relist, backoff), printing changes as they arrive.
async fn watch_all(
    targets: Vec<WatchTarget>,
    opts: WatchOptions<'_>,
    widths: Option<Vec<usize>>,
) -> Result<()> {
    let field_selector = match opts.names {
        [one] => Some(format!("metadata.name={one}")),
        _ => opts.field_selector.clone(),
    };
    let table = matches!(opts.output, Output::Table | Output::Wide);
    // The Accept header of a Table request, as `as_table` writes it.
    let headers = if table {
        Request::new(kubewire::Method::Get, String::new())
            .as_table(None)
            .headers
    } else {
        Vec::new()
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let mut shown = Vec::new();
    let mut streams = Vec::new();
    for (i, (context, client, coll, info, list_rv)) in targets.into_iter().enumerate() {
        let mut config = Config::new(coll).seed(seed.wrapping_add(i as u64));
        config.label_selector.clone_from(&opts.selector);
        config.field_selector.clone_from(&field_selector);
        config.headers.clone_from(&headers);
        let quiet_sync = list_rv.is_none() || opts.cache.is_some();
        let watcher = match (opts.cache, list_rv) {
            (Some(dir), _) => {
                let identity = config.identity();
                let name = format!(
                    "{}-{:08x}",
                    sanitize(&context),
                    kubewire::store::journal::crc32(format!("{context}\n{identity}").as_bytes())
                );
                Watcher::<Value>::cached(client, config, &dir.join(name)).map_err(|e| {
                    Failure::Usage(format!("cannot open the cache in {}: {e}", dir.display()))
                })?
            }
            (None, Some(rv)) => Watcher::from_version(client, config, &rv),
            (None, None) => Watcher::new(client, config),
        };
        let all_ns = opts.all_namespaces && info.resource.is_namespaced();
        shown.push(Shown {
            context,
            info,
            all_ns,
            columns: None,
            quiet_sync,
            first: true,
        });
        streams.push(watcher.map(move |u| (i, u)));
    }
    let mut merged = stream::select_all(streams);
    let mut widths = widths;
    while let Some((i, update)) = merged.next().await {
        let s = &mut shown[i];
        let update = match update {
            Ok(u) => u,
            // The machine retries by itself; say why the server refused.
            Err(WatchError::Protocol(e)) => {
                eprintln!("{}", crate::sanitize::for_terminal(&e.to_string()));
                continue;
            }
            Err(_) => continue,
        };
        let first = std::mem::replace(&mut s.first, false);
        if update.cached {
            continue;
        }
        let obj = match update.event {
            Event::Init => {
                s.quiet_sync = s.quiet_sync && first;
                continue;
            }
            Event::InitDone { .. } => {
                s.quiet_sync = false;
                continue;
            }
            Event::InitApply(_) if s.quiet_sync => continue,
            Event::InitApply(o) | Event::Apply(o) => o.value,
            Event::Delete(t) => match t.last {
                Some(last) => last,
                // Found gone by a relist: only the name is known.
                None if opts.output == Output::Name => {
                    serde_json::json!({"metadata": {"name": t.key.name}})
                }
                None => continue,
            },
            Event::Bookmark { .. } => continue,
        };
        let cluster = opts.show_cluster.then_some(s.context.as_str());
        let Some(text) = render_object(
            &obj,
            &s.info,
            opts.output,
            cluster,
            s.all_ns,
            &mut s.columns,
        ) else {
            continue;
        };
        let mut out = std::io::stdout().lock();
        if table {
            let rows: Vec<Vec<String>> = text
                .lines()
                .map(|l| l.split('\t').map(String::from).collect())
                .collect();
            widths = Some(write_aligned(&mut out, &rows, widths.as_deref()).unwrap_or_default());
        } else {
            let _ = write!(out, "{text}");
        }
        let _ = out.flush();
    }
    Ok(())
}

/// A file name from a context name.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Render one object (a Table with rows for table output); `None` when it
/// prints nothing.
fn render_object(
    obj: &Value,
    info: &ResourceInfo,
    output: Output,
    cluster: Option<&str>,
    all_ns: bool,
    columns: &mut Option<TableColumns>,
) -> Option<String> {
    Some(match output {
        Output::Table | Output::Wide => {
            if obj["columnDefinitions"]
                .as_array()
                .is_some_and(|c| !c.is_empty())
            {
                *columns = Some(TableColumns::of(obj, output == Output::Wide));
            }
            let cols = columns.as_ref()?;
            let mut lines = String::new();
            for row in obj["rows"].as_array().into_iter().flatten() {
                lines.push_str(&cols.row(row, cluster, all_ns).join("\t"));
                lines.push('\n');
            }
            lines
        }
        Output::Name => format!(
            "{}{}\n",
            cluster.map(|c| format!("{c}   ")).unwrap_or_default(),
            kind_name(info, obj["metadata"]["name"].as_str().unwrap_or(""))
        ),
        Output::Json => crate::output::json(&with_type(info, obj.clone())) + "\n",
        Output::Yaml => format!(
            "---\n{}",
            crate::output::yaml(&with_type(info, obj.clone()))
        ),
    })
}

/// `kw get --raw PATH`.
async fn raw(global: &Global, path: &str) -> Result<()> {
    let target = session::single(global)?;
    if !path.starts_with('/') {
        return Err(Failure::Usage(
            "--raw takes an absolute path, e.g. /api/v1".into(),
        ));
    }
    let req = Request::new(kubewire::Method::Get, path.to_string());
    let body = target.client.call_bytes(&req).await?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&body);
    if !body.ends_with(b"\n") {
        let _ = writeln!(out);
    }
    Ok(())
}

/// `kw api-resources`.
pub async fn api_resources(global: &Global, args: ApiResourcesArgs) -> Result<()> {
    let mut target = session::single(global)?;
    let mapper = target.discovery.all().await?;
    let mut rows = vec![vec![
        "NAME".to_string(),
        "SHORTNAMES".into(),
        "APIVERSION".into(),
        "NAMESPACED".into(),
        "KIND".into(),
    ]];
    let mut seen = std::collections::BTreeSet::new();
    for r in &mapper.resources {
        if args
            .namespaced
            .is_some_and(|n| n != r.resource.is_namespaced())
        {
            continue;
        }
        // Like kubectl: one line per resource, in its preferred version.
        if !seen.insert((r.resource.group.clone(), r.resource.plural.clone())) {
            continue;
        }
        rows.push(vec![
            r.resource.plural.clone(),
            r.short_names.join(","),
            r.resource.api_version(),
            r.resource.is_namespaced().to_string(),
            r.resource.kind.clone(),
        ]);
    }
    crate::output::print_aligned(&rows);
    Ok(())
}
