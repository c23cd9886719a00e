//! The other direction of [`crate::params`]: list and watch options read
//! back out of a request's query string, as a server (kubewire-server)
//! receives them. One copy of the rules serves both sides: a query is
//! parsed into the same [`ListParams`] / [`WatchParams`] a client builds,
//! then checked by the same `validate`.
//!
//! Values follow kube-apiserver's query conversion: a boolean is true
//! unless it is `0` or `false` (any case), and present at all; numbers are
//! Go's `strconv.ParseInt`; the first of repeated keys wins.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::error::RequestError;
use crate::params::{ListParams, VersionMatch, WatchParams};
use crate::request::IncludeObject;

/// Why a query could not be read into options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// A numeric parameter is not a number (`limit=ten`).
    NotANumber {
        /// The parameter.
        param: &'static str,
        /// What it held.
        value: String,
    },
    /// `resourceVersionMatch` is neither `Exact` nor `NotOlderThan`.
    UnknownVersionMatch(String),
    /// The options break one of the API server's rules (see
    /// [`ListParams::validate`] and [`WatchParams::validate`]).
    Invalid(RequestError),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Go's wording, as the API server reports it.
            QueryError::NotANumber { param, value } => {
                let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
                let why = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    "value out of range"
                } else {
                    "invalid syntax"
                };
                write!(f, "{param}: strconv.ParseInt: parsing {value:?}: {why}")
            }
            QueryError::UnknownVersionMatch(v) => {
                write!(f, "resourceVersionMatch: Unsupported value: {v:?}")
            }
            QueryError::Invalid(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for QueryError {}

/// The decoded `(key, value)` pairs of a query string (no leading `?`):
/// `+` is a space and `%XX` a byte, as Go's `url.ParseQuery` reads them.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// A parsed query, looked up by key (the first value wins).
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key).filter(|v| !v.is_empty()).map(String::from)
    }

    fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
    }

    fn number(&self, key: &'static str) -> Result<Option<i64>, QueryError> {
        match self.get(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| QueryError::NotANumber {
                    param: key,
                    value: v.into(),
                }),
        }
    }

    fn version_match(&self) -> Result<Option<VersionMatch>, QueryError> {
        match self.get("resourceVersionMatch").unwrap_or("") {
            "" => Ok(None),
            "NotOlderThan" => Ok(Some(VersionMatch::NotOlderThan)),
            "Exact" => Ok(Some(VersionMatch::Exact)),
            other => Err(QueryError::UnknownVersionMatch(other.into())),
        }
    }
}

/// Seconds as the `u32` the options keep; negative means none, as the
/// server treats it.
fn seconds(n: Option<i64>) -> Option<u32> {
    n.filter(|n| *n > 0)
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// Whether the query asks for a watch (`watch=true`, `watch=1`).
pub fn is_watch(query: &str) -> bool {
    Pairs(query_pairs(query)).flag("watch")
}

impl ListParams {
    /// The LIST options of a query string, checked with the API server's
    /// rules.
    pub fn from_query(query: &str) -> Result<Self, QueryError> {
        let q = Pairs(query_pairs(query));
        let p = ListParams {
            label_selector: q.text("labelSelector"),
            field_selector: q.text("fieldSelector"),
            timeout: seconds(q.number("timeoutSeconds")?),
            limit: seconds(q.number("limit")?),
            continue_token: q.text("continue"),
            resource_version: q.text("resourceVersion"),
            version_match: q.version_match()?,
        };
        p.validate().map_err(QueryError::Invalid)?;
        Ok(p)
    }
}

impl WatchParams {
    /// The WATCH options of a query string, checked with the API server's
    /// rules.
    pub fn from_query(query: &str) -> Result<Self, QueryError> {
        let q = Pairs(query_pairs(query));
        let p = WatchParams {
            label_selector: q.text("labelSelector"),
            field_selector: q.text("fieldSelector"),
            timeout: seconds(q.number("timeoutSeconds")?),
            bookmarks: q.flag("allowWatchBookmarks"),
            send_initial_events: q.flag("sendInitialEvents"),
            resource_version: q.text("resourceVersion"),
            version_match: q.version_match()?,
        };
        p.validate().map_err(QueryError::Invalid)?;
        Ok(p)
    }
}

impl IncludeObject {
    /// The `includeObject` value of a query string; `Metadata` (the
    /// server's default) when absent or unknown.
    pub fn from_query(query: &str) -> Self {
        match Pairs(query_pairs(query)).get("includeObject") {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn a_built_request_reads_back_the_same() {
        let sent = ListParams::default()
            .labels("app in (web,db)")
            .fields("metadata.name=x")
            .limit(500)
            .not_older_than("12");
        let req = crate::known::config_maps()
            .within("demo")
            .list(&sent)
            .unwrap();
        let query = req.path_and_query.split_once('?').unwrap().1;
        assert_eq!(ListParams::from_query(query).unwrap(), sent);
        let sent = WatchParams::watch_list().labels("a=b").timeout(30);
        let req = crate::known::config_maps().all().watch(&sent).unwrap();
        let query = req.path_and_query.split_once('?').unwrap().1;
        assert!(is_watch(query));
        assert_eq!(WatchParams::from_query(query).unwrap(), sent);
    }

    #[test]
    fn values_convert_as_the_api_server_converts_them() {
        assert!(is_watch("watch=1") && is_watch("watch=True") && is_watch("watch"));
        assert!(!is_watch("watch=0") && !is_watch("watch=FALSE") && !is_watch(""));
        let p = ListParams::from_query("labelSelector=a+in+%28x%29&limit=-3").unwrap();
        assert_eq!(p.label_selector.as_deref(), Some("a in (x)"));
        assert_eq!(p.limit, None);
        assert_eq!(
            ListParams::from_query("limit=ten").unwrap_err().to_string(),
            "limit: strconv.ParseInt: parsing \"ten\": invalid syntax"
        );
        // Digits past int64 are Go's other ParseInt error.
        assert_eq!(
            WatchParams::from_query("timeoutSeconds=18446744073709551615")
                .unwrap_err()
                .to_string(),
            "timeoutSeconds: strconv.ParseInt: parsing \"18446744073709551615\": value out of range"
        );
        assert_eq!(
            IncludeObject::from_query("includeObject=None"),
            IncludeObject::None
        );
        assert_eq!(IncludeObject::from_query(""), IncludeObject::Metadata);
    }

    #[test]
    fn the_rules_are_validates_rules() {
        assert!(matches!(
            ListParams::from_query("resourceVersionMatch=NotOlderThan"),
            Err(QueryError::Invalid(RequestError::InvalidParams {
                field: "resourceVersionMatch",
                ..
            }))
        ));
        assert!(matches!(
            WatchParams::from_query("watch=1&sendInitialEvents=true"),
            Err(QueryError::Invalid(RequestError::InvalidParams { .. }))
        ));
        assert!(matches!(
            ListParams::from_query("resourceVersionMatch=Sometimes&resourceVersion=1"),
            Err(QueryError::UnknownVersionMatch(_))
        ));
    }
}
