//! The server URL, split once into what `wasi:http` asks for: a scheme, an
//! authority and a path prefix (for servers behind a path-routing proxy).

use wasi::http::types::Scheme;

use crate::Error;

/// A checked `http://` or `https://` base URL.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl {
    pub(crate) text: String,
    pub(crate) https: bool,
    pub(crate) authority: String,
    pub(crate) prefix: String,
}

impl BaseUrl {
    pub(crate) fn parse(server: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::Url(format!("{server:?}: {why}"));
        let (https, rest) = if let Some(rest) = server.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = server.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("the scheme must be http:// or https://"));
        };
        let (authority, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = match authority.rsplit_once(':') {
            // An IPv6 literal's colons are inside brackets.
            Some((host, port)) if !port.contains(']') => {
                if port.is_empty() || port.parse::<u16>().is_err() {
                    return Err(bad("the port is not a number from 0 to 65535"));
                }
                host
            }
            _ => authority,
        };
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_[]:".contains(&b));
        if !host_ok {
            return Err(bad(
                "the host is empty or has characters a host name cannot have",
            ));
        }
        Ok(BaseUrl {
            text: server.to_owned(),
            https,
            authority: authority.to_owned(),
            prefix: prefix.trim_end_matches('/').to_owned(),
        })
    }

    pub(crate) fn scheme(&self) -> Scheme {
        if self.https {
            Scheme::Https
        } else {
            Scheme::Http
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BaseUrl;

    #[test]
    fn splits_scheme_authority_and_prefix() {
        let u = BaseUrl::parse("https://10.0.0.1:6443/k8s/clusters/c-1/").unwrap();
        assert!(u.https);
        assert_eq!(
            (u.authority.as_str(), u.prefix.as_str()),
            ("10.0.0.1:6443", "/k8s/clusters/c-1")
        );
        let u = BaseUrl::parse("http://[::1]:8080").unwrap();
        assert_eq!(
            (u.https, u.authority.as_str(), u.prefix.as_str()),
            (false, "[::1]:8080", "")
        );
        assert_eq!(
            BaseUrl::parse("https://kubernetes.default.svc")
                .unwrap()
                .authority,
            "kubernetes.default.svc"
        );
    }

    #[test]
    fn refuses_what_is_not_an_http_base_url() {
        for bad in [
            "ftp://h",
            "h:6443",
            "http://",
            "http://kube api:6443",
            "http://h:port",
            "http://h:99999",
            "http://u@h",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
