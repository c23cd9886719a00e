//! Watches asked for as Tables (`kubectl get -w`'s Accept), compared with
//! what a real kube-apiserver 1.36 sent (`tests/data/real-apiserver/
//! table-watch-*`): every event a one-row Table whose own metadata is only
//! the resourceVersion; column definitions on the stream's first event only;
//! the end-of-initial-events BOOKMARK a Table too, its annotation inside its
//! one row's object, its cells printed from an empty object.

// A std test: the workspace's no_std hygiene lints are for the core.
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

mod common;

use std::time::Duration;

use common::{post_json, watch};
use serde_json::{json, Value};

const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
const CMS: &str = "/api/v1/namespaces/default/configmaps";
const WATCH_LIST: &str =
    "watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true";

fn capture(name: &str) -> Vec<Value> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/"
    );
    std::fs::read_to_string(format!("{p}{name}"))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// The parts of a Table event a client depends on, with names, uids and
/// times left out: the event type, the Table's own metadata keys, whether it
/// has column definitions, each row's object kind and metadata keys, and
/// for bookmarks the row's cells.
fn shape(e: &Value) -> Value {
    let t = &e["object"];
    let row = &t["rows"][0];
    let object = &row["object"];
    let bookmark = e["type"] == "BOOKMARK";
    json!({
        "type": e["type"],
        "kind": t["kind"],
        "metadata": keys(&t["metadata"]),
        "columns": t["columnDefinitions"].as_array().map(|c| c.iter().map(|d| d["name"].clone()).collect::<Vec<_>>()),
        "rows": t["rows"].as_array().map(Vec::len),
        "object": if object.is_null() { Value::Null } else { json!({
            "kind": object["kind"],
            "metadata": if bookmark { json!(keys(&object["metadata"])) } else { json!(object["metadata"]["name"].is_string()) },
            "annotations": object["metadata"]["annotations"].clone(),
        })},
        "cells": if bookmark { row["cells"].clone() } else { Value::Null },
    })
}

async fn server_with(names: &[&str]) -> kubewire_server::RunningServer {
    let s = common::builder()
        .bookmark_interval(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    for n in names {
        let r = post_json(
            s.addr(),
            CMS,
            &json!({"metadata": {"name": n}, "data": {"k": n}}),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    s
}

/// Read a stream's events up to its initial-events-end bookmark, then one
/// live ADDED and the plain bookmark after it.
async fn table_watch_list(include: Option<&str>) -> Vec<Value> {
    let s = server_with(&["alpha", "beta"]).await;
    let query = match include {
        Some(i) => format!("{CMS}?{WATCH_LIST}&includeObject={i}"),
        None => format!("{CMS}?{WATCH_LIST}"),
    };
    let mut w = watch(s.addr(), &query, &[("accept", TABLE)]).await;
    let mut events = Vec::new();
    while let Some(e) = w.next_within(5).await {
        let end = e["type"] == "BOOKMARK";
        events.push(e);
        if end {
            break;
        }
    }
    post_json(
        s.addr(),
        CMS,
        &json!({"metadata": {"name": "gamma"}, "data": {"k": "gamma"}}),
    )
    .await;
    events.push(w.next_within(5).await.expect("the live ADDED"));
    events.push(w.next_within(5).await.expect("a plain bookmark"));
    s.shutdown().await;
    events
}

#[tokio::test]
async fn table_watch_list_matches_the_real_server() {
    let ours = table_watch_list(None).await;
    let real = capture("table-watch-list-configmaps.ndjson");
    // The real stream: ADDED alpha, ADDED beta, the end bookmark, ADDED
    // gamma, plain bookmarks.
    let ours: Vec<Value> = ours.iter().map(shape).collect();
    let real: Vec<Value> = real.iter().take(5).map(shape).collect();
    assert_eq!(ours, real);
    // The end bookmark, exactly: no annotation on the Table itself.
    let end = &capture("table-watch-list-configmaps.ndjson")[2];
    assert_eq!(
        end["object"]["metadata"],
        json!({"resourceVersion": end["object"]["metadata"]["resourceVersion"]})
    );
}

#[tokio::test]
async fn table_watch_list_without_objects_still_marks_the_end() {
    let ours: Vec<Value> = table_watch_list(Some("None"))
        .await
        .iter()
        .map(shape)
        .collect();
    let real: Vec<Value> = capture("table-watch-list-configmaps-include-object-none.ndjson")
        .iter()
        .map(shape)
        .collect();
    // Real: four ADDED (alpha, beta, delta, gamma) then the end bookmark; ours
    // has two objects before the end.
    assert_eq!(ours[0], real[0]);
    assert_eq!(ours[1], real[1]);
    assert_eq!(ours[2], real[4]);
}

#[tokio::test]
async fn table_watch_list_with_objects_marks_the_end_in_a_shell() {
    let ours: Vec<Value> = table_watch_list(Some("Object"))
        .await
        .iter()
        .map(shape)
        .collect();
    let real: Vec<Value> = capture("table-watch-list-configmaps-include-object-object.ndjson")
        .iter()
        .map(shape)
        .collect();
    assert_eq!(ours[0], real[0]);
    assert_eq!(ours[1], real[1]);
    assert_eq!(ours[2], real[4]);
    assert_eq!(ours[2]["object"]["kind"], "ConfigMap");
}

#[tokio::test]
async fn plain_table_watch_sends_columns_once() {
    // `kubectl get -w` after its listing: a watch from a resourceVersion.
    let s = server_with(&["tabled"]).await;
    let rv = s.resource_version();
    let mut w = watch(
        s.addr(),
        &format!("{CMS}?resourceVersion={rv}&watch=true"),
        &[(
            "accept",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
        )],
    )
    .await;
    for n in ["one", "two"] {
        post_json(s.addr(), CMS, &json!({"metadata": {"name": n}})).await;
    }
    let first = w.next_within(5).await.unwrap();
    let second = w.next_within(5).await.unwrap();
    let real = capture("watch-as-table.ndjson");
    assert_eq!(shape(&first), shape(&real[0]));
    assert_eq!(shape(&second)["columns"], Value::Null);
    assert_eq!(shape(&second)["columns"], shape(&real[1])["columns"]);
    s.shutdown().await;
}

#[tokio::test]
async fn table_list_pages_like_the_real_server() {
    // What a Table LIST returns (the list+watch machine's fallback when a
    // watch-list fails): rows, their PartialObjectMetadata, and the paging
    // metadata of a plain list.
    let s = server_with(&["a", "b", "c"]).await;
    let page = common::req(
        s.addr(),
        "GET",
        &format!("{CMS}?includeObject=Object&limit=2"),
        &[("accept", TABLE)],
        b"",
    )
    .await
    .json();
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/"
    );
    let real: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{p}table-configmaps-include-object-object.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(keys(&page), keys(&real));
    assert_eq!(keys(&page["metadata"]), keys(&real["metadata"]));
    assert_eq!(keys(&page["rows"][0]), keys(&real["rows"][0]));
    assert_eq!(
        page["rows"][0]["object"]["kind"],
        real["rows"][0]["object"]["kind"]
    );
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(2));
    s.shutdown().await;
}
