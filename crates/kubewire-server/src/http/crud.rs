//! The resource verbs: get, list, watch, create, update, patch, delete,
//! deletecollection, the status subresource and TokenRequest.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::{header, Method, Response};
use serde_json::{json, Map, Value};

use super::body::{object, Body, Format};
use super::route::ResourcePath;
use super::{Ctx, Query};
use crate::auth::User;
use crate::objects::{now_rfc3339, prepare_create, prepare_update};
use crate::patch::{self, PatchType};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::{success_status, ApiError, Cause};
use crate::storage::{Key, Mutation, State};
use crate::table::{partial_metadata, table};
use crate::tokens::{TokenSubject, ISSUER};
use crate::watch;

/// One resource request, fully read.
pub struct Request<'a> {
    pub ctx: &'a Arc<Ctx>,
    pub user: User,
    pub method: Method,
    pub rp: ResourcePath,
    pub query: Query,
    pub format: Format,
    pub pretty: bool,
    pub user_agent: String,
    pub content_type: String,
    pub body: Bytes,
}

type Res = Result<Response<Body>, ApiError>;

impl Request<'_> {
    fn key(&self, name: &str) -> Key {
        let d = &self.rp.def;
        Key::new(
            &d.group,
            &d.plural,
            self.rp.namespace.as_deref().unwrap_or(""),
            name,
        )
    }

    /// The field manager: `?fieldManager=`, else the User-Agent's program name.
    fn manager(&self) -> String {
        match self.query.get("fieldManager") {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => self
                .user_agent
                .split('/')
                .next()
                .unwrap_or("unknown")
                .to_string(),
        }
    }

    fn dry_run(&self) -> bool {
        self.query.get("dryRun") == Some("All")
    }

    fn reply(&self, status: u16, v: &Value) -> Response<Body> {
        let def = &self.rp.def;
        let v = with_kind(def, v);
        match self.format {
            Format::Table(include)
                if v.get("kind").and_then(Value::as_str) == Some(def.kind.as_str()) =>
            {
                let meta = json!({"resourceVersion": v["metadata"]["resourceVersion"]});
                object(
                    status,
                    &table(def, std::slice::from_ref(&v), meta, include),
                    Format::Json,
                    self.pretty,
                )
            }
            Format::Metadata
                if v.get("kind").and_then(Value::as_str) == Some(def.kind.as_str()) =>
            {
                object(status, &partial_metadata(&v), Format::Json, self.pretty)
            }
            f => object(
                status,
                &v,
                if f == Format::Yaml {
                    Format::Yaml
                } else {
                    Format::Json
                },
                self.pretty,
            ),
        }
    }

    /// Parses the request body (JSON or YAML) into an object.
    fn parse_body(&self) -> Result<Value, ApiError> {
        let ct = self.content_type.split(';').next().unwrap_or("").trim();
        let kind = &self.rp.def.kind;
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
            _ => return Err(ApiError::unsupported_body()),
        };
        if !v.is_object() {
            return Err(ApiError::bad_request(format!(
                "the object provided is unrecognized (must be of type {kind}): body is not a JSON object"
            )));
        }
        Ok(v)
    }

    /// Checks kind/apiVersion of a body against the resource; fills them in
    /// when missing.
    fn check_kind(&self, mut v: Value) -> Result<Value, ApiError> {
        let def = &self.rp.def;
        crate::shape::object(def, &v)?;
        let kind = v["kind"].as_str().unwrap_or("").to_string();
        let av = v["apiVersion"].as_str().unwrap_or("").to_string();
        if (!kind.is_empty() && kind != def.kind) || (!av.is_empty() && av != def.api_version()) {
            let shown_kind = if kind.is_empty() {
                def.kind.clone()
            } else {
                kind
            };
            return Err(ApiError::bad_request(format!(
                "{shown_kind} in version \"{}\" cannot be handled as a {}: converting ({}) to ({}): unknown conversion",
                av.rsplit('/').next().unwrap_or(&av),
                def.kind,
                shown_kind,
                def.kind
            )));
        }
        v["kind"] = def.kind.clone().into();
        v["apiVersion"] = def.api_version().into();
        Ok(v)
    }

    fn authorize(&self, verb: &str) -> Result<(), ApiError> {
        let d = &self.rp.def;
        if self.user.may(verb, &d.plural, self.rp.namespace.as_deref()) {
            return Ok(());
        }
        let mut e = ApiError::forbidden(
            &self.user.name(),
            verb,
            &d.group,
            &d.plural,
            self.rp.namespace.as_deref(),
        );
        if let Some(n) = &self.rp.name {
            e.message = e
                .message
                .replacen(&d.plural, &format!("{} \"{n}\"", d.plural), 1);
            e.details = Some(json!({"name": n, "kind": d.plural}));
        }
        Err(e)
    }
}

