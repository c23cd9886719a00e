//! A copy-pasteable `curl` command for a request, as `kubectl -v=9` prints,
//! with every credential redacted.
//!
//! Redaction is not optional and has no switch: bearer tokens, basic-auth
//! passwords, cookies, a password in the base URL, client keys and the
//! bodies of requests that carry secrets (Secrets, TokenRequests) never
//! appear. What stays shows *which* credential was used (`Bearer <redacted>`,
//! the client certificate's path) so the rendering is still useful.

use alloc::format;
use alloc::string::String;

use crate::kubeconfig::{AuthPlan, ClusterConfig, FileOrData};
use crate::request::{is_sensitive_header, redact_header_value, Request};

/// Where a TLS file comes from, for the curl rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// A file on disk: its path is shown.
    Path(String),
    /// Inline data from a kubeconfig: shown as `<inline data>`.
    Inline,
}

/// Connection facts the [`Request`] does not carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurlOptions {
    /// The cluster's base URL, e.g. `https://127.0.0.1:6443` (a path prefix
    /// such as a proxy's `/clusters/a` is kept).
    pub base_url: String,
    /// `--cacert`.
    pub ca: Option<TlsSource>,
    /// `--cert`.
    pub client_cert: Option<TlsSource>,
    /// `--key`: always rendered as `<redacted>`.
    pub client_key: bool,
    /// `--insecure` (`insecure-skip-tls-verify`).
    pub insecure: bool,
}

impl CurlOptions {
    /// The connection facts of a resolved context, as `kubectl -v=8`
    /// shows them: its server, CA, client certificate (files by path,
    /// inline data as such), the key only as `<redacted>`.
    pub fn for_cluster(cluster: &ClusterConfig) -> Self {
        let source = |f: &FileOrData| match f {
            FileOrData::File(p) => TlsSource::Path(p.clone()),
            FileOrData::Data(_) => TlsSource::Inline,
        };
        let (client_cert, client_key) = match &cluster.auth {
            AuthPlan::ClientCertificate { cert, .. } => (Some(source(cert)), true),
            _ => (None, false),
        };
        CurlOptions {
            base_url: cluster.server.clone(),
            ca: cluster.tls.ca.as_ref().map(source),
            client_cert,
            client_key,
            insecure: cluster.tls.insecure,
        }
    }
}

/// One request and what came back, as `kubectl -v` logs it.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// The request as sent.
    pub request: &'a Request,
    /// The full URL.
    pub url: &'a str,
    /// The response's status code and reason phrase; `None` when no
    /// response came.
    pub status: Option<(u16, Option<&'a str>)>,
    /// The response headers, when a response came.
    pub response_headers: Option<&'a [(&'a str, &'a str)]>,
    /// Time until the response headers (or the failure).
    pub elapsed: core::time::Duration,
}

/// The lines `kubectl -v=LEVEL` prints for one exchange: the request line
/// with status and time at 6, the request headers at 7, the curl command
/// and the response headers at 8 and above. Credentials are redacted in
/// every part, whatever the caller passes.
pub fn verbose_log(level: u8, options: &CurlOptions, x: &Exchange<'_>) -> String {
    let shown = |name: &str, value: &str| {
        if is_sensitive_header(name) || name.eq_ignore_ascii_case("set-cookie") {
            redact_header_value(value)
        } else {
            String::from(value)
        }
    };
    let status = match x.status {
        Some((code, Some(reason))) if !reason.is_empty() => format!("{code} {reason}"),
        Some((code, _)) => format!("{code}"),
        None => String::from("(no response)"),
    };
    let mut out = String::new();
    if level >= 8 {
        out.push_str(&curl(x.request, options));
        out.push('\n');
    }
    out.push_str(&format!(
        "{} {} {} in {} milliseconds\n",
        x.request.method,
        redact_url_password(x.url),
        status,
        x.elapsed.as_millis()
    ));
    if level >= 7 {
        out.push_str("Request Headers:\n");
        for (name, value) in &x.request.headers {
            out.push_str(&format!("    {name}: {}\n", shown(name, value)));
        }
    }
    if level >= 8 {
        if let Some(headers) = x.response_headers {
            out.push_str("Response Headers:\n");
            for (name, value) in headers {
                out.push_str(&format!("    {name}: {}\n", shown(name, value)));
            }
        }
    }
    out
}

