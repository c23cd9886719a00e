//! Request options, named as in kube-rs so its users feel at home, and
//! validated with the API server's own rules before a request is built.
//!
//! The rules are kube-apiserver's `ValidateListOptions`: a request the
//! server would answer with `422 Invalid` fails here instead, with a typed
//! [`RequestError::InvalidParams`] naming the field, and no round trip.

use alloc::string::String;

use serde::Serialize;

use crate::error::RequestError;
use crate::query::Query;

/// How `resourceVersion` is matched on a LIST (and on a watch-list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionMatch {
    /// A state at least as new as the given resourceVersion.
    NotOlderThan,
    /// Exactly the state at the given resourceVersion (LIST only; fails with
    /// 410 once that revision is compacted).
    Exact,
}

impl VersionMatch {
    /// The query value: `NotOlderThan` or `Exact`.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionMatch::NotOlderThan => "NotOlderThan",
            VersionMatch::Exact => "Exact",
        }
    }
}

/// Options for a LIST (and for a DELETE of a collection).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    /// `labelSelector`, e.g. `app=web,tier in (a,b)`.
    pub label_selector: Option<String>,
    /// `fieldSelector`, e.g. `metadata.name=x`.
    pub field_selector: Option<String>,
    /// `timeoutSeconds`: server-side limit for the call.
    pub timeout: Option<u32>,
    /// `limit`: the page size; `None` (or 0) lists everything at once.
    pub limit: Option<u32>,
    /// `continue`: the token from the previous page.
    pub continue_token: Option<String>,
    /// `resourceVersion`: `None` for the newest state (a consistent read),
    /// `"0"` for any cached state.
    pub resource_version: Option<String>,
    /// `resourceVersionMatch`; needs `resource_version`.
    pub version_match: Option<VersionMatch>,
}

impl ListParams {
    /// Set the label selector.
    pub fn labels(mut self, selector: &str) -> Self {
        self.label_selector = Some(selector.into());
        self
    }

    /// Set the field selector.
    pub fn fields(mut self, selector: &str) -> Self {
        self.field_selector = Some(selector.into());
        self
    }

    /// Set the page size.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Continue from the token of the previous page.
    pub fn continue_token(mut self, token: &str) -> Self {
        self.continue_token = Some(token.into());
        self
    }

    /// Serve any cached state (`resourceVersion=0`): cheap for the server,
    /// possibly stale.
    pub fn any_version(mut self) -> Self {
        self.resource_version = Some("0".into());
        self.version_match = None;
        self
    }

    /// A state at least as new as `rv` (`resourceVersionMatch=NotOlderThan`).
    pub fn not_older_than(mut self, rv: &str) -> Self {
        self.resource_version = Some(rv.into());
        self.version_match = Some(VersionMatch::NotOlderThan);
        self
    }

    /// Exactly the state at `rv` (`resourceVersionMatch=Exact`).
    pub fn exact(mut self, rv: &str) -> Self {
        self.resource_version = Some(rv.into());
        self.version_match = Some(VersionMatch::Exact);
        self
    }

