//! Transcript tests of the list+watch machine on virtual time: a scripted
//! server answers each request, and every output is asserted in order.

use std::collections::BTreeMap;
use std::time::Duration;

use kubewire::known;
use kubewire::listwatch::{
    BackoffConfig, Config, ConfigError, Event, Input, Instant, ListWatch, ObjectKey, Output,
    RequestId,
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
            lw: ListWatch::new(config, Instant(0)).expect("a valid config"),
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
                Output::Stopped(e) => lines.push(format!("stopped {e}")),
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
        Event::Delete(o) => format!("Delete {}@{}", o.meta.key, o.meta.resource_version),
        Event::InitDelete(t) => format!("InitDelete {}@{}", t.key, t.resource_version),
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
            "idle 60000",
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
            // The LIST starts the listing again: a fresh Init.
            "Init",
            "send 2 /api/v1/namespaces/ns/configmaps",
            "idle 60000"
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
            // A LIST has a progress deadline (before, none: it could hang).
            "idle 60000"
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
            "idle 60000"
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

/// A listing cut after its first page and started again begins with a
/// fresh `Init`: a consumer that buffers from `Init` (kube-runtime's way)
/// and ignores `InitDelete` would otherwise keep `b`, deleted between the
/// attempts. Found through kubewire-blocking's cut-connection test.
#[test]
fn a_listing_started_again_after_a_cut_begins_with_a_fresh_init() {
    let mut h = Harness::new(config().watch_list(false).page_size(2));
    h.drain();
    h.respond(200, &list(&[("a", 1), ("b", 2)], 5, Some("tok1")));
    h.end();
    let out = h.drain();
    assert_eq!(out[..2], lines(&["InitApply ns/a@1", "InitApply ns/b@2"]));
    h.cut();
    let out = h.drain();
    h.wait_for(&out);
    let out = h.drain();
    assert_eq!(
        out[..2],
        lines(&["Init", "send 3 /api/v1/namespaces/ns/configmaps?limit=2"]),
        "{out:?}"
    );
    h.respond(200, &list(&[("a", 1)], 7, None));
    h.end();
    let out = h.drain();
    assert_eq!(
        out[..3],
        lines(&["InitApply ns/a@1", "InitDelete ns/b@2", "InitDone 7"]),
        "{out:?}"
    );
    // What a buffering consumer ends with: only what followed the last Init.
    let mut buffer = Vec::new();
    let mut h2 = Harness::new(config().watch_list(false).page_size(2));
    for line in h2.drain().into_iter().chain(out) {
        if line == "Init" {
            buffer.clear();
        } else if let Some(k) = line.strip_prefix("InitApply ") {
            buffer.push(k.to_string());
        }
    }
    assert_eq!(buffer, ["ns/a@1"]);
    assert_eq!(h.state(), lines(&["ns/a@1"]));
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
        h.drain()[..5],
        lines(&[
            "InitApply ns/a@20",
            "InitApply ns/c@4",
            "InitApply ns/d@21",
            "InitDelete ns/b@3",
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
    // The continue token expired: start the list over, with a fresh Init
    // (page 1's `a` was reported already).
    h.respond(410, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"continue expired","reason":"Expired","code":410}"#);
    h.end();
    assert_eq!(
        h.drain(),
        lines(&[
            "Init",
            "send 3 /api/v1/namespaces/ns/configmaps?limit=1",
            "idle 60000"
        ])
    );
    h.respond(200, &list(&[("a", 1)], 9, None));
    h.end();
    // The restarted listing reports every object of it again.
    assert_eq!(
        h.drain()[..3],
        lines(&[
            "InitApply ns/a@1",
            "InitDone 9",
            &format!("send 4 {}", watch_from(9))
        ])
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

/// Issue 12, defect 11: a valid event that arrived just before a garbage
/// line in the same chunk was never delivered. It is applied, the broken
/// stream is reported and cut, and the watch resumes from that event.
#[test]
fn an_event_before_a_garbage_line_in_the_same_chunk_is_delivered() {
    let mut h = Harness::new(config());
    h.drain();
    h.respond(200, &[ev("ADDED", "a", 2), bookmark(3, true)].concat());
    h.drain();
    h.body(&[ev("MODIFIED", "a", 4), "garbage\n".to_string()].concat());
    let out = h.drain();
    assert_eq!(out[0], "Apply ns/a@4", "{out:?}");
    assert!(out.iter().any(|l| l.starts_with("error ")), "{out:?}");
    assert!(out.iter().any(|l| l.starts_with("cancel ")), "{out:?}");
    h.wait_for(&out);
    assert_eq!(h.drain()[0], format!("send 2 {}", watch_from(4)));
    assert_eq!(h.state(), lines(&["ns/a@4"]));
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
    let out = h.drain();
    let left: u64 = out[0].strip_prefix("idle ").unwrap().parse().unwrap();
    assert!(
        (360_000..660_000).contains(&left),
        "timeout + grace: {left}"
    );
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
    let mut lw = ListWatch::<Cm>::resume(config(), Instant(0), "3", known).unwrap();
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
            Output::Stopped(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        out,
        lines(&[
            "Init",
            "InitApply ns/b@3",
            "InitApply ns/c@7",
            "InitDelete ns/a@2",
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
        initial: Duration::from_millis(10),
        max: Duration::from_millis(40),
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
    let mut lw = ListWatch::<serde_json::Value>::resume(cfg, Instant(0), "5", []).unwrap();
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
            Output::Error(e) | Output::Stopped(e) => panic!("{e}"),
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

#[test]
fn a_stalled_list_body_is_cut_and_retried_after_a_backoff() {
    let mut h = Harness::new(config().watch_list(false));
    assert_eq!(
        h.drain(),
        lines(&[
            "Init",
            "send 1 /api/v1/namespaces/ns/configmaps",
            "idle 60000"
        ])
    );
    // Half a LIST, then nothing: the deadline moves with every byte.
    h.advance(30_000);
    h.respond(
        200,
        r#"{"kind":"ConfigMapList","metadata":{"resourceVersion":"5"},"items":["#,
    );
    assert_eq!(h.drain(), lines(&["idle 60000"]));
    h.advance(59_999);
    assert_eq!(h.drain(), lines(&["idle 1"]));
    h.advance(1);
    let out = h.drain();
    assert_eq!(
        out[..2],
        lines(&[
            "cancel 1",
            "error no response bytes for 60 s: cut, retrying"
        ])
    );
    h.wait_for(&out);
    assert_eq!(h.drain()[0], "send 2 /api/v1/namespaces/ns/configmaps");
    // No new Init: the same listing goes on.
    h.respond(200, &list(&[("a", 1)], 5, None));
    h.end();
    assert_eq!(h.drain()[..2], lines(&["InitApply ns/a@1", "InitDone 5"]));
}

#[test]
fn a_stalled_watch_list_falls_back_but_a_quiet_watch_is_left_alone() {
    let mut h = Harness::new(config().progress_timeout(Duration::from_secs(10)));
    h.drain();
    h.respond(200, &ev("ADDED", "a", 2));
    h.drain();
    h.advance(10_000);
    let out = h.drain();
    assert_eq!(
        out[..2],
        lines(&[
            "cancel 1",
            "error no response bytes for 10 s: cut, retrying"
        ])
    );
    h.wait_for(&out);
    // A stalled watch-list is a failed one: this sync lists instead, from
    // a fresh Init (the watch-list had reported objects).
    assert_eq!(
        h.drain()[..2],
        lines(&["Init", "send 2 /api/v1/namespaces/ns/configmaps"])
    );
    h.respond(200, &list(&[("a", 2)], 5, None));
    h.end();
    let out = h.drain();
    assert_eq!(out[2], format!("send 3 {}", watch_from(5)));
    // The watch's head comes, then minutes of silence: only its own
    // timeout (at least 300 s, plus grace) ends it.
    h.respond(200, "");
    h.advance(250_000);
    let out = h.drain();
    assert_eq!(out.len(), 1);
    let left: u64 = out[0].strip_prefix("idle ").unwrap().parse().unwrap();
    assert!((110_000..410_000).contains(&left), "{left}");
}

#[test]
fn a_response_head_that_never_comes_is_a_stall_too() {
    let mut h = Harness::new(config().progress_timeout(Duration::from_secs(5)));
    h.drain();
    h.respond(200, &bookmark(3, true));
    h.drain();
    h.advance(301_000);
    h.end();
    // A resumed watch whose answer never starts.
    assert_eq!(
        h.drain()[..2],
        [format!("send 2 {}", watch_from(3)), "idle 5000".into()]
    );
    h.advance(5_000);
    assert_eq!(
        h.drain()[..2],
        lines(&["cancel 2", "error no response bytes for 5 s: cut, retrying"])
    );
}

#[test]
fn the_config_is_checked_before_anything_is_sent() {
    let refused = |c: Config| ListWatch::<Cm>::new(c, Instant(0)).map(|_| ()).unwrap_err();
    let unseeded = Config::new(known::config_maps().within("ns"));
    assert_eq!(refused(unseeded), ConfigError::NoSeed);
    assert!(matches!(
        refused(config().labels("app in (a")),
        ConfigError::LabelSelector(_)
    ));
    assert!(matches!(
        refused(config().header("Authorization", "Bearer x")),
        ConfigError::Credentials { .. }
    ));
    assert!(matches!(
        refused(config().header("Accept", "a\r\nX-Evil: 1")),
        ConfigError::Header { .. }
    ));
    assert!(matches!(
        refused(config().header("Bad Name", "v")),
        ConfigError::Header { .. }
    ));
    assert!(matches!(
        refused(config().progress_timeout(Duration::ZERO)),
        ConfigError::Invalid(_)
    ));
    assert!(matches!(
        refused(config().page_size(0)),
        ConfigError::Invalid(_)
    ));
    let mut c = config();
    c.min_watch_timeout = Duration::from_millis(500);
    assert!(matches!(refused(c), ConfigError::Invalid(_)));
    let zero = BackoffConfig {
        initial: Duration::ZERO,
        ..BackoffConfig::default()
    };
    assert!(matches!(
        refused(config().backoff(zero)),
        ConfigError::Invalid(_)
    ));
    // A namespace the path rules refuse.
    assert!(matches!(
        refused(Config::new(known::config_maps().within("..")).seed(1)),
        ConfigError::Request(_)
    ));
    let resumed = ListWatch::<Cm>::resume(Config::new(known::pods().all()), Instant(0), "5", []);
    assert_eq!(resumed.map(|_| ()).unwrap_err(), ConfigError::NoSeed);
}

#[test]
fn different_seeds_spread_watch_timeouts_and_equal_seeds_replay() {
    let timeout = |seed: u64| {
        let mut lw = ListWatch::<Cm>::new(config().seed(seed), Instant(0)).unwrap();
        loop {
            if let Output::Send(_, req) = lw.poll_output(Instant(0)) {
                return req.path_and_query;
            }
        }
    };
    assert_eq!(timeout(7), timeout(7));
    let spread: std::collections::BTreeSet<String> = (0..16).map(timeout).collect();
    assert!(spread.len() > 8, "{spread:?}");
}

#[test]
fn a_list_the_server_refuses_as_asked_stops_the_machine_once() {
    let bad_field = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"field label not supported: data.x","reason":"BadRequest","code":400}"#;
    let mut h = Harness::new(config().fields("data.x=1"));
    h.drain();
    // The watch-list is refused: this sync lists instead...
    h.respond(400, bad_field);
    h.end();
    assert_eq!(
        h.drain(),
        lines(&[
            "error server error 400: field label not supported: data.x",
            "send 2 /api/v1/namespaces/ns/configmaps?fieldSelector=data.x%3D1",
            "idle 60000",
        ])
    );
    // ... and the LIST is refused the same way: nothing retrying can fix.
    h.respond(400, bad_field);
    h.end();
    assert_eq!(
        h.drain(),
        lines(&[
            "stopped server error 400: field label not supported: data.x",
            "idle"
        ])
    );
    assert!(h.lw.is_stopped());
    // Nothing more happens, whatever comes in or however long one waits.
    h.advance(3_600_000);
    h.lw.handle_input(h.now, Input::Cut { id: h.last_id() });
    assert_eq!(h.drain(), lines(&["idle"]));
}

#[test]
fn forbidden_and_server_errors_are_retried_not_fatal() {
    let mut h = Harness::new(config().watch_list(false));
    h.drain();
    for (code, reason) in [
        (403, "Forbidden"),
        (404, "NotFound"),
        (500, "InternalError"),
    ] {
        h.respond(
            code,
            &format!(r#"{{"kind":"Status","status":"Failure","message":"no","reason":"{reason}","code":{code}}}"#),
        );
        h.end();
        let out = h.drain();
        assert_eq!(out[0], format!("error server error {code}: no"));
        assert!(out[1].starts_with("idle "), "{out:?}");
        h.wait_for(&out);
        assert_eq!(
            h.drain()[0],
            format!("send {} /api/v1/namespaces/ns/configmaps", h.sent.len())
        );
    }
    assert!(!h.lw.is_stopped());
}

#[test]
fn a_watch_refused_as_asked_relists_instead_of_asking_again() {
    let mut h = Harness::new(config().watch_list(false));
    h.drain();
    h.respond(200, &list(&[("a", 1)], 5, None));
    h.end();
    h.drain();
    h.respond(400, r#"{"kind":"Status","status":"Failure","message":"bad resourceVersion","reason":"BadRequest","code":400}"#);
    h.end();
    let out = h.drain();
    assert_eq!(
        out[..2],
        lines(&["error server error 400: bad resourceVersion", "Init"])
    );
    h.wait_for(&out);
    assert_eq!(h.drain()[0], "send 3 /api/v1/namespaces/ns/configmaps");
}

/// A consumer written the kube-runtime way: a fresh buffer on `Init`,
/// swapped in on `InitDone`; `Apply`/`Delete` on the live state.
#[derive(Default)]
struct KubeRuntimeStyle {
    live: BTreeMap<ObjectKey, String>,
    buffer: Option<BTreeMap<ObjectKey, String>>,
}

impl KubeRuntimeStyle {
    fn apply(&mut self, e: &Event<Cm>) {
        match e {
            Event::Init => self.buffer = Some(BTreeMap::new()),
            Event::InitApply(o) => {
                let buffer = self
                    .buffer
                    .as_mut()
                    .expect("InitApply inside Init..InitDone");
                buffer.insert(o.meta.key.clone(), o.value.data["v"].clone());
            }
            Event::InitDone { .. } => {
                self.live = self.buffer.take().expect("InitDone after Init");
            }
            Event::Apply(o) => {
                self.live
                    .insert(o.meta.key.clone(), o.value.data["v"].clone());
            }
            Event::Delete(o) => {
                self.live.remove(&o.meta.key);
            }
            // What kube-runtime does not have: nothing to do here.
            Event::InitDelete(_) | Event::Bookmark { .. } => {}
        }
    }
}

#[test]
fn kube_runtime_style_and_in_place_consumers_both_see_the_server_through_a_410_relist() {
    let mut machine = ListWatch::<Cm>::new(config(), Instant(0)).unwrap();
    let mut rebuilt = KubeRuntimeStyle::default();
    let mut in_place = Store::<Cm>::new();
    let mut id = None;
    let mut pump = |machine: &mut ListWatch<Cm>, id: &mut Option<RequestId>| loop {
        match machine.poll_output(Instant(0)) {
            Output::Send(i, _) => *id = Some(i),
            Output::Event(e) => {
                rebuilt.apply(&e);
                in_place.apply(e);
            }
            Output::Idle { .. } => {
                let live: Vec<String> = rebuilt
                    .live
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                let stored: Vec<String> = in_place
                    .iter()
                    .map(|(k, o)| format!("{k}={}", o.value.data["v"]))
                    .collect();
                return (live, stored);
            }
            Output::Cancel(_) | Output::Error(_) => {}
            Output::Stopped(e) => panic!("{e}"),
        }
    };
    let feed = |machine: &mut ListWatch<Cm>, id: RequestId, status: Option<u16>, body: &str| {
        if let Some(status) = status {
            machine.handle_input(
                Instant(0),
                Input::Response {
                    id,
                    status,
                    headers: &[],
                },
            );
        }
        machine.handle_input(
            Instant(0),
            Input::Body {
                id,
                bytes: body.as_bytes(),
            },
        );
    };
    pump(&mut machine, &mut id);
    feed(
        &mut machine,
        id.unwrap(),
        Some(200),
        &[
            ev("ADDED", "a", 2),
            ev("ADDED", "b", 3),
            ev("ADDED", "c", 4),
            bookmark(5, true),
        ]
        .concat(),
    );
    let first = pump(&mut machine, &mut id);
    let want = lines(&["ns/a=2", "ns/b=3", "ns/c=4"]);
    assert_eq!(first, (want.clone(), want));
    // The watch's history is gone; meanwhile a changed, b was deleted, c
    // stayed as it was and d was created.
    feed(&mut machine, id.unwrap(), None, &gone_event());
    pump(&mut machine, &mut id);
    feed(
        &mut machine,
        id.unwrap(),
        Some(200),
        &[
            ev("ADDED", "a", 20),
            ev("ADDED", "c", 4),
            ev("ADDED", "d", 21),
            bookmark(22, true),
        ]
        .concat(),
    );
    let after = pump(&mut machine, &mut id);
    let want = lines(&["ns/a=20", "ns/c=4", "ns/d=21"]);
    assert_eq!(after, (want.clone(), want), "(rebuilt, in place)");
    // And the watch goes on for both.
    feed(&mut machine, id.unwrap(), None, &ev("DELETED", "c", 23));
    let last = pump(&mut machine, &mut id);
    let want = lines(&["ns/a=20", "ns/d=21"]);
    assert_eq!(last, (want.clone(), want));
}

#[test]
fn the_identity_covers_what_changes_the_objects_and_nothing_else() {
    let base = config();
    let table = config().header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
    assert_ne!(base.identity(), table.identity());
    assert_ne!(base.identity(), config().labels("a=b").identity());
    assert_ne!(
        base.identity(),
        config().fields("metadata.name=x").identity()
    );
    assert_ne!(
        base.identity(),
        Config::new(known::config_maps().within("other"))
            .seed(7)
            .identity()
    );
    // Header names are case-insensitive and their order does not matter.
    let two =
        |a: (&str, &str), b: (&str, &str)| config().header(a.0, a.1).header(b.0, b.1).identity();
    assert_eq!(
        two(("Accept", "x"), ("X-Y", "z")),
        two(("x-y", "z"), ("accept", "x"))
    );
    // Retry timing, paging and the seed change nothing that is stored.
    assert_eq!(base.identity(), config().page_size(10).seed(99).identity());
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
            let mut lw = ListWatch::<Cm>::new(cfg, Instant(0)).unwrap();
            let mut now = Instant(0);
            let mut current = None;
            let mut init_open = 0i32;
            let mut stopped = 0;
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
                            // A listing started again opens with a fresh Init.
                            Output::Event(Event::Init) => init_open = 1,
                            Output::Event(Event::InitDone { .. }) => {
                                prop_assert_eq!(init_open, 1, "InitDone closes an open listing");
                                init_open = 0;
                            }
                            Output::Event(Event::InitApply(_) | Event::InitDelete(_)) => {
                                prop_assert_eq!(init_open, 1, "listing events only inside a listing");
                            }
                            Output::Stopped(_) => {
                                stopped += 1;
                                prop_assert!(lw.is_stopped());
                            }
                            _ => {}
                        }
                        prop_assert!(stopped <= 1, "Stopped is reported once");
                        prop_assert!((0..=1).contains(&init_open), "Init and InitDone pair up");
                    },
                    Step::Advance(ms) => now = now + Duration::from_millis(ms),
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
