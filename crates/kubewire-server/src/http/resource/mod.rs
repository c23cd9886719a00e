//! The resource verbs. [`serve`] reads the request, picks the verb from
//! the method and path ([`dispatch`]) and hands it to the module for its
//! kind of work: [`read`] (get, list), [`watch`], [`write`] (create,
//! update, patch), [`delete`], the subresources ([`subresource`]: scale,
//! log; [`token`]), and the reviews that are answered, not stored
//! ([`review`]).

mod delete;
mod input;
mod read;
mod review;
mod subresource;
mod token;
mod watch;
mod write;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Response};
use kubewire::{QueryError, RequestError};
use serde_json::{json, Map, Value};

use super::body::{error, error_as, negotiate, object, Body, Format};
use super::route::ResourcePath;
use super::{Ctx, Head, Query};
use crate::auth::User;
use crate::resources::ResourceDef;
use crate::status::{cause, ApiError};
use crate::storage::{Key, Mutation};
use crate::table::{partial_metadata, table, IncludeObject};

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
    /// `Warning` headers for the answer (`299 - "unknown field ..."`).
    pub warnings: std::sync::Mutex<Vec<String>>,
}

type Res = Result<Response<Body>, ApiError>;

/// Reads the body (for the verbs that have one) and serves the request.
pub async fn serve(
    ctx: &Arc<Ctx>,
    user: User,
    head: Head,
    rp: ResourcePath,
    body: Incoming,
) -> Response<Body> {
    let include = IncludeObject::from_query(head.query.raw());
    let format = match negotiate(&head.accept, include, !rp.def.custom) {
        Ok(f) => f,
        Err(e) => return error(&e),
    };
    let body = if matches!(
        head.method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        match Limited::new(body, ctx.max_body).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e)
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                return error(&ApiError::too_large(ctx.max_body))
            }
            Err(e) => {
                return error(&ApiError::bad_request(format!(
                    "reading the request body failed: {e}"
                )))
            }
        }
    } else {
        Bytes::new()
    };
    // YAML (apply patches, `application/yaml` bodies) is converted on a
    // blocking thread when large; JSON is YAML, so the handlers read the
    // result the same way.
    let body = if head.content_type.contains("yaml") {
        crate::decode::yaml_to_json_bytes(body).await
    } else {
        body
    };
    let r = Request {
        ctx,
        user,
        method: head.method,
        rp,
        query: head.query,
        format,
        pretty: head.pretty,
        user_agent: head.user_agent,
        content_type: head.content_type,
        body,
        warnings: std::sync::Mutex::new(Vec::new()),
    };
    let mut resp = dispatch(&r)
        .await
        .unwrap_or_else(|e| error_as(&e, r.format));
    let warnings = std::mem::take(&mut *r.warnings.lock().unwrap_or_else(|e| e.into_inner()));
    for w in warnings {
        if let Ok(h) = hyper::header::HeaderValue::from_str(&warning_value(&w)) {
            resp.headers_mut().append("Warning", h);
        }
    }
    resp
}