    /// Set the server-side timeout in seconds.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = Some(seconds);
        self
    }

    /// Check the options with kube-apiserver's rules for a LIST.
    pub fn validate(&self) -> Result<(), RequestError> {
        let rv = self.resource_version.as_deref().unwrap_or("");
        let has_continue = self
            .continue_token
            .as_deref()
            .is_some_and(|c| !c.is_empty());
        if let Some(m) = self.version_match {
            if rv.is_empty() {
                return Err(invalid(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                ));
            }
            if has_continue {
                return Err(invalid(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
            if m == VersionMatch::Exact && rv == "0" {
                return Err(invalid(
                    "resourceVersionMatch",
                    "resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"0\"",
                ));
            }
        }
        if has_continue && !rv.is_empty() && rv != "0" {
            return Err(invalid(
                "resourceVersion",
                "specifying resource version is not allowed when using continue",
            ));
        }
        Ok(())
    }

    pub(crate) fn write(&self, q: &mut Query) {
        selectors(q, &self.label_selector, &self.field_selector);
        q.opt_num("timeoutSeconds", self.timeout);
        q.opt_num("limit", self.limit.filter(|l| *l > 0));
        q.opt_str("continue", self.continue_token.as_deref());
        q.opt_str("resourceVersion", self.resource_version.as_deref());
        q.opt_str(
            "resourceVersionMatch",
            self.version_match.map(VersionMatch::as_str),
        );
    }
}

/// Options for a WATCH.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchParams {
    /// `labelSelector`.
    pub label_selector: Option<String>,
    /// `fieldSelector`.
    pub field_selector: Option<String>,
    /// `timeoutSeconds`: the server ends the watch after this long.
    pub timeout: Option<u32>,
    /// `allowWatchBookmarks`: the server may send BOOKMARK events carrying
    /// only a newer resourceVersion, so a resumed watch starts closer to now.
    pub bookmarks: bool,
    /// `sendInitialEvents`: start with the current state as ADDED events
    /// (a watch-list); needs `version_match = NotOlderThan`.
    pub send_initial_events: bool,
    /// `resourceVersion` to start from: `None` for "now" (plus the current
    /// state as ADDED events on older servers), an RV to resume.
    pub resource_version: Option<String>,
    /// `resourceVersionMatch`; only `NotOlderThan`, only with
    /// `send_initial_events`.
    pub version_match: Option<VersionMatch>,
}

impl WatchParams {
    /// A streaming watch-list: the current state as ADDED events, then a
    /// BOOKMARK annotated `k8s.io/initial-events-end`, then changes. This is
    /// how client-go's reflector starts when the server supports it.
    pub fn watch_list() -> Self {
        WatchParams {
            bookmarks: true,
            send_initial_events: true,
            version_match: Some(VersionMatch::NotOlderThan),
            ..WatchParams::default()
        }
    }

    /// Resume from a resourceVersion with bookmarks on.
    pub fn from_version(rv: &str) -> Self {
        WatchParams {
            bookmarks: true,
            resource_version: Some(rv.into()),
            ..WatchParams::default()
        }
    }

    /// Set the label selector.
    pub fn labels(mut self, selector: &str) -> Self {
        self.label_selector = Some(selector.into());
        self
    }

    /// Set the field selector.
    pub fn fields(mut self, selector: &str) -> Self {
        self.field_selector = Some(selector.into());
        self
    }

    /// Set the server-side timeout in seconds.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = Some(seconds);
        self
    }

    /// Ask for (or stop asking for) BOOKMARK events.
    pub fn bookmarks(mut self, on: bool) -> Self {
        self.bookmarks = on;
        self
    }

    /// Check the options with kube-apiserver's rules for a WATCH.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.send_initial_events && self.version_match != Some(VersionMatch::NotOlderThan) {
            return Err(invalid(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        match self.version_match {
            Some(_) if !self.send_initial_events => Err(invalid(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            )),
            Some(VersionMatch::Exact) => Err(invalid(
                "resourceVersionMatch",
                "resourceVersionMatch \"Exact\" is not supported for watch",
            )),
            _ => Ok(()),
        }
    }

    pub(crate) fn write(&self, q: &mut Query) {
        q.str("watch", "true");
        selectors(q, &self.label_selector, &self.field_selector);
        q.opt_num("timeoutSeconds", self.timeout);
        if self.bookmarks {
            q.str("allowWatchBookmarks", "true");
        }
        if self.send_initial_events {
            q.str("sendInitialEvents", "true");
        }
        q.opt_str("resourceVersion", self.resource_version.as_deref());
        q.opt_str(
            "resourceVersionMatch",
            self.version_match.map(VersionMatch::as_str),
        );
    }
}

/// Options for a GET of one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetParams {
    /// `resourceVersion`: `None` for the newest state, `"0"` for any cached one.
    pub resource_version: Option<String>,
}

impl GetParams {
    /// Serve any cached state (`resourceVersion=0`).
    pub fn any() -> Self {
        GetParams {
            resource_version: Some("0".into()),
        }
    }

