//! `kw get`: one object, a listing (streamed page by page, item by item),
//! or with `-w` a watch (see [`crate::watch`]).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use futures_util::StreamExt;
use kubewire::decode::RawJson;
use kubewire::{Collection, GetParams, ListParams, Request};
use serde::Deserialize;
use serde_json::Value;

use crate::cli::Global;
use crate::cmd::{collection, namespace, split_type};
use crate::failure::{Failure, Result};
use crate::print::{Form, Mode, Options, Printer, Source};
use crate::session::{self, Target};

/// `kw get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The resource type (`pods`, `cm`, `deploy`, `widgets.example.com`),
    /// or `TYPE/NAME`.
    pub resource: Option<String>,
    /// Names of objects to get.
    pub names: Vec<String>,
    /// List across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Label selector, e.g. `app=web,tier in (a,b)`.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Field selector, e.g. `metadata.name=x`.
    #[arg(long)]
    pub field_selector: Option<String>,
    /// Output format: wide, name, json, yaml, jsonpath=TEMPLATE,
    /// jsonpath-file=FILE, custom-columns=SPEC, custom-columns-file=FILE.
    #[arg(short = 'o', long, value_parser = Form::parse, default_value = "table")]
    pub output: Form,
    /// No header row (table, wide, custom columns).
    #[arg(long)]
    pub no_headers: bool,
    /// Keep `metadata.managedFields` in json and yaml.
    #[arg(long)]
    pub show_managed_fields: bool,
    /// After listing, watch for changes.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Watch for changes without printing the listing first.
    #[arg(long)]
    pub watch_only: bool,
    /// Mark each watched change ADDED, MODIFIED or DELETED (an EVENT
    /// column; `{"type", "object"}` documents in json and yaml).
    #[arg(long)]
    pub output_watch_events: bool,
    /// With `-w`: keep the watched state in DIR. A later run prints it at
    /// once, then resumes the watch from it and prints only what changed.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Page size of LIST requests.
    #[arg(long, default_value_t = 500)]
    pub chunk_size: u32,
    /// GET a raw URL path and print the body (e.g. `/api/v1`).
    #[arg(long)]
    pub raw: Option<String>,
}

/// How much output is gathered into one write to stdout.
const OUTPUT_BUFFER: usize = 64 * 1024;

/// What `-o name` needs of an object, and nothing more.
#[derive(Deserialize)]
struct NameOnly {
    metadata: NameMeta,
}

#[derive(Deserialize)]
struct NameMeta {
    name: String,
}

/// `kw get`.
pub async fn run(global: &Global, args: GetArgs) -> Result<()> {
    if let Some(path) = &args.raw {
        return raw(global, path).await;
    }
    let (kind, names) = split_type(args.resource.as_deref(), &args.names)?;
    let watching = args.watch || args.watch_only;
    if args.cache.is_some() && !watching {
        return Err(Failure::Usage(
            "--cache needs --watch or --watch-only".into(),
        ));
    }
    let mut targets = session::targets(global)?;
    let options = Options {
        no_headers: args.no_headers,
        show_managed_fields: args.show_managed_fields,
        watch_events: args.output_watch_events,
        show_cluster: global.all_contexts,
    };
    let mut infos = Vec::new();
    for target in &mut targets {
        infos.push(target.discovery.find(&kind).await?);
    }
    if watching {
        return crate::watch::run(global, &args, &names, targets, infos, options).await;
    }
    let single = names.len() == 1 && !global.all_contexts;
    let mode = if single { Mode::Single } else { Mode::List };
    // Stdout is line-buffered: unbuffered, a listing would be one write
    // per line or item. `list` flushes after each page, so output still
    // streams a page at a time.
    let out = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, std::io::stdout().lock());
    let mut printer = Printer::new(args.output.clone(), options, mode, out);
    let mut failures: Vec<Failure> = Vec::new();
    for (id, (target, info)) in targets.iter().zip(&infos).enumerate() {
        let coll = collection(target, info, global, args.all_namespaces);
        let src = Source {
            id,
            cluster: &target.context,
            info,
            namespace_column: args.all_namespaces && info.resource.is_namespaced(),
        };
        if names.is_empty() {
            let params = ListParams {
                label_selector: args.selector.clone(),
                field_selector: args.field_selector.clone(),
                limit: Some(args.chunk_size),
                ..ListParams::default()
            };
            list(target, &coll, params, &src, &mut printer).await?;
        } else {
            for name in &names {
                if let Err(e) = one(target, &coll, name, &src, &mut printer).await {
                    failures.push(e);
                }
            }
        }
    }
    let printed = printer.printed();
    if mode == Mode::List && (names.is_empty() || printed > 0) {
        printer.finish_list().map_err(output_error)?;
    }
    printer.flush().map_err(output_error)?;
    drop(printer);
    if printed == 0 && failures.is_empty() && names.is_empty() && !args.output.is_document() {
        let namespaced = infos.first().is_some_and(|i| i.resource.is_namespaced());
        match (args.all_namespaces, namespaced, targets.first()) {
            (false, true, Some(t)) => {
                eprintln!("No resources found in {} namespace.", namespace(global, t))
            }
            _ => eprintln!("No resources found"),
        }
    }
    let last = failures.pop();
    for e in &failures {
        eprintln!("{}", e.describe());
    }
    last.map_or(Ok(()), Err)
}

/// Writing to stdout failed (a closed pipe): stop quietly.
fn output_error(_: std::io::Error) -> Failure {
    Failure::Reported
}

