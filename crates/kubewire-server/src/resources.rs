//! The resource registry: which group/version/resources the server serves.
//!
//! Built-in types come from [`crate::kinds`]; CustomResourceDefinitions add
//! entries while the server runs (see [`ResourceDef::from_crd`]).

use serde_json::Value;

use crate::kinds::{self, Builtin, NameRule};

/// One servable resource (a row of discovery).
#[derive(Debug, Clone)]
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
    /// A CRD version's `selectableFields` (JSONPaths like `.spec.color`).
    pub selectable_fields: Vec<String>,
    /// A CRD version's `schema.openAPIV3Schema`, for the OpenAPI documents.
    pub schema: Option<Value>,
    /// Where `/scale` reads and writes, when the resource has one.
    pub scale: Option<ScalePaths>,
    /// True for resources defined by a CRD.
    pub custom: bool,
    /// The kind's own rules, for built-in kinds.
    pub builtin: Option<&'static Builtin>,
}

/// The JSONPaths of a scale subresource (a CRD's `subresources.scale`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePaths {
    /// `.spec.replicas`.
    pub spec_replicas: String,
    /// `.status.replicas`.
    pub status_replicas: String,
    /// Where the label selector (as text) is, if anywhere; built-ins read
    /// `spec.selector` instead.
    pub label_selector: Option<String>,
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

    /// The group and plural its objects are stored under: its own, or
    /// those of the kind it is stored as ([`crate::kinds::StoredAs`]).
    pub fn storage(&self) -> (&str, &str) {
        match self.stored_as() {
            Some(s) => (s.group, s.plural),
            None => (&self.group, &self.plural),
        }
    }

    /// The kind it is stored as, when that is another kind.
    pub fn stored_as(&self) -> Option<&'static crate::kinds::StoredAs> {
        self.builtin.and_then(|b| b.stored_as)
    }

    /// A stored object as this resource serves it. A custom object is
    /// defaulted as it is read, as the real server defaults what it reads
    /// from etcd: a default added to the CRD later shows on objects
    /// stored before.
    pub fn served<'a>(&self, stored: &'a Value) -> std::borrow::Cow<'a, Value> {
        if let (true, Some(schema)) = (self.custom, &self.schema) {
            if crate::structural::lacks_defaults(schema, stored) {
                let mut o = stored.clone();
                crate::structural::apply_defaults(schema, &mut o);
                return std::borrow::Cow::Owned(o);
            }
        }
        match self.stored_as() {
            Some(s) => std::borrow::Cow::Owned((s.served)(stored)),
            None => std::borrow::Cow::Borrowed(stored),
        }
    }

    /// An object of this resource in its stored form.
    pub fn stored<'a>(&self, served: &'a Value) -> std::borrow::Cow<'a, Value> {
        match self.stored_as() {
            Some(s) => std::borrow::Cow::Owned((s.stored)(served)),
            None => std::borrow::Cow::Borrowed(served),
        }
    }

    /// The verbs discovery advertises.
    pub fn verbs(&self) -> Vec<&'static str> {
        if let Some(row) = self.builtin.and_then(Builtin::names) {
            return row.verbs.to_vec();
        }
        // A CustomResourceDefinition's resource: the whole read-write API.
        kubewire::builtin::CRUD.to_vec()
    }

    /// Which names objects may have.
    pub fn name_rule(&self) -> NameRule {
        self.builtin.map_or(NameRule::Subdomain, |b| b.names)
    }

    /// Whether DELETE answers with the object rather than a Status.
    pub fn delete_returns_object(&self) -> bool {
        self.builtin.is_some_and(|b| b.delete_returns_object)
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
            let sc = &v["subresources"]["scale"];
            let scale = sc.is_object().then(|| {
                subresources.push("scale".to_string());
                ScalePaths {
                    spec_replicas: sc["specReplicasPath"]
                        .as_str()
                        .unwrap_or(".spec.replicas")
                        .into(),
                    status_replicas: sc["statusReplicasPath"]
                        .as_str()
                        .unwrap_or(".status.replicas")
                        .into(),
                    label_selector: sc["labelSelectorPath"].as_str().map(String::from),
                }
            });
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
                selectable_fields: v["selectableFields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["jsonPath"].as_str().map(String::from))
                    .collect(),
                schema: v["schema"]["openAPIV3Schema"]
                    .as_object()
                    .map(|o| Value::Object(o.clone())),
                scale,
                custom: true,
                builtin: None,
            });
        }
        out
    }
}

impl ResourceDef {
    /// A built-in resource: the server's rules for it ([`Builtin`]), its
    /// names, kind, scope and categories from the core's table of what
    /// kube-apiserver serves. `None` for a kind the core does not know.
    pub fn builtin(b: &'static Builtin) -> Option<ResourceDef> {
        let row = b.names()?;
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Some(ResourceDef {
            group: b.group.into(),
            version: b.version.into(),
            plural: b.plural.into(),
            singular: row.singular.into(),
            kind: row.kind.into(),
            namespaced: row.scope == kubewire::Scope::Namespaced,
            short_names: s(row.short_names),
            categories: s(row.categories),
            subresources: s(b.subresources),
            printer_columns: Vec::new(),
            selectable_fields: Vec::new(),
            schema: None,
            scale: b.scale.then(|| ScalePaths {
                spec_replicas: ".spec.replicas".into(),
                status_replicas: ".status.replicas".into(),
                label_selector: None,
            }),
            custom: false,
            builtin: Some(b),
        })
    }
}

/// The built-in resources this server serves.
pub fn builtins() -> Vec<ResourceDef> {
    kinds::ALL
        .iter()
        .filter_map(|b| ResourceDef::builtin(b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_resource_is_a_row_of_the_core_table() {
        assert_eq!(builtins().len(), kinds::ALL.len());
        let pods = builtins().into_iter().find(|d| d.plural == "pods").unwrap();
        assert_eq!(
            (pods.singular.as_str(), pods.short_names.as_slice()),
            ("pod", &["po".to_string()][..])
        );
        assert_eq!(pods.categories, ["all"]);
    }
}
