//! The built-in resource table against kube-apiserver v1.36.2's own
//! discovery documents: every resource the captures list is a row with the
//! same facts, and no row is missing from them.

use std::path::Path;

use kubewire::builtin::{self, Builtin, BUILTINS};
use kubewire::{known, RestMapper, Scope};
use serde_json::Value;

fn read(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/real-apiserver")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn owned(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// One row as the captures describe it, in the table's shape.
#[derive(Debug, PartialEq)]
struct Row {
    group: String,
    version: String,
    kind: String,
    plural: String,
    singular: String,
    scope: Scope,
    short_names: Vec<String>,
    categories: Vec<String>,
    verbs: Vec<String>,
    subresources: Vec<String>,
}

impl From<&Builtin> for Row {
    fn from(b: &Builtin) -> Self {
        Row {
            group: b.group.into(),
            version: b.version.into(),
            kind: b.kind.into(),
            plural: b.plural.into(),
            singular: b.singular.into(),
            scope: b.scope,
            short_names: owned(b.short_names),
            categories: owned(b.categories),
            verbs: owned(b.verbs),
            subresources: owned(b.subresources),
        }
    }
}

/// The rows of the aggregated documents for `/api` and `/apis`, in order.
fn aggregated_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for file in ["discovery-v2-api.json", "discovery-v2-apis.json"] {
        for group in read(file)["items"].as_array().unwrap() {
            let g = group["metadata"]["name"].as_str().unwrap_or("");
            for version in group["versions"].as_array().unwrap() {
                for r in version["resources"].as_array().unwrap() {
                    rows.push(Row {
                        group: g.into(),
                        version: version["version"].as_str().unwrap().into(),
                        kind: r["responseKind"]["kind"].as_str().unwrap().into(),
                        plural: r["resource"].as_str().unwrap().into(),
                        singular: r["singularResource"].as_str().unwrap().into(),
                        scope: match r["scope"].as_str().unwrap() {
                            "Cluster" => Scope::Cluster,
                            "Namespaced" => Scope::Namespaced,
                            other => panic!("scope {other}"),
                        },
                        short_names: strings(&r["shortNames"]),
                        categories: strings(&r["categories"]),
                        verbs: strings(&r["verbs"]),
                        subresources: r["subresources"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|s| s["subresource"].as_str().unwrap().to_owned())
                            .collect(),
                    });
                }
            }
        }
    }
    rows
}

#[test]
fn the_table_is_the_api_servers_aggregated_discovery_row_for_row() {
    let want = aggregated_rows();
    let have: Vec<Row> = BUILTINS.iter().map(Row::from).collect();
    for (i, (h, w)) in have.iter().zip(&want).enumerate() {
        assert_eq!(h, w, "row {i}");
    }
    assert_eq!(have.len(), want.len(), "rows");
}

#[test]
fn the_table_agrees_with_every_captured_resource_list_of_a_built_in_group() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/real-apiserver");
    let built_in_groups: Vec<&str> = BUILTINS.iter().map(|b| b.group).collect();
    let mut checked = 0;
    let mut lists = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let is_list = name == "discovery-api-v1.json"
            || (name.starts_with("discovery-apis-") && name.ends_with(".json"));
        if !is_list {
            continue;
        }
        let doc = read(&name);
        if doc["kind"] != "APIResourceList" {
            continue;
        }
        let gv = doc["groupVersion"].as_str().unwrap();
        let (group, version) = gv.split_once('/').unwrap_or(("", gv));
        if !built_in_groups.contains(&group) {
            // A CustomResourceDefinition's group (example.com): not built in.
            assert!(group.ends_with("example.com"), "{name}: group {group}");
            continue;
        }
        lists += 1;
        let resources = doc["resources"].as_array().unwrap();
        for r in resources {
            let plural = r["name"].as_str().unwrap();
            if let Some((parent, sub)) = plural.split_once('/') {
                let b = builtin::get(group, version, parent).unwrap();
                assert!(b.subresources.contains(&sub), "{gv} {plural}");
                continue;
            }
            let b = builtin::get(group, version, plural)
                .unwrap_or_else(|| panic!("{gv} {plural} is not in the table"));
            assert_eq!(b.kind, r["kind"], "{gv} {plural}");
            assert_eq!(b.singular, r["singularName"], "{gv} {plural}");
            assert_eq!(b.scope == Scope::Namespaced, r["namespaced"] == true);
            assert_eq!(owned(b.short_names), strings(&r["shortNames"]));
            assert_eq!(owned(b.categories), strings(&r["categories"]));
            assert_eq!(owned(b.verbs), strings(&r["verbs"]));
            let subs = resources
                .iter()
                .filter_map(|s| s["name"].as_str()?.strip_prefix(&format!("{plural}/")))
                .count();
            assert_eq!(b.subresources.len(), subs, "{gv} {plural} subresources");
            checked += 1;
        }
    }
    assert!(
        lists >= 14 && checked >= 50,
        "{lists} lists, {checked} rows"
    );
}

