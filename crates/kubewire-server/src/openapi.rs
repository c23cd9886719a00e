//! The OpenAPI documents: `/openapi/v2` and `/openapi/v3/<group-version>`
//! with the real schemas, so `kubectl explain` works and clients learn list
//! types and merge keys.
//!
//! Built-in groups are served from the documents kube-apiserver v1.36.2
//! published, captured and packed by `scripts/pack-openapi.py` into
//! `openapi/v3.json.gz` and `openapi/v2.json.gz` (kept loadable as data for
//! schema validation later). Each CustomResourceDefinition adds a document
//! built from its versions' `openAPIV3Schema`, as the real server does.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::discovery::{hash_hex, KUBE_VERSION};
use crate::resources::ResourceDef;

static V3_GZ: &[u8] = include_bytes!("../openapi/v3.json.gz");
static V2_GZ: &[u8] = include_bytes!("../openapi/v2.json.gz");

fn gunzip(bytes: &[u8]) -> Value {
    let mut text = Vec::new();
    let ok = flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut text)
        .is_ok();
    ok.then(|| serde_json::from_slice(&text).ok())
        .flatten()
        .unwrap_or(Value::Null)
}

/// The built-in v3 documents by path (`api/v1`, `apis/apps/v1`), with
/// their hashes.
fn v3() -> &'static BTreeMap<String, (Value, String)> {
    static DOCS: OnceLock<BTreeMap<String, (Value, String)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let Value::Object(m) = gunzip(V3_GZ) else {
            return BTreeMap::new();
        };
        m.into_iter()
            .map(|(k, doc)| {
                let hash = hash_hex(&serde_json::to_vec(&doc).unwrap_or_default());
                (k, (doc, hash))
            })
            .collect()
    })
}

/// The built-in v2 document.
pub fn builtin_v2() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| gunzip(V2_GZ))
}

/// The description of `property` of the built-in schema `schema`
/// (`io.k8s.api.storage.v1.CSIStorageCapacity`), from the v2 document,
/// which holds every definition once.
pub fn property_description(schema: &str, property: &str) -> Option<&'static str> {
    builtin_v2()["definitions"][schema]["properties"][property]["description"].as_str()
}

/// A built-in kind's schema in the served v3 documents: the document's
/// `components.schemas` and the kind's schema name in it (found by its
/// `x-kubernetes-group-version-kind`), for [`crate::schema`].
pub fn builtin_schema(
    group: &str,
    version: &str,
    kind: &str,
) -> Option<(&'static Map<String, Value>, &'static str)> {
    type Index = BTreeMap<(String, String, String), (String, String)>;
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut out = Index::new();
        for (path, (doc, _)) in v3() {
            for (name, s) in doc["components"]["schemas"]
                .as_object()
                .into_iter()
                .flatten()
            {
                for gvk in s["x-kubernetes-group-version-kind"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let part = |k: &str| gvk[k].as_str().unwrap_or("").to_string();
                    // The document of the group version itself (the meta
                    // kinds appear in every document).
                    if gv_path(&part("group"), &part("version")) == *path {
                        out.insert(
                            (part("group"), part("version"), part("kind")),
                            (path.clone(), name.clone()),
                        );
                    }
                }
            }
        }
        out
    });
    let (path, name) = index.get(&(group.to_string(), version.to_string(), kind.to_string()))?;
    let schemas = v3().get(path)?.0["components"]["schemas"].as_object()?;
    Some((schemas, name.as_str()))
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `com.example.v1.Widget` for group `example.com`: the real server's
/// schema names for custom kinds.
fn custom_name(group: &str, version: &str, kind: &str) -> String {
    let mut parts: Vec<&str> = group.split('.').collect();
    parts.reverse();
    format!("{}.{version}.{kind}", parts.join("."))
}

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";

/// The metadata schemas a custom kind's document refers to, copied from
/// a built-in document.
fn meta_schemas(into: &mut Map<String, Value>) {
    let Some((doc, _)) = v3().get("apis/apps/v1") else {
        return;
    };
    for (k, v) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if k.starts_with(META) {
            into.insert(k.clone(), v.clone());
        }
    }
}

