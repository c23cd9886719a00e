//! GET of one object and LIST of a collection (pages on a consistent
//! snapshot, continue tokens, resourceVersion semantics).

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kubewire::{ListParams, VersionMatch};
use serde_json::{json, Value};

use super::{query_error, with_kind, Request, Res};
use crate::http::body::{object, Format};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::table::{partial_metadata, table};

pub fn get(r: &Request<'_>) -> Res {
    let name = r.name();
    let d = r.def();
    match r.get(&r.key(&name)) {
        Some(o) => Ok(r.reply(200, &o)),
        None => Err(ApiError::not_found(&d.group, &d.plural, &name)),
    }
}

/// A resourceVersion the store can compare, or the real server's 400.
pub fn parse_rv(s: &str) -> Result<u64, ApiError> {
    s.parse::<u64>().map_err(|_| {
        ApiError::bad_request(format!(
            "invalid resource version: resourceVersion: Invalid value: \"{s}\": strconv.ParseUint: parsing \"{s}\": invalid syntax"
        ))
    })
}

/// The label and field selectors of a list or watch, parsed.
pub fn selectors(
    r: &Request<'_>,
    labels: Option<&str>,
    fields: Option<&str>,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let l = LabelSelector::parse(labels.unwrap_or("")).map_err(ApiError::bad_request)?;
    let f = FieldSelector::parse(r.def(), fields.unwrap_or("")).map_err(ApiError::bad_request)?;
    Ok((l, f))
}

fn continue_token(rv: u64, start: &str) -> String {
    let t = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start});
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&t).unwrap_or_default())
}

fn sort_key(o: &Value) -> String {
    let m = &o["metadata"];
    format!(
        "{}/{}",
        m["namespace"].as_str().unwrap_or(""),
        m["name"].as_str().unwrap_or("")
    )
}

/// An object's (namespace, name), the order the store keeps.
fn object_key(o: &Value) -> (&str, &str) {
    let m = &o["metadata"];
    (
        m["namespace"].as_str().unwrap_or(""),
        m["name"].as_str().unwrap_or(""),
    )
}

/// Where a LIST reads from: a snapshot resourceVersion (now when `None`),
/// whether a page size applies, and the continue token's start key.
struct Snapshot {
    at: Option<u64>,
    limit: Option<usize>,
    start: String,
}

fn snapshot(p: &ListParams, current: u64) -> Result<Snapshot, ApiError> {
    let limit = p.limit.map(|l| l as usize);
    if let Some(c) = p.continue_token.as_deref() {
        let tok: Value = URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| {
                ApiError::bad_request("continue key is not valid: illegal base64 data")
            })?;
        let rv = tok["rv"].as_i64().unwrap_or(-1);
        return Ok(Snapshot {
            at: u64::try_from(rv).ok().filter(|rv| *rv > 0),
            limit,
            start: tok["start"].as_str().unwrap_or("").to_string(),
        });
    }
    let (at, limit) = match (p.resource_version.as_deref(), p.version_match) {
        (None, _) => (None, limit),
        // The real server answers rv=0 from its watch cache and ignores limit.
        (Some("0"), _) => (None, None),
        (Some(s), m) => {
            let rv = parse_rv(s)?;
            if rv > current {
                return Err(ApiError::too_large_resource_version(rv, current));
            }
            match m {
                Some(VersionMatch::Exact) => (Some(rv), limit),
                _ => (None, limit),
            }
        }
    };
    Ok(Snapshot {
        at,
        limit,
        start: String::new(),
    })
}

