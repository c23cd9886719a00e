//! Discovery: the requests for the API server's discovery endpoints, and
//! [`Discovery`], the small request/response machine that turns their
//! answers into a [`RestMapper`].
//!
//! The walk is kubectl's. Aggregated discovery first: `GET /api` and
//! `GET /apis` asking for `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`s,
//! which carry every resource in two answers. A server without it answers
//! the same two requests with the plain `APIVersions` and `APIGroupList`;
//! then each group version (the core group's versions, every named group's
//! preferred version) is asked for its `APIResourceList`. A group version
//! that fails (an aggregated API server that is down answers 503) is left
//! out and reported in [`Discovery::failures`], as kubectl reports "unable
//! to retrieve the complete list of server APIs" and goes on.
//!
//! The machine never does IO: a blocking host sends each request as it
//! comes out, an async one may send a round's requests at once. Answers
//! may come in any order; the mapper keeps discovery's order (core first,
//! then the groups as the server lists them), which is what decides
//! `events` (core) over `events.events.k8s.io`.
//!
//! ```
//! use kubewire::discovery::{Discovery, Poll};
//!
//! # fn answer(path: &str) -> (u16, &'static [u8]) {
//! #     match path {
//! #         "/api" => (200, br#"{"kind":"APIGroupDiscoveryList","items":[{"metadata":{},"versions":[{"version":"v1","resources":[{"resource":"configmaps","responseKind":{"kind":"ConfigMap"},"scope":"Namespaced","singularResource":"configmap","shortNames":["cm"],"verbs":["get","list"]}]}]}]}"#),
//! #         _ => (200, br#"{"kind":"APIGroupDiscoveryList","items":[]}"#),
//! #     }
//! # }
//! let mut discovery = Discovery::new();
//! loop {
//!     match discovery.poll() {
//!         // The host sends the request and hands back the whole answer.
//!         Poll::Send(id, req) => {
//!             let (code, body) = answer(&req.path_and_query);
//!             discovery.handle(id, code, body)?;
//!         }
//!         Poll::Wait => unreachable!("a blocking host has answered everything it sent"),
//!         Poll::Done => break,
//!     }
//! }
//! let mapper = discovery.into_mapper();
//! assert_eq!(mapper.find("cm")?.resource.plural, "configmaps");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;

use crate::request::{Method, Request, ACCEPT_AGGREGATED_DISCOVERY};
use crate::resource::group_version_path;
use crate::restmap::{MapError, RestMapper};
use crate::status::Status;

/// `GET /version`: the server's build information.
pub fn version() -> Request {
    Request::new(Method::Get, String::from("/version"))
}

/// `GET /api`: the core group's versions (`APIVersions`).
pub fn core_versions() -> Request {
    Request::new(Method::Get, String::from("/api"))
}

/// `GET /apis`: every named group (`APIGroupList`).
pub fn groups() -> Request {
    Request::new(Method::Get, String::from("/apis"))
}

/// `GET /api/v1` or `/apis/GROUP/VERSION`: the resources of one group
/// version (`APIResourceList`).
pub fn resources(group: &str, version: &str) -> Request {
    Request::new(Method::Get, group_version_path(group, version))
}

/// Aggregated discovery (v2) of the core group: `GET /api` asking for
/// an `APIGroupDiscoveryList` (falls back to `APIVersions`).
pub fn aggregated_core() -> Request {
    let mut req = core_versions();
    req.set_header("Accept", ACCEPT_AGGREGATED_DISCOVERY);
    req
}

/// Aggregated discovery (v2) of every named group: `GET /apis` asking
/// for an `APIGroupDiscoveryList` (falls back to `APIGroupList`).
pub fn aggregated_groups() -> Request {
    let mut req = groups();
    req.set_header("Accept", ACCEPT_AGGREGATED_DISCOVERY);
    req
}

/// Identifies one request of a [`Discovery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(usize);

/// What a [`Discovery`] wants next.
#[derive(Debug)]
pub enum Poll {
    /// Send this request and hand its answer to [`Discovery::handle`].
    Send(RequestId, Request),
    /// Every request so far is sent; waiting for answers.
    Wait,
    /// Complete: take the result with [`Discovery::into_mapper`].
    Done,
}

/// Why discovery cannot complete.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// `/api` or `/apis` answered with an error: without them nothing is
    /// known (a 401 or 403 usually).
    Api {
        /// The path asked for.
        path: String,
        /// The server's answer.
        status: Box<Status>,
    },
    /// A discovery document is not one.
    Document {
        /// The path asked for.
        path: String,
        /// What is wrong with it.
        error: MapError,
    },
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryError::Api { path, status } => write!(f, "discovery {path}: {status}"),
            DiscoveryError::Document { path, error } => write!(f, "discovery {path}: {error}"),
        }
    }
}