/// Objects from the store carry kind/apiVersion; make sure of it.
fn with_kind(def: &crate::resources::ResourceDef, v: &Value) -> Value {
    if v.get("kind").is_some() || v.get("status").and_then(Value::as_str).is_some() {
        return v.clone();
    }
    let mut o = Map::new();
    o.insert("kind".into(), def.kind.clone().into());
    o.insert("apiVersion".into(), def.api_version().into());
    if let Some(m) = v.as_object() {
        o.extend(m.clone());
    }
    Value::Object(o)
}

/// YAML (and so JSON) into a JSON value. serde_norway is the maintained
/// fork of serde_yaml; apply bodies are YAML, and JSON is valid YAML.
pub fn yaml_to_json(bytes: &[u8]) -> Result<Value, String> {
    crate::decode::yaml(bytes)
}

pub async fn dispatch(r: Request<'_>) -> Res {
    let has_name = r.rp.name.is_some();
    let sub = r.rp.sub.clone();
    match (&r.method, has_name, sub.as_deref()) {
        (&Method::GET, false, _) => {
            let watching = r.rp.legacy_watch || r.query.flag("watch");
            r.authorize(if watching { "watch" } else { "list" })?;
            if watching {
                start_watch(&r)
            } else {
                list(&r)
            }
        }
        (&Method::GET, true, _) => {
            r.authorize("get")?;
            get(&r)
        }
        (&Method::POST, false, None) => {
            r.authorize("create")?;
            create(&r)
        }
        (&Method::POST, true, Some("token")) => {
            r.authorize("create")?;
            token_request(&r)
        }
        (&Method::PUT, true, _) => {
            r.authorize("update")?;
            update(&r)
        }
        (&Method::PATCH, true, _) => {
            r.authorize("patch")?;
            patch_object(&r)
        }
        (&Method::DELETE, true, None) => {
            r.authorize("delete")?;
            delete(&r)
        }
        (&Method::DELETE, false, None) => {
            r.authorize("deletecollection")?;
            delete_collection(&r)
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn name_of(r: &Request<'_>) -> String {
    r.rp.name.clone().unwrap_or_default()
}

fn get(r: &Request<'_>) -> Res {
    let name = name_of(r);
    let d = &r.rp.def;
    match r.ctx.store.get(&r.key(&name)) {
        Some(o) => Ok(r.reply(200, &o)),
        None => Err(ApiError::not_found(&d.group, &d.plural, &name)),
    }
}

fn parse_rv(s: &str) -> Result<u64, ApiError> {
    s.parse::<u64>().map_err(|_| {
        ApiError::bad_request(format!(
            "invalid resource version: resourceVersion: Invalid value: \"{s}\": strconv.ParseUint: parsing \"{s}\": invalid syntax"
        ))
    })
}

fn too_large_rv(asked: u64, current: u64) -> ApiError {
    let mut e = ApiError::new(
        504,
        "Timeout",
        format!("Timeout: Too large resource version: {asked}, current: {current}"),
    );
    e.details = Some(
        json!({"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1}),
    );
    e
}

fn selectors(r: &Request<'_>) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let l = LabelSelector::parse(r.query.get("labelSelector").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    let f = FieldSelector::parse(r.query.get("fieldSelector").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    Ok((l, f))
}

fn continue_token(rv: u64, start: &str) -> String {
    let t = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start});
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&t).unwrap_or_default())
}

fn sort_key(o: &Value) -> String {
    let m = &o["metadata"];
    format!(
        "{}/{}",
        m["namespace"].as_str().unwrap_or(""),
        m["name"].as_str().unwrap_or("")
    )
}

/// An object's (namespace, name), the order the store keeps.
fn object_key(o: &Value) -> (&str, &str) {
    let m = &o["metadata"];
    (
        m["namespace"].as_str().unwrap_or(""),
        m["name"].as_str().unwrap_or(""),
    )
}

fn list(r: &Request<'_>) -> Res {
    let d = &r.rp.def;
    let (labels, fields) = selectors(r)?;
    let ns = r.rp.namespace.as_deref();
    let store = &r.ctx.store;
    let current = store.current_rv();
    let limit = r
        .query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let rv_param = r.query.get("resourceVersion").filter(|s| !s.is_empty());
    let rv_match = r
        .query
        .get("resourceVersionMatch")
        .filter(|s| !s.is_empty());
    let mut start = String::new();
    let (at, limit) = if let Some(c) = r.query.get("continue").filter(|s| !s.is_empty()) {
        let tok: Value = URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| {
                ApiError::bad_request("continue key is not valid: illegal base64 data")
            })?;
        start = tok["start"].as_str().unwrap_or("").to_string();
        let rv = tok["rv"].as_i64().unwrap_or(-1);
        (if rv > 0 { Some(rv as u64) } else { None }, limit)
    } else {
        match (rv_param, rv_match) {
            (None, Some(m)) => {
                return Err(ApiError::bad_request(format!(
                    "resourceVersionMatch is forbidden unless resourceVersion is provided (resourceVersionMatch={m})"
                )))
            }
            (None, None) => (None, limit),
            // The real server answers rv=0 from its watch cache and ignores limit.
            (Some("0"), _) => (None, None),
            (Some(s), Some("Exact")) => {
                let rv = parse_rv(s)?;
                if rv > current {
                    return Err(too_large_rv(rv, current));
                }
                (Some(rv), limit)
            }
            (Some(s), _) => {
                let rv = parse_rv(s)?;
                if rv > current {
                    return Err(too_large_rv(rv, current));
                }
                (None, limit)
            }
        }
    };
    let from_continue = !start.is_empty();
    // The token's start is "NAMESPACE/NAME\0": resume strictly after that
    // object, compared as (namespace, name) like the store orders keys (a
    // string compare would put namespace "a-b" before "a").
    let after = from_continue.then(|| {
        let s = start.trim_end_matches('\u{0}');
        s.split_once('/').unwrap_or(("", s))
    });
    let no_selectors = labels.is_empty() && fields == FieldSelector::default();
    let keep = |o: &Value| labels.matches(o) && fields.matches(o);
    let (rv, page, continue_after, remaining) = match limit {
        // A page of the current state: walk the store from the token on,
        // instead of copying the whole collection for every page.
        Some(l) if at.is_none_or(|a| a >= current) => {
            let p = store.page_now(&d.group, &d.plural, ns, after, l, keep);
            let last = p
                .more
                .then(|| p.items.last().map(|o| sort_key(o)))
                .flatten();
            (p.resource_version, p.items, last, p.remaining)
        }
        // An older snapshot (or everything): rebuild it from the history.
        _ => {
            let (rv, items) = store.list(&d.group, &d.plural, ns, at).map_err(|_| {
                if from_continue {
                    let mut e = ApiError::continue_expired();
                    e.metadata
                        .insert("continue".into(), continue_token(0, &start).into());
                    e
                } else {
                    ApiError::list_expired()
                }
            })?;
            let selected: Vec<Arc<Value>> = items
                .into_iter()
                .filter(|o| after.is_none_or(|a| object_key(o) > a))
                .filter(|o| keep(o))
                .collect();
            let total = selected.len();
            match limit {
                Some(l) if l < total => {
                    let page: Vec<Arc<Value>> = selected.into_iter().take(l).collect();
                    let last = page.last().map(|o| sort_key(o));
                    (rv, page, last, total - l)
                }
                _ => (rv, selected, None, 0),
            }
        }
    };
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(last) = continue_after {
        meta["continue"] = continue_token(rv, &format!("{last}\u{0}")).into();
        if no_selectors {
            meta["remainingItemCount"] = (remaining as u64).into();
        }
    }
    // Items of built-in lists carry no kind/apiVersion; custom ones do.
    let strip = |o: &Value| {
        let mut o = o.clone();
        if !d.custom {
            if let Some(m) = o.as_object_mut() {
                m.remove("kind");
                m.remove("apiVersion");
            }
        }
        o
    };
    let doc = match r.format {
        Format::Table(include) => {
            let objs: Vec<Value> = page.iter().map(|o| with_kind(d, o)).collect();
            table(d, &objs, meta, include)
        }
        Format::Metadata => json!({
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": meta,
            "items": page.iter().map(|o| partial_metadata(o)).collect::<Vec<_>>(),
        }),
        _ => json!({
            "kind": format!("{}List", d.kind),
            "apiVersion": d.api_version(),
            "metadata": meta,
            "items": page.iter().map(|o| strip(o)).collect::<Vec<_>>(),
        }),
    };
    let f = if r.format == Format::Yaml {
        Format::Yaml
    } else {
        Format::Json
    };
    Ok(object(200, &doc, f, r.pretty))
}

