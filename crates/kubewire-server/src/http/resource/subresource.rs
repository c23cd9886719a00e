//! The subresources with a shape of their own: `scale` (an
//! `autoscaling/v1` Scale over the object's replica fields) and `pods/log`.

use serde_json::{json, Value};

use super::input::yaml_to_json;
use super::{Request, Res};
use crate::http::body::{self, Format};
use crate::objects::{fields_v1, reorder_metadata, set_managed};
use crate::patch::{self, PatchType};
use crate::resources::ScalePaths;
use crate::status::{cause, details, ApiError};
use crate::storage::Mutation;

fn paths<'a>(r: &'a Request<'_>) -> Result<&'a ScalePaths, ApiError> {
    r.def()
        .scale
        .as_ref()
        .ok_or_else(ApiError::unknown_resource)
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
        .collect()
}

fn at<'a>(o: &'a Value, path: &str) -> &'a Value {
    segments(path).iter().fold(o, |v, k| &v[*k])
}

fn set(o: &mut Value, path: &str, v: Value) {
    let segs = segments(path);
    let mut cur = o;
    for k in &segs[..segs.len().saturating_sub(1)] {
        if !cur[*k].is_object() {
            cur[*k] = json!({});
        }
        cur = &mut cur[*k];
    }
    if let Some(last) = segs.last() {
        cur[*last] = v;
    }
}

/// The Scale of an object.
fn scale_of(r: &Request<'_>, o: &Value, p: &ScalePaths) -> Value {
    let m = &o["metadata"];
    let mut status = json!({"replicas": at(o, &p.status_replicas).as_i64().unwrap_or(0)});
    let selector = match &p.label_selector {
        Some(path) => at(o, path).as_str().map(String::from),
        None => {
            let sel = &o["spec"]["selector"];
            // ReplicationControllers keep a plain map, the others a LabelSelector.
            let text = if sel.get("matchLabels").is_some() || sel.get("matchExpressions").is_some()
            {
                crate::kinds::cells_selector(sel)
            } else {
                crate::kinds::cells_pairs(sel)
            };
            Some(text).filter(|t| t != "<none>")
        }
    };
    if let Some(s) = selector {
        status["selector"] = s.into();
    }
    let mut meta = json!({});
    for k in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = m.get(k) {
            meta[k] = v.clone();
        }
    }
    let _ = r;
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta,
           "spec": {"replicas": at(o, &p.spec_replicas).as_i64().unwrap_or(0)}, "status": status})
}

fn reply(r: &Request<'_>, v: &Value) -> Res {
    let f = match r.format {
        Format::Yaml | Format::Protobuf => r.format,
        _ => Format::Json,
    };
    Ok(body::object(200, v, f, r.pretty))
}

pub fn get_scale(r: &Request<'_>) -> Res {
    let p = paths(r)?;
    let d = r.def();
    let name = r.name();
    let o = r
        .ctx
        .store
        .get(&r.key(&name))
        .ok_or_else(|| ApiError::not_found(&d.group, &d.plural, &name))?;
    reply(r, &scale_of(r, &o, p))
}

