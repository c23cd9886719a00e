//! WATCH of a collection: a streamed body fed by a watch task.

use std::time::Duration;

use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::{header, Response};
use kubewire::WatchParams;

use super::read::selectors;
use super::{query_error, Request, Res};
use crate::http::body::{self, Format};
use crate::status::ApiError;
use crate::watch;

pub fn start(r: &Request<'_>) -> Res {
    let p = WatchParams::from_query(r.query.raw()).map_err(query_error)?;
    let (labels, fields) = selectors(r, p.label_selector.as_deref(), p.field_selector.as_deref())?;
    let start = if p.send_initial_events {
        watch::Start::InitialEvents
    } else {
        match p.resource_version.as_deref() {
            None | Some("0") => watch::Start::CurrentState,
            Some(s) => match s.parse::<u64>() {
                Ok(v) => watch::Start::After(v),
                // kube-apiserver answers this one with a reason-less 500.
                Err(_) => {
                    return Err(ApiError::internal(format!(
                        "resourceVersion: Invalid value: \"{s}\": strconv.ParseUint: parsing \"{s}\": invalid syntax"
                    )))
                }
            },
        }
    };
    let timeout = p
        .timeout
        .map(|t| Duration::from_secs(t.into()))
        .unwrap_or(r.ctx.max_watch);
    let spec = watch::WatchSpec {
        def: r.rp.def.clone(),
        namespace: r.rp.namespace.clone(),
        labels,
        fields,
        start,
        bookmarks: p.bookmarks,
        bookmark_interval: r.ctx.bookmark_interval,
        timeout,
        table: match r.format {
            Format::Table(i) => Some(i),
            _ => None,
        },
        protobuf: r.format == Format::Protobuf,
        columns_sent: Default::default(),
    };
    let rx = watch::start(r.ctx.store.clone(), spec, r.ctx.shutdown.clone());
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(Frame::data(b)), rx))
    });
    // kube-apiserver's watch media types: JSON as is, protobuf marked as
    // a stream of length-prefixed frames.
    let media_type = match r.format {
        Format::Protobuf => crate::pb::WATCH_MEDIA_TYPE,
        _ => "application/json",
    };
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, media_type)
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(StreamBody::new(stream).boxed_unsync())
        .unwrap_or_else(|_| Response::new(body::full(""))))
}
