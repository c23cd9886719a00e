//! The core's own small HTTP request type, and the builders that make one
//! for every verb.
//!
//! The `http` crate needs `std`, so the core returns [`Request`]: a method,
//! a path with its query, headers and a body. An adapter prefixes the
//! cluster's base URL, adds credentials and sends it. With the `http`
//! feature, `http::Request<Vec<u8>>::try_from(request)` does the conversion.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::RequestError;
use crate::params::{
    DeleteParams, GetParams, ListParams, LogParams, PatchParams, PostParams, WatchParams,
};
use crate::query::Query;
use crate::resource::{check_name, group_version_path, segment, ApiResource, Scope};

/// The HTTP methods Kubernetes uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET: get, list, watch, discovery.
    Get,
    /// POST: create (and subresources such as `token`).
    Post,
    /// PUT: replace.
    Put,
    /// PATCH: JSON, merge, strategic merge patch and server-side apply.
    Patch,
    /// DELETE: delete and deletecollection.
    Delete,
}

impl Method {
    /// The method's name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Accept` for JSON.
pub const ACCEPT_JSON: &str = "application/json";
/// `Accept` for aggregated discovery (v2), falling back to the plain
/// documents on servers without it, exactly as kubectl asks.
pub const ACCEPT_AGGREGATED_DISCOVERY: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
/// `Accept` for server-side printing (`meta.k8s.io/v1` `Table`), with
/// kubectl's fallbacks.
pub const ACCEPT_TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
/// `Accept` for metadata only (`PartialObjectMetadata`, and
/// `PartialObjectMetadataList` for a LIST), falling back to whole objects
/// on servers without it.
pub const ACCEPT_METADATA: &str = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json";

/// Header names whose values are credentials: never logged, never printed,
/// never shown by `Debug`.
const SENSITIVE_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// Whether a header carries credentials and must be redacted when shown.
pub fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_HEADERS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name))
}

/// The redacted form of a sensitive header value: the auth scheme stays
/// (`Bearer <redacted>`), so a reader still sees *which* credential was used.
pub fn redact_header_value(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _))
            if !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            format!("{scheme} <redacted>")
        }
        _ => String::from("<redacted>"),
    }
}

/// An HTTP request to send to the API server.
///
/// `Debug` shows sensitive headers redacted and the body by size only: a
/// request may carry a token or a Secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path and query, starting with `/`, already escaped.
    pub path_and_query: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body; empty for none.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with `Accept: application/json` and no body.
    pub fn new(method: Method, path_and_query: String) -> Self {
        Request {
            method,
            path_and_query,
            headers: alloc::vec![("Accept".into(), ACCEPT_JSON.into())],
            body: Vec::new(),
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Set a header, replacing any value it had.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
    }

    /// Ask for the result as a server-printed `Table` (what `kubectl get`
    /// shows). `include_object` adds `includeObject=`.
    pub fn as_table(mut self, include_object: Option<IncludeObject>) -> Self {
        self.set_header("Accept", ACCEPT_TABLE);
        if let Some(include) = include_object {
            let full = core::mem::take(&mut self.path_and_query);
            let (path, query) = full.split_once('?').unwrap_or((full.as_str(), ""));
            let extra = format!("includeObject={}", include.as_str());
            let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
            pairs.push(&extra);
            pairs.sort_by(|a, b| key_of(a).cmp(key_of(b)));
            self.path_and_query = String::from(path);
            for (i, pair) in pairs.iter().enumerate() {
                self.path_and_query.push(if i == 0 { '?' } else { '&' });
                self.path_and_query.push_str(pair);
            }
        }
        self
    }

    /// Ask for metadata only (`PartialObjectMetadataList` for a LIST): all
    /// a client needs that prints names or keeps an index by key.
    pub fn as_metadata(mut self) -> Self {
        self.set_header("Accept", ACCEPT_METADATA);
        self
    }

    fn with_json_body<T: Serialize>(
        mut self,
        content_type: &str,
        body: &T,
    ) -> Result<Self, RequestError> {
        self.body = json_bytes(body)?;
        self.set_header("Content-Type", content_type);
        Ok(self)
    }
}