fn custom_schema(d: &ResourceDef) -> Value {
    let mut s = d
        .schema
        .clone()
        .unwrap_or_else(|| json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
    if !s["properties"].is_object() {
        s["properties"] = json!({});
    }
    s["properties"]["apiVersion"] = json!({"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."});
    s["properties"]["kind"] = json!({"type": "string", "description": "Kind is a string value representing the REST resource this object represents."});
    s["properties"]["metadata"] = json!({"allOf": [{"$ref": format!("#/components/schemas/{META}ObjectMeta")}], "description": "Standard object's metadata."});
    s["x-kubernetes-group-version-kind"] =
        json!([{"group": d.group, "version": d.version, "kind": d.kind}]);
    s
}

/// The document of a group version with custom resources.
fn custom_doc(defs: &[&ResourceDef]) -> Value {
    let mut schemas = Map::new();
    meta_schemas(&mut schemas);
    let mut paths = Map::new();
    for d in defs {
        let name = custom_name(&d.group, &d.version, &d.kind);
        schemas.insert(name.clone(), custom_schema(d));
        schemas.insert(
            format!("{name}List"),
            json!({"type": "object", "required": ["items"], "properties": {
                "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}},
                "metadata": {"allOf": [{"$ref": format!("#/components/schemas/{META}ListMeta")}]}},
                "x-kubernetes-group-version-kind": [{"group": d.group, "version": d.version, "kind": format!("{}List", d.kind)}]}),
        );
        let base = format!("/{}", gv_path(&d.group, &d.version));
        let item = if d.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", d.plural)
        } else {
            format!("{base}/{}/{{name}}", d.plural)
        };
        let gvk = json!({"group": d.group, "version": d.version, "kind": d.kind});
        let params = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}}
        ]);
        let ok = json!({"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}}});
        let op = |action: &str, id: &str| {
            json!({"operationId": format!("{id}{}", d.kind), "parameters": params, "responses": ok,
                   "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk})
        };
        paths.insert(item, json!({"get": op("get", "read"), "put": op("put", "replace"), "patch": op("patch", "patch"), "delete": op("delete", "delete")}));
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// `/openapi/v3/<path>` for a served group version.
pub fn v3_doc(defs: &[ResourceDef], group: &str, version: &str) -> Option<Value> {
    let in_gv: Vec<&ResourceDef> = defs
        .iter()
        .filter(|d| d.group == group && d.version == version)
        .collect();
    if in_gv.is_empty() {
        return None;
    }
    if in_gv.iter().any(|d| d.custom) {
        return Some(custom_doc(&in_gv));
    }
    v3().get(&gv_path(group, version))
        .map(|(doc, _)| doc.clone())
}

/// `/openapi/v3`: the index of group-version documents with their hashes.
pub fn v3_index(defs: &[ResourceDef]) -> Value {
    let mut gvs: Vec<(&str, &str)> = Vec::new();
    for d in defs {
        if !gvs.contains(&(d.group.as_str(), d.version.as_str())) {
            gvs.push((&d.group, &d.version));
        }
    }
    let mut paths = Map::new();
    for (g, v) in gvs {
        let p = gv_path(g, v);
        let hash = match v3().get(&p) {
            Some((_, h))
                if !defs
                    .iter()
                    .any(|d| d.custom && d.group == g && d.version == v) =>
            {
                h.clone()
            }
            _ => match v3_doc(defs, g, v) {
                Some(doc) => hash_hex(&serde_json::to_vec(&doc).unwrap_or_default()),
                None => continue,
            },
        };
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}")}),
        );
    }
    json!({"paths": paths})
}

/// The group version a v2 path belongs to: `/api/v1/...` and
/// `/apis/G/V/...`; `None` for the rest (`/apis/`, `/apis/G/`, `/version/`).
fn path_gv(path: &str) -> Option<(&str, &str)> {
    if let Some(rest) = path.strip_prefix("/api/") {
        let v = rest.split('/').next().filter(|v| !v.is_empty())?;
        return Some(("", v));
    }
    let mut it = path.strip_prefix("/apis/")?.split('/');
    let g = it.next().filter(|g| !g.is_empty())?;
    let v = it.next().filter(|v| !v.is_empty())?;
    Some((g, v))
}

/// The names of the definitions `v` refers to (`#/definitions/NAME`).
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                if let Some(n) = r.strip_prefix("#/definitions/") {
                    out.push(n.to_string());
                }
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// The v2 paths of a custom resource: its collections (list, create) and
/// its objects (get, replace, patch, delete), each with the query
/// parameters clients look for (kubectl's field-validation check reads
/// the `fieldValidation` of the kind's PATCH).
fn custom_v2_paths(d: &ResourceDef, into: &mut Map<String, Value>) {
    let name = custom_name(&d.group, &d.version, &d.kind);
    let base = format!("/{}", gv_path(&d.group, &d.version));
    let collection = if d.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}", d.plural)
    } else {
        format!("{base}/{}", d.plural)
    };
    let gvk = json!({"group": d.group, "version": d.version, "kind": d.kind});
    let q = |n: &str, t: &str| json!({"name": n, "in": "query", "type": t, "uniqueItems": true});
    let write = json!([
        q("dryRun", "string"),
        q("fieldManager", "string"),
        q("fieldValidation", "string")
    ]);
    let op = |action: &str, id: &str, schema: &str, params: &Value| {
        json!({"operationId": format!("{id}{}", d.kind), "parameters": params,
               "responses": {"200": {"description": "OK", "schema": {"$ref": format!("#/definitions/{schema}")}}},
               "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk})
    };
    let mut patch = write.clone();
    if let Some(a) = patch.as_array_mut() {
        a.push(q("force", "boolean"));
    }
    let list = format!("{name}List");
    into.insert(
        collection.clone(),
        json!({
            "get": op("list", "list", &list, &json!([q("watch", "boolean")])),
            "post": op("post", "create", &name, &write),
        }),
    );
    into.insert(
        format!("{collection}/{{name}}"),
        json!({
            "get": op("get", "read", &name, &json!([])),
            "put": op("put", "replace", &name, &write),
            "patch": op("patch", "patch", &name, &patch),
            "delete": op("delete", "delete", &name, &json!([q("dryRun", "string")])),
        }),
    );
}

/// `/openapi/v2`: the built-in document and every CRD's definitions and
/// paths. When `defs` leaves out built-in group versions (an aggregated
/// server's remote users see only its own groups), the document has only
/// the served group versions' paths and the definitions they reach, as
/// kube-aggregator expects of a backend's document.
pub fn v2(defs: &[ResourceDef]) -> Value {
    let builtin = builtin_v2();
    let served = |g: &str, v: &str| defs.iter().any(|d| d.group == g && d.version == v);
    // Every built-in group version served: the whole document.
    let all = crate::resources::builtins()
        .iter()
        .all(|b| served(&b.group, &b.version));
    let mut doc = if builtin.is_null() {
        json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": KUBE_VERSION}, "paths": {}, "definitions": {}})
    } else if all {
        builtin.clone()
    } else {
        let mut d = Map::new();
        for (k, v) in builtin.as_object().into_iter().flatten() {
            if k != "paths" && k != "definitions" {
                d.insert(k.clone(), v.clone());
            }
        }
        let paths: Map<String, Value> = builtin["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(p, _)| path_gv(p).is_some_and(|(g, v)| served(g, v)))
            .map(|(p, v)| (p.clone(), v.clone()))
            .collect();
        d.insert("paths".into(), Value::Object(paths));
        d.insert("definitions".into(), json!({}));
        Value::Object(d)
    };
    let mut paths = Map::new();
    for d in defs.iter().filter(|d| d.custom) {
        let mut s = custom_schema(d);
        s["properties"]["metadata"] = json!({"$ref": format!("#/definitions/{META}ObjectMeta")});
        let name = custom_name(&d.group, &d.version, &d.kind);
        doc["definitions"][format!("{name}List")] = json!({"type": "object", "required": ["items"], "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": format!("#/definitions/{name}")}},
            "metadata": {"$ref": format!("#/definitions/{META}ListMeta")}},
            "x-kubernetes-group-version-kind": [{"group": d.group, "version": d.version, "kind": format!("{}List", d.kind)}]});
        doc["definitions"][name] = s;
        custom_v2_paths(d, &mut paths);
    }
    if let Some(p) = doc["paths"].as_object_mut() {
        p.extend(paths);
    }
    if !all {
        reach_definitions(&mut doc, builtin);
    }
    doc
}

/// Adds to `doc` every definition of `builtin` that its paths and
/// definitions refer to, directly or not.
fn reach_definitions(doc: &mut Value, builtin: &Value) {
    let mut todo = Vec::new();
    refs(&doc["paths"], &mut todo);
    refs(&doc["definitions"], &mut todo);
    while let Some(n) = todo.pop() {
        if doc["definitions"].get(&n).is_some() {
            continue;
        }
        let Some(def) = builtin["definitions"].get(&n) else {
            continue;
        };
        refs(def, &mut todo);
        doc["definitions"][n] = def.clone();
    }
}
