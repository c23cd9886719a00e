//! Request bodies: JSON or YAML into an object, checked against the
//! resource the path names.

use serde_json::Value;

use super::Request;
use crate::schema::{Directive, Findings};
use crate::status::ApiError;

/// YAML (and so JSON) into a JSON value, its nesting depth checked first
/// ([`crate::decode`]). Apply bodies are YAML, and JSON is valid YAML.
pub fn yaml_to_json(bytes: &[u8]) -> Result<Value, String> {
    crate::decode::yaml(bytes)
}

impl Request<'_> {
    /// The request body (JSON or YAML) as an object.
    pub(super) fn parse_body(&self) -> Result<Value, ApiError> {
        let ct = self.content_type.split(';').next().unwrap_or("").trim();
        let kind = &self.def().kind;
        let v: Value = match ct {
            "" | "application/json" | "*/*" => crate::decode::json(&self.body).map_err(|e| {
                let head: String = String::from_utf8_lossy(&self.body).chars().take(30).collect();
                ApiError::bad_request(format!(
                    "the object provided is unrecognized (must be of type {kind}): couldn't get version/kind; json parse error: {e} ({head} ...)"
                ))
            })?,
            "application/yaml" => yaml_to_json(&self.body).map_err(|e| {
                ApiError::bad_request(format!("the object provided is unrecognized (must be of type {kind}): {e}"))
            })?,
            // Built-in kinds only: custom resources are JSON-only, as on a
            // real server.
            crate::pb::MEDIA_TYPE if !self.def().custom => crate::pb::decode(&self.body)
                .map_err(|e| ApiError::bad_request(format!("the object provided is unrecognized (must be of type {kind}): {e}")))?,
            _ => return Err(ApiError::unsupported_body()),
        };
        if !v.is_object() {
            return Err(ApiError::bad_request(format!(
                "the object provided is unrecognized (must be of type {kind}): body is not a JSON object"
            )));
        }
        Ok(v)
    }

    /// Checks kind/apiVersion of a body against the resource; fills them
    /// in when missing.
    pub(super) fn check_kind(&self, mut v: Value) -> Result<Value, ApiError> {
        let def = self.def();
        crate::shape::object(def, &v)?;
        let kind = v["kind"].as_str().unwrap_or("").to_string();
        let av = v["apiVersion"].as_str().unwrap_or("").to_string();
        if (!kind.is_empty() && kind != def.kind) || (!av.is_empty() && av != def.api_version()) {
            let shown_kind = if kind.is_empty() {
                def.kind.clone()
            } else {
                kind
            };
            // Go names the types by package: the body's version, and the
            // server's internal package of the group (`core`, `apps`).
            let version = av.rsplit('/').next().unwrap_or(&av);
            let internal = match def.group.split('.').next() {
                Some(g) if !g.is_empty() => g,
                _ => "core",
            };
            return Err(ApiError::bad_request(format!(
                "{shown_kind} in version \"{version}\" cannot be handled as a {kind}: converting ({version}.{shown_kind}) to ({internal}.{kind}): unknown conversion",
                kind = def.kind,
            )));
        }
        v["kind"] = def.kind.clone().into();
        v["apiVersion"] = def.api_version().into();
        Ok(v)
    }

    /// A create or update body (`options`: `CreateOptions` or
    /// `UpdateOptions`), its kind checked and read against its schema
    /// ([`crate::schema`]): unknown fields dropped, and with duplicate keys
    /// refused under `fieldValidation=Strict` or reported as warnings.
    pub(super) fn decode_body(&self, options: &str) -> Result<Value, ApiError> {
        let directive = self.directive(options)?;
        let mut v = self.check_kind(self.parse_body()?)?;
        let as_sent = self.body_is_yaml().then(|| v.clone());
        let read = crate::schema::read(self.def(), &mut v)
            .map_err(|e| crate::shape::decode_error(self.def(), &e))?;
        let unknown = match as_sent {
            Some(body) if read.unknown.len() > 1 => go_map_order(self.def(), body, read.unknown),
            _ => read.unknown,
        };
        let mut found = self.repeated_keys(directive, !self.body_is_json());
        found.extend(unknown.iter().map(|p| format!("unknown field \"{p}\"")));
        self.report(directive, Findings(found), true)?;
        Ok(v)
    }

    /// The body's repeated keys as `fieldValidation` findings: a JSON
    /// body's `duplicate field` reports, or (`as_yaml`) go-yaml's error
    /// block, one finding under `Strict` and one warning per line under
    /// `Warn` ([`crate::duplicates`]). The YAML decoder runs before the
    /// typed one, so these come before the unknown fields.
    pub(super) fn repeated_keys(&self, directive: Directive, as_yaml: bool) -> Vec<String> {
        if directive == Directive::Ignore {
            return Vec::new();
        }
        if !as_yaml {
            return crate::duplicates::json(&self.body);
        }
        let lines = crate::duplicates::yaml(&self.body);
        match (directive, lines.is_empty()) {
            (_, true) => Vec::new(),
            (Directive::Strict, false) => vec![crate::duplicates::yaml_block(&lines)],
            _ => lines,
        }
    }

    /// Whether the body is a YAML document (`application/yaml`).
    fn body_is_yaml(&self) -> bool {
        self.content_type.split(';').next().unwrap_or("").trim() == "application/yaml"
    }

    /// Whether the body is JSON (so duplicate keys can be looked for).
    pub(super) fn body_is_json(&self) -> bool {
        let ct = self.content_type.split(';').next().unwrap_or("").trim();
        matches!(ct, "" | "application/json" | "*/*")
            || (ct.contains("patch+json") && !ct.contains("apply"))
    }

    /// What `fieldValidation` makes of unknown and duplicate fields: a
    /// 400 (with the decoder's `cannot be handled as` prefix for a body,
    /// without for a patch), warnings, or nothing.
    pub(super) fn report(
        &self,
        directive: Directive,
        found: Findings,
        body: bool,
    ) -> Result<(), ApiError> {
        if found.is_empty() {
            return Ok(());
        }
        match directive {
            Directive::Ignore => Ok(()),
            Directive::Warn => {
                self.warn(found.0);
                Ok(())
            }
            Directive::Strict if body => Err(crate::shape::decode_error(
                self.def(),
                &found.strict_message(),
            )),
            Directive::Strict => Err(ApiError::bad_request(found.strict_message())),
        }
    }

    /// A body naming another namespace than the path is refused.
    pub(super) fn check_body_namespace(&self, body: &Value) -> Result<(), ApiError> {
        if let (Some(ns), Some(b)) = (
            self.rp.namespace.as_deref(),
            body["metadata"]["namespace"].as_str(),
        ) {
            if !b.is_empty() && b != ns {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
        }
        Ok(())
    }
}

/// The unknown fields of a YAML body in the order kube-apiserver reports
/// them: it converts YAML to JSON through a Go map, whose keys
/// `encoding/json` writes sorted, so its strict decoder meets them in
/// sorted key order at every level (list items keep their order). The
/// same walk as the body's over a key-sorted copy of it finds them in
/// that order; the stored object keeps the document's order.
fn go_map_order(
    def: &crate::resources::ResourceDef,
    mut body: Value,
    in_document_order: Vec<String>,
) -> Vec<String> {
    sort_keys(&mut body);
    match crate::schema::read(def, &mut body) {
        Ok(read) => read.unknown,
        // The same body read once already; kept as found if not.
        Err(_) => in_document_order,
    }
}

/// Every object of `v` with its keys in byte order, as Go's
/// `encoding/json` writes a map.
fn sort_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.sort_keys();
            m.values_mut().for_each(sort_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}
