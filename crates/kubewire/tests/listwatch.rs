//! Transcript tests of the list+watch machine on virtual time: a scripted
//! server answers each request, and every output is asserted in order.

// Test code runs on std; the workspace's no_std hygiene lints are for the core.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

use std::collections::BTreeMap;

use kubewire::known;
use kubewire::listwatch::{
    BackoffConfig, Config, Event, Input, Instant, ListWatch, Output, RequestId,
};
use kubewire::store::Store;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Cm {
    #[serde(default)]
    data: BTreeMap<String, String>,
}

/// The machine on a virtual clock, with outputs rendered as short lines.
struct Harness {
    lw: ListWatch<Cm>,
    now: Instant,
    store: Store<Cm>,
    /// The last `Send`: id and path.
    sent: Vec<(RequestId, String)>,
}

fn config() -> Config {
    Config::new(known::config_maps().within("ns")).seed(7)
}

impl Harness {
    fn new(config: Config) -> Self {
        Harness {
            lw: ListWatch::new(config, Instant(0)),
            now: Instant(0),
            store: Store::new(),
            sent: Vec::new(),
        }
    }

    /// Poll until idle; one line per output.
    fn drain(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match self.lw.poll_output(self.now) {
                Output::Send(id, req) => {
                    let path = normalize(&req.path_and_query);
                    lines.push(format!("send {} {path}", id.0));
                    self.sent.push((id, req.path_and_query));
                }
                Output::Cancel(id) => lines.push(format!("cancel {}", id.0)),
                Output::Error(e) => lines.push(format!("error {e}")),
                Output::Event(e) => {
                    lines.push(render(&e));
                    self.store.apply(e);
                }
                Output::Idle { deadline } => {
                    lines.push(match deadline {
                        Some(d) => format!("idle {}", d.0 - self.now.0),
                        None => "idle".into(),
                    });
                    return lines;
                }
            }
        }
    }

    fn last_id(&self) -> RequestId {
        self.sent.last().expect("a request was sent").0
    }

    fn respond(&mut self, status: u16, body: &str) {
        let id = self.last_id();
        self.lw.handle_input(
            self.now,
            Input::Response {
                id,
                status,
                headers: &[],
            },
        );
        if !body.is_empty() {
            self.lw.handle_input(
                self.now,
                Input::Body {
                    id,
                    bytes: body.as_bytes(),
                },
            );
        }
    }

    fn body(&mut self, body: &str) {
        let id = self.last_id();
        self.lw.handle_input(
            self.now,
            Input::Body {
                id,
                bytes: body.as_bytes(),
            },
        );
    }

    fn end(&mut self) {
        let id = self.last_id();
        self.lw.handle_input(self.now, Input::End { id });
    }

    fn cut(&mut self) {
        let id = self.last_id();
        self.lw.handle_input(self.now, Input::Cut { id });
    }

    fn advance(&mut self, ms: u64) {
        self.now = Instant(self.now.0 + ms);
    }

    /// Jump to the idle deadline of the last drain.
    fn wait_for(&mut self, lines: &[String]) {
        let idle = lines.last().unwrap();
        let ms: u64 = idle
            .strip_prefix("idle ")
            .expect("a deadline")
            .parse()
            .unwrap();
        self.advance(ms);
    }

    fn state(&self) -> Vec<String> {
        self.store
            .iter()
            .map(|(k, o)| format!("{k}@{}", o.resource_version))
            .collect()
    }
}

/// The query with the random watch timeout replaced by `T` (checked apart).
fn normalize(path: &str) -> String {
    let mut out = String::new();
    for (i, part) in path.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match part.strip_prefix("timeoutSeconds=") {
            Some(n) => {
                let n: u32 = n.parse().unwrap();
                assert!(
                    (300..600).contains(&n),
                    "watch timeout {n} outside client-go's [300, 600)"
                );
                out.push_str("timeoutSeconds=T");
            }
            None => out.push_str(part),
        }
    }
    out
}

