//! The `continue` loop of a paged LIST, sans-IO: which page to ask for
//! next, and when the listing is complete.
//!
//! The rules are client-go's pager: every page after the first repeats the
//! first's selectors and `limit` and adds the previous page's `continue`
//! token; it drops `resourceVersion` and `resourceVersionMatch` (the token
//! already pins the snapshot, and the API server refuses both together);
//! the listing is complete at the first page without a token. All pages
//! come from the snapshot of the first, whose `resourceVersion` is the one
//! to watch from. A `410 Gone` for a continued page means the snapshot is
//! compacted away: [`restart`](Pager::restart) from the first page.
//!
//! ```
//! use kubewire::decode::ListDecoder;
//! use kubewire::{known, ListParams, Pager};
//!
//! let mut pager = Pager::new(known::config_maps().within("demo"), ListParams::default().limit(2))?;
//! // A server with three ConfigMaps, two per page.
//! let pages = [
//!     r#"{"metadata":{"resourceVersion":"7","continue":"t1"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}"#,
//!     r#"{"metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"c"}}]}"#,
//! ];
//! let mut sent = Vec::new();
//! let mut names = Vec::new();
//! while let Some(req) = pager.next_request() {
//!     sent.push(req.path_and_query.clone());
//!     // ... the host sends `req` and streams the body into a decoder ...
//!     let mut dec = ListDecoder::new();
//!     dec.feed(pages[sent.len() - 1].as_bytes());
//!     while let Some(item) = dec.next_item()? {
//!         names.push(item.deserialize::<serde_json::Value>()?["metadata"]["name"].to_string());
//!     }
//!     dec.finish()?;
//!     pager.page_done(dec.metadata())?;
//! }
//! assert_eq!(sent, [
//!     "/api/v1/namespaces/demo/configmaps?limit=2",
//!     "/api/v1/namespaces/demo/configmaps?continue=t1&limit=2",
//! ]);
//! assert_eq!(names.len(), 3);
//! assert_eq!(pager.resource_version(), Some("7"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::string::String;

use crate::decode::ListMeta;
use crate::error::RequestError;
use crate::params::ListParams;
use crate::request::{Collection, Request};

/// Walks the pages of one LIST.
#[derive(Debug, Clone)]
pub struct Pager {
    collection: Collection,
    first: ListParams,
    /// The request for the next page; `None` once the listing is complete.
    next: Option<Request>,
    /// The next page continues a previous one.
    continued: bool,
    pages: u32,
    resource_version: Option<String>,
}

impl Pager {
    /// A pager over `collection` with `params` for the first page
    /// (`limit` sets the page size; `None` lists in one page). Fails as
    /// [`Collection::list`] does.
    pub fn new(collection: Collection, params: ListParams) -> Result<Self, RequestError> {
        let next = collection.list(&params)?;
        let continued = params
            .continue_token
            .as_deref()
            .is_some_and(|t| !t.is_empty());
        Ok(Pager {
            collection,
            first: params,
            next: Some(next),
            continued,
            pages: 0,
            resource_version: None,
        })
    }

    /// The next page to send; `None` once the last page is done.
    pub fn next_request(&self) -> Option<&Request> {
        self.next.as_ref()
    }

    /// Whether the next page continues an earlier one (it carries a
    /// `continue` token, so a `410 Gone` for it means the token expired).
    pub fn is_continued(&self) -> bool {
        self.continued
    }

    /// The page just sent has been read whole; `meta` is its list
    /// metadata (`None` if it had none). Sets up the next page, if any.
    pub fn page_done(&mut self, meta: Option<&ListMeta>) -> Result<(), RequestError> {
        self.pages += 1;
        if self.pages == 1 || self.resource_version.is_none() {
            self.resource_version = meta.and_then(|m| m.resource_version.clone());
        }
        let token = meta
            .and_then(|m| m.continue_token.as_deref())
            .filter(|t| !t.is_empty());
        self.next = match token {
            None => None,
            Some(token) => {
                let params = ListParams {
                    continue_token: Some(token.into()),
                    resource_version: None,
                    version_match: None,
                    ..self.first.clone()
                };
                Some(self.collection.list(&params)?)
            }
        };
        self.continued = self.next.is_some();
        Ok(())
    }

    /// Start over from the first page (after a `410 Gone` for a continued
    /// page: the snapshot it walked is gone).
    pub fn restart(&mut self) -> Result<(), RequestError> {
        let first = ListParams {
            continue_token: None,
            ..self.first.clone()
        };
        self.next = Some(self.collection.list(&first)?);
        self.continued = false;
        self.pages = 0;
        self.resource_version = None;
        Ok(())
    }

    /// Whether every page has been read.
    pub fn is_done(&self) -> bool {
        self.next.is_none()
    }

    /// How many pages have been read.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// The resourceVersion of the listing (its first page's): where a
    /// WATCH of the same collection starts. `None` until a page said.
    pub fn resource_version(&self) -> Option<&str> {
        self.resource_version.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::known;

    fn meta(rv: &str, token: Option<&str>) -> ListMeta {
        ListMeta {
            resource_version: Some(rv.into()),
            continue_token: token.map(Into::into),
            remaining_item_count: None,
        }
    }

    #[test]
    fn continued_pages_keep_selectors_and_limit_and_drop_the_version() {
        let params = ListParams::default()
            .labels("app=web")
            .limit(100)
            .not_older_than("42");
        let mut p = Pager::new(known::pods().all(), params).unwrap();
        assert_eq!(
            p.next_request().unwrap().path_and_query,
            "/api/v1/pods?labelSelector=app%3Dweb&limit=100&resourceVersion=42&resourceVersionMatch=NotOlderThan"
        );
        assert!(!p.is_continued());
        p.page_done(Some(&meta("50", Some("tok")))).unwrap();
        assert!(p.is_continued());
        assert_eq!(
            p.next_request().unwrap().path_and_query,
            "/api/v1/pods?continue=tok&labelSelector=app%3Dweb&limit=100"
        );
        // Later pages come from the same snapshot; the first page's version counts.
        p.page_done(Some(&meta("51", Some("")))).unwrap();
        assert!(p.is_done() && !p.is_continued());
        assert_eq!((p.pages(), p.resource_version()), (2, Some("50")));
        p.restart().unwrap();
        assert_eq!(p.pages(), 0);
        assert!(p
            .next_request()
            .unwrap()
            .path_and_query
            .contains("resourceVersion=42"));
    }

    #[test]
    fn a_page_without_metadata_ends_the_listing() {
        let mut p = Pager::new(known::pods().all(), ListParams::default()).unwrap();
        p.page_done(None).unwrap();
        assert!(p.is_done());
        assert_eq!(p.resource_version(), None);
    }
}