/// A `Warning` header's value as kube-apiserver writes it: code 299, no
/// agent, the text quoted with `\` and `"` escaped.
fn warning_value(text: &str) -> String {
    let mut out = String::from("299 - \"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The verb of a request, from its method, whether it names an object,
/// and its subresource.
async fn dispatch(r: &Request<'_>) -> Res {
    let named = r.rp.name.is_some();
    match (&r.method, named, r.rp.sub.as_deref()) {
        (&Method::GET, true, Some("scale")) => {
            r.authorize("get").await?;
            subresource::get_scale(r)
        }
        (&Method::PUT | &Method::PATCH, true, Some("scale")) => {
            r.authorize(if r.method == Method::PUT {
                "update"
            } else {
                "patch"
            })
            .await?;
            subresource::write_scale(r)
        }
        (&Method::GET, true, Some("log")) => {
            r.authorize("get").await?;
            subresource::log(r)
        }
        (&Method::GET, false, _) => {
            let watching = r.rp.legacy_watch || r.query.flag("watch");
            if watching {
                r.authorize("watch").await?;
                watch::start(r)
            } else {
                r.authorize("list").await?;
                read::list(r)
            }
        }
        (&Method::GET, true, _) => {
            r.authorize("get").await?;
            read::get(r)
        }
        (&Method::POST, false, None) if review::is_review(r.def()) => {
            r.authorize("create").await?;
            review::answer(r)
        }
        (&Method::POST, false, None) => {
            r.authorize("create").await?;
            write::create(r)
        }
        (&Method::POST, true, Some("token")) => {
            r.authorize("create").await?;
            token::request(r)
        }
        (&Method::PUT, true, _) => {
            r.authorize("update").await?;
            write::update(r)
        }
        (&Method::PATCH, true, _) => {
            r.authorize("patch").await?;
            write::patch(r)
        }
        (&Method::DELETE, true, None) => {
            r.authorize("delete").await?;
            delete::one(r)
        }
        (&Method::DELETE, false, None) => {
            r.authorize("deletecollection").await?;
            delete::collection(r)
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

impl Request<'_> {
    fn def(&self) -> &ResourceDef {
        &self.rp.def
    }

    /// Where the object `name` is stored (for a kind stored as another,
    /// under that kind: [`ResourceDef::storage`]).
    fn key(&self, name: &str) -> Key {
        let (group, plural) = self.def().storage();
        Key::new(
            group,
            plural,
            self.rp.namespace.as_deref().unwrap_or(""),
            name,
        )
    }

    /// The object at `key`, as this resource serves it.
    fn get(&self, key: &Key) -> Option<Arc<Value>> {
        let o = self.ctx.store.get(key)?;
        Some(match self.def().served(&o) {
            std::borrow::Cow::Owned(v) => Arc::new(v),
            std::borrow::Cow::Borrowed(_) => o,
        })
    }

    /// [`crate::storage::Store::mutate`] in this resource's form: `f`
    /// sees the current object as served and decides in the served form;
    /// for a kind stored as another, both ways are converted here.
    fn mutate<F>(&self, key: &Key, f: F) -> Result<(Arc<Value>, bool), ApiError>
    where
        F: FnOnce(&crate::storage::State, Option<&Arc<Value>>) -> Result<Mutation, ApiError>,
    {
        let Some(conv) = self.def().stored_as() else {
            return self.ctx.store.mutate(key, f);
        };
        let stored = |v: &Value| (conv.stored)(v);
        let (o, changed) = self
            .ctx
            .store
            .mutate(key, |st, cur| -> Result<Mutation, ApiError> {
                let served = cur.map(|c| Arc::new((conv.served)(c)));
                Ok(match f(st, served.as_ref())? {
                    Mutation::Put(v) => Mutation::Put(stored(&v)),
                    Mutation::Delete(v) => Mutation::Delete(stored(&v)),
                    Mutation::DryRun(v) => Mutation::DryRun(stored(&v)),
                    Mutation::Unchanged(v) => Mutation::Unchanged(Arc::new(stored(&v))),
                })
            })?;
        Ok((Arc::new((conv.served)(&o)), changed))
    }

    /// The object name from the path ("" for a collection).
    fn name(&self) -> String {
        self.rp.name.clone().unwrap_or_default()
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

    /// Adds `Warning` headers to the answer.
    fn warn(&self, texts: impl IntoIterator<Item = String>) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(texts);
    }

    /// The request's `fieldValidation`, for options `options`
    /// (`CreateOptions`, ...).
    fn directive(&self, options: &str) -> Result<crate::schema::Directive, ApiError> {
        crate::schema::Directive::from_query(self.query.get("fieldValidation"), options)
    }

    fn dry_run(&self) -> bool {
        self.query.get("dryRun") == Some("All")
    }

    /// An object answer in the negotiated form: the object itself (JSON or
    /// YAML), a one-row Table, or its PartialObjectMetadata. Anything that
    /// is not an object of this kind (a Status) goes out as it is.
    fn reply(&self, status: u16, v: &Value) -> Response<Body> {
        let def = self.def();
        let v = with_kind(def, v);
        let own_kind = v.get("kind").and_then(Value::as_str) == Some(def.kind.as_str());
        match self.format {
            Format::Table(include) if own_kind => {
                let meta = json!({"resourceVersion": v["metadata"]["resourceVersion"]});
                object(
                    status,
                    &table(def, std::slice::from_ref(&v), meta, include),
                    Format::Json,
                    self.pretty,
                )
            }
            Format::Metadata if own_kind => {
                object(status, &partial_metadata(&v), Format::Json, self.pretty)
            }
            Format::Yaml | Format::Protobuf => object(status, &v, self.format, self.pretty),
            _ => object(status, &v, Format::Json, self.pretty),
        }
    }

    /// The authorizer's decision on `verb` for this request, as the real
    /// server's 403 when refused.
    async fn authorize(&self, verb: &str) -> Result<(), ApiError> {
        let d = self.def();
        let a = crate::authz::Attributes {
            verb,
            group: &d.group,
            resource: &d.plural,
            subresource: self.rp.sub.as_deref(),
            name: self.rp.name.as_deref(),
            namespace: self.rp.namespace.as_deref(),
        };
        if let crate::authz::Decision::Allow(_) =
            crate::aggregation::authorize(self.ctx, &self.user, &a).await?
        {
            return Ok(());
        }
        let resource = match self.rp.sub.as_deref() {
            Some(s) => format!("{}/{s}", d.plural),
            None => d.plural.clone(),
        };
        Err(ApiError::forbidden(
            &self.user.name(),
            verb,
            &d.group,
            &resource,
            self.rp.name.as_deref(),
            self.rp.namespace.as_deref(),
        ))
    }
}

/// Objects from the store carry kind/apiVersion; make sure of it.
fn with_kind(def: &ResourceDef, v: &Value) -> Value {
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

/// A list or watch query the core's rules refused, as kube-apiserver
/// answers it.
fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::NotANumber { .. } => ApiError::bad_request(e.to_string()),
        QueryError::UnknownVersionMatch(v) => list_options_invalid(
            "FieldValueNotSupported",
            format!(
                "Unsupported value: \"{v}\": supported values: \"Exact\", \"NotOlderThan\", \"\""
            ),
            "resourceVersionMatch",
        ),
        // The storage layer's rule, a 400 rather than a validation error.
        QueryError::Invalid(RequestError::InvalidParams {
            field: "resourceVersion",
            message,
        }) => ApiError::bad_request(message),
        QueryError::Invalid(RequestError::InvalidParams { field, message }) => {
            list_options_invalid(
                "FieldValueForbidden",
                format!("Forbidden: {message}"),
                field,
            )
        }
        QueryError::Invalid(other) => ApiError::bad_request(other.to_string()),
        other => ApiError::bad_request(other.to_string()),
    }
}

fn list_options_invalid(reason: &str, message: String, field: &str) -> ApiError {
    ApiError::invalid(
        "meta.k8s.io",
        "ListOptions.meta.k8s.io",
        "",
        vec![cause(reason, message, field)],
    )
}
