//! create, update (PUT) and patch (JSON, merge, strategic, apply), on an
//! object or its status subresource.

use std::sync::Arc;

use serde_json::{json, Value};

use super::input::yaml_to_json;
use super::{Request, Res};
use crate::objects::{
    fields_v1, generate_name, prepare_create, prepare_update, same_content, set_managed,
};
use crate::patch::{self, PatchType};
use crate::resources::ResourceDef;
use crate::schema::{Directive, Findings};
use crate::status::{cause, details, ApiError};
use crate::storage::{Key, Mutation, State};

/// 404 unless the namespace exists (and 403 while it is terminating).
pub fn check_namespace(st: &State, r: &Request<'_>, name: &str) -> Result<(), ApiError> {
    let Some(ns) = r.rp.namespace.as_deref() else {
        return Ok(());
    };
    match st.get(&Key::new("", "namespaces", "", ns)) {
        None => Err(ApiError::not_found("", "namespaces", ns)),
        Some(n) if n["metadata"].get("deletionTimestamp").is_some() => {
            let d = r.def();
            let mut det = details(name, "", &d.plural);
            det.causes = vec![cause(
                "NamespaceTerminating",
                format!("namespace {ns} is being terminated"),
                "metadata.namespace",
            )];
            Err(ApiError::new(
                403,
                "Forbidden",
                format!("{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", d.plural),
            )
            .with_details(det))
        }
        Some(_) => Ok(()),
    }
}

pub fn create(r: &Request<'_>) -> Res {
    let d = r.def();
    let mut body = r.decode_body("CreateOptions")?;
    r.check_body_namespace(&body)?;
    generate_name(&mut body);
    families_on_create(r, &body)?;
    if d.builtin
        .is_some_and(|b| std::ptr::eq(b, &crate::kinds::certificates::CERTIFICATE_SIGNING_REQUESTS))
    {
        crate::kinds::certificates::set_requester(&mut body, &super::review::user_info(r));
    }
    let mut obj = prepare_create(d, body, r.rp.namespace.as_deref(), &r.manager())?;
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    let key = r.key(&name);
    let dry = r.dry_run();
    let (stored, _) = r.mutate(&key, |st, cur| {
        check_namespace(st, r, &name)?;
        if cur.is_some() {
            return Err(ApiError::already_exists(&d.group, &d.plural, &name));
        }
        allocate(r, st, &mut obj)?;
        Ok(if dry {
            Mutation::DryRun(obj)
        } else {
            Mutation::Put(obj)
        })
    })?;
    Ok(r.reply(201, &stored))
}

/// What a new object takes from what the others hold (a Service's
/// cluster IP and node ports), decided under the store lock.
fn allocate(r: &Request<'_>, st: &State, obj: &mut Value) -> Result<(), ApiError> {
    if is_service(r) {
        crate::services::allocate(st, &r.ctx.service_range, obj)?;
    }
    Ok(())
}

/// A new Service's IP families, which the Service storage checks before
/// the object is validated (`crate::service_families`).
fn families_on_create(r: &Request<'_>, body: &Value) -> Result<(), ApiError> {
    if is_service(r) {
        crate::service_families::check(body, None, &r.ctx.service_range)?;
    }
    Ok(())
}

fn is_service(r: &Request<'_>) -> bool {
    let d = r.def();
    d.group.is_empty() && d.plural == "services" && r.rp.sub.is_none()
}

/// Decides what an update of `old` to `new` does: a write, a no-op, or
/// (finalizers gone from an object being deleted) the final removal; for
/// a dry run, only what it would have written.
fn finish_update(d: &ResourceDef, old: &Arc<Value>, new: Value, dry: bool) -> Mutation {
    if same_content(old, &new) {
        return Mutation::Unchanged(old.clone());
    }
    if dry {
        return Mutation::DryRun(new);
    }
    let deleting = new["metadata"].get("deletionTimestamp").is_some();
    let no_finalizers = new["metadata"]["finalizers"]
        .as_array()
        .is_none_or(|a| a.is_empty());
    // A namespace also waits for its own `spec.finalizers`: the namespace
    // controller removes it once its content is gone (crate::namespaces).
    let namespace_held = d.group.is_empty()
        && d.plural == "namespaces"
        && new["spec"]["finalizers"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
    if deleting && no_finalizers && !namespace_held {
        return Mutation::Delete(new);
    }
    Mutation::Put(new)
}

pub fn update(r: &Request<'_>) -> Res {
    let d = r.def();
    let name = r.name();
    let body = r.decode_body("UpdateOptions")?;
    r.check_body_namespace(&body)?;
    if let Some(b) = body["metadata"]["name"].as_str() {
        check_name(b, &name)?;
    }
    let key = r.key(&name);
    let sub = r.rp.sub.as_deref();
    let manager = r.manager();
    let dry = r.dry_run();
    let (stored, _) = r.mutate(&key, |_, cur| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found(&d.group, &d.plural, &name));
        };
        let want = body["metadata"]["resourceVersion"].as_str().unwrap_or("");
        if !want.is_empty() && Some(want) != cur["metadata"]["resourceVersion"].as_str() {
            return Err(ApiError::conflict(&d.group, &d.plural, &name));
        }
        let mut body = body.clone();
        if is_service(r) {
            crate::services::update(cur, &mut body, &r.ctx.service_range)?;
        }
        let new = prepare_update(d, cur, body, sub, &manager, "Update")?;
        Ok(finish_update(d, cur, new, dry))
    })?;
    Ok(r.reply(200, &stored))
}