fn json_bytes<T: Serialize>(body: &T) -> Result<Vec<u8>, RequestError> {
    serde_json::to_vec(body).map_err(|e| RequestError::Serialize(e.to_string()))
}

/// A body's `metadata.name`, when it is a string: what REPLACE checks
/// against the name in the path.
#[derive(Deserialize)]
struct NamedBody<'a> {
    #[serde(default, borrow)]
    metadata: Option<NameOnly<'a>>,
}

#[derive(Deserialize)]
struct NameOnly<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
}

fn key_of(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(k, _)| k)
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(String, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for (name, value) in self.0 {
                    if is_sensitive_header(name) {
                        list.entry(&(name, redact_header_value(value)));
                    } else {
                        list.entry(&(name, value));
                    }
                }
                list.finish()
            }
        }
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path_and_query", &self.path_and_query)
            .field("headers", &Headers(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// What a `Table` response includes of each object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncludeObject {
    /// Cells only.
    None,
    /// Cells plus each object's metadata (the server's default).
    Metadata,
    /// Cells plus each full object.
    Object,
}

impl IncludeObject {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            IncludeObject::None => "None",
            IncludeObject::Metadata => "Metadata",
            IncludeObject::Object => "Object",
        }
    }
}

/// A patch body, in one of the four kinds the API server accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T: Serialize> {
    /// RFC 6902 JSON patch: a list of operations.
    Json(T),
    /// RFC 7386 JSON merge patch: `null` deletes a key.
    Merge(T),
    /// Kubernetes strategic merge patch (built-in types only): lists are
    /// merged by their key (containers by name, ...).
    Strategic(T),
    /// Server-side apply: the fields this manager wants to own.
    Apply(T),
}

impl<T: Serialize> Patch<T> {
    /// The `Content-Type` of this patch kind.
    pub fn content_type(&self) -> &'static str {
        match self {
            Patch::Json(_) => "application/json-patch+json",
            Patch::Merge(_) => "application/merge-patch+json",
            Patch::Strategic(_) => "application/strategic-merge-patch+json",
            // JSON is YAML, and this is what client-go sends for apply.
            Patch::Apply(_) => "application/apply-patch+yaml",
        }
    }

    fn body(&self) -> &T {
        match self {
            Patch::Json(b) | Patch::Merge(b) | Patch::Strategic(b) | Patch::Apply(b) => b,
        }
    }
}

/// One resource's collection: in one namespace, or across all of them.
///
/// The verbs return a [`Request`] or a [`RequestError`] when the request
/// would be rejected anyway (an empty name, a namespaced GET without a
/// namespace, options the server forbids).
///
/// ```
/// use kubewire::{known, ListParams};
/// let req = known::config_maps().within("demo").list(&ListParams::default().labels("app=web"))?;
/// assert_eq!(req.path_and_query, "/api/v1/namespaces/demo/configmaps?labelSelector=app%3Dweb");
/// # Ok::<(), kubewire::RequestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    resource: ApiResource,
    namespace: Option<String>,
}

impl Collection {
    /// The collection of `resource` in `namespace` (ignored for a
    /// cluster-scoped resource), or across all namespaces with `None`.
    pub fn new(resource: ApiResource, namespace: Option<&str>) -> Self {
        let namespace = match resource.scope {
            Scope::Namespaced => namespace.map(String::from),
            Scope::Cluster => None,
        };
        Collection {
            resource,
            namespace,
        }
    }

    /// The resource.
    pub fn resource(&self) -> &ApiResource {
        &self.resource
    }

