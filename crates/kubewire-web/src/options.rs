//! JavaScript arguments into the core's types: a resource (a name or a
//! description), the namespace, and list/watch options. Fields are read with
//! `Reflect` one by one, so no serde glue is shipped to the page.

use alloc::format;
use alloc::string::{String, ToString};

use js_sys::{Function, Reflect};
use kubewire::{ApiResource, Collection, ListParams, Scope, VersionMatch, WatchParams};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use crate::error::Error;

fn field(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    Reflect::get(obj, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn text(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    match field(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| Error::Invalid(format!("option {key} must be a string"))),
    }
}

fn number(obj: &JsValue, key: &str) -> Result<Option<u32>, Error> {
    match field(obj, key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n >= 0.0 && n <= u32::MAX as f64 && n.fract() == 0.0 => Ok(Some(n as u32)),
            _ => Err(Error::Invalid(format!(
                "option {key} must be a whole number"
            ))),
        },
    }
}

fn flag(obj: &JsValue, key: &str) -> Result<Option<bool>, Error> {
    match field(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| Error::Invalid(format!("option {key} must be a boolean"))),
    }
}

/// Read an optional string field of an options object.
pub(crate) fn string_option(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    text(obj, key)
}

/// A resource: a built-in name (`"pods"`, `"cm"`, `"deployments"`), or
/// `{group, version, plural, kind?, namespaced?}` for anything else.
pub fn resource(value: &JsValue) -> Result<ApiResource, Error> {
    if let Some(name) = value.as_string() {
        // kubectl's names (`pods`, `pod`, `po`, `deployments.apps`), from the core's table.
        return kubewire::builtin::find(&name).map(|b| b.api_resource()).ok_or_else(|| {
            Error::Invalid(format!(
                "unknown resource {name:?}: give {{group, version, plural, namespaced}} for resources other than the built-in ones"
            ))
        });
    }
    let version = text(value, "version")?
        .ok_or_else(|| Error::Invalid("a resource needs a version".into()))?;
    let plural =
        text(value, "plural")?.ok_or_else(|| Error::Invalid("a resource needs a plural".into()))?;
    let group = text(value, "group")?.unwrap_or_default();
    let kind = text(value, "kind")?.unwrap_or_default();
    let scope = if flag(value, "namespaced")?.unwrap_or(true) {
        Scope::Namespaced
    } else {
        Scope::Cluster
    };
    Ok(ApiResource::new(&group, &version, &kind, &plural, scope))
}

/// The collection to call: `namespace` of `opts`, or every namespace (and
/// cluster-scoped resources) when it is absent or empty.
pub fn collection(r: &ApiResource, opts: &JsValue) -> Result<Collection, Error> {
    match text(opts, "namespace")?.filter(|ns| !ns.is_empty()) {
        Some(ns) if r.is_namespaced() => Ok(r.within(&ns)),
        Some(ns) => Err(Error::Invalid(format!(
            "{} are not namespaced, but namespace {ns:?} was given",
            r.plural
        ))),
        None => Ok(r.all()),
    }
}

fn version_match(opts: &JsValue) -> Result<Option<VersionMatch>, Error> {
    Ok(match text(opts, "resourceVersionMatch")?.as_deref() {
        None => None,
        Some("NotOlderThan") => Some(VersionMatch::NotOlderThan),
        Some("Exact") => Some(VersionMatch::Exact),
        Some(other) => {
            return Err(Error::Invalid(format!(
                "unknown resourceVersionMatch {other:?}"
            )))
        }
    })
}

/// `ListOptions`: `labelSelector`, `fieldSelector`, `limit`, `continue`,
/// `resourceVersion`, `resourceVersionMatch`, `timeoutSeconds`.
pub fn list_params(opts: &JsValue) -> Result<ListParams, Error> {
    Ok(ListParams {
        label_selector: text(opts, "labelSelector")?,
        field_selector: text(opts, "fieldSelector")?,
        limit: number(opts, "limit")?,
        continue_token: text(opts, "continue")?,
        resource_version: text(opts, "resourceVersion")?,
        version_match: version_match(opts)?,
        timeout: number(opts, "timeoutSeconds")?,
    })
}

/// `WatchOptions`: `labelSelector`, `fieldSelector`, `resourceVersion`,
/// `timeoutSeconds`, `bookmarks`, `sendInitialEvents` (a watch-list).
pub fn watch_params(opts: &JsValue) -> Result<WatchParams, Error> {
    let mut p = if flag(opts, "sendInitialEvents")?.unwrap_or(false) {
        WatchParams::watch_list()
    } else {
        WatchParams::default()
    };
    p.label_selector = text(opts, "labelSelector")?;
    p.field_selector = text(opts, "fieldSelector")?;
    if let Some(rv) = text(opts, "resourceVersion")? {
        p.resource_version = Some(rv);
    }
    p.timeout = number(opts, "timeoutSeconds")?;
    if let Some(b) = flag(opts, "bookmarks")? {
        p.bookmarks = b || p.send_initial_events;
    }
    Ok(p)
}

/// `opts.signal`, an `AbortSignal` that stops the call.
pub fn signal(opts: &JsValue) -> Result<Option<AbortSignal>, Error> {
    match field(opts, "signal") {
        None => Ok(None),
        Some(v) => v
            .dyn_into::<AbortSignal>()
            .map(Some)
            .map_err(|_| Error::Invalid("option signal must be an AbortSignal".to_string())),
    }
}

/// A callback option (`onItem`).
pub fn callback(opts: &JsValue, key: &str) -> Result<Option<Function>, Error> {
    match field(opts, key) {
        None => Ok(None),
        Some(v) => v
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| Error::Invalid(format!("option {key} must be a function"))),
    }
}