impl core::error::Error for DiscoveryError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            DiscoveryError::Api { status, .. } => Some(&**status),
            DiscoveryError::Document { error, .. } => Some(error),
        }
    }
}

/// What a request of the walk is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `/api` (core) or `/apis` (groups), asked for aggregated discovery.
    Root,
    /// One group version's `APIResourceList`.
    List,
}

#[derive(Debug)]
struct Slot {
    role: Role,
    request: Request,
    sent: bool,
    answer: Option<Result<Vec<u8>, Status>>,
}

/// The discovery walk as a request/response machine; see the
/// [module docs](self).
#[derive(Debug)]
pub struct Discovery {
    /// Every request, in the order their answers go into the mapper.
    slots: Vec<Slot>,
    /// The documents that went into the mapper, with their paths.
    documents: Vec<(String, Vec<u8>)>,
    failures: Vec<DiscoveryError>,
    mapper: Option<RestMapper>,
    expanded: bool,
}

impl Default for Discovery {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Deserialize)]
struct Kind {
    #[serde(default)]
    kind: Option<String>,
}

/// The `kind` of a discovery document.
fn kind_of(body: &[u8]) -> Result<Option<String>, serde_json::Error> {
    crate::json::from_bytes::<Kind>(body).map(|k| k.kind)
}