/// PUT (a whole Scale) or PATCH (of the Scale) of `/scale`: writes the
/// object's replicas, as the real server does.
pub fn write_scale(r: &Request<'_>) -> Res {
    let p = paths(r)?.clone();
    let d = r.def();
    let name = r.name();
    let key = r.key(&name);
    let manager = r.manager();
    let dry = r.dry_run();
    let incoming: Option<Value> = if r.method == hyper::Method::PUT {
        Some(r.parse_body()?)
    } else {
        None
    };
    let patch_body = if incoming.is_none() {
        let pt = PatchType::from_content_type(&r.content_type)
            .ok_or_else(ApiError::unsupported_patch)?;
        let v = match pt {
            PatchType::Apply => yaml_to_json(&r.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
            _ => serde_json::from_slice(&r.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?,
        };
        Some((pt, v))
    } else {
        None
    };
    let (stored, _) = r.mutate(&key, |_, cur| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found(&d.group, &d.plural, &name));
        };
        let current = scale_of(r, cur, &p);
        let wanted = match (&incoming, &patch_body) {
            (Some(b), _) => b.clone(),
            (None, Some((PatchType::Json, v))) => patch::json_patch(&current, v)?,
            (None, Some((PatchType::Apply, v))) => {
                let mut s = current.clone();
                if let Some(n) = v["spec"]["replicas"].as_i64() {
                    s["spec"]["replicas"] = n.into();
                }
                s
            }
            (None, Some((_, v))) => patch::merge_patch(&current, v),
            (None, None) => current.clone(),
        };
        if let Some(b) = wanted["metadata"]["name"].as_str() {
            if b != name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({b}) does not match the name on the URL ({name})"
                )));
            }
        }
        let want_rv = wanted["metadata"]["resourceVersion"].as_str().unwrap_or("");
        if !want_rv.is_empty() && Some(want_rv) != cur["metadata"]["resourceVersion"].as_str() {
            return Err(ApiError::conflict("autoscaling", "scales", &name));
        }
        let replicas = wanted["spec"]["replicas"].as_i64().unwrap_or(0);
        // A custom resource's Scale is not validated itself: the object it
        // writes is, against the CRD's schema and scale paths (below).
        if replicas < 0 && !d.custom {
            let mut e = ApiError::invalid(
                "autoscaling",
                "Scale.autoscaling",
                &name,
                vec![cause(
                    "FieldValueInvalid",
                    format!("Invalid value: {replicas}: must be greater than or equal to 0"),
                    "spec.replicas",
                )],
            );
            if let Some(det) = e.0.details.as_mut() {
                *det = {
                    let mut x = details(&name, "autoscaling", "Scale");
                    x.causes = std::mem::take(&mut det.causes);
                    x
                };
            }
            return Err(e);
        }
        let mut new = (**cur).clone();
        if at(&new, &p.spec_replicas).as_i64() == Some(replicas) {
            return Ok(Mutation::Unchanged(cur.clone()));
        }
        set(&mut new, &p.spec_replicas, replicas.into());
        if d.custom {
            crate::objects::validate(d, &new, Some(cur), false)?;
        }
        let g = new["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        new["metadata"]["generation"] = g.into();
        let fields = fields_v1(&json!({"spec": {"replicas": replicas}}));
        set_managed(
            &mut new,
            &manager,
            "Update",
            &d.api_version(),
            fields,
            Some("scale"),
        );
        let new = reorder_metadata(new);
        Ok(if dry {
            Mutation::DryRun(new)
        } else {
            Mutation::Put(new)
        })
    })?;
    reply(r, &scale_of(r, &stored, &p))
}

/// `pods/NAME/log`: no container ever runs here, so every Pod answers as a
/// real one without a running container does: 204 with no body while it
/// has no node (pod-log-pending.empty), "waiting to start" once it has.
pub fn log(r: &Request<'_>) -> Res {
    let d = r.def();
    let name = r.name();
    let pod = r
        .ctx
        .store
        .get(&r.key(&name))
        .ok_or_else(|| ApiError::not_found(&d.group, &d.plural, &name))?;
    let names: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let container = match r.query.get("container").filter(|c| !c.is_empty()) {
        Some(c) if !names.contains(&c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )))
        }
        Some(c) => c.to_string(),
        None if names.len() == 1 => names[0].to_string(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            )))
        }
    };
    if pod["spec"]["nodeName"].as_str().unwrap_or("").is_empty() {
        return Ok(hyper::Response::builder()
            .status(204)
            .body(body::full(""))
            .unwrap_or_else(|_| hyper::Response::new(body::full(""))));
    }
    Err(ApiError::bad_request(format!(
        "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
    )))
}