fn start_watch(r: &Request<'_>) -> Res {
    let (labels, fields) = selectors(r)?;
    let q = &r.query;
    let rv = q.get("resourceVersion").filter(|s| !s.is_empty());
    let initial = q.flag("sendInitialEvents");
    let start = if initial {
        if q.get("resourceVersionMatch") != Some("NotOlderThan") {
            let d = &r.rp.def;
            let _ = d;
            return Err(ApiError::invalid(
                "meta.k8s.io",
                "ListOptions",
                "",
                vec![Cause {
                    reason: "FieldValueInvalid",
                    message: "Invalid value: \"\": sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan".into(),
                    field: "resourceVersionMatch".into(),
                }],
            ));
        }
        watch::Start::InitialEvents
    } else {
        match rv {
            None | Some("0") => watch::Start::CurrentState,
            Some(s) => match s.parse::<u64>() {
                Ok(v) => watch::Start::After(v),
                Err(_) => {
                    return Err(ApiError::internal(format!(
                        "resourceVersion: Invalid value: \"{s}\": strconv.ParseUint: parsing \"{s}\": invalid syntax"
                    )))
                }
            },
        }
    };
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(r.ctx.max_watch)
        // Any longer is forever; `now + u64::MAX s` would overflow.
        .min(watch::LONGEST);
    let spec = watch::WatchSpec {
        def: r.rp.def.clone(),
        namespace: r.rp.namespace.clone(),
        labels,
        fields,
        start,
        bookmarks: q.flag("allowWatchBookmarks"),
        bookmark_interval: r.ctx.bookmark_interval,
        timeout,
        table: match r.format {
            Format::Table(i) => Some(i),
            _ => None,
        },
    };
    let rx = watch::start(r.ctx.store.clone(), spec, r.ctx.shutdown.clone());
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(Frame::data(b)), rx))
    });
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(StreamBody::new(stream).boxed_unsync())
        .unwrap_or_else(|_| Response::new(super::body::full(""))))
}