pub fn list(r: &Request<'_>) -> Res {
    let d = r.def();
    let p = ListParams::from_query(r.query.raw()).map_err(query_error)?;
    let (labels, fields) = selectors(r, p.label_selector.as_deref(), p.field_selector.as_deref())?;
    let ns = r.rp.namespace.as_deref();
    // Selectors read the stored form (see `kinds::StoredAs`); items are
    // converted to the served form as they are written.
    let (group, plural) = d.storage();
    let store = &r.ctx.store;
    let current = store.current_rv();
    let Snapshot { at, limit, start } = snapshot(&p, current)?;
    let from_continue = !start.is_empty();
    // The token's start is "NAMESPACE/NAME\0": resume strictly after that
    // object, compared as (namespace, name) like the store orders keys (a
    // string compare would put namespace "a-b" before "a").
    let after = from_continue.then(|| {
        let s = start.trim_end_matches('\u{0}');
        s.split_once('/').unwrap_or(("", s))
    });
    let no_selectors = labels.is_empty() && fields.is_empty();
    let keep = |o: &Value| labels.matches(o) && fields.matches(o);
    let (rv, page, continue_after, remaining) = match limit {
        // A page of the current state: walk the store from the token on,
        // instead of copying the whole collection for every page.
        Some(l) if at.is_none_or(|a| a >= current) => {
            let p = store.page_now(group, plural, ns, after, l, keep);
            let last = p
                .more
                .then(|| p.items.last().map(|o| sort_key(o)))
                .flatten();
            (p.resource_version, p.items, last, p.remaining)
        }
        // An older snapshot (or everything): rebuild it from the history.
        _ => {
            let (rv, items) = store.list(group, plural, ns, at).map_err(|_| {
                if from_continue {
                    ApiError::continue_expired(continue_token(0, &start))
                } else {
                    ApiError::list_expired()
                }
            })?;
            let selected: Vec<Arc<Value>> = items
                .into_iter()
                .filter(|o| after.is_none_or(|a| object_key(o) > a))
                .filter(|o| keep(o))
                .collect();
            let total = selected.len();
            match limit {
                Some(l) if l < total => {
                    let page: Vec<Arc<Value>> = selected.into_iter().take(l).collect();
                    let last = page.last().map(|o| sort_key(o));
                    (rv, page, last, total - l)
                }
                _ => (rv, selected, None, 0),
            }
        }
    };
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(last) = continue_after {
        meta["continue"] = continue_token(rv, &format!("{last}\u{0}")).into();
        if no_selectors {
            meta["remainingItemCount"] = (remaining as u64).into();
        }
    }
    // Indented output (curl, ?pretty) is for people and small: built whole.
    if r.format == Format::Json && !r.pretty {
        return Ok(stream_list(r, meta, page));
    }
    let page = if r.format == Format::Protobuf && !d.custom {
        match stream_protobuf_list(r, &meta, page) {
            Ok(streamed) => return Ok(streamed),
            Err(page) => page,
        }
    } else {
        page
    };
    let page: Vec<Arc<Value>> = match d.stored_as() {
        Some(_) => page
            .iter()
            .map(|o| Arc::new(d.served(o).into_owned()))
            .collect(),
        None => page,
    };
    // Items of built-in lists carry no kind/apiVersion; custom ones do.
    let strip = |o: &Value| {
        let mut o = o.clone();
        if !d.custom {
            if let Some(m) = o.as_object_mut() {
                m.remove("kind");
                m.remove("apiVersion");
            }
        }
        o
    };
    let doc = match r.format {
        Format::Table(include) => {
            let objs: Vec<Value> = page.iter().map(|o| with_kind(d, o)).collect();
            table(d, &objs, meta, include)
        }
        Format::Metadata => json!({
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": meta,
            "items": page.iter().map(|o| partial_metadata(o)).collect::<Vec<_>>(),
        }),
        _ => json!({
            "kind": format!("{}List", d.kind),
            "apiVersion": d.api_version(),
            "metadata": meta,
            "items": page.iter().map(|o| strip(o)).collect::<Vec<_>>(),
        }),
    };
    let f = match r.format {
        Format::Yaml | Format::Protobuf => r.format,
        _ => Format::Json,
    };
    Ok(object(200, &doc, f, r.pretty))
}

/// A JSON LIST sent as it is encoded, item by item (kube-apiserver's
/// streaming list encoding, KEP-5116): the head, then each item, then the
/// tail. Items are the store's own objects (shared, not copied) and each
/// is serialized only when the connection takes the frame before it, so
/// neither the time to the first byte nor the memory of a request grows
/// with the list.
fn stream_list(
    r: &Request<'_>,
    meta: Value,
    page: Vec<Arc<Value>>,
) -> hyper::Response<crate::http::body::Body> {
    let d = r.def();
    let head =
        json!({"kind": format!("{}List", d.kind), "apiVersion": d.api_version(), "metadata": meta});
    let mut first = serde_json::to_vec(&head).unwrap_or_default();
    // `{"kind":..,"metadata":{..}}` becomes `{"kind":..,"metadata":{..},"items":[`.
    first.pop();
    first.extend_from_slice(b",\"items\":[");
    let custom = d.custom;
    let def = d.clone();
    let mut first_item = true;
    let write = move |buf: &mut Vec<u8>, o: &Value| {
        if !first_item {
            buf.push(b',');
        }
        first_item = false;
        write_item(buf, &def.served(o), custom);
        true
    };
    stream_body("application/json", first, page, b"]}\n", write)
}

