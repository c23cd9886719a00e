//! DELETE of one object (preconditions, finalizers, namespaces emptied)
//! and of a collection.

use serde_json::{json, Value};

use super::read::selectors;
use super::{Request, Res};
use crate::http::body::{object, Format};
use crate::objects::{now_rfc3339, reorder_metadata};
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

fn is_namespace(d: &ResourceDef) -> bool {
    d.group.is_empty() && d.plural == "namespaces"
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
    if is_namespace(d) && !dry {
        delete_namespace_contents(r, &name);
    }
    let mut finalizing = false;
    let (obj, _) = r.mutate(&key, |_, cur| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found(&d.group, &d.plural, &name));
        };
        let pre = &opts["preconditions"];
        if let Some(uid) = pre["uid"].as_str() {
            if cur["metadata"]["uid"].as_str() != Some(uid) {
                return Err(ApiError::precondition(&d.group, &d.plural, &name, &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    cur["metadata"]["uid"].as_str().unwrap_or("")
                )));
            }
        }
        if let Some(rv) = pre["resourceVersion"].as_str() {
            if cur["metadata"]["resourceVersion"].as_str() != Some(rv) {
                return Err(ApiError::precondition(&d.group, &d.plural, &name, &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    cur["metadata"]["resourceVersion"].as_str().unwrap_or("")
                )));
            }
        }
        if dry {
            return Ok(Mutation::Unchanged(cur.clone()));
        }
        let mut gone = (**cur).clone();
        let has_finalizers = cur["metadata"]["finalizers"].as_array().is_some_and(|a| !a.is_empty());
        if has_finalizers {
            if cur["metadata"].get("deletionTimestamp").is_some() {
                return Ok(Mutation::Unchanged(cur.clone()));
            }
            gone["metadata"]["deletionTimestamp"] = now_rfc3339().into();
            gone["metadata"]["deletionGracePeriodSeconds"] = 0.into();
            finalizing = true;
            return Ok(Mutation::Put(reorder_metadata(gone)));
        }
        Ok(Mutation::Delete(gone))
    })?;
    // Objects kept by finalizers, and the kinds whose DELETE answers with
    // the object (Pods, Namespaces), come back whole; everything else
    // gets a success Status, as from kube-apiserver.
    if finalizing || d.delete_returns_object() {
        let mut o = (*obj).clone();
        if is_namespace(d) {
            o["status"]["phase"] = "Terminating".into();
            if o["metadata"].get("deletionTimestamp").is_none() {
                o["metadata"]["deletionTimestamp"] = now_rfc3339().into();
            }
        }
        return Ok(r.reply(200, &o));
    }
    let mut det = crate::status::details(&name, &d.group, &d.plural);
    det.uid = obj["metadata"]["uid"].as_str().unwrap_or("").into();
    Ok(r.reply(200, &success_status(det)))
}

/// Deleting a namespace deletes everything in it (no controller here to
/// do it later).
fn delete_namespace_contents(r: &Request<'_>, ns: &str) {
    // A kind stored as another's is deleted with that kind's objects.
    for def in r
        .ctx
        .store
        .registry()
        .iter()
        .filter(|d| d.namespaced && d.stored_as().is_none())
    {
        let (_, items) = r
            .ctx
            .store
            .list(&def.group, &def.plural, Some(ns), None)
            .unwrap_or_default();
        for o in items {
            let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
            let key = Key::new(&def.group, &def.plural, ns, &name);
            // Gone already, or a failing disk: the namespace's own
            // deletion reports the latter.
            let _ = r.ctx.store.mutate(&key, |_, cur| match cur {
                Some(c) => Ok(Mutation::Delete((**c).clone())),
                None => Err(ApiError::not_found(&def.group, &def.plural, &name)),
            });
        }
    }
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
            Some(c) => Ok(Mutation::Delete((**c).clone())),
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