#[derive(Deserialize)]
struct ApiVersions {
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<LegacyGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyGroup {
    #[serde(default)]
    preferred_version: Option<GroupVersionRef>,
    #[serde(default)]
    versions: Vec<GroupVersionRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupVersionRef {
    group_version: String,
}

fn document_error(path: &str, e: impl ToString) -> DiscoveryError {
    DiscoveryError::Document {
        path: path.into(),
        error: MapError::Parse(e.to_string()),
    }
}

impl Discovery {
    /// A walk that starts with aggregated discovery.
    pub fn new() -> Self {
        let root = |request| Slot {
            role: Role::Root,
            request,
            sent: false,
            answer: None,
        };
        Discovery {
            slots: alloc::vec![root(aggregated_core()), root(aggregated_groups())],
            documents: Vec::new(),
            failures: Vec::new(),
            mapper: None,
            expanded: false,
        }
    }

    /// The next thing to do. Call until it says `Wait` (then hand in
    /// answers) or `Done`.
    pub fn poll(&mut self) -> Poll {
        if self.mapper.is_some() {
            return Poll::Done;
        }
        if let Some((i, slot)) = self.slots.iter_mut().enumerate().find(|(_, s)| !s.sent) {
            slot.sent = true;
            return Poll::Send(RequestId(i), slot.request.clone());
        }
        if self.slots.iter().any(|s| s.answer.is_none()) {
            return Poll::Wait;
        }
        Poll::Done
    }

    /// The whole answer to request `id`: its status code and body. An id
    /// not waited for is ignored. Fails when `/api` or `/apis` cannot be
    /// read; a group version that fails is a [`failure`](Self::failures).
    pub fn handle(&mut self, id: RequestId, code: u16, body: &[u8]) -> Result<(), DiscoveryError> {
        let Some(slot) = self.slots.get_mut(id.0) else {
            return Ok(());
        };
        if !slot.sent || slot.answer.is_some() {
            return Ok(());
        }
        let answer = if (200..300).contains(&code) {
            Ok(body.to_vec())
        } else {
            Err(Status::from_response(code, None, body))
        };
        if slot.role == Role::Root {
            if let Err(status) = &answer {
                return Err(DiscoveryError::Api {
                    path: slot.request.path_and_query.clone(),
                    status: Box::new(status.clone()),
                });
            }
        }
        slot.answer = Some(answer);
        if self.slots.iter().all(|s| s.answer.is_some()) {
            if self.expanded {
                self.build()?;
            } else {
                self.expand()?;
            }
        }
        Ok(())
    }

    /// Both roots are in: done if both are aggregated, else ask for the
    /// resource lists of what the plain documents name.
    fn expand(&mut self) -> Result<(), DiscoveryError> {
        self.expanded = true;
        let mut lists = Vec::new();
        for slot in &self.slots {
            let path = slot.request.path_and_query.as_str();
            let Some(Ok(body)) = &slot.answer else {
                continue;
            };
            let kind = kind_of(body).map_err(|e| document_error(path, e))?;
            match kind.as_deref() {
                Some("APIGroupDiscoveryList") => {}
                Some("APIVersions") => {
                    let v: ApiVersions =
                        crate::json::from_bytes(body).map_err(|e| document_error(path, e))?;
                    lists.extend(v.versions.iter().map(|v| resources("", v)));
                }
                Some("APIGroupList") => {
                    let g: GroupList =
                        crate::json::from_bytes(body).map_err(|e| document_error(path, e))?;
                    for group in g.groups {
                        let gv = group
                            .preferred_version
                            .or_else(|| group.versions.into_iter().next());
                        if let Some((group, version)) =
                            gv.as_ref().and_then(|gv| gv.group_version.split_once('/'))
                        {
                            lists.push(resources(group, version));
                        }
                    }
                }
                other => {
                    return Err(document_error(
                        path,
                        alloc::format!("expected a discovery document, got kind {other:?}"),
                    ))
                }
            }
        }
        if lists.is_empty() {
            return self.build();
        }
        // The lists go where their root was, so the order stays core
        // first, then the groups in the server's order.
        let mut slots = Vec::with_capacity(self.slots.len() + lists.len());
        let mut lists = lists.into_iter().peekable();
        for root in core::mem::take(&mut self.slots) {
            let legacy_core = root.request.path_and_query == "/api"
                && !matches!(&root.answer, Some(Ok(b)) if is_aggregated(b));
            slots.push(root);
            if legacy_core {
                while let Some(list) = lists.next_if(|r| r.path_and_query.starts_with("/api/")) {
                    slots.push(list_slot(list));
                }
            }
        }
        slots.extend(lists.map(list_slot));
        self.slots = slots;
        Ok(())
    }

    /// Every answer is in: the mapper, in the slots' order.
    fn build(&mut self) -> Result<(), DiscoveryError> {
        let mut mapper = RestMapper::default();
        for slot in core::mem::take(&mut self.slots) {
            let path = slot.request.path_and_query;
            match slot.answer {
                // A plain root only named the lists that follow it.
                Some(Ok(body)) if slot.role == Role::Root && !is_aggregated(&body) => {}
                Some(Ok(body)) if slot.role == Role::Root => {
                    mapper
                        .add_aggregated(&body)
                        .map_err(|error| DiscoveryError::Document {
                            path: path.clone(),
                            error,
                        })?;
                    self.documents.push((path, body));
                }
                Some(Ok(body)) => match mapper.add_resource_list(&body) {
                    Ok(()) => self.documents.push((path, body)),
                    Err(error) => self.failures.push(DiscoveryError::Document { path, error }),
                },
                Some(Err(status)) => self.failures.push(DiscoveryError::Api {
                    path,
                    status: Box::new(status),
                }),
                None => {}
            }
        }
        self.mapper = Some(mapper);
        Ok(())
    }

    /// The group versions left out because their answer was an error
    /// (an aggregated API server that is down) or not a resource list.
    pub fn failures(&self) -> &[DiscoveryError] {
        &self.failures
    }

    /// The documents the mapper was built from, with the paths they came
    /// from, in order: what a host caches to skip discovery next time
    /// ([`RestMapper::from_documents`] rebuilds the same mapper).
    pub fn documents(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.documents
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
    }

    /// The mapper, once [`poll`](Self::poll) says `Done` (empty before).
    pub fn into_mapper(self) -> RestMapper {
        self.mapper.unwrap_or_default()
    }
}

fn list_slot(request: Request) -> Slot {
    Slot {
        role: Role::List,
        request,
        sent: false,
        answer: None,
    }
}

fn is_aggregated(body: &[u8]) -> bool {
    kind_of(body).is_ok_and(|k| k.as_deref() == Some("APIGroupDiscoveryList"))
}

impl RestMapper {
    /// The mapper from discovery documents a host kept (see
    /// [`Discovery::documents`]): aggregated lists and resource lists, in
    /// the order they were read. Fails on anything else.
    pub fn from_documents<'a>(
        documents: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<RestMapper, MapError> {
        let mut mapper = RestMapper::default();
        for body in documents {
            let kind = kind_of(body).map_err(|e| MapError::Parse(e.to_string()))?;
            match kind.as_deref() {
                Some("APIGroupDiscoveryList") => mapper.add_aggregated(body)?,
                Some("APIResourceList") => mapper.add_resource_list(body)?,
                other => {
                    return Err(MapError::Parse(alloc::format!(
                        "expected a discovery document, got kind {other:?}"
                    )))
                }
            }
        }
        Ok(mapper)
    }
}