/// An object whose name is not the URL's: 400, as kube-apiserver's
/// `checkName` answers (deployment-patch-name-400.json,
/// configmap-put-name-mismatch-400.json).
fn check_name(got: &str, url: &str) -> Result<(), ApiError> {
    if got == url {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "the name of the object ({got}) does not match the name on the URL ({url})"
    )))
}

/// Server-side apply converts the applied configuration to its typed
/// form first: a field the schema does not declare fails there, with
/// structured-merge-diff's message. kube-apiserver v1.36 answers it as a
/// 500 (kubernetes/kubernetes#122480); this server never answers a
/// client's mistake with a 500 and gives the 400 BadRequest of the
/// upstream fix (kubernetes/kubernetes#139255, same text). Type errors
/// are left for the patched object's decode.
fn apply_fields_declared(r: &Request<'_>, typed: &mut Value, name: &str) -> Result<(), ApiError> {
    let d = r.def();
    let Ok(read) = crate::schema::read(d, typed) else {
        return Ok(());
    };
    let Some(first) = read.unknown_smd.first() else {
        return Ok(());
    };
    let errs = if read.unknown_smd.len() == 1 {
        format!("{first}: field not declared in schema")
    } else {
        let mut m = vec!["errors:".to_string()];
        m.extend(
            read.unknown_smd
                .iter()
                .map(|p| format!("  {p}: field not declared in schema")),
        );
        m.join("\n")
    };
    let gvk = format!("{}/{}, Kind={}", d.group, d.version, d.kind);
    Err(ApiError::bad_request(format!(
        "failed to create typed patch object ({}/{name}; {gvk}): {errs}",
        r.rp.namespace.as_deref().unwrap_or("")
    )))
}