#[test]
fn kubectl_names_find_the_row_kubectl_would() {
    for (typed, group, version, plural) in [
        ("po", "", "v1", "pods"),
        ("pod", "", "v1", "pods"),
        ("PODS", "", "v1", "pods"),
        ("Pod", "", "v1", "pods"),
        ("cm", "", "v1", "configmaps"),
        ("ep", "", "v1", "endpoints"),
        ("endpoints", "", "v1", "endpoints"),
        ("ns", "", "v1", "namespaces"),
        ("deploy", "apps", "v1", "deployments"),
        ("deployments.apps", "apps", "v1", "deployments"),
        ("deployments.v1.apps", "apps", "v1", "deployments"),
        ("Deployment.apps", "apps", "v1", "deployments"),
        // Two groups serve Events: the core one first, as kubectl picks it.
        ("ev", "", "v1", "events"),
        ("events", "", "v1", "events"),
        ("events.events.k8s.io", "events.k8s.io", "v1", "events"),
        // The preferred version first.
        ("hpa", "autoscaling", "v2", "horizontalpodautoscalers"),
        (
            "hpa.v1.autoscaling",
            "autoscaling",
            "v1",
            "horizontalpodautoscalers",
        ),
        (
            "crd",
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
        ),
        (
            "crds",
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
        ),
        ("netpol", "networking.k8s.io", "v1", "networkpolicies"),
        ("limits", "", "v1", "limitranges"),
        ("quota", "", "v1", "resourcequotas"),
        ("cj", "batch", "v1", "cronjobs"),
        ("pc", "scheduling.k8s.io", "v1", "priorityclasses"),
        (
            "clusterrolebindings",
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
        ),
    ] {
        let b = builtin::find(typed).unwrap_or_else(|| panic!("{typed}"));
        assert_eq!(
            (b.group, b.version, b.plural),
            (group, version, plural),
            "{typed}"
        );
    }
    for unknown in ["widgets", "wg", "deployments.v2.apps", "pods.apps", "", "."] {
        assert_eq!(builtin::find(unknown), None, "{unknown:?}");
    }
}

#[test]
fn the_built_in_mapper_finds_what_the_table_finds() {
    let mapper = RestMapper::builtin();
    assert_eq!(mapper.resources.len(), BUILTINS.len());
    for b in BUILTINS {
        for typed in [b.plural, b.singular, b.kind]
            .into_iter()
            .chain(b.short_names.iter().copied())
        {
            let found = builtin::find(typed).unwrap();
            let mapped = mapper.find(typed).unwrap();
            assert_eq!(mapped.resource, found.api_resource(), "{typed}");
        }
    }
    // And discovery agrees with the table for every built-in name.
    let mut discovered = RestMapper::default();
    for file in ["discovery-v2-api.json", "discovery-v2-apis.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/real-apiserver")
            .join(file);
        discovered
            .add_aggregated(&std::fs::read(path).unwrap())
            .unwrap();
    }
    assert_eq!(discovered, mapper);
}

#[test]
fn known_resources_are_rows_of_the_table() {
    for (r, plural) in [
        (known::pods(), "pods"),
        (known::config_maps(), "configmaps"),
        (known::namespaces(), "namespaces"),
        (known::deployments(), "deployments"),
        (
            known::custom_resource_definitions(),
            "customresourcedefinitions",
        ),
        (known::leases(), "leases"),
        (known::events_k8s_io_events(), "events"),
        (
            known::horizontal_pod_autoscalers_v1(),
            "horizontalpodautoscalers",
        ),
    ] {
        let b = builtin::get(&r.group, &r.version, plural).unwrap();
        assert_eq!(b.api_resource(), r);
    }
    assert_eq!(known::events().group, "");
    assert_eq!(known::events_k8s_io_events().group, "events.k8s.io");
    assert_eq!(known::horizontal_pod_autoscalers().version, "v2");
}