/// 404 unless the namespace exists (and 403 while it is terminating).
fn check_namespace(st: &State, r: &Request<'_>, name: &str) -> Result<(), ApiError> {
    let Some(ns) = r.rp.namespace.as_deref() else {
        return Ok(());
    };
    match st.get(&Key::new("", "namespaces", "", ns)) {
        None => Err(ApiError::not_found("", "namespaces", ns)),
        Some(n) if n["metadata"].get("deletionTimestamp").is_some() => {
            let d = &r.rp.def;
            let mut e = ApiError::new(
                403,
                "Forbidden",
                format!("{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", d.plural),
            );
            e.details = Some(
                json!({"name": name, "kind": d.plural, "causes": [{"reason": "NamespaceTerminating", "message": format!("namespace {ns} is being terminated"), "field": "metadata.namespace"}]}),
            );
            Err(e)
        }
        Some(_) => Ok(()),
    }
}

fn check_body_namespace(r: &Request<'_>, body: &Value) -> Result<(), ApiError> {
    if let (Some(ns), Some(b)) = (
        r.rp.namespace.as_deref(),
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

fn create(r: &Request<'_>) -> Res {
    let d = &r.rp.def;
    let body = r.check_kind(r.parse_body()?)?;
    check_body_namespace(r, &body)?;
    let obj = prepare_create(d, body, r.rp.namespace.as_deref(), &r.manager())?;
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    let key = r.key(&name);
    if r.dry_run() {
        let st_exists = r.ctx.store.get(&key).is_some();
        if st_exists {
            return Err(ApiError::already_exists(&d.group, &d.plural, &name));
        }
        return Ok(r.reply(201, &obj));
    }
    let (stored, _) = r.ctx.store.mutate(&key, |st, cur| {
        check_namespace(st, r, &name)?;
        if cur.is_some() {
            return Err(ApiError::already_exists(&d.group, &d.plural, &name));
        }
        Ok(Mutation::Put(obj))
    })?;
    Ok(r.reply(201, &stored))
}

/// Decides what an update of `old` to `new` does: a write, a no-op, or
/// (finalizers gone from an object being deleted) the final removal.
fn finish_update(old: &Arc<Value>, new: Value) -> Mutation {
    if crate::objects::same_content(old, &new) {
        return Mutation::Unchanged(old.clone());
    }
    let deleting = new["metadata"].get("deletionTimestamp").is_some();
    let no_finalizers = new["metadata"]["finalizers"]
        .as_array()
        .is_none_or(|a| a.is_empty());
    if deleting && no_finalizers {
        return Mutation::Delete(new);
    }
    Mutation::Put(new)
}

fn update(r: &Request<'_>) -> Res {
    let d = &r.rp.def;
    let name = name_of(r);
    let body = r.check_kind(r.parse_body()?)?;
    check_body_namespace(r, &body)?;
    if let Some(b) = body["metadata"]["name"].as_str() {
        if b != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({b}) does not match the name on the URL ({name})"
            )));
        }
    }
    let key = r.key(&name);
    let sub = r.rp.sub.as_deref();
    let manager = r.manager();
    let dry = r.dry_run();
    let mut preview = None;
    let (stored, _) = r.ctx.store.mutate(&key, |_, cur| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found(&d.group, &d.plural, &name));
        };
        let want = body["metadata"]["resourceVersion"].as_str().unwrap_or("");
        if !want.is_empty() && Some(want) != cur["metadata"]["resourceVersion"].as_str() {
            return Err(ApiError::conflict(&d.group, &d.plural, &name));
        }
        let new = prepare_update(d, cur, body.clone(), sub, &manager, "Update")?;
        if dry {
            preview = Some(new);
            return Ok(Mutation::Unchanged(cur.clone()));
        }
        Ok(finish_update(cur, new))
    })?;
    Ok(r.reply(200, preview.as_ref().unwrap_or(&stored)))
}