/// A listing, page by page (`limit`/`continue`), each page streamed item
/// by item into the printer; returns the list's resourceVersion.
pub async fn list(
    target: &Target,
    coll: &Collection,
    params: ListParams,
    src: &Source<'_>,
    printer: &mut Printer<impl Write>,
) -> Result<Option<String>> {
    if printer.wants_item_text() {
        return list_texts(target, coll, params, src, printer).await;
    }
    let mut progress = Progress::new();
    let page_size = params.limit.unwrap_or(500) as usize;
    // The core's pager says which page comes next and when the listing is
    // complete; a 410 for a continued page is reported, not restarted,
    // since its first pages are already printed.
    let mut pager = kubewire::Pager::new(coll.clone(), params)?;
    while let Some(request) = pager.next_request().cloned() {
        let meta = match printer.form() {
            form if form.is_table() && !printer.knows_columns(src.id) => {
                // The first page whole, for its column definitions.
                let page: Value = target.client.call(&request.as_table(None)).await?;
                let rows = printer.table(&page, src, None).map_err(output_error)?;
                for _ in 0..rows {
                    progress.tick();
                }
                serde_json::from_value(page["metadata"].clone()).unwrap_or_default()
            }
            form if form.is_table() => {
                // Later pages row by row as they stream (a Table's rows are
                // its items), printed a page at a time so they line up.
                let mut items = target
                    .client
                    .list::<crate::print::table::Row>(&request.as_table(None))
                    .await?;
                let mut rows = Vec::with_capacity(page_size);
                while let Some(row) = items.next().await {
                    rows.push(row?);
                    progress.tick();
                }
                printer.streamed_rows(&rows, src).map_err(output_error)?;
                items.metadata().cloned().unwrap_or_default()
            }
            Form::Name => {
                let mut items = target
                    .client
                    .list::<NameOnly>(&request.as_metadata())
                    .await?;
                while let Some(item) = items.next().await {
                    printer
                        .name_line(&item?.metadata.name, src, None)
                        .map_err(output_error)?;
                    progress.tick();
                }
                items.metadata().cloned().unwrap_or_default()
            }
            _ => {
                let mut items = target.client.list::<Value>(&request).await?;
                while let Some(item) = items.next().await {
                    printer.object(item?, src, None).map_err(output_error)?;
                    progress.tick();
                }
                items.metadata().cloned().unwrap_or_default()
            }
        };
        let meta: kubewire::decode::ListMeta = meta;
        // The page is out before the next one is asked for.
        printer.flush().map_err(output_error)?;
        pager.page_done(Some(&meta))?;
    }
    Ok(pager.resource_version().map(String::from))
}

/// A json or yaml listing, printed from each item's text. A task fetches
/// the pages and stays one page ahead of the printer: printing a page of
/// 500 items takes about as long as the server takes for the next one, so
/// asking for it only once the page is printed would add the two. (Asking
/// as soon as a page's `continue` token arrives was measured slower: two
/// pages then contend for the server.)
async fn list_texts(
    target: &Target,
    coll: &Collection,
    params: ListParams,
    src: &Source<'_>,
    printer: &mut Printer<impl Write>,
) -> Result<Option<String>> {
    let mut pager = kubewire::Pager::new(coll.clone(), params)?;
    let client = target.client.clone();
    // One page waits while one prints: the fetcher is never further ahead.
    let (pages, mut ready) = tokio::sync::mpsc::channel::<Result<Vec<RawJson>>>(1);
    let fetcher = tokio::spawn(async move {
        while let Some(request) = pager.next_request().cloned() {
            let page = fetch_page(&client, &request, &mut pager).await;
            let failed = page.is_err();
            // A closed channel: the printer stopped (a closed pipe).
            if pages.send(page).await.is_err() || failed {
                return None;
            }
        }
        pager.resource_version().map(String::from)
    });
    let mut progress = Progress::new();
    while let Some(page) = ready.recv().await {
        for item in page? {
            printer
                .list_item_text(item.as_str(), src)
                .map_err(output_error)?;
            progress.tick();
        }
        // The page is out before the next one is printed.
        printer.flush().map_err(output_error)?;
    }
    // The fetcher ends by itself once its last page is taken; it does not
    // panic (a panic would be a bug, reported by the runtime).
    Ok(fetcher.await.ok().flatten())
}

/// One page of a listing as its items' texts; tells the pager it is done.
async fn fetch_page(
    client: &kubewire_hyper::Client,
    request: &Request,
    pager: &mut kubewire::Pager,
) -> Result<Vec<RawJson>> {
    let mut items = client.list::<RawJson>(request).await?;
    let mut page = Vec::new();
    while let Some(item) = items.next().await {
        page.push(item?);
    }
    let meta: kubewire::decode::ListMeta = items.metadata().cloned().unwrap_or_default();
    pager.page_done(Some(&meta))?;
    Ok(page)
}

/// One object by name.
async fn one(
    target: &Target,
    coll: &Collection,
    name: &str,
    src: &Source<'_>,
    printer: &mut Printer<impl Write>,
) -> Result<()> {
    let req = coll.get(name, &GetParams::default())?;
    if printer.form().is_table() {
        let table: Value = target.client.call(&req.as_table(None)).await?;
        printer.table(&table, src, None).map_err(output_error)?;
    } else if matches!(printer.form(), Form::Name) {
        let obj: NameOnly = target.client.call(&req.as_metadata()).await?;
        printer
            .name_line(&obj.metadata.name, src, None)
            .map_err(output_error)?;
    } else {
        let obj: Value = target.client.call(&req).await?;
        printer.object(obj, src, None).map_err(output_error)?;
    }
    Ok(())
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
