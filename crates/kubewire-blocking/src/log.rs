//! `kubectl -v`-style request logging: what `-v=6`, `-v=7` and `-v=8`
//! print, with every credential redacted by the core's rules (the request
//! an [`Exchange`] carries is already redacted; the curl rendering redacts
//! again what it shows).

use kubewire::CurlOptions;

use crate::client::Exchange;

/// The lines logged for one exchange at `level` (6, 7, 8 and up).
pub(crate) fn render(level: u8, curl: &CurlOptions, x: &Exchange<'_>) -> String {
    let status = match (x.status, x.reason) {
        (Some(code), Some(reason)) => format!("{code} {reason}"),
        (Some(code), None) => code.to_string(),
        (None, _) => "(no response)".into(),
    };
    let mut out = String::new();
    if level >= 8 {
        out.push_str(&kubewire::curl(x.request, curl));
        out.push('\n');
    }
    out.push_str(&format!(
        "{} {} {} in {} milliseconds\n",
        x.request.method,
        x.url,
        status,
        x.elapsed.as_millis()
    ));
    if level >= 7 {
        out.push_str("Request Headers:\n");
        for (name, value) in &x.request.headers {
            out.push_str(&format!("    {name}: {value}\n"));
        }
    }
    if level >= 8 {
        if let Some(headers) = x.response_headers {
            out.push_str("Response Headers:\n");
            for (name, value) in headers {
                out.push_str(&format!("    {name}: {value}\n"));
            }
        }
    }
    out
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
