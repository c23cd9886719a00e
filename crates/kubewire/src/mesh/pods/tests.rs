use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::*;
use crate::listwatch::{ObjectMeta, Tombstone};
use crate::mesh::view::{AddressEntry, PodMeta, PodSpecView, PodStatusView};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

struct P {
    name: &'static str,
    uid: &'static str,
    sa: &'static str,
    ips: Vec<&'static str>,
    phase: &'static str,
    host: bool,
    deleting: bool,
    labels: Vec<(&'static str, &'static str)>,
}

fn pod(name: &'static str, uid: &'static str, ips: &[&'static str]) -> P {
    P {
        name,
        uid,
        sa: "default",
        ips: ips.to_vec(),
        phase: "Running",
        host: false,
        deleting: false,
        labels: Vec::new(),
    }
}

impl P {
    fn sa(mut self, sa: &'static str) -> Self {
        self.sa = sa;
        self
    }
    fn phase(mut self, phase: &'static str) -> Self {
        self.phase = phase;
        self
    }
    fn host(mut self) -> Self {
        self.host = true;
        self
    }
    fn deleting(mut self) -> Self {
        self.deleting = true;
        self
    }
    fn label(mut self, k: &'static str, v: &'static str) -> Self {
        self.labels.push((k, v));
        self
    }
    fn view(&self) -> PodView {
        PodView {
            metadata: PodMeta {
                uid: self.uid.into(),
                deletion_timestamp: self.deleting.then(|| "2026-12-01T22:25:29Z".to_string()),
            },
            spec: PodSpecView {
                node_name: "node-1".into(),
                service_account_name: self.sa.into(),
                service_account: String::new(),
                host_network: self.host,
            },
            status: PodStatusView {
                phase: self.phase.into(),
                pod_ip: self.ips.first().map(|s| s.to_string()).unwrap_or_default(),
                pod_ips: self
                    .ips
                    .iter()
                    .map(|s| AddressEntry { ip: s.to_string() })
                    .collect(),
            },
        }
    }
    fn object(&self) -> Object<PodView> {
        Object {
            meta: ObjectMeta {
                key: ObjectKey::namespaced("demo", self.name),
                resource_version: "1".into(),
                labels: self
                    .labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
            value: self.view(),
        }
    }
    fn apply(&self) -> Event<PodView> {
        Event::Apply(self.object())
    }
    fn init(&self) -> Event<PodView> {
        Event::InitApply(self.object())
    }
    fn delete(&self) -> Event<PodView> {
        Event::Delete(self.object())
    }
}

fn who(index: &PodIndex, addr: &str) -> String {
    match index.lookup(ip(addr)) {
        Caller::Pod(p) => alloc::format!("{}/{} {}", p.namespace(), p.name(), p.uid()),
        Caller::HostNetwork => "host".into(),
        Caller::Unknown => "unknown".into(),
    }
}

fn synced(pods: &[&P]) -> PodIndex {
    let mut index = PodIndex::new();
    index.apply(Event::Init);
    for p in pods {
        index.apply(p.init());
    }
    index.apply(Event::InitDone {
        resource_version: "1".into(),
    });
    index
}

#[test]
fn each_address_of_a_live_pod_names_it_with_its_identity() {
    let web = pod("web", "u-web", &["10.0.0.5", "fd00::5"])
        .sa("frontend")
        .label("app", "web");
    let index = synced(&[&web]);
    assert!(index.is_synced());
    for addr in ["10.0.0.5", "fd00::5"] {
        let Caller::Pod(p) = index.lookup(ip(addr)) else {
            panic!("{addr} unknown")
        };
        assert_eq!(p.service_account(), "frontend");
        assert_eq!(p.node(), "node-1");
        assert_eq!(p.phase(), Phase::Running);
        assert_eq!(p.label("app"), Some("web"));
        assert_eq!(p.labels().collect::<Vec<_>>(), [("app", "web")]);
        assert_eq!(p.ips().len(), 2);
    }
    assert_eq!(who(&index, "10.0.0.6"), "unknown");
    assert!(index.contains("demo", "web", "u-web"));
    assert!(!index.contains("demo", "web", "u-other"));
}

#[test]
fn host_network_pods_are_never_an_identity() {
    let agent = pod("agent", "u-agent", &["192.168.1.10"]).host();
    let other = pod("node-exporter", "u-ne", &["192.168.1.10"]).host();
    let mut index = synced(&[&agent, &other]);
    assert_eq!(who(&index, "192.168.1.10"), "host");
    assert_eq!(index.len(), 2, "kept, to answer for their address");
    assert_eq!(index.addresses(), 0, "but no address names them");
    index.apply(agent.delete());
    assert_eq!(who(&index, "192.168.1.10"), "host", "one still reports it");
    index.apply(other.delete());
    assert_eq!(who(&index, "192.168.1.10"), "unknown");
}

#[test]
fn finished_and_terminating_pods_release_their_addresses() {
    for (end, finished) in [
        (
            "Succeeded",
            pod("job", "u1", &["10.0.0.7"]).phase("Succeeded"),
        ),
        ("Failed", pod("job", "u1", &["10.0.0.7"]).phase("Failed")),
        ("deleting", pod("job", "u1", &["10.0.0.7"]).deleting()),
    ] {
        let live = pod("job", "u1", &["10.0.0.7"]);
        let mut index = synced(&[&live]);
        assert_eq!(who(&index, "10.0.0.7"), "demo/job u1");
        index.apply(finished.apply());
        assert_eq!(who(&index, "10.0.0.7"), "unknown", "{end}");
        assert!(index.is_empty(), "{end}");
        // Its later updates and its delete change nothing.
        index.apply(finished.apply());
        index.apply(finished.delete());
        assert!(index.is_empty());
        assert_eq!(index.strings.len(), 0, "{end}: no string left behind");
    }
}

#[test]
fn a_reused_address_belongs_to_the_new_pod_and_the_late_delete_keeps_it() {
    let old = pod("old", "u-old", &["10.0.0.9"]).sa("old-sa");
    let new = pod("new", "u-new", &["10.0.0.9"]).sa("new-sa");
    let mut index = synced(&[&old]);
    index.apply(new.apply());
    assert_eq!(who(&index, "10.0.0.9"), "demo/new u-new");
    // The old Pod's late updates repeat the address: no take-back.
    let touched = pod("old", "u-old", &["10.0.0.9"])
        .sa("old-sa")
        .label("touched", "yes");
    index.apply(touched.apply());
    assert_eq!(who(&index, "10.0.0.9"), "demo/new u-new");
    index.apply(
        pod("old", "u-old", &["10.0.0.9"])
            .phase("Succeeded")
            .apply(),
    );
    assert_eq!(who(&index, "10.0.0.9"), "demo/new u-new");
    index.apply(old.delete());
    assert_eq!(who(&index, "10.0.0.9"), "demo/new u-new");
    assert_eq!(index.len(), 1);
    // And the same when the delete is all that comes.
    let mut index = synced(&[&old]);
    index.apply(new.apply());
    index.apply(old.delete());
    assert_eq!(who(&index, "10.0.0.9"), "demo/new u-new");
}

#[test]
fn a_pod_recreated_under_its_name_is_a_new_pod_and_the_old_delete_is_ignored() {
    let first = pod("web-0", "u-1", &["10.0.0.3"]);
    let second = pod("web-0", "u-2", &["10.0.0.4"]);
    let mut index = synced(&[&first]);
    index.apply(second.apply());
    assert_eq!(
        who(&index, "10.0.0.3"),
        "unknown",
        "the old address is released"
    );
    assert_eq!(who(&index, "10.0.0.4"), "demo/web-0 u-2");
    index.apply(first.delete());
    assert_eq!(
        who(&index, "10.0.0.4"),
        "demo/web-0 u-2",
        "stale delete ignored"
    );
    index.apply(second.delete());
    assert!(index.is_empty());
}

#[test]
fn an_address_appears_when_assigned_and_moves_when_changed() {
    let pending = pod("web", "u1", &[]).phase("Pending");
    let mut index = synced(&[&pending]);
    assert_eq!(index.addresses(), 0);
    index.apply(pod("web", "u1", &["10.0.0.2"]).apply());
    assert_eq!(who(&index, "10.0.0.2"), "demo/web u1");
    index.apply(pod("web", "u1", &["10.0.0.3"]).apply());
    assert_eq!(who(&index, "10.0.0.2"), "unknown");
    assert_eq!(who(&index, "10.0.0.3"), "demo/web u1");
}

fn vanished(name: &str) -> Event<PodView> {
    Event::InitDelete(Tombstone {
        key: ObjectKey::namespaced("demo", name),
        resource_version: "1".into(),
    })
}

#[test]
fn a_relist_updates_the_index_in_place_without_a_window_where_a_live_pod_is_unknown() {
    let a = pod("a", "ua", &["10.0.0.1"]);
    let b = pod("b", "ub", &["10.0.0.2"]).label("v", "1");
    let c = pod("c", "uc", &["10.0.0.3"]);
    let mut index = synced(&[&a, &b, &c]);
    // 410 Gone: the machine relists, reporting every listed Pod and then
    // the ones gone meanwhile. While away, c was deleted and d got its
    // address; b changed; a did not.
    let d = pod("d", "ud", &["10.0.0.3"]);
    let b2 = pod("b", "ub", &["10.0.0.2"]).label("v", "2");
    let events = [Event::Init, a.init(), b2.init(), d.init(), vanished("c")];
    for event in events {
        index.apply(event);
        assert!(!index.is_synced() && index.has_synced());
        assert_eq!(who(&index, "10.0.0.1"), "demo/a ua");
        assert_eq!(who(&index, "10.0.0.2"), "demo/b ub");
        assert_ne!(who(&index, "10.0.0.3"), "unknown");
    }
    index.apply(Event::InitDone {
        resource_version: "2".into(),
    });
    assert!(index.is_synced());
    assert_eq!(
        who(&index, "10.0.0.3"),
        "demo/d ud",
        "c gone, d keeps the address"
    );
    assert!(index.get("demo", "c").is_none());
    assert_eq!(index.get("demo", "b").and_then(|p| p.label("v")), Some("2"));
    assert_eq!(index.len(), 3);
}

/// The same through the list+watch machine itself: LIST, WATCH answered
/// with 410 Gone, relist. If the machine's event contract changes, this
/// is where it shows.
#[test]
fn a_410_relist_through_the_machine_keeps_every_live_pod_known() {
    use crate::known;
    use crate::listwatch::{Config, Input, Instant, ListWatch, Output};

    let item = |name: &str, uid: &str, rv: u32, ip: &str| {
        alloc::format!(
            r#"{{"metadata":{{"name":"{name}","namespace":"demo","uid":"{uid}","resourceVersion":"{rv}"}},"spec":{{"nodeName":"node-1"}},"status":{{"phase":"Running","podIP":"{ip}"}}}}"#
        )
    };
    let list = |rv: u32, items: &[String]| {
        alloc::format!(
            r#"{{"kind":"PodList","apiVersion":"v1","metadata":{{"resourceVersion":"{rv}"}},"items":[{}]}}"#,
            items.join(",")
        )
    };
    let now = Instant(0);
    let mut lw = ListWatch::<PodView>::new(
        Config::new(known::pods().all()).watch_list(false).seed(1),
        now,
    )
    .unwrap();
    let mut index = PodIndex::new();
    let mut answers = alloc::vec![
        (200u16, list(10, &[item("a", "ua", 1, "10.0.0.1"), item("b", "ub", 2, "10.0.0.2"), item("c", "uc", 3, "10.0.0.3")])),
        (410, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 10 (20)","reason":"Expired","code":410}"#.into()),
        (200, list(30, &[item("a", "ua", 1, "10.0.0.1"), item("b", "ub", 25, "10.0.0.2"), item("d", "ud", 26, "10.0.0.3")])),
    ]
    .into_iter();
    let mut syncs = 0;
    let mut after_relist = Vec::new();
    while syncs < 2 {
        match lw.poll_output(now) {
            Output::Send(id, _) => {
                let (status, body) = answers.next().expect("no more requests expected");
                lw.handle_input(
                    now,
                    Input::Response {
                        id,
                        status,
                        headers: &[],
                    },
                );
                lw.handle_input(
                    now,
                    Input::Body {
                        id,
                        bytes: body.as_bytes(),
                    },
                );
                lw.handle_input(now, Input::End { id });
            }
            Output::Event(e) => {
                let done = matches!(e, Event::InitDone { .. });
                let relisting = syncs == 1;
                index.apply(e);
                if relisting {
                    after_relist.push((
                        who(&index, "10.0.0.1"),
                        who(&index, "10.0.0.2"),
                        who(&index, "10.0.0.3"),
                    ));
                }
                syncs += usize::from(done);
            }
            Output::Error(e) | Output::Stopped(e) => panic!("{e}"),
            Output::Cancel(_) => {}
            Output::Idle { .. } => panic!("the machine waits for nothing here"),
        }
    }
    assert!(
        after_relist.len() >= 3,
        "Init, changes, InitDone: {after_relist:?}"
    );
    for (a, b, c) in &after_relist {
        assert_eq!(a, "demo/a ua");
        assert_eq!(b, "demo/b ub");
        assert_ne!(c, "unknown");
    }
    assert_eq!(who(&index, "10.0.0.3"), "demo/d ud");
    assert!(index.get("demo", "c").is_none());
    assert!(index.is_synced());
}

#[test]
fn strings_are_shared_and_released_with_the_pods() {
    let pods: Vec<P> = (0..50)
        .map(|i| {
            let name: &'static str =
                alloc::boxed::Box::leak(alloc::format!("p{i}").into_boxed_str());
            let addr: &'static str =
                alloc::boxed::Box::leak(alloc::format!("10.1.0.{i}").into_boxed_str());
            pod(name, "u", &[addr]).sa("shared").label("app", "web")
        })
        .collect();
    let refs: Vec<&P> = pods.iter().collect();
    let mut index = synced(&refs);
    // "demo", "shared", "node-1", "app", "web".
    assert_eq!(index.strings.len(), 5);
    for p in &pods {
        index.apply(p.delete());
    }
    assert_eq!(index.strings.len(), 0);
    assert_eq!(index.addresses(), 0);
    assert!(index.by_key.is_empty());
}
