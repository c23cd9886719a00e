//! `kubectl -v`-style request logging: the adapter's [`Exchange`] handed
//! to the core's [`kubewire::verbose_log`], which owns the format and the
//! redaction.

use kubewire::CurlOptions;

use crate::client::Exchange;

/// The lines logged for one exchange at `level` (6, 7, 8 and up).
pub(crate) fn render(level: u8, curl: &CurlOptions, x: &Exchange<'_>) -> String {
    let headers: Option<Vec<(&str, &str)>> = x
        .response_headers
        .map(|h| h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect());
    kubewire::verbose_log(
        level,
        curl,
        &kubewire::curl::Exchange {
            request: x.request,
            url: x.url,
            status: x.status.map(|code| (code, x.reason)),
            response_headers: headers.as_deref(),
            elapsed: x.elapsed,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewire::{known, GetParams};
    use std::time::Duration;

    #[test]
    fn levels_add_headers_and_curl_never_a_credential() {
        let mut req = known::config_maps()
            .within("demo")
            .get("app", &GetParams::default())
            .unwrap();
        req.set_header("Authorization", "Bearer <redacted>");
        let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        let x = Exchange {
            request: &req,
            url: "https://h:6443/api/v1/namespaces/demo/configmaps/app",
            status: Some(200),
            reason: Some("OK"),
            response_headers: Some(&headers),
            elapsed: Duration::from_millis(3),
        };
        let curl = CurlOptions {
            base_url: "https://h:6443".into(),
            ..CurlOptions::default()
        };
        let six = render(6, &curl, &x);
        assert_eq!(
            six,
            "GET https://h:6443/api/v1/namespaces/demo/configmaps/app 200 OK in 3 milliseconds\n"
        );
        let seven = render(7, &curl, &x);
        assert!(
            seven.contains("    Authorization: Bearer <redacted>\n"),
            "{seven}"
        );
        let eight = render(8, &curl, &x);
        assert!(eight.starts_with("curl -v -XGET "), "{eight}");
        assert!(eight.contains("Response Headers:\n    Content-Type: application/json\n"));
    }
}