/// Render `request` as a curl command line.
pub fn curl(request: &Request, options: &CurlOptions) -> String {
    let mut out = format!("curl -v -X{}", request.method);
    if options.insecure {
        out.push_str(" --insecure");
    }
    match &options.ca {
        Some(TlsSource::Path(p)) => out.push_str(&format!(" --cacert {}", quote(p))),
        Some(TlsSource::Inline) => out.push_str(" --cacert '<inline data>'"),
        None => {}
    }
    match &options.client_cert {
        Some(TlsSource::Path(p)) => out.push_str(&format!(" --cert {}", quote(p))),
        Some(TlsSource::Inline) => out.push_str(" --cert '<inline data>'"),
        None => {}
    }
    if options.client_key {
        out.push_str(" --key '<redacted>'");
    }
    for (name, value) in &request.headers {
        let shown = if is_sensitive_header(name) {
            redact_header_value(value)
        } else {
            value.clone()
        };
        out.push_str(&format!(" -H {}", quote(&format!("{name}: {shown}"))));
    }
    if !request.body.is_empty() {
        if carries_secret(request) {
            out.push_str(&format!(
                " --data-binary '<redacted {} bytes>'",
                request.body.len()
            ));
        } else {
            out.push_str(&format!(
                " --data-binary {}",
                quote(&String::from_utf8_lossy(&request.body))
            ));
        }
    }
    let base = redact_url_password(options.base_url.trim_end_matches('/'));
    out.push_str(&format!(
        " {}",
        quote(&format!("{base}{}", request.path_and_query))
    ));
    out
}

/// Bodies sent to Secrets or to the `token` subresource hold credentials.
fn carries_secret(request: &Request) -> bool {
    let path = request.path_and_query.split('?').next().unwrap_or("");
    let mut segments = path.split('/');
    segments.any(|s| s == "secrets" || s == "token" || s == "tokenreviews")
}

/// `https://user:pass@host` becomes `https://user:<redacted>@host`.
fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.into();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:<redacted>@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.into(),
    }
}

/// Single-quote for a POSIX shell: `'` becomes `'\''`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_log_adds_headers_by_level_and_never_a_credential() {
        let mut req = crate::known::config_maps()
            .within("demo")
            .get("app", &crate::GetParams::default())
            .unwrap();
        req.set_header("Authorization", "Bearer s3cr3t");
        let headers = [
            ("Content-Type", "application/json"),
            ("Set-Cookie", "sid=s3cr3t"),
        ];
        let x = Exchange {
            request: &req,
            url: "https://u:s3cr3t@h:6443/api/v1/namespaces/demo/configmaps/app",
            status: Some((200, Some("OK"))),
            response_headers: Some(&headers),
            elapsed: core::time::Duration::from_millis(3),
        };
        let options = CurlOptions {
            base_url: "https://h:6443".into(),
            ..CurlOptions::default()
        };
        let six = verbose_log(6, &options, &x);
        assert!(six.starts_with("GET https://u:"), "{six}");
        assert!(
            six.ends_with("/api/v1/namespaces/demo/configmaps/app 200 OK in 3 milliseconds\n"),
            "{six}"
        );
        let seven = verbose_log(7, &options, &x);
        assert!(
            seven.contains("    Authorization: Bearer <redacted>\n"),
            "{seven}"
        );
        let eight = verbose_log(8, &options, &x);
        assert!(eight.starts_with("curl -v -XGET"), "{eight}");
        assert!(eight.contains("Response Headers:\n    Content-Type: application/json\n    Set-Cookie: <redacted>\n"), "{eight}");
        for text in [six, seven, eight] {
            assert!(!text.contains("s3cr3t"), "{text}");
        }
        let none = Exchange {
            status: None,
            response_headers: None,
            ..x
        };
        assert!(verbose_log(6, &options, &none).contains(" (no response) in "));
    }
    use crate::request::Method;

    #[test]
    fn a_clusters_tls_files_show_by_path_inline_data_as_such_the_key_never() {
        let mut cluster = ClusterConfig::in_cluster("10.0.0.1", "443", None).unwrap();
        cluster.tls.ca = Some(FileOrData::Data(b"pem".to_vec()));
        cluster.auth = AuthPlan::ClientCertificate {
            cert: FileOrData::File("/home/u/.kube/cert.pem".into()),
            key: crate::kubeconfig::FileOrSecret::Data(crate::Secret::new("KEY")),
            bearer: None,
        };
        let o = CurlOptions::for_cluster(&cluster);
        assert_eq!(o.base_url, "https://10.0.0.1:443");
        assert_eq!(o.ca, Some(TlsSource::Inline));
        assert_eq!(
            o.client_cert,
            Some(TlsSource::Path("/home/u/.kube/cert.pem".into()))
        );
        assert!(o.client_key && !o.insecure);
        let line = curl(&Request::new(Method::Get, "/api".into()), &o);
        assert!(
            line.contains("--key '<redacted>'") && !line.contains("KEY"),
            "{line}"
        );
    }

    #[test]
    fn password_in_url_is_redacted() {
        assert_eq!(
            redact_url_password("https://bob:hunter2@h:6443/x"),
            "https://bob:<redacted>@h:6443/x"
        );
        assert_eq!(redact_url_password("https://h:6443"), "https://h:6443");
    }

    #[test]
    fn quoting_survives_single_quotes() {
        let mut req = Request::new(Method::Get, "/api".into());
        req.set_header("X-Note", "it's");
        let out = curl(
            &req,
            &CurlOptions {
                base_url: "https://h".into(),
                ..Default::default()
            },
        );
        assert!(out.contains(r#"-H 'X-Note: it'\''s'"#), "{out}");
    }
}