    pub(crate) fn write(&self, q: &mut Query) {
        q.opt_str("resourceVersion", self.resource_version.as_deref());
    }
}

/// How strictly the server checks the fields of an object it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidationDirective {
    /// Reject unknown or duplicate fields with 400.
    Strict,
    /// Accept, with a `Warning` response header (the server's default).
    Warn,
    /// Drop unknown fields silently.
    Ignore,
}

impl ValidationDirective {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            ValidationDirective::Strict => "Strict",
            ValidationDirective::Warn => "Warn",
            ValidationDirective::Ignore => "Ignore",
        }
    }
}

/// Options for create and replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostParams {
    /// `dryRun=All`: validate and answer, store nothing.
    pub dry_run: bool,
    /// `fieldManager`: who owns the fields written (defaults to the
    /// User-Agent on the server).
    pub field_manager: Option<String>,
    /// `fieldValidation`.
    pub field_validation: Option<ValidationDirective>,
}

impl PostParams {
    pub(crate) fn write(&self, q: &mut Query) -> Result<(), RequestError> {
        write_write_options(
            q,
            self.dry_run,
            self.field_manager.as_deref(),
            self.field_validation,
        )
    }
}

/// Options for PATCH, including server-side apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchParams {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `force`: take over conflicting fields (server-side apply only).
    pub force: bool,
    /// `fieldManager`: required for server-side apply.
    pub field_manager: Option<String>,
    /// `fieldValidation`.
    pub field_validation: Option<ValidationDirective>,
}

impl PatchParams {
    /// Server-side apply as `manager`, as `kubectl apply --server-side` does.
    pub fn apply(manager: &str) -> Self {
        PatchParams {
            field_manager: Some(manager.into()),
            ..PatchParams::default()
        }
    }

    /// Take over fields other managers own (`force=true`).
    pub fn force(mut self) -> Self {
        self.force = true;
        self
    }

    pub(crate) fn write(&self, q: &mut Query, is_apply: bool) -> Result<(), RequestError> {
        write_write_options(
            q,
            self.dry_run,
            self.field_manager.as_deref(),
            self.field_validation,
        )?;
        if is_apply {
            if self.field_manager.as_deref().is_none_or(str::is_empty) {
                return Err(invalid(
                    "fieldManager",
                    "Required value: is required for apply patch",
                ));
            }
            // kubectl always states `force`, so the request says what it means.
            q.str("force", if self.force { "true" } else { "false" });
        } else if self.force {
            return Err(invalid(
                "force",
                "force may not be specified for non-apply patch",
            ));
        }
        Ok(())
    }
}

/// What happens to an object's dependents when it is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropagationPolicy {
    /// Leave dependents in place.
    Orphan,
    /// Delete the object now, dependents in the background.
    Background,
    /// Delete dependents first; the object goes last.
    Foreground,
}

impl PropagationPolicy {
    /// The `DeleteOptions` value.
    pub fn as_str(self) -> &'static str {
        match self {
            PropagationPolicy::Orphan => "Orphan",
            PropagationPolicy::Background => "Background",
            PropagationPolicy::Foreground => "Foreground",
        }
    }
}

/// Conditions the object must meet for a DELETE to go ahead (else 409).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    /// The object's uid must be this one (it was not deleted and recreated).
    pub uid: Option<String>,
    /// The object's resourceVersion must be this one (it did not change).
    pub resource_version: Option<String>,
}

/// Options for DELETE and DELETE of a collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteParams {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// Seconds before the object is removed; 0 means now.
    pub grace_period_seconds: Option<u32>,
    /// What happens to dependents.
    pub propagation_policy: Option<PropagationPolicy>,
    /// Conditions for the delete.
    pub preconditions: Option<Preconditions>,
}

impl DeleteParams {
    /// Delete dependents first (`propagationPolicy: Foreground`).
    pub fn foreground() -> Self {
        DeleteParams {
            propagation_policy: Some(PropagationPolicy::Foreground),
            ..DeleteParams::default()
        }
    }

