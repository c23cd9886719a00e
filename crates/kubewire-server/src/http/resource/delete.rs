//! DELETE of one object (preconditions, finalizers, namespaces marked for
//! the namespace controller)
//! and of a collection.

use std::sync::Arc;

use serde_json::{json, Value};

use super::read::selectors;
use super::{Request, Res};
use crate::http::body::{object, Format};
use crate::namespaces;
use crate::resources::ResourceDef;
use crate::status::{success_status, ApiError};
use crate::storage::{Key, Mutation};

/// DeleteOptions from the body.
fn delete_options(r: &Request<'_>) -> Result<Value, ApiError> {
    if r.body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(&r.body)
        .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))
}

/// DeleteOptions' `preconditions` against the stored object, refused with
/// the real server's 409 (configmap-delete-precondition-*-409.json).
fn check_preconditions(
    d: &ResourceDef,
    name: &str,
    opts: &Value,
    cur: &Value,
) -> Result<(), ApiError> {
    let pre = &opts["preconditions"];
    let meta = &cur["metadata"];
    let refuse = |why: String| Err(ApiError::precondition(&d.group, &d.kind, name, &why));
    if let Some(uid) = pre["uid"].as_str() {
        let have = meta["uid"].as_str().unwrap_or("");
        if uid != have {
            return refuse(format!("the UID in the precondition ({uid}) does not match the UID in record ({have}). The object might have been deleted and then recreated"));
        }
    }
    if let Some(rv) = pre["resourceVersion"].as_str() {
        let have = meta["resourceVersion"].as_str().unwrap_or("");
        if rv != have {
            return refuse(format!("the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({have}). The object might have been modified"));
        }
    }
    Ok(())
}

fn is_namespace(d: &ResourceDef) -> bool {
    d.group.is_empty() && d.plural == "namespaces"
}

/// What a DELETE does to `cur`: a namespace is only marked (the
/// namespace controller empties it and then removes it, see
/// [`crate::namespaces`]); an object with finalizers gets
/// `deletionTimestamp` and stays until they are removed; anything else
/// goes.
fn deletion(d: &ResourceDef, cur: &Arc<Value>) -> Mutation {
    if namespaces::is_terminating(cur) {
        return Mutation::Unchanged(cur.clone());
    }
    if is_namespace(d) {
        return Mutation::Put(namespaces::begin_deletion(cur));
    }
    match namespaces::marked_for_deletion(cur) {
        Some(marked) => Mutation::Put(marked),
        None => Mutation::Delete((**cur).clone()),
    }
}

pub fn one(r: &Request<'_>) -> Res {
    let d = r.def();
    let name = r.name();
    let opts = delete_options(r)?;
    let key = r.key(&name);
    let dry = r.dry_run()
        || opts["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "All"));
    let mut finalizing = false;
    let (obj, _) = r.mutate(&key, |_, cur| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found(&d.group, &d.plural, &name));
        };
        check_preconditions(d, &name, &opts, cur)?;
        let m = deletion(d, cur);
        finalizing = !matches!(m, Mutation::Delete(_));
        if dry {
            return Ok(match m {
                Mutation::Put(o) => Mutation::DryRun(o),
                _ => Mutation::Unchanged(cur.clone()),
            });
        }
        Ok(m)
    })?;
    // Objects kept by finalizers, and the kinds whose DELETE answers with
    // the object (Pods, Namespaces), come back whole; everything else
    // gets a success Status, as from kube-apiserver.
    if finalizing || d.delete_returns_object() {
        return Ok(r.reply(200, &obj));
    }
    let mut det = crate::status::details(&name, &d.group, &d.plural);
    det.uid = obj["metadata"]["uid"].as_str().unwrap_or("").into();
    Ok(r.reply(200, &success_status(det)))
}

pub fn collection(r: &Request<'_>) -> Res {
    let d = r.def();
    let (labels, fields) = selectors(
        r,
        r.query.get("labelSelector"),
        r.query.get("fieldSelector"),
    )?;
    let (group, plural) = d.storage();
    let (_, items) = r
        .ctx
        .store
        .list(group, plural, r.rp.namespace.as_deref(), None)
        .map_err(|_| ApiError::list_expired())?;
    let dry = r.dry_run();
    let mut deleted = Vec::new();
    for o in items
        .into_iter()
        .filter(|o| labels.matches(o) && fields.matches(o))
    {
        let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
        let key = Key::new(
            group,
            plural,
            o["metadata"]["namespace"].as_str().unwrap_or(""),
            &name,
        );
        let gone = r.mutate(&key, |_, cur| match cur {
            Some(c) if dry => Ok(Mutation::DryRun((**c).clone())),
            Some(c) => Ok(deletion(d, c)),
            // Deleted meanwhile by someone else: not ours to report.
            None => Err(ApiError::not_found(&d.group, &d.plural, &name)),
        });
        match gone {
            Ok((g, _)) => {
                let mut g = (*g).clone();
                if !d.custom {
                    if let Some(m) = g.as_object_mut() {
                        m.remove("kind");
                        m.remove("apiVersion");
                    }
                }
                deleted.push(g);
            }
            Err(e) if e.code() == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let doc = json!({
        "kind": format!("{}List", d.kind),
        "apiVersion": d.api_version(),
        "metadata": {"resourceVersion": r.ctx.store.current_rv().to_string()},
        "items": deleted,
    });
    Ok(object(200, &doc, Format::Json, r.pretty))
}