    /// The namespace, `None` across all namespaces or for cluster-scoped
    /// resources.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The collection's path: `/api/v1/namespaces/NS/configmaps`,
    /// `/apis/apps/v1/deployments` (all namespaces), `/api/v1/nodes`.
    pub fn path(&self) -> Result<String, RequestError> {
        let mut path = group_version_path(&self.resource.group, &self.resource.version);
        if let Some(ns) = &self.namespace {
            check_name("namespace", ns)?;
            path.push_str(&format!("/namespaces/{}", segment(ns)));
        }
        check_name("resource", &self.resource.plural)?;
        path.push_str(&format!("/{}", segment(&self.resource.plural)));
        Ok(path)
    }

    /// The path of one object, and of its subresource if given.
    pub fn object_path(
        &self,
        name: &str,
        subresource: Option<&str>,
    ) -> Result<String, RequestError> {
        if self.resource.scope == Scope::Namespaced && self.namespace.is_none() {
            return Err(RequestError::NamespaceRequired {
                resource: self.resource.plural.clone(),
            });
        }
        check_name("name", name)?;
        let mut path = self.path()?;
        path.push_str(&format!("/{}", segment(name)));
        if let Some(sub) = subresource {
            check_name("subresource", sub)?;
            path.push_str(&format!("/{}", segment(sub)));
        }
        Ok(path)
    }

    /// GET one object.
    pub fn get(&self, name: &str, params: &GetParams) -> Result<Request, RequestError> {
        self.get_subresource(name, None, params)
    }

    /// GET one object's subresource (`status`, `scale`, ...).
    pub fn get_subresource(
        &self,
        name: &str,
        subresource: Option<&str>,
        params: &GetParams,
    ) -> Result<Request, RequestError> {
        let mut q = Query::default();
        params.write(&mut q);
        Ok(Request::new(
            Method::Get,
            q.finish(self.object_path(name, subresource)?),
        ))
    }

    /// LIST the collection. Decode the body with the streaming list decoder.
    pub fn list(&self, params: &ListParams) -> Result<Request, RequestError> {
        params.validate()?;
        let mut q = Query::default();
        params.write(&mut q);
        Ok(Request::new(Method::Get, q.finish(self.path()?)))
    }

    /// WATCH the collection (`?watch=true` on the list path).
    pub fn watch(&self, params: &WatchParams) -> Result<Request, RequestError> {
        params.validate()?;
        let mut q = Query::default();
        params.write(&mut q);
        Ok(Request::new(Method::Get, q.finish(self.path()?)))
    }

    /// CREATE an object (POST to the collection; needs a namespace for a
    /// namespaced resource).
    pub fn create<T: Serialize>(
        &self,
        params: &PostParams,
        object: &T,
    ) -> Result<Request, RequestError> {
        if self.resource.scope == Scope::Namespaced && self.namespace.is_none() {
            return Err(RequestError::NamespaceRequired {
                resource: self.resource.plural.clone(),
            });
        }
        let mut q = Query::default();
        params.write(&mut q)?;
        Request::new(Method::Post, q.finish(self.path()?)).with_json_body(ACCEPT_JSON, object)
    }

    /// POST to an object's subresource: `token` (TokenRequest), `eviction`,
    /// `binding`.
    pub fn create_subresource<T: Serialize>(
        &self,
        name: &str,
        subresource: &str,
        params: &PostParams,
        body: &T,
    ) -> Result<Request, RequestError> {
        let mut q = Query::default();
        params.write(&mut q)?;
        Request::new(
            Method::Post,
            q.finish(self.object_path(name, Some(subresource))?),
        )
        .with_json_body(ACCEPT_JSON, body)
    }

    /// REPLACE an object (PUT). Optimistic concurrency comes from the
    /// body's `metadata.resourceVersion`: when set, the server answers
    /// `409 Conflict` if the object changed since; when absent, the write is
    /// unconditional. The body's `metadata.name`, when present, must equal
    /// `name`.
    pub fn replace<T: Serialize>(
        &self,
        name: &str,
        params: &PostParams,
        object: &T,
    ) -> Result<Request, RequestError> {
        self.replace_subresource(name, None, params, object)
    }

