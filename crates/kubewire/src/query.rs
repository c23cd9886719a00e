//! Query strings, encoded the way Go's `url.Values.Encode` does it: keys
//! sorted, every byte outside `A-Za-z0-9-_.~` escaped. That makes kubewire's
//! requests (and their curl renderings) line up with kubectl's byte for byte,
//! and keeps a selector like `app in (web,db)` from leaking `&` or `=` into
//! the query's structure.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{Display, Write};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the RFC 3986 unreserved characters is escaped.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Query parameters being assembled for one request.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(&'static str, String)>,
}

impl Query {
    pub(crate) fn str(&mut self, key: &'static str, value: &str) {
        self.pairs.push((key, value.into()));
    }

    pub(crate) fn opt_str(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    pub(crate) fn opt_num<N: Display>(&mut self, key: &'static str, value: Option<N>) {
        if let Some(v) = value {
            let mut s = String::new();
            let _ = write!(s, "{v}");
            self.pairs.push((key, s));
        }
    }

    /// Append `?k=v&...` (sorted by key, stable for equal keys) to `path`.
    pub(crate) fn finish(mut self, mut path: String) -> String {
        // Insertion sort, stable: a query holds a handful of pairs (the
        // keys are the options' fixed names), and this is a few dozen bytes
        // of code where the standard library's sort is ~4 KB in a
        // WebAssembly build.
        for i in 1..self.pairs.len() {
            let mut j = i;
            while j > 0 && self.pairs[j - 1].0 > self.pairs[j].0 {
                self.pairs.swap(j - 1, j);
                j -= 1;
            }
        }
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            path.push(if i == 0 { '?' } else { '&' });
            path.push_str(k);
            path.push('=');
            let _ = write!(path, "{}", utf8_percent_encode(v, QUERY_VALUE));
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_by_key_keeping_the_order_of_equal_keys() {
        let mut q = Query::default();
        q.str("watch", "1");
        q.str("b", "2");
        q.str("a", "x");
        q.str("b", "1");
        q.str("a", "y");
        assert_eq!(q.finish("/p".into()), "/p?a=x&a=y&b=2&b=1&watch=1");
    }

    #[test]
    fn sorted_and_escaped_like_go() {
        let mut q = Query::default();
        q.str("limit", "2");
        q.str("labelSelector", "app in (web,db),track!=canary");
        let got = q.finish("/api/v1/configmaps".into());
        assert_eq!(
            got,
            "/api/v1/configmaps?labelSelector=app%20in%20%28web%2Cdb%29%2Ctrack%21%3Dcanary&limit=2"
        );
    }

    #[test]
    fn no_params_no_question_mark() {
        assert_eq!(Query::default().finish("/api".into()), "/api");
    }
}