fn render(e: &Event<Cm>) -> String {
    match e {
        Event::Init => "Init".into(),
        Event::InitApply(o) => format!("InitApply {}@{}", o.meta.key, o.meta.resource_version),
        Event::InitDone { resource_version } => format!("InitDone {resource_version}"),
        Event::Apply(o) => format!("Apply {}@{}", o.meta.key, o.meta.resource_version),
        Event::Delete(t) => format!(
            "Delete {}@{}{}",
            t.key,
            t.resource_version,
            if t.last.is_some() { "" } else { " (vanished)" }
        ),
        Event::Bookmark { resource_version } => format!("Bookmark {resource_version}"),
    }
}

fn obj(name: &str, rv: u32) -> String {
    format!(
        r#"{{"kind":"ConfigMap","metadata":{{"name":"{name}","namespace":"ns","resourceVersion":"{rv}","labels":{{"app":"x"}}}},"data":{{"v":"{rv}"}}}}"#
    )
}
fn ev(ty: &str, name: &str, rv: u32) -> String {
    format!("{{\"type\":\"{ty}\",\"object\":{}}}\n", obj(name, rv))
}
fn bookmark(rv: u32, end: bool) -> String {
    let ann = if end {
        r#","annotations":{"k8s.io/initial-events-end":"true"}"#
    } else {
        ""
    };
    format!("{{\"type\":\"BOOKMARK\",\"object\":{{\"kind\":\"ConfigMap\",\"metadata\":{{\"resourceVersion\":\"{rv}\"{ann}}}}}}}\n")
}
fn gone_event() -> String {
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"too old resource version: 1 (50)\",\"reason\":\"Expired\",\"code\":410}}\n".into()
}
fn list(items: &[(&str, u32)], rv: u32, cont: Option<&str>) -> String {
    let items: Vec<String> = items.iter().map(|(n, r)| obj(n, *r)).collect();
    let cont = cont
        .map(|c| format!(r#","continue":"{c}""#))
        .unwrap_or_default();
    format!(
        r#"{{"kind":"ConfigMapList","apiVersion":"v1","metadata":{{"resourceVersion":"{rv}"{cont}}},"items":[{}]}}"#,
        items.join(",")
    )
}

const WATCH_LIST: &str = "/api/v1/namespaces/ns/configmaps?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=T&watch=true";
fn watch_from(rv: u32) -> String {
    format!("/api/v1/namespaces/ns/configmaps?allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds=T&watch=true")
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn watch_list_initial_state_complete_at_the_end_bookmark() {
    let mut h = Harness::new(config());
    let out = h.drain();
    assert_eq!(out[..2], lines(&["Init", &format!("send 1 {WATCH_LIST}")]));
    // The deadline is the watch timeout plus grace: the machine only waits.
    assert!(out[2].starts_with("idle "));
    let body = [
        ev("ADDED", "a", 5),
        ev("ADDED", "b", 6),
        bookmark(9, true),
        ev("MODIFIED", "a", 10),
        bookmark(12, false),
    ]
    .concat();
    h.respond(200, "");
    // Split at every byte boundary: the transcript must not change.
    let mut whole = None;
    for split in [1usize, 7, 64, body.len()] {
        let mut g = Harness::new(config());
        g.drain();
        g.respond(200, "");
        for chunk in body.as_bytes().chunks(split) {
            g.body(std::str::from_utf8(chunk).unwrap_or_else(|_| unreachable!("ascii")));
        }
        let got: Vec<String> = g
            .drain()
            .into_iter()
            .filter(|l| !l.starts_with("idle"))
            .collect();
        match &whole {
            None => whole = Some(got),
            Some(w) => assert_eq!(&got, w, "split every {split} bytes"),
        }
    }
    assert_eq!(
        whole.unwrap(),
        lines(&[
            "InitApply ns/a@5",
            "InitApply ns/b@6",
            "InitDone 9",
            "Apply ns/a@10",
            "Bookmark 12"
        ])
    );
    h.body(&body);
    h.drain();
    assert_eq!(h.lw.resource_version(), Some("12"));
    assert_eq!(h.state(), lines(&["ns/a@10", "ns/b@6"]));
    assert_eq!(
        h.store.get_named(Some("ns"), "a").unwrap().value.data["v"],
        "10"
    );
}

#[test]
fn fallback_to_list_then_watch_when_watch_list_is_rejected() {
    let mut h = Harness::new(config());
    h.drain();
    h.respond(422, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"resourceVersionMatch is forbidden for watch","reason":"Invalid","code":422}"#);
    h.end();
    assert_eq!(
        h.drain(),
        lines(&[
            "error server error 422: resourceVersionMatch is forbidden for watch",
            "send 2 /api/v1/namespaces/ns/configmaps",
            "idle",
        ])
    );
    h.respond(200, &list(&[("a", 3), ("b", 4)], 8, None));
    h.end();
    assert_eq!(
        h.drain()[..4],
        lines(&[
            "InitApply ns/a@3",
            "InitApply ns/b@4",
            "InitDone 8",
            &format!("send 3 {}", watch_from(8))
        ])
    );
    // The fallback is remembered: after a 410 the relist is a LIST again.
    h.respond(200, &gone_event());
    let out = h.drain();
    assert_eq!(
        out[..3],
        lines(&[
            "cancel 3",
            "Init",
            "send 4 /api/v1/namespaces/ns/configmaps"
        ])
    );
}

#[test]
fn legacy_stream_without_end_bookmark_falls_back_to_list() {
    let mut h = Harness::new(config());
    h.drain();
    // A server that ignores sendInitialEvents: synthetic ADDEDs then a change.
    h.respond(200, &[ev("ADDED", "a", 3), ev("MODIFIED", "a", 4)].concat());
    assert_eq!(
        h.drain(),
        lines(&[
            "InitApply ns/a@3",
            "cancel 1",
            "send 2 /api/v1/namespaces/ns/configmaps",
            "idle"
        ])
    );
    h.respond(200, &list(&[("a", 4)], 4, None));
    h.end();
    assert_eq!(h.drain()[..2], lines(&["InitApply ns/a@4", "InitDone 4"]));
}

#[test]
fn paginated_list_follows_continue_and_completes_once() {
    let mut h = Harness::new(config().watch_list(false).page_size(2));
    assert_eq!(
        h.drain(),
        lines(&[
            "Init",
            "send 1 /api/v1/namespaces/ns/configmaps?limit=2",
            "idle"
        ])
    );
    h.respond(200, &list(&[("a", 1), ("b", 2)], 5, Some("tok1")));
    h.end();
    assert_eq!(
        h.drain(),
        lines(&[
            "InitApply ns/a@1",
            "InitApply ns/b@2",
            "send 2 /api/v1/namespaces/ns/configmaps?continue=tok1&limit=2",
            "idle"
        ])
    );
    h.respond(200, &list(&[("c", 3)], 5, None));
    h.end();
    let out = h.drain();
    assert_eq!(
        out[..3],
        lines(&[
            "InitApply ns/c@3",
            "InitDone 5",
            &format!("send 3 {}", watch_from(5))
        ])
    );
}

#[test]
fn bookmarks_only_advance_the_resume_point() {
    let mut h = Harness::new(config());
    h.drain();
    h.respond(200, &bookmark(3, true));
    h.drain();
    h.body(&[bookmark(7, false), bookmark(11, false)].concat());
    assert_eq!(h.drain()[..2], lines(&["Bookmark 7", "Bookmark 11"]));
    // The server ends the watch (its timeout) after a while: resume at once
    // from the newest bookmark, without initial events.
    h.advance(300_000);
    h.end();
    assert_eq!(h.drain()[..1], [format!("send 2 {}", watch_from(11))]);
    assert!(!h.sent[1].1.contains("sendInitialEvents"));
}

#[test]
fn gone_during_watch_relists_from_now_and_reports_vanished_objects() {
    let mut h = Harness::new(config());
    h.drain();
    h.respond(
        200,
        &[
            ev("ADDED", "a", 2),
            ev("ADDED", "b", 3),
            ev("ADDED", "c", 4),
            bookmark(5, true),
        ]
        .concat(),
    );
    h.drain();
    h.body(&gone_event());
    assert_eq!(
        h.drain()[..3],
        lines(&["cancel 1", "Init", &format!("send 2 {WATCH_LIST}")])
    );
    // Meanwhile: a changed, b deleted, c unchanged, d created.
    h.respond(
        200,
        &[
            ev("ADDED", "a", 20),
            ev("ADDED", "c", 4),
            ev("ADDED", "d", 21),
            bookmark(22, true),
        ]
        .concat(),
    );
    assert_eq!(
        h.drain()[..4],
        lines(&[
            "InitApply ns/a@20",
            "InitApply ns/d@21",
            "Delete ns/b@3 (vanished)",
            "InitDone 22"
        ])
    );
    assert_eq!(h.state(), lines(&["ns/a@20", "ns/c@4", "ns/d@21"]));
    assert!(h.store.is_synced());
}

#[test]
fn gone_as_http_status_and_during_paginated_list() {
    let mut h = Harness::new(config().watch_list(false).page_size(1));
    h.drain();
    h.respond(200, &list(&[("a", 1)], 5, Some("t1")));
    h.end();
    h.drain();
    // The continue token expired: start the list over, same sync (no new Init).
    h.respond(410, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"continue expired","reason":"Expired","code":410}"#);
    h.end();
    assert_eq!(
        h.drain(),
        lines(&["send 3 /api/v1/namespaces/ns/configmaps?limit=1", "idle"])
    );
    h.respond(200, &list(&[("a", 1)], 9, None));
    h.end();
    assert_eq!(
        h.drain()[..2],
        lines(&["InitDone 9", &format!("send 4 {}", watch_from(9))])
    );
    // A 410 answer to the watch itself: relist.
    h.respond(410, "");
    h.end();
    assert_eq!(
        h.drain()[..2],
        lines(&["Init", "send 5 /api/v1/namespaces/ns/configmaps?limit=1"])
    );
}

#[test]
fn cut_mid_event_resumes_from_the_last_complete_event_after_backoff() {
    let mut h = Harness::new(config());
    h.drain();
    h.respond(200, &[ev("ADDED", "a", 2), bookmark(3, true)].concat());
    h.drain();
    let next = ev("MODIFIED", "a", 4);
    h.body(&[ev("MODIFIED", "a", 3), next[..next.len() / 2].to_string()].concat());
    h.cut();
    let out = h.drain();
    assert_eq!(out[0], "Apply ns/a@3");
    let wait: u64 = out[1].strip_prefix("idle ").unwrap().parse().unwrap();
    assert!((800..1600).contains(&wait), "first backoff {wait}");
    h.advance(wait - 1);
    assert_eq!(h.drain(), ["idle 1".to_string()]);
    h.advance(1);
    assert_eq!(h.drain()[0], format!("send 2 {}", watch_from(3)));
    // Input for the old request is ignored.
    h.lw.handle_input(
        h.now,
        Input::Body {
            id: RequestId(1),
            bytes: ev("DELETED", "a", 9).as_bytes(),
        },
    );
    assert!(h.drain()[0].starts_with("idle"));
    assert_eq!(h.state(), lines(&["ns/a@3"]));
}

#[test]
fn backoff_doubles_to_thirty_seconds_and_resets_after_two_healthy_minutes() {
    let mut h = Harness::new(config());
    h.drain();
    h.respond(200, &bookmark(3, true));
    h.drain();
    let mut waits = Vec::new();
    for _ in 0..9 {
        h.cut();
        let out = h.drain();
        h.wait_for(&out);
        waits.push(
            out.last()
                .unwrap()
                .strip_prefix("idle ")
                .unwrap()
                .parse::<u64>()
                .unwrap(),
        );
        assert_eq!(
            h.drain()[0],
            format!("send {} {}", h.sent.len(), watch_from(3))
        );
    }
    let bases = [
        800u64, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000,
    ];
    for (w, b) in waits.iter().zip(bases) {
        assert!(*w >= b && *w < 2 * b, "wait {w} for base {b}: {waits:?}");
    }
    // Healthy for two minutes (a long watch), then a cut: back to 800 ms.
    h.advance(120_001);
    h.cut();
    let out = h.drain();
    let w: u64 = out
        .last()
        .unwrap()
        .strip_prefix("idle ")
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..1600).contains(&w), "after reset {w}");
}

#[test]
fn spurious_timeouts_short_watches_back_off_and_stuck_watches_are_cancelled() {
    let mut h = Harness::new(config());
    h.drain();
    h.respond(200, &bookmark(3, true));
    h.drain();
    // The server ends the watch after a normal while: resume at once.
    h.advance(5_000);
    h.end();
    assert_eq!(h.drain()[0], format!("send 2 {}", watch_from(3)));
    // It ends the next one at once with nothing: a "very short watch".
    h.respond(200, "");
    h.advance(10);
    h.end();
    let out = h.drain();
    assert_eq!(out.len(), 1);
    assert!(out[0].starts_with("idle "));
    h.wait_for(&out);
    let out = h.drain();
    assert_eq!(out[0], format!("send 3 {}", watch_from(3)));
    // A watch the server never ends: cancelled after timeout + grace.
    h.respond(200, "");
    h.wait_for(&out);
    let out = h.drain();
    assert_eq!(out[0], "cancel 3");
    assert!(out[1].starts_with("idle "), "{out:?}");
}

#[test]
fn resume_watches_from_the_stored_version_and_diffs_on_gone() {
    let known = [("a", "2"), ("b", "3")].map(|(n, rv)| {
        (
            kubewire::listwatch::ObjectKey::namespaced("ns", n),
            rv.to_string(),
        )
    });
    let mut lw = ListWatch::<Cm>::resume(config(), Instant(0), "3", known);
    let Output::Send(id, req) = lw.poll_output(Instant(0)) else {
        panic!("a request first")
    };
    assert_eq!(normalize(&req.path_and_query), watch_from(3));
    lw.handle_input(
        Instant(0),
        Input::Response {
            id,
            status: 410,
            headers: &[],
        },
    );
    lw.handle_input(Instant(0), Input::End { id });
    let mut out = Vec::new();
    loop {
        match lw.poll_output(Instant(0)) {
            Output::Event(e) => out.push(render(&e)),
            Output::Send(id, _) => {
                lw.handle_input(
                    Instant(0),
                    Input::Response {
                        id,
                        status: 200,
                        headers: &[],
                    },
                );
                let body = [ev("ADDED", "b", 3), ev("ADDED", "c", 7), bookmark(8, true)].concat();
                lw.handle_input(
                    Instant(0),
                    Input::Body {
                        id,
                        bytes: body.as_bytes(),
                    },
                );
            }
            Output::Idle { .. } => break,
            Output::Cancel(_) | Output::Error(_) => {}
        }
    }
    assert_eq!(
        out,
        lines(&[
            "Init",
            "InitApply ns/c@7",
            "Delete ns/a@2 (vanished)",
            "InitDone 8"
        ])
    );
}

#[test]
fn objects_that_do_not_fit_the_type_are_skipped_and_reported() {
    let mut h = Harness::new(config());
    h.drain();
    let bad = r#"{"type":"ADDED","object":{"metadata":{"name":"x","namespace":"ns","resourceVersion":"2"},"data":{"k":7}}}"#.to_string() + "\n";
    h.respond(200, &[bad, ev("ADDED", "a", 3), bookmark(4, true)].concat());
    let out = h.drain();
    assert!(out[0].starts_with("error skipped object ns/x:"), "{out:?}");
    assert_eq!(out[1..3], lines(&["InitApply ns/a@3", "InitDone 4"]));
}

#[test]
fn fast_backoff_config_is_honoured() {
    let fast = BackoffConfig {
        initial_ms: 10,
        max_ms: 40,
        ..BackoffConfig::default()
    };
    let mut h = Harness::new(config().backoff(fast));
    h.drain();
    h.cut();
    let out = h.drain();
    let w: u64 = out[0].strip_prefix("idle ").unwrap().parse().unwrap();
    assert!((10..20).contains(&w));
    h.wait_for(&out);
    // After a failed watch-list this sync lists instead.
    assert_eq!(h.drain()[0], "send 2 /api/v1/namespaces/ns/configmaps");
}

#[test]
fn table_watch_events_are_keyed_by_their_row_and_table_lists_apply_their_rows() {
    let headers = vec![(
        "Accept".to_string(),
        "application/json;as=Table;g=meta.k8s.io;v=v1".to_string(),
    )];
    let mut cfg = config().watch_list(false);
    cfg.headers = headers;
    let mut lw = ListWatch::<serde_json::Value>::resume(cfg, Instant(0), "5", []);
    let Output::Send(id, req) = lw.poll_output(Instant(0)) else {
        panic!("a request")
    };
    assert_eq!(
        req.header("accept"),
        Some("application/json;as=Table;g=meta.k8s.io;v=v1")
    );
    lw.handle_input(
        Instant(0),
        Input::Response {
            id,
            status: 200,
            headers: &[],
        },
    );
    let row = r#"{"type":"MODIFIED","object":{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":""},"rows":[{"cells":["a","1"],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"a","namespace":"ns","resourceVersion":"6"}}}]}}"#;
    lw.handle_input(
        Instant(0),
        Input::Body {
            id,
            bytes: format!("{row}\n{}", gone_event()).as_bytes(),
        },
    );
    let Output::Event(Event::Apply(o)) = lw.poll_output(Instant(0)) else {
        panic!("an Apply")
    };
    assert_eq!(
        (o.meta.key.to_string(), o.meta.resource_version.as_str()),
        ("ns/a".to_string(), "6")
    );
    // The 410 relist is a LIST of Tables (the server has no watch-list):
    // its rows are the items, each keyed by its row's object. `a` changed,
    // `b` is new; a page without `a` would report it gone.
    let mut sent = None;
    loop {
        match lw.poll_output(Instant(0)) {
            Output::Send(id, _) => sent = Some(id),
            Output::Idle { .. } => break,
            _ => {}
        }
    }
    let id = sent.expect("a relist");
    lw.handle_input(
        Instant(0),
        Input::Response {
            id,
            status: 200,
            headers: &[],
        },
    );
    let table = r#"{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"9"},"columnDefinitions":[],"rows":[{"cells":["a","2"],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"a","namespace":"ns","resourceVersion":"7"}}},{"cells":["b","1"],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"b","namespace":"ns","resourceVersion":"8"}}}]}"#;
    lw.handle_input(
        Instant(0),
        Input::Body {
            id,
            bytes: table.as_bytes(),
        },
    );
    lw.handle_input(Instant(0), Input::End { id });
    let mut events = Vec::new();
    loop {
        match lw.poll_output(Instant(0)) {
            Output::Event(e) => events.push(e),
            Output::Error(e) => panic!("{e}"),
            Output::Send(..) | Output::Cancel(_) => {}
            Output::Idle { .. } => break,
        }
    }
    let summary: Vec<String> = events
        .iter()
        .map(|e| match e {
            Event::Init => "init".into(),
            Event::InitApply(o) => format!(
                "apply {} {} {}",
                o.meta.key, o.meta.resource_version, o.value["cells"][1]
            ),
            Event::InitDone { resource_version } => format!("done {resource_version}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        ["apply ns/a 7 \"2\"", "apply ns/b 8 \"1\"", "done 9"]
    );
    assert_eq!(lw.len(), 2);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// What a hostile or broken server and network can do.
    #[derive(Debug, Clone)]
    enum Step {
        Poll,
        Advance(u64),
        Respond(u16),
        Body(Vec<u8>),
        Piece(usize),
        End,
        Cut,
        StaleInput,
    }

    /// Fragments that make valid, truncated and malformed streams when
    /// glued together.
    const PIECES: &[&str] = &[
        "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"5\"}}}\n",
        "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\",\"resourceVersion\":\"6\"},\"data\":{\"x\":\"y\"}}}\n",
        "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"7\"}}}\n",
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"8\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n",
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n",
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n",
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500}}\n",
        "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"3\",\"continue\":\"c\"},\"items\":[",
        "{\"metadata\":{\"name\":\"c\",\"resourceVersion\":\"2\"}}",
        ",",
        "]}",
        "{\"metadata\":{}}",
        "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":",
        "\n",
        "garbage\u{0}\u{ff}",
        "{\"type\":\"NOPE\",\"object\":{}}\n",
    ];

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => Just(Step::Poll),
            1 => (0u64..200_000).prop_map(Step::Advance),
            2 => prop::sample::select(vec![200u16, 200, 200, 400, 403, 410, 422, 429, 500]).prop_map(Step::Respond),
            1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Step::Body),
            4 => (0..PIECES.len()).prop_map(Step::Piece),
            1 => Just(Step::End),
            1 => Just(Step::Cut),
            1 => Just(Step::StaleInput),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_input_sequence_is_handled_without_panic(steps in prop::collection::vec(step(), 1..120), watch_list in any::<bool>(), paged in any::<bool>()) {
            let mut cfg = config().watch_list(watch_list);
            if paged {
                cfg = cfg.page_size(2);
            }
            let mut lw = ListWatch::<Cm>::new(cfg, Instant(0));
            let mut now = Instant(0);
            let mut current = None;
            let mut init_open = 0i32;
            for s in steps {
                match s {
                    Step::Poll => loop {
                        match lw.poll_output(now) {
                            Output::Send(id, _) => current = Some(id),
                            Output::Idle { deadline } => {
                                // A deadline is never in the past once idle.
                                prop_assert!(deadline.is_none_or(|d| d > now));
                                break;
                            }
                            Output::Event(Event::Init) => init_open += 1,
                            Output::Event(Event::InitDone { .. }) => init_open -= 1,
                            _ => {}
                        }
                        prop_assert!((0..=1).contains(&init_open), "Init and InitDone pair up");
                    },
                    Step::Advance(ms) => now = now + ms,
                    Step::Respond(status) => if let Some(id) = current {
                        lw.handle_input(now, Input::Response { id, status, headers: &[("Retry-After", "1")] });
                    },
                    Step::Body(bytes) => if let Some(id) = current {
                        lw.handle_input(now, Input::Body { id, bytes: &bytes });
                    },
                    Step::Piece(i) => if let Some(id) = current {
                        lw.handle_input(now, Input::Body { id, bytes: PIECES[i].as_bytes() });
                    },
                    Step::End => if let Some(id) = current {
                        lw.handle_input(now, Input::End { id });
                    },
                    Step::Cut => if let Some(id) = current {
                        lw.handle_input(now, Input::Cut { id });
                    },
                    Step::StaleInput => lw.handle_input(now, Input::Cut { id: RequestId(u64::MAX) }),
                }
            }
        }
    }
}
