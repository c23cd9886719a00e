//! The server on its etcd engine, against a real etcd started per test:
//! resourceVersions are etcd revisions, lists page at one revision, a
//! stale update is a 409 from the transaction, watches resume from a
//! revision with bookmarks, compaction gives the real 410s, and a restart
//! finds the data in etcd.

#![allow(clippy::result_large_err)]

mod common;
#[path = "common/etcd.rs"]
mod etcd_proc;

use std::time::Duration;

use common::{get, post_json, req, watch};
use etcd_proc::Etcd;
use kubewire_server::storage::etcd::EtcdConfig;
use kubewire_server::Server;
use serde_json::{json, Value};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn cm(name: &str, v: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": v}})
}

fn config(etcd: &Etcd, compaction: Option<Duration>) -> EtcdConfig {
    let mut c = EtcdConfig::new(vec![etcd.url.clone()]);
    c.prefix = "/kubewire-test".into();
    c.compaction_interval = compaction;
    c
}

fn rv(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no resourceVersion in {v}"))
}

async fn put_json(a: std::net::SocketAddr, path: &str, v: &Value) -> common::Resp {
    req(
        a,
        "PUT",
        path,
        &[("content-type", "application/json")],
        &serde_json::to_vec(v).unwrap(),
    )
    .await
}

#[tokio::test]
async fn crud_pages_conflicts_and_watches_on_etcd() {
    let etcd = Etcd::start();
    let s = Server::builder()
        .etcd(config(&etcd, None))
        .bookmark_interval(Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    let a = s.addr();

    let r = post_json(a, CMS, &cm("a", "1")).await;
    assert_eq!(r.status, 201, "{}", r.json());
    let created = r.json();
    let r1 = rv(&created);
    let got = get(a, &format!("{CMS}/a")).await.json();
    assert_eq!(rv(&got), r1);
    assert_eq!(got["metadata"]["uid"], created["metadata"]["uid"]);
    for n in ["b", "c", "d", "e"] {
        assert_eq!(post_json(a, CMS, &cm(n, "1")).await.status, 201);
    }
    // A second create of the same name loses etcd's create comparison.
    assert_eq!(post_json(a, CMS, &cm("a", "2")).await.status, 409);

    // Pages of two at one revision: a write between pages is not in them.
    let p1 = get(a, &format!("{CMS}?limit=2")).await.json();
    let at = rv(&p1);
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(post_json(a, CMS, &cm("f", "1")).await.status, 201);
    let mut names: Vec<String> = Vec::new();
    let mut page = p1;
    loop {
        assert_eq!(rv(&page), at, "every page at the first page's revision");
        for i in page["items"].as_array().unwrap() {
            names.push(i["metadata"]["name"].as_str().unwrap().into());
        }
        let Some(tok) = page["metadata"]["continue"]
            .as_str()
            .filter(|t| !t.is_empty())
        else {
            break;
        };
        page = get(a, &format!("{CMS}?limit=2&continue={tok}"))
            .await
            .json();
    }
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    // The same revision, exactly, from etcd's history.
    let exact = get(
        a,
        &format!("{CMS}?resourceVersion={at}&resourceVersionMatch=Exact"),
    )
    .await;
    assert_eq!(exact.status, 200);
    assert_eq!(exact.json()["items"].as_array().unwrap().len(), 5);

    // Update with the current version, then again with the stale one.
    let mut upd = got.clone();
    upd["data"]["v"] = json!("2");
    let r = put_json(a, &format!("{CMS}/a"), &upd).await;
    assert_eq!(r.status, 200, "{}", r.json());
    let r2 = rv(&r.json());
    assert!(r2 > r1);
    let r = put_json(a, &format!("{CMS}/a"), &upd).await;
    assert_eq!(r.status, 409, "{}", r.json());
    assert_eq!(r.json()["reason"], "Conflict");

    // A watch from r2 sees what follows, in order, then bookmarks.
    let mut w = watch(
        a,
        &format!("{CMS}?watch=1&resourceVersion={r2}&allowWatchBookmarks=true"),
        &[],
    )
    .await;
    assert_eq!(w.status, 200);
    let d = req(a, "DELETE", &format!("{CMS}/b"), &[], b"").await;
    assert_eq!(d.status, 200);
    assert_eq!(get(a, &format!("{CMS}/b")).await.status, 404);
    let e = w.next_within(5).await.unwrap();
    assert_eq!(
        (e["type"].as_str(), e["object"]["metadata"]["name"].as_str()),
        (Some("DELETED"), Some("b"))
    );
    let del_rv = rv(&e["object"]);
    assert!(del_rv > r2);
    // Nothing else happens: the next event is a bookmark.
    let b = w.next_within(5).await.unwrap();
    assert_eq!(b["type"], "BOOKMARK", "{b}");
    assert!(rv(&b["object"]) >= del_rv);
    s.shutdown().await;

    // A new server on the same etcd finds everything, at the same versions.
    let s = Server::builder()
        .etcd(config(&etcd, None))
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let got = get(a, &format!("{CMS}/a")).await.json();
    assert_eq!((rv(&got), got["data"]["v"].as_str()), (r2, Some("2")));
    let list = get(a, CMS).await.json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "c", "d", "e", "f"]);
    assert!(rv(&list) >= del_rv);
    s.shutdown().await;
}

#[tokio::test]
async fn compaction_gives_410_to_old_watches_and_lists() {
    let etcd = Etcd::start();
    let s = Server::builder()
        .etcd(config(&etcd, Some(Duration::from_millis(300))))
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let first = rv(&post_json(a, CMS, &cm("a", "0")).await.json());
    // Before any compaction, the old revision is still served.
    let r = get(
        a,
        &format!("{CMS}?resourceVersion={first}&resourceVersionMatch=Exact"),
    )
    .await;
    assert_eq!(r.status, 200);
    for i in 1..5 {
        let mut o = get(a, &format!("{CMS}/a")).await.json();
        o["data"]["v"] = json!(i.to_string());
        assert_eq!(put_json(a, &format!("{CMS}/a"), &o).await.status, 200);
    }
    // Two intervals: the compactor moves to a revision past `first`.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = get(
            a,
            &format!("{CMS}?resourceVersion={first}&resourceVersionMatch=Exact"),
        )
        .await;
        if r.status == 410 {
            assert_eq!(r.json()["reason"], "Expired");
            break;
        }
        assert_eq!(r.status, 200);
        assert!(std::time::Instant::now() < deadline, "no compaction");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut w = watch(a, &format!("{CMS}?watch=1&resourceVersion={first}"), &[]).await;
    let e = w.next_within(5).await.expect("an ERROR event");
    assert_eq!(e["type"], "ERROR", "{e}");
    assert_eq!(e["object"]["code"], 410);
    // A watch from now still works.
    let now = rv(&get(a, CMS).await.json());
    let mut w = watch(a, &format!("{CMS}?watch=1&resourceVersion={now}"), &[]).await;
    assert_eq!(post_json(a, CMS, &cm("b", "0")).await.status, 201);
    let e = w.next_within(5).await.unwrap();
    assert_eq!(e["type"], "ADDED", "{e}");
    s.shutdown().await;
}
