//! Discovery documents (`/api`, `/apis`, `/apis/G/V`, aggregated discovery
//! v2), `/version`, and the OpenAPI documents kubectl asks for.

use serde_json::{json, Value};

use crate::resources::ResourceDef;

/// The version this server reports (the captures' kube-apiserver).
pub const KUBE_VERSION: &str = "v1.36.2";

/// `/version`.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "36",
        "emulationMajor": "1",
        "emulationMinor": "36",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "35",
        "gitVersion": KUBE_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "kubewire-server",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, if cfg!(target_arch = "x86_64") { "amd64" } else { std::env::consts::ARCH }),
    })
}

/// `/api` (legacy APIVersions).
pub fn api_versions(server_address: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]})
}

/// The named groups in a stable order, each with its versions.
fn groups(defs: &[ResourceDef]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for d in defs.iter().filter(|d| !d.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == d.group) {
            Some((_, vs)) => {
                if !vs.contains(&d.version) {
                    vs.push(d.version.clone());
                }
            }
            None => out.push((d.group.clone(), vec![d.version.clone()])),
        }
    }
    out
}

/// One group of an APIGroupList: its versions, the first preferred.
pub fn group_json(name: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    json!({"name": name, "versions": vs, "preferredVersion": vs[0]})
}

/// `/apis` (APIGroupList).
pub fn api_group_list(defs: &[ResourceDef]) -> Value {
    let gs: Vec<Value> = groups(defs)
        .iter()
        .map(|(g, vs)| group_json(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": gs})
}

/// `/apis/G` (APIGroup), if the group is served.
pub fn api_group(defs: &[ResourceDef], group: &str) -> Option<Value> {
    let (g, vs) = groups(defs).into_iter().find(|(g, _)| g == group)?;
    let mut v = group_json(&g, &vs);
    v["kind"] = "APIGroup".into();
    v["apiVersion"] = "v1".into();
    Some(v)
}

/// `/api/v1` or `/apis/G/V` (APIResourceList), if served.
pub fn resource_list(defs: &[ResourceDef], group: &str, version: &str) -> Option<Value> {
    let mut rs = Vec::new();
    for d in defs
        .iter()
        .filter(|d| d.group == group && d.version == version)
    {
        let mut r = json!({
            "name": d.plural,
            "singularName": d.singular,
            "namespaced": d.namespaced,
            "kind": d.kind,
            "verbs": d.verbs(),
        });
        if !d.short_names.is_empty() {
            r["shortNames"] = json!(d.short_names);
        }
        if !d.categories.is_empty() {
            r["categories"] = json!(d.categories);
        }
        r["storageVersionHash"] = d.storage_version_hash().into();
        rs.push(r);
        for s in &d.subresources {
            let (kind, verbs, extra) = subresource_shape(s, &d.kind);
            let mut r = json!({"name": format!("{}/{s}", d.plural), "singularName": "", "namespaced": d.namespaced});
            if let Some((g, v)) = extra {
                r["group"] = g.into();
                r["version"] = v.into();
            }
            r["kind"] = kind.into();
            r["verbs"] = json!(verbs);
            rs.push(r);
        }
    }
    if rs.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": rs}),
    )
}

type SubShape = (
    String,
    Vec<&'static str>,
    Option<(&'static str, &'static str)>,
);

fn subresource_shape(sub: &str, kind: &str) -> SubShape {
    match sub {
        "token" => (
            "TokenRequest".into(),
            vec!["create"],
            Some(("authentication.k8s.io", "v1")),
        ),
        "scale" => (
            "Scale".into(),
            vec!["get", "patch", "update"],
            Some(("autoscaling", "v1")),
        ),
        "log" => (kind.to_string(), vec!["get"], None),
        _ => (kind.to_string(), vec!["get", "patch", "update"], None),
    }
}

/// Aggregated discovery v2 for the core group (`/api`) or all named groups
/// (`/apis`).
pub fn aggregated(defs: &[ResourceDef], core: bool) -> Value {
    let names: Vec<(String, Vec<String>)> = if core {
        vec![(String::new(), vec!["v1".to_string()])]
    } else {
        groups(defs)
    };
    let items: Vec<Value> = names
        .iter()
        .map(|(g, vs)| {
            let versions: Vec<Value> = vs
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = defs
                        .iter()
                        .filter(|d| &d.group == g && &d.version == v)
                        .map(|d| {
                            let mut r = json!({
                                "resource": d.plural,
                                "responseKind": {"group": "", "version": "", "kind": d.kind},
                                "scope": if d.namespaced { "Namespaced" } else { "Cluster" },
                                "singularResource": d.singular,
                                "verbs": d.verbs(),
                            });
                            if !d.short_names.is_empty() {
                                r["shortNames"] = json!(d.short_names);
                            }
                            if !d.categories.is_empty() {
                                r["categories"] = json!(d.categories);
                            }
                            if !d.subresources.is_empty() {
                                r["subresources"] = d
                                    .subresources
                                    .iter()
                                    .map(|s| {
                                        let (kind, verbs, extra) = subresource_shape(s, &d.kind);
                                        let (g, v) = extra.unwrap_or(("", ""));
                                        json!({"subresource": s, "responseKind": {"group": g, "version": v, "kind": kind}, "verbs": verbs})
                                    })
                                    .collect();
                            }
                            r
                        })
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            let mut meta = json!({});
            if !g.is_empty() {
                meta["name"] = g.as_str().into();
            }
            json!({"metadata": meta, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// An uppercase hex SHA-512 (the form of the real server's discovery ETags
/// and OpenAPI hashes).
pub fn hash_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA512, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// `/openapi/v2` in the protobuf form older kubectl asks for
/// (`openapi_v2.Document{swagger: "2.0", info: {title, version}}`).
/// With no definitions, kubectl skips client-side schema validation (the
/// JSON form, [`crate::openapi::v2`], has the real schemas).
pub fn openapi_v2_proto() -> Vec<u8> {
    fn field(tag: u8, bytes: &[u8]) -> Vec<u8> {
        let mut v = vec![tag, bytes.len() as u8];
        v.extend_from_slice(bytes);
        v
    }
    let mut info = field(0x0a, b"Kubernetes");
    info.extend(field(0x12, KUBE_VERSION.as_bytes()));
    let mut doc = field(0x0a, b"2.0");
    doc.extend(field(0x12, &info));
    doc
}
