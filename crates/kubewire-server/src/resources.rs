//! The resource registry: which group/version/resources the server serves.
//!
//! Built-in types are a fixed table; CustomResourceDefinitions add entries
//! while the server runs (see [`ResourceDef::from_crd`]).

use serde_json::Value;

/// One servable resource (a row of discovery).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDef {
    /// API group; empty for the core group.
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Plural resource name used in paths.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Kind of one object.
    pub kind: String,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names for kubectl.
    pub short_names: Vec<String>,
    /// Categories (e.g. `all`).
    pub categories: Vec<String>,
    /// Subresources served: `status`, `token`, ...
    pub subresources: Vec<String>,
    /// Extra printer columns `(name, type, jsonPath, priority)` for Tables.
    pub printer_columns: Vec<PrinterColumn>,
    /// True for resources defined by a CRD.
    pub custom: bool,
}

/// An `additionalPrinterColumns` entry of a CRD.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    /// Column header.
    pub name: String,
    /// OpenAPI type (`string`, `integer`, `date`, ...).
    pub type_: String,
    /// Simple JSONPath like `.spec.size`.
    pub json_path: String,
    /// 0 for default columns, 1 for `-o wide`.
    pub priority: i64,
    /// Column description.
    pub description: String,
}

impl ResourceDef {
    /// `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The verbs discovery advertises.
    pub fn verbs(&self) -> Vec<&'static str> {
        vec![
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }

    /// Whether the resource has a status subresource (status is then
    /// ignored on writes to the main resource).
    pub fn has_status(&self) -> bool {
        self.subresources.iter().any(|s| s == "status")
    }

    /// The `storageVersionHash` discovery field: a stable short hash.
    pub fn storage_version_hash(&self) -> String {
        use base64::Engine as _;
        let d = ring::digest::digest(
            &ring::digest::SHA256,
            format!("{}/{}/{}", self.group, self.version, self.kind).as_bytes(),
        );
        base64::engine::general_purpose::STANDARD.encode(&d.as_ref()[..8])
    }

    /// Builds the definition for the served versions of a CRD object.
    /// Returns one entry per served version.
    pub fn from_crd(crd: &Value) -> Vec<ResourceDef> {
        let spec = &crd["spec"];
        let group = spec["group"].as_str().unwrap_or_default().to_string();
        let names = &spec["names"];
        let strs = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let plural = names["plural"].as_str().unwrap_or_default().to_string();
        let kind = names["kind"].as_str().unwrap_or_default().to_string();
        let singular = names["singular"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| kind.to_lowercase());
        let namespaced = spec["scope"].as_str() != Some("Cluster");
        let mut out = Vec::new();
        for v in spec["versions"].as_array().into_iter().flatten() {
            if v["served"].as_bool() == Some(false) {
                continue;
            }
            let mut subresources = Vec::new();
            if v["subresources"]["status"].is_object() {
                subresources.push("status".to_string());
            }
            let printer_columns = v["additionalPrinterColumns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| PrinterColumn {
                    name: c["name"].as_str().unwrap_or_default().to_string(),
                    type_: c["type"].as_str().unwrap_or("string").to_string(),
                    json_path: c["jsonPath"].as_str().unwrap_or_default().to_string(),
                    priority: c["priority"].as_i64().unwrap_or(0),
                    description: c["description"].as_str().unwrap_or_default().to_string(),
                })
                .collect();
            out.push(ResourceDef {
                group: group.clone(),
                version: v["name"].as_str().unwrap_or_default().to_string(),
                plural: plural.clone(),
                singular: singular.clone(),
                kind: kind.clone(),
                namespaced,
                short_names: strs(&names["shortNames"]),
                categories: strs(&names["categories"]),
                subresources,
                printer_columns,
                custom: true,
            });
        }
        out
    }
}

impl ResourceDef {
    /// A built-in resource: its names, kind, scope and categories from the
    /// core's table of what kube-apiserver serves; `subresources` are the
    /// ones this server implements.
    pub fn builtin(b: &kubewire::builtin::Builtin, subresources: &[&str]) -> ResourceDef {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        ResourceDef {
            group: b.group.to_string(),
            version: b.version.to_string(),
            plural: b.plural.to_string(),
            singular: b.singular.to_string(),
            kind: b.kind.to_string(),
            namespaced: b.scope == kubewire::Scope::Namespaced,
            short_names: s(b.short_names),
            categories: s(b.categories),
            subresources: s(subresources),
            printer_columns: vec![],
            custom: false,
        }
    }
}

/// The built-in resources this server serves (group, plural) and the
/// subresources it implements for each.
const SERVED: &[(&str, &str, &[&str])] = &[
    ("", "configmaps", &[]),
    ("", "endpoints", &[]),
    ("", "events", &[]),
    ("", "namespaces", &["status"]),
    ("", "nodes", &["status"]),
    ("", "persistentvolumeclaims", &["status"]),
    ("", "pods", &["status"]),
    ("", "secrets", &[]),
    ("", "serviceaccounts", &["token"]),
    ("", "services", &["status"]),
    ("apps", "daemonsets", &["status"]),
    ("apps", "deployments", &["status"]),
    ("apps", "replicasets", &["status"]),
    ("apps", "statefulsets", &["status"]),
    ("coordination.k8s.io", "leases", &[]),
    (
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        &["status"],
    ),
];

/// The built-in resources (all at version v1).
pub fn builtins() -> Vec<ResourceDef> {
    SERVED
        .iter()
        .filter_map(|(group, plural, subresources)| {
            let b = kubewire::builtin::get(group, "v1", plural)?;
            Some(ResourceDef::builtin(b, subresources))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_resource_is_a_row_of_the_core_table() {
        assert_eq!(builtins().len(), SERVED.len());
        let pods = builtins().into_iter().find(|d| d.plural == "pods").unwrap();
        assert_eq!(
            (pods.singular.as_str(), pods.short_names.as_slice()),
            ("pod", &["po".to_string()][..])
        );
        assert_eq!(pods.categories, ["all"]);
    }
}