    /// REPLACE an object's subresource (PUT `.../status`, `.../scale`).
    pub fn replace_subresource<T: Serialize>(
        &self,
        name: &str,
        subresource: Option<&str>,
        params: &PostParams,
        object: &T,
    ) -> Result<Request, RequestError> {
        let body = json_bytes(object)?;
        // Serialized once; only `metadata.name` is read back (not a whole
        // `serde_json::Value` tree, which costs a parse of every field and
        // kilobytes of code in a WebAssembly build).
        let found = crate::json::from_bytes::<NamedBody<'_>>(&body)
            .ok()
            .and_then(|b| b.metadata?.name);
        if let Some(found) = found {
            if found != name {
                return Err(RequestError::NameMismatch {
                    expected: name.into(),
                    found: found.into_owned(),
                });
            }
        }
        let mut q = Query::default();
        params.write(&mut q)?;
        let mut req = Request::new(Method::Put, q.finish(self.object_path(name, subresource)?));
        req.body = body;
        req.set_header("Content-Type", ACCEPT_JSON);
        Ok(req)
    }

    /// PATCH an object with any of the four patch kinds; `Patch::Apply` is
    /// server-side apply and needs `params.field_manager`.
    pub fn patch<T: Serialize>(
        &self,
        name: &str,
        params: &PatchParams,
        patch: &Patch<T>,
    ) -> Result<Request, RequestError> {
        self.patch_subresource(name, None, params, patch)
    }

    /// PATCH an object's subresource (`status`, `scale`).
    pub fn patch_subresource<T: Serialize>(
        &self,
        name: &str,
        subresource: Option<&str>,
        params: &PatchParams,
        patch: &Patch<T>,
    ) -> Result<Request, RequestError> {
        let mut q = Query::default();
        params.write(&mut q, matches!(patch, Patch::Apply(_)))?;
        Request::new(
            Method::Patch,
            q.finish(self.object_path(name, subresource)?),
        )
        .with_json_body(patch.content_type(), patch.body())
    }

    /// DELETE an object. The server answers with the object when a finalizer
    /// holds it, with a `Status` when it is gone.
    pub fn delete(&self, name: &str, params: &DeleteParams) -> Result<Request, RequestError> {
        let mut q = Query::default();
        params.write(&mut q);
        let req = Request::new(Method::Delete, q.finish(self.object_path(name, None)?));
        match params.body() {
            Some(body) => req.with_json_body(ACCEPT_JSON, &body),
            None => Ok(req),
        }
    }

    /// DELETE every object the selectors in `list` match.
    pub fn delete_collection(
        &self,
        params: &DeleteParams,
        list: &ListParams,
    ) -> Result<Request, RequestError> {
        list.validate()?;
        let mut q = Query::default();
        params.write(&mut q);
        list.write(&mut q);
        let req = Request::new(Method::Delete, q.finish(self.path()?));
        match params.body() {
            Some(body) => req.with_json_body(ACCEPT_JSON, &body),
            None => Ok(req),
        }
    }

    /// GET a Pod's log (`pods/NAME/log`); the body is the log text (204 when
    /// the Pod has not started).
    pub fn logs(&self, name: &str, params: &LogParams) -> Result<Request, RequestError> {
        let mut q = Query::default();
        params.write(&mut q);
        let mut req = Request::new(Method::Get, q.finish(self.object_path(name, Some("log"))?));
        // kube-apiserver answers `Accept: text/plain` with 406 (see the
        // pod-log-accept-text-plain-406 capture); this is what kubectl sends.
        req.set_header("Accept", "application/json, */*");
        Ok(req)
    }
}

#[cfg(feature = "http")]
impl TryFrom<Request> for http::Request<Vec<u8>> {
    type Error = http::Error;

    /// The request with a relative URI (path and query only): the adapter
    /// sets the scheme and authority of the cluster it talks to.
    fn try_from(req: Request) -> Result<Self, Self::Error> {
        let mut builder = http::Request::builder()
            .method(req.method.as_str())
            .uri(req.path_and_query.as_str());
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(req.body)
    }
}