/// A protobuf LIST sent item by item ([`crate::pb::ListBody`]): every item
/// is sized first (protobuf writes the list's length before it), then
/// encoded only when the connection takes the frame before it. The page
/// comes back when the kind has no protobuf message or an item does not
/// fit it: the caller then answers as before (whole, falling back to JSON).
fn stream_protobuf_list(
    r: &Request<'_>,
    meta: &Value,
    page: Vec<Arc<Value>>,
) -> Result<hyper::Response<crate::http::body::Body>, Vec<Arc<Value>>> {
    let d = r.def();
    let served = page.iter().map(|o| d.served(o));
    let Some(Ok((list, head))) =
        crate::pb::ListBody::start(&d.api_version(), &d.kind, meta, served)
    else {
        return Err(page);
    };
    // An item that was sized encodes the same way; should one not, the
    // body ends short of its declared length and the client sees the error.
    let def = d.clone();
    let write = move |buf: &mut Vec<u8>, o: &Value| list.item(&def.served(o), buf).is_ok();
    Ok(stream_body(
        crate::pb::MEDIA_TYPE,
        head,
        page,
        crate::pb::ListBody::TAIL,
        write,
    ))
}

/// Bytes of list body gathered per frame: big enough that framing costs
/// nothing, small enough that the first frame leaves at once.
const FRAME: usize = 64 * 1024;

/// A body of `head`, each item as `write` appends it (`false`: stop, the
/// body ends there), then `tail`, in frames of about [`FRAME`] bytes made
/// as the connection takes them.
fn stream_body(
    content_type: &'static str,
    head: Vec<u8>,
    items: Vec<Arc<Value>>,
    tail: &'static [u8],
    write: impl FnMut(&mut Vec<u8>, &Value) -> bool + Send + 'static,
) -> hyper::Response<crate::http::body::Body> {
    use http_body_util::{BodyExt, StreamBody};
    let state = (Some(head), items.into_iter(), false, write);
    let stream = futures_util::stream::unfold(
        state,
        move |(head, mut items, done, mut write)| async move {
            if done {
                return None;
            }
            let mut buf = head.unwrap_or_default();
            let mut finished = false;
            while buf.len() < FRAME {
                let Some(o) = items.next() else {
                    buf.extend_from_slice(tail);
                    finished = true;
                    break;
                };
                if !write(&mut buf, &o) {
                    finished = true;
                    break;
                }
            }
            let frame = hyper::body::Frame::data(bytes::Bytes::from(buf));
            Some((
                Ok::<_, std::convert::Infallible>(frame),
                (None, items, finished, write),
            ))
        },
    );
    hyper::Response::builder()
        .header(hyper::header::CONTENT_TYPE, content_type)
        .header(hyper::header::CACHE_CONTROL, "no-cache, private")
        .body(StreamBody::new(stream).boxed_unsync())
        .unwrap_or_else(|_| hyper::Response::new(crate::http::body::full("")))
}

/// One item; built-in items leave out kind and apiVersion, as the real
/// server's lists do, without copying the object to drop them.
fn write_item(buf: &mut Vec<u8>, o: &Value, custom: bool) {
    let Some(m) = o.as_object().filter(|_| !custom) else {
        let _ = serde_json::to_writer(&mut *buf, o);
        return;
    };
    buf.push(b'{');
    let mut sep = false;
    for (k, v) in m
        .iter()
        .filter(|(k, _)| k.as_str() != "kind" && k.as_str() != "apiVersion")
    {
        if sep {
            buf.push(b',');
        }
        sep = true;
        let _ = serde_json::to_writer(&mut *buf, k);
        buf.push(b':');
        let _ = serde_json::to_writer(&mut *buf, v);
    }
    buf.push(b'}');
}