    /// Delete only if the object's resourceVersion is still `rv`.
    pub fn if_version(mut self, rv: &str) -> Self {
        self.preconditions
            .get_or_insert_with(Preconditions::default)
            .resource_version = Some(rv.into());
        self
    }

    /// Delete only if the object's uid is `uid`.
    pub fn if_uid(mut self, uid: &str) -> Self {
        self.preconditions
            .get_or_insert_with(Preconditions::default)
            .uid = Some(uid.into());
        self
    }

    /// The `DeleteOptions` body, or `None` when every option is default (the
    /// request then has no body, as kubectl sends it).
    pub(crate) fn body(&self) -> Option<DeleteBody<'_>> {
        let any = self.grace_period_seconds.is_some()
            || self.propagation_policy.is_some()
            || self.preconditions.is_some();
        any.then(|| DeleteBody {
            kind: "DeleteOptions",
            api_version: "v1",
            grace_period_seconds: self.grace_period_seconds,
            preconditions: self.preconditions.as_ref().map(|p| PreconditionsBody {
                uid: p.uid.as_deref(),
                resource_version: p.resource_version.as_deref(),
            }),
            propagation_policy: self.propagation_policy.map(PropagationPolicy::as_str),
        })
    }

    pub(crate) fn write(&self, q: &mut Query) {
        if self.dry_run {
            q.str("dryRun", "All");
        }
    }
}

/// A DELETE's `DeleteOptions` body, fields in the Go type's order (as
/// kubectl writes them). A typed struct rather than a `serde_json::Value`
/// map: its serializer is a few hundred bytes of code, the map's machinery
/// several kilobytes in a WebAssembly build, and the key order is the same
/// whichever serde_json features the program enables.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeleteBody<'a> {
    kind: &'static str,
    api_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    grace_period_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preconditions: Option<PreconditionsBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    propagation_policy: Option<&'static str>,
}

/// `DeleteOptions.preconditions`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PreconditionsBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_version: Option<&'a str>,
}

/// Options for reading a Pod's log (`pods/NAME/log`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogParams {
    /// The container; needed when the Pod has more than one.
    pub container: Option<String>,
    /// Keep the stream open for new lines.
    pub follow: bool,
    /// The previous, terminated instance's log.
    pub previous: bool,
    /// Only lines newer than this many seconds.
    pub since_seconds: Option<u64>,
    /// Only the last N lines.
    pub tail_lines: Option<u64>,
    /// Prefix each line with its RFC 3339 timestamp.
    pub timestamps: bool,
    /// Stop after this many bytes.
    pub limit_bytes: Option<u64>,
}

impl LogParams {
    pub(crate) fn write(&self, q: &mut Query) {
        q.opt_str("container", self.container.as_deref());
        if self.follow {
            q.str("follow", "true");
        }
        if self.previous {
            q.str("previous", "true");
        }
        q.opt_num("sinceSeconds", self.since_seconds);
        q.opt_num("tailLines", self.tail_lines);
        if self.timestamps {
            q.str("timestamps", "true");
        }
        q.opt_num("limitBytes", self.limit_bytes);
    }
}

fn selectors(q: &mut Query, labels: &Option<String>, fields: &Option<String>) {
    q.opt_str("labelSelector", labels.as_deref().filter(|s| !s.is_empty()));
    q.opt_str("fieldSelector", fields.as_deref().filter(|s| !s.is_empty()));
}

fn write_write_options(
    q: &mut Query,
    dry_run: bool,
    field_manager: Option<&str>,
    field_validation: Option<ValidationDirective>,
) -> Result<(), RequestError> {
    if dry_run {
        q.str("dryRun", "All");
    }
    if let Some(manager) = field_manager {
        // The server's limit: a manager name is at most 128 characters.
        if manager.chars().count() > 128 {
            return Err(invalid(
                "fieldManager",
                "fieldManager must be at most 128 characters",
            ));
        }
        q.str("fieldManager", manager);
    }
    q.opt_str(
        "fieldValidation",
        field_validation.map(ValidationDirective::as_str),
    );
    Ok(())
}

fn invalid(field: &'static str, message: &'static str) -> RequestError {
    RequestError::InvalidParams { field, message }
}
