//! REST mapping on kube-apiserver v1.36's own discovery documents.

use std::path::Path;

use kubewire::restmap::MapError;
use kubewire::{RestMapper, Scope};

fn read(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/real-apiserver")
            .join(name),
    )
    .unwrap()
}

fn aggregated() -> RestMapper {
    let mut m = RestMapper::default();
    m.add_aggregated(&read("discovery-v2-api.json")).unwrap();
    m.add_aggregated(&read("discovery-v2-apis.json")).unwrap();
    m
}

#[test]
fn kubectl_names_map_to_resources() {
    let m = aggregated();
    for (typed, group, plural) in [
        ("cm", "", "configmaps"),
        ("configmap", "", "configmaps"),
        ("ConfigMap", "", "configmaps"),
        ("configmaps", "", "configmaps"),
        ("deploy", "apps", "deployments"),
        ("deployments.apps", "apps", "deployments"),
        ("deployments.v1.apps", "apps", "deployments"),
        ("ns", "", "namespaces"),
        ("crd", "apiextensions.k8s.io", "customresourcedefinitions"),
        ("po", "", "pods"),
        ("svc", "", "services"),
        ("sa", "", "serviceaccounts"),
    ] {
        let r = m.find(typed).unwrap_or_else(|e| panic!("{typed}: {e}"));
        assert_eq!(
            (r.resource.group.as_str(), r.resource.plural.as_str()),
            (group, plural),
            "{typed}"
        );
    }
    let ns = m.find("ns").unwrap();
    assert_eq!(ns.resource.scope, Scope::Cluster);
    assert!(ns.supports("watch"));
    let deploy = m.find("deploy").unwrap();
    assert_eq!(deploy.resource.kind, "Deployment");
    assert!(deploy.subresources.iter().any(|s| s == "scale"));
    // Events exist in core and in events.k8s.io: the core one wins, as in kubectl.
    assert_eq!(m.find("events").unwrap().resource.group, "");
    assert_eq!(
        m.find("events.events.k8s.io").unwrap().resource.group,
        "events.k8s.io"
    );
    assert_eq!(
        m.find("nope").unwrap_err(),
        MapError::NotFound("nope".into())
    );
    assert!(m.category("all").any(|r| r.resource.plural == "pods"));
    assert_eq!(
        m.find_kind("apps/v1", "Deployment")
            .unwrap()
            .resource
            .plural,
        "deployments"
    );
    assert_eq!(
        m.find_kind("v1", "ConfigMap").unwrap().resource.plural,
        "configmaps"
    );
    assert!(m.find_kind("apps/v2", "Deployment").is_err());
}

#[test]
fn legacy_resource_lists_map_too() {
    let mut m = RestMapper::default();
    m.add_resource_list(&read("discovery-api-v1.json")).unwrap();
    m.add_resource_list(&read("discovery-apis-apps-v1.json"))
        .unwrap();
    m.add_resource_list(&read("discovery-apis-example.com-v1.json"))
        .unwrap();
    assert_eq!(m.find("cm").unwrap().resource.plural, "configmaps");
    assert!(m
        .find("pods")
        .unwrap()
        .subresources
        .iter()
        .any(|s| s == "log"));
    assert_eq!(m.find("deploy").unwrap().resource.api_version(), "apps/v1");
    let w = m.find("widgets.example.com").unwrap();
    assert_eq!(w.resource.kind, "Widget");
    assert!(w.subresources.iter().any(|s| s == "status"));
}

#[test]
fn not_discovery_is_an_error() {
    let mut m = RestMapper::default();
    assert!(matches!(
        m.add_aggregated(&read("discovery-apis.json")),
        Err(MapError::Parse(_))
    ));
    assert!(matches!(
        m.add_aggregated(b"<html>"),
        Err(MapError::Parse(_))
    ));
}

#[test]
fn list_watchable_kinds_are_listed_and_watched_once_per_group() {
    let m = aggregated();
    let shown: Vec<_> = m
        .list_watchable()
        .map(|r| {
            (
                r.resource.group.as_str(),
                r.resource.version.as_str(),
                r.resource.plural.as_str(),
            )
        })
        .collect();
    // Discovery's order: the core group first.
    assert_eq!(shown[0].0, "");
    assert!(shown.contains(&("", "v1", "pods")));
    assert!(shown.contains(&("apps", "v1", "deployments")));
    // Neither listable nor watchable (bindings), or not watchable
    // (componentstatuses): not a live view's kind.
    assert!(!shown
        .iter()
        .any(|r| r.2 == "bindings" || r.2 == "componentstatuses"));
    // autoscaling serves v2 and v1: the preferred v2 only.
    let hpa: Vec<_> = shown
        .iter()
        .filter(|r| r.2 == "horizontalpodautoscalers")
        .collect();
    assert_eq!(hpa, [&("autoscaling", "v2", "horizontalpodautoscalers")]);
    for r in m.list_watchable() {
        assert!(
            r.supports("list") && r.supports("watch"),
            "{:?}",
            r.resource
        );
    }
}