fn patch_object(r: &Request<'_>) -> Res {
    let d = &r.rp.def;
    let name = name_of(r);
    let Some(pt) = PatchType::from_content_type(&r.content_type) else {
        return Err(ApiError::unsupported_patch());
    };
    let patch: Value = match pt {
        PatchType::Apply => yaml_to_json(&r.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
        _ => serde_json::from_slice(&r.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?,
    };
    crate::shape::patch(d, pt, &patch)?;
    let manager = r.manager();
    if pt == PatchType::Apply {
        if r.query.get("fieldManager").unwrap_or("").is_empty() {
            let mut e = ApiError::invalid(
                "meta.k8s.io",
                "PatchOptions.meta.k8s.io",
                "",
                vec![Cause {
                    reason: "FieldValueRequired",
                    message: "Required value: is required for apply patch".into(),
                    field: "fieldManager".into(),
                }],
            );
            e.details = Some(
                json!({"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [{"reason": "FieldValueRequired", "message": "Required value: is required for apply patch", "field": "fieldManager"}]}),
            );
            return Err(e);
        }
        r.check_kind(patch.clone())?;
    }
    let force = r.query.flag("force");
    let key = r.key(&name);
    let sub = r.rp.sub.as_deref();
    let dry = r.dry_run();
    let mut created = false;
    let mut preview = None;
    let (stored, _) = r
        .ctx
        .store
        .mutate(&key, |st, cur| {
            let Some(cur) = cur else {
                if pt == PatchType::Apply && sub.is_none() {
                    // Apply creates what does not exist yet.
                    check_namespace(st, r, &name)?;
                    let mut body = r.check_kind(patch.clone())?;
                    body["metadata"]["name"] = name.clone().into();
                    let mut obj = prepare_create(d, body, r.rp.namespace.as_deref(), &manager)?;
                    let fields = crate::objects::fields_v1(&patch);
                    obj["metadata"]["managedFields"] = json!([]);
                    crate::objects::set_managed(
                        &mut obj,
                        &manager,
                        "Apply",
                        &d.api_version(),
                        fields,
                        None,
                    );
                    created = true;
                    if dry {
                        preview = Some(obj);
                        return Err(ApiError::new(0, "", ""));
                    }
                    return Ok(Mutation::Put(obj));
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
                    patch::strategic_merge(base, &patch)
                }
                PatchType::Apply => {
                    patch::server_side_apply(base, &patch, &manager, force, &d.api_version(), sub)?
                }
            };
            crate::shape::object(d, &patched)?;
            let want = patched["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or("");
            if !want.is_empty() && Some(want) != cur["metadata"]["resourceVersion"].as_str() {
                return Err(ApiError::conflict(&d.group, &d.plural, &name));
            }
            let new = if pt == PatchType::Apply {
                // Apply already wrote its own managedFields entry; keep it.
                let mut carried = patched.clone();
                let managed = carried["metadata"]["managedFields"].clone();
                let mut n =
                    prepare_update(d, cur, std::mem::take(&mut carried), sub, &manager, "Apply")?;
                n["metadata"]["managedFields"] = managed;
                n
            } else {
                prepare_update(d, cur, patched, sub, &manager, "Update")?
            };
            if dry {
                preview = Some(new);
                return Ok(Mutation::Unchanged(cur.clone()));
            }
            Ok(finish_update(cur, new))
        })
        .or_else(|e| match (&preview, e.code) {
            (Some(p), 0) => Ok((Arc::new(p.clone()), false)),
            _ => Err(e),
        })?;
    let shown = preview.as_ref().unwrap_or(&stored);
    Ok(r.reply(if created { 201 } else { 200 }, shown))
}

/// DeleteOptions from the body (or query).
fn delete_options(r: &Request<'_>) -> Result<Value, ApiError> {
    if r.body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(&r.body)
        .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))
}

fn delete(r: &Request<'_>) -> Res {
    let d = &r.rp.def;
    let name = name_of(r);
    let opts = delete_options(r)?;
    let key = r.key(&name);
    let dry = r.dry_run()
        || opts["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "All"));
    if d.group.is_empty() && d.plural == "namespaces" && !dry {
        delete_namespace_contents(r, &name)?;
    }
    let mut finalizing = false;
    let (obj, _) = r.ctx.store.mutate(&key, |_, cur| {
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
            return Ok(Mutation::Put(crate::objects::reorder_metadata(gone)));
        }
        Ok(Mutation::Delete(gone))
    })?;
    // Objects kept by finalizers, Pods and Namespaces come back whole;
    // everything else gets a Status, as from kube-apiserver.
    let whole =
        finalizing || (d.group.is_empty() && matches!(d.plural.as_str(), "pods" | "namespaces"));
    if whole {
        let mut o = (*obj).clone();
        if d.plural == "namespaces" {
            o["status"]["phase"] = "Terminating".into();
            if o["metadata"].get("deletionTimestamp").is_none() {
                o["metadata"]["deletionTimestamp"] = now_rfc3339().into();
            }
        }
        return Ok(r.reply(200, &o));
    }
    let mut details = Map::new();
    details.insert("name".into(), name.clone().into());
    if !d.group.is_empty() {
        details.insert("group".into(), d.group.clone().into());
    }
    details.insert("kind".into(), d.plural.clone().into());
    details.insert("uid".into(), obj["metadata"]["uid"].clone());
    Ok(r.reply(200, &success_status(Value::Object(details))))
}

/// Deleting a namespace deletes everything in it (no controller here to
/// do it later).
fn delete_namespace_contents(r: &Request<'_>, ns: &str) -> Result<(), ApiError> {
    for def in r.ctx.store.registry().iter().filter(|d| d.namespaced) {
        let (_, items) = r
            .ctx
            .store
            .list(&def.group, &def.plural, Some(ns), None)
            .unwrap_or_default();
        for o in items {
            let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
            let key = Key::new(&def.group, &def.plural, ns, &name);
            let _ = r.ctx.store.mutate(&key, |_, cur| match cur {
                Some(c) => Ok(Mutation::Delete((**c).clone())),
                None => Err(ApiError::not_found(&def.group, &def.plural, &name)),
            });
        }
    }
    Ok(())
}

fn delete_collection(r: &Request<'_>) -> Res {
    let d = &r.rp.def;
    let (labels, fields) = selectors(r)?;
    let (_, items) = r
        .ctx
        .store
        .list(&d.group, &d.plural, r.rp.namespace.as_deref(), None)
        .map_err(|_| ApiError::list_expired())?;
    let mut deleted = Vec::new();
    for o in items
        .into_iter()
        .filter(|o| labels.matches(o) && fields.matches(o))
    {
        let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
        let key = Key::new(
            &d.group,
            &d.plural,
            o["metadata"]["namespace"].as_str().unwrap_or(""),
            &name,
        );
        if r.dry_run() {
            deleted.push((*o).clone());
            continue;
        }
        if let Ok((gone, true)) = r.ctx.store.mutate(&key, |_, cur| match cur {
            Some(c) => Ok(Mutation::Delete((**c).clone())),
            None => Err(ApiError::not_found(&d.group, &d.plural, &name)),
        }) {
            let mut g = (*gone).clone();
            if !d.custom {
                if let Some(m) = g.as_object_mut() {
                    m.remove("kind");
                    m.remove("apiVersion");
                }
            }
            deleted.push(g);
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

fn token_request(r: &Request<'_>) -> Res {
    let name = name_of(r);
    let ns = r.rp.namespace.clone().unwrap_or_default();
    let body = r.parse_body()?;
    let Some(sa) = r.ctx.store.get(&r.key(&name)) else {
        return Err(ApiError::not_found("", "serviceaccounts", &name));
    };
    let exp = body["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    if exp < 600 {
        let c = Cause {
            reason: "FieldValueInvalid",
            message: format!(
                "Invalid value: {exp}: may not specify a duration less than 10 minutes"
            ),
            field: "spec.expirationSeconds".into(),
        };
        let mut e = ApiError::invalid(
            "authentication.k8s.io",
            "TokenRequest.authentication.k8s.io",
            "",
            vec![c],
        );
        // The details name the plain kind and no object name.
        if let Some(d) = e.details.as_mut() {
            d["kind"] = "TokenRequest".into();
            if let Some(m) = d.as_object_mut() {
                m.remove("name");
            }
        }
        return Err(e);
    }
    let exp = exp.min(48 * 3600);
    let audiences: Vec<String> = body["spec"]["audiences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .filter(|a: &Vec<String>| !a.is_empty())
        .unwrap_or_else(|| vec![ISSUER.to_string()]);
    let uid = sa["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let subject = TokenSubject {
        namespace: ns.clone(),
        name: name.clone(),
        uid: uid.clone(),
    };
    let (token, exp_at) = r.ctx.issuer.issue(&subject, &audiences, exp);
    let expiry = jiff::Timestamp::from_second(exp_at)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let mut fields = json!({"f:spec": {"f:audiences": {}, "f:expirationSeconds": {}}});
    if body["spec"]["expirationSeconds"].is_null() {
        fields = json!({"f:spec": {"f:audiences": {}}});
    }
    let doc = json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": uid,
            "creationTimestamp": now_rfc3339(),
            "managedFields": [{"manager": r.manager(), "operation": "Update", "apiVersion": "authentication.k8s.io/v1", "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": fields, "subresource": "token"}],
        },
        "spec": {"audiences": audiences, "expirationSeconds": exp, "boundObjectRef": body["spec"]["boundObjectRef"].clone()},
        "status": {"token": token, "expirationTimestamp": expiry},
    });
    Ok(object(201, &doc, Format::Json, r.pretty))
}