/// An apply body is YAML to the server (JSON included), and its repeated
/// keys (`found`, [`Request::repeated_keys`]) are go-yaml's: refused under
/// `Strict` with the apply handler's own prefix, one warning per repeat
/// under `Warn`. kube-apiserver checks this after the field manager's
/// apply (`applyPatcher.applyPatchToCurrentObject`), so an apply conflict
/// is answered first, and before admission (the namespace's existence).
fn apply_repeated_keys(
    r: &Request<'_>,
    directive: Directive,
    found: Vec<String>,
) -> Result<(), ApiError> {
    match (directive, found.first()) {
        (Directive::Strict, Some(block)) => Err(ApiError::bad_request(format!(
            "error strict decoding YAML: error converting YAML to JSON: {block}"
        ))),
        (Directive::Warn, Some(_)) => {
            r.warn(found);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// 422 for an apply without a field manager, as kube-apiserver words it.
fn apply_needs_manager() -> ApiError {
    ApiError::invalid(
        "meta.k8s.io",
        "PatchOptions.meta.k8s.io",
        "",
        vec![cause(
            "FieldValueRequired",
            "Required value: is required for apply patch",
            "fieldManager",
        )],
    )
}

pub fn patch(r: &Request<'_>) -> Res {
    let d = r.def();
    let name = r.name();
    let Some(pt) = PatchType::from_content_type(&r.content_type) else {
        return Err(ApiError::unsupported_patch());
    };
    let patch: Value = match pt {
        PatchType::Apply => yaml_to_json(&r.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
        _ => crate::decode::json(&r.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?,
    };
    crate::shape::patch(d, pt, &patch)?;
    let directive = r.directive("PatchOptions")?;
    // Duplicate keys of a merge or strategic patch are reported with the
    // patched object's unknown fields.
    let duplicates = if matches!(pt, PatchType::Merge | PatchType::Strategic) {
        r.repeated_keys(directive, false)
    } else {
        Vec::new()
    };
    let manager = r.manager();
    if pt == PatchType::Apply {
        if r.query.get("fieldManager").unwrap_or("").is_empty() {
            return Err(apply_needs_manager());
        }
        let mut typed = r.check_kind(patch.clone())?;
        apply_fields_declared(r, &mut typed, &name)?;
        // An apply names the object it means: another one than the URL's
        // is refused, not applied to the URL's.
        if let Some(n) = patch["metadata"]["name"].as_str().filter(|n| !n.is_empty()) {
            check_name(n, &name)?;
        }
        r.check_body_namespace(&patch)?;
    }
    // Found now, raised where the real server raises them (after the apply).
    let yaml_repeats = if pt == PatchType::Apply {
        r.repeated_keys(directive, true)
    } else {
        Vec::new()
    };
    let force = r.query.flag("force");
    let key = r.key(&name);
    let sub = r.rp.sub.as_deref();
    let dry = r.dry_run();
    let mut created = false;
    let (stored, _) = r.mutate(&key, |st, cur| {
        let Some(cur) = cur else {
            if pt == PatchType::Apply && sub.is_none() {
                // Apply creates what does not exist yet.
                apply_repeated_keys(r, directive, yaml_repeats)?;
                check_namespace(st, r, &name)?;
                let mut body = r.check_kind(patch.clone())?;
                body["metadata"]["name"] = name.clone().into();
                if d.custom {
                    // Pruned by the CRD's schema, as every other write.
                    crate::schema::read(d, &mut body)
                        .map_err(|e| crate::shape::decode_error(d, &e))?;
                }
                families_on_create(r, &body)?;
                let mut obj = prepare_create(d, body, r.rp.namespace.as_deref(), &manager)?;
                allocate(r, st, &mut obj)?;
                obj["metadata"]["managedFields"] = json!([]);
                set_managed(
                    &mut obj,
                    &manager,
                    "Apply",
                    &d.api_version(),
                    fields_v1(&patch),
                    None,
                );
                created = true;
                return Ok(if dry {
                    Mutation::DryRun(obj)
                } else {
                    Mutation::Put(obj)
                });
            }
            return Err(ApiError::not_found(&d.group, &d.plural, &name));
        };
        let base: &Value = cur;
        let patched = match pt {
            PatchType::Json => patch::json_patch(base, &patch)?,
            PatchType::Merge => patch::merge_patch(base, &patch),
            PatchType::Strategic => {
                if d.custom {
                    return Err(ApiError::unsupported_patch());
                }
                crate::strategic::merge(base, &patch, crate::strategic::Schema::of(d))
            }
            PatchType::Apply => {
                let applied =
                    patch::server_side_apply(base, &patch, &manager, force, &d.api_version(), sub)?;
                apply_repeated_keys(r, directive, yaml_repeats)?;
                applied
            }
        };
        crate::shape::object(d, &patched)?;
        let mut patched = patched;
        let read =
            crate::schema::read(d, &mut patched).map_err(|e| crate::shape::decode_error(d, &e))?;
        if pt != PatchType::Apply {
            let mut found = duplicates.clone();
            found.extend(
                read.unknown
                    .iter()
                    .map(|p| format!("unknown field \"{p}\"")),
            );
            r.report(directive, Findings(found), false)?;
        }
        if is_service(r) {
            crate::services::update(cur, &mut patched, &r.ctx.service_range)?;
        }
        // A patch may not rename or move the object.
        check_name(patched["metadata"]["name"].as_str().unwrap_or(""), &name)?;
        r.check_body_namespace(&patched)?;
        let want = patched["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or("");
        if !want.is_empty() && Some(want) != cur["metadata"]["resourceVersion"].as_str() {
            return Err(ApiError::conflict(&d.group, &d.plural, &name));
        }
        let new = if pt == PatchType::Apply {
            // Apply already wrote its own managedFields entry; keep it.
            let mut carried = patched;
            let managed = carried["metadata"]["managedFields"].clone();
            let mut n =
                prepare_update(d, cur, std::mem::take(&mut carried), sub, &manager, "Apply")?;
            n["metadata"]["managedFields"] = managed;
            n
        } else {
            prepare_update(d, cur, patched, sub, &manager, "Update")?
        };
        Ok(finish_update(d, cur, new, dry))
    })?;
    Ok(r.reply(if created { 201 } else { 200 }, &stored))
}
