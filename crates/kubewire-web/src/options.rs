//! JavaScript arguments into the core's types: a resource (a name or a
//! description), the namespace, and list/watch options. Fields are read with
//! `Reflect` one by one, so no serde glue is shipped to the page.

use alloc::format;
use alloc::string::{String, ToString};

use js_sys::{Function, Reflect};
use kubewire::decode::RawJson;
use kubewire::{
    ApiResource, Collection, DeleteParams, ListParams, Patch, PatchParams, PostParams,
    Preconditions, PropagationPolicy, Scope, ValidationDirective, VersionMatch, WatchParams,
};
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

/// Read an optional whole-number field of an options object.
pub(crate) fn number_option(obj: &JsValue, key: &str) -> Result<Option<u32>, Error> {
    number(obj, key)
}

/// Read an optional boolean field of an options object.
pub(crate) fn flag_option(obj: &JsValue, key: &str) -> Result<Option<bool>, Error> {
    flag(obj, key)
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

/// A request body: a JavaScript value as JSON text (`JSON.stringify`), or
/// a string taken as JSON text as it is.
pub fn body(value: &JsValue) -> Result<RawJson, Error> {
    let text = match value.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(value)
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| Error::Invalid("the body cannot be written as JSON".into()))?,
    };
    RawJson::from_text(text).map_err(|e| Error::Invalid(format!("the body is not JSON: {e}")))
}

/// The namespace of a write: `opts.namespace`, else the object's
/// `metadata.namespace`.
pub fn write_collection(
    r: &ApiResource,
    opts: &JsValue,
    object: &JsValue,
) -> Result<Collection, Error> {
    if text(opts, "namespace")?.is_some_and(|ns| !ns.is_empty()) {
        return collection(r, opts);
    }
    let meta = field(object, "metadata").unwrap_or(JsValue::UNDEFINED);
    match text(&meta, "namespace")?.filter(|ns| !ns.is_empty()) {
        Some(ns) if r.is_namespaced() => Ok(r.within(&ns)),
        _ => collection(r, opts),
    }
}

fn validation(opts: &JsValue) -> Result<Option<ValidationDirective>, Error> {
    Ok(match text(opts, "fieldValidation")?.as_deref() {
        None => None,
        Some("Strict") => Some(ValidationDirective::Strict),
        Some("Warn") => Some(ValidationDirective::Warn),
        Some("Ignore") => Some(ValidationDirective::Ignore),
        Some(other) => return Err(Error::Invalid(format!("unknown fieldValidation {other:?}"))),
    })
}

/// `WriteOptions` of create and replace: `dryRun`, `fieldManager`,
/// `fieldValidation`.
pub fn post_params(opts: &JsValue) -> Result<PostParams, Error> {
    Ok(PostParams {
        dry_run: flag(opts, "dryRun")?.unwrap_or(false),
        field_manager: text(opts, "fieldManager")?,
        field_validation: validation(opts)?,
    })
}

/// `PatchOptions`: `type` (`"merge"` by default, `"json"`, `"strategic"`,
/// `"apply"` for server-side apply), `fieldManager`, `force`, `dryRun`,
/// `fieldValidation`; and the patch body in its kind.
pub fn patch(opts: &JsValue, body: RawJson) -> Result<(PatchParams, Patch<RawJson>), Error> {
    let patch = match text(opts, "type")?.as_deref() {
        None | Some("merge") => Patch::Merge(body),
        Some("json") => Patch::Json(body),
        Some("strategic") => Patch::Strategic(body),
        Some("apply") => Patch::Apply(body),
        Some(other) => {
            return Err(Error::Invalid(format!(
                "unknown patch type {other:?}: \"merge\", \"json\", \"strategic\" or \"apply\""
            )))
        }
    };
    let params = PatchParams {
        dry_run: flag(opts, "dryRun")?.unwrap_or(false),
        force: flag(opts, "force")?.unwrap_or(false),
        field_manager: text(opts, "fieldManager")?,
        field_validation: validation(opts)?,
    };
    Ok((params, patch))
}

/// `DeleteOptions`: `gracePeriodSeconds`, `propagationPolicy`,
/// `preconditions: {uid, resourceVersion}`, `dryRun`.
pub fn delete_params(opts: &JsValue) -> Result<DeleteParams, Error> {
    let propagation_policy = match text(opts, "propagationPolicy")?.as_deref() {
        None => None,
        Some("Orphan") => Some(PropagationPolicy::Orphan),
        Some("Background") => Some(PropagationPolicy::Background),
        Some("Foreground") => Some(PropagationPolicy::Foreground),
        Some(other) => {
            return Err(Error::Invalid(format!(
                "unknown propagationPolicy {other:?}"
            )))
        }
    };
    let preconditions = match field(opts, "preconditions") {
        None => None,
        Some(p) => Some(Preconditions {
            uid: text(&p, "uid")?,
            resource_version: text(&p, "resourceVersion")?,
        }),
    };
    Ok(DeleteParams {
        dry_run: flag(opts, "dryRun")?.unwrap_or(false),
        grace_period_seconds: number(opts, "gracePeriodSeconds")?,
        propagation_policy,
        preconditions,
    })
}
