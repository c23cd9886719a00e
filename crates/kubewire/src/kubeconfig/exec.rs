//! The data side of exec credential plugins (`client.authentication.k8s.io`).
//!
//! Running the plugin is the native adapter's job; what goes into
//! `KUBERNETES_EXEC_INFO` and what comes back is plain data, so it lives
//! here and is the same for every host.

use alloc::string::{String, ToString};
use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::resolve::ClusterConfig;
use super::ExecConfig;
use crate::secret::Secret;

/// The `ExecCredential` a plugin prints on stdout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecCredential {
    /// `client.authentication.k8s.io/v1` or `/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `ExecCredential`.
    #[serde(default)]
    pub kind: String,
    /// The credential.
    #[serde(default)]
    pub status: Option<ExecCredentialStatus>,
}

/// The credential in an [`ExecCredential`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecCredentialStatus {
    /// A bearer token.
    #[serde(default)]
    pub token: Option<Secret>,
    /// A PEM client certificate.
    #[serde(default)]
    pub client_certificate_data: Option<String>,
    /// Its PEM private key.
    #[serde(default)]
    pub client_key_data: Option<Secret>,
    /// RFC 3339 time after which the credential must be fetched again;
    /// absent means it is good until the server says 401.
    #[serde(default)]
    pub expiration_timestamp: Option<String>,
}

/// Why a plugin's output cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecError {
    /// stdout is not an ExecCredential.
    Parse(String),
    /// `apiVersion` is not the one the kubeconfig asked for.
    WrongApiVersion {
        /// What the kubeconfig names.
        expected: String,
        /// What the plugin printed.
        found: String,
    },
    /// No `status`, or neither a token nor a certificate and key.
    NoCredential,
    /// A certificate without its key, or a key without its certificate.
    HalfACertificate,
    /// `expirationTimestamp` is not RFC 3339.
    BadExpiration(String),
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Parse(e) => write!(f, "the credential plugin's output is not an ExecCredential: {e}"),
            ExecError::WrongApiVersion { expected, found } => write!(
                f,
                "the credential plugin answered with apiVersion {found:?}, the kubeconfig asked for {expected:?}"
            ),
            ExecError::NoCredential => f.write_str("the credential plugin returned no token and no client certificate"),
            ExecError::HalfACertificate => {
                f.write_str("the credential plugin returned a client certificate without its key, or a key without its certificate")
            }
            ExecError::BadExpiration(t) => write!(f, "the credential plugin's expirationTimestamp {t:?} is not RFC 3339"),
        }
    }
}

// core::error::Error: the errors work without std too.
impl core::error::Error for ExecError {}

impl ExecCredential {
    /// Parse and check a plugin's stdout against the kubeconfig's `exec`.
    pub fn parse(stdout: &[u8], config: &ExecConfig) -> Result<ExecCredentialStatus, ExecError> {
        // The plugin's stdout carries the credential: never quote it.
        let cred: ExecCredential = crate::json::from_bytes(stdout)
            .map_err(|e| ExecError::Parse(super::withhold_values(&e.to_string())))?;
        if !config.api_version.is_empty() && cred.api_version != config.api_version {
            return Err(ExecError::WrongApiVersion {
                expected: config.api_version.clone(),
                found: cred.api_version,
            });
        }
        let status = cred.status.ok_or(ExecError::NoCredential)?;
        let has_cert = status
            .client_certificate_data
            .as_deref()
            .is_some_and(|c| !c.is_empty());
        let has_key = status
            .client_key_data
            .as_ref()
            .is_some_and(|k| !k.is_empty());
        if has_cert != has_key {
            return Err(ExecError::HalfACertificate);
        }
        if !has_cert && status.token.as_ref().is_none_or(Secret::is_empty) {
            return Err(ExecError::NoCredential);
        }
        if let Some(t) = &status.expiration_timestamp {
            parse_rfc3339(t).ok_or_else(|| ExecError::BadExpiration(t.clone()))?;
        }
        Ok(status)
    }

    /// The `KUBERNETES_EXEC_INFO` value for a plugin: its apiVersion,
    /// whether it may interact with the user, and (when
    /// `provideClusterInfo`) the cluster it is asked about. Credentials of
    /// the cluster's user are never included.
    pub fn exec_info(config: &ExecConfig, cluster: &ClusterConfig, interactive: bool) -> String {
        let mut spec = json!({ "interactive": interactive });
        if config.provide_cluster_info {
            let mut c = json!({
                "server": cluster.server,
                "insecure-skip-tls-verify": cluster.tls.insecure,
            });
            if let Some(name) = &cluster.tls.server_name {
                c["tls-server-name"] = Value::from(name.as_str());
            }
            if let Some(super::FileOrData::Data(ca)) = &cluster.tls.ca {
                use base64::Engine;
                c["certificate-authority-data"] =
                    Value::from(base64::engine::general_purpose::STANDARD.encode(ca));
            }
            if let Some(proxy) = &cluster.proxy_url {
                c["proxy-url"] = Value::from(proxy.as_str());
            }
            spec["cluster"] = c;
        }
        let api_version = if config.api_version.is_empty() {
            "client.authentication.k8s.io/v1"
        } else {
            config.api_version.as_str()
        };
        json!({ "apiVersion": api_version, "kind": "ExecCredential", "spec": spec }).to_string()
    }
}

impl ExecCredentialStatus {
    /// The expiry as seconds since the Unix epoch, `None` for never.
    pub fn expires_at_unix(&self) -> Option<i64> {
        self.expiration_timestamp.as_deref().and_then(parse_rfc3339)
    }
}

/// Seconds since the Unix epoch of an RFC 3339 timestamp such as
/// `2026-11-21T23:54:45Z` or `2026-11-21T23:54:45.123+01:00`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: core::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let h: i64 = rest[1..3].parse().ok()?;
            let m: i64 = rest[4..6].parse().ok()?;
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_never_quote_the_plugins_output() {
        let config = ExecConfig::default();
        for out in [
            &br#"{"apiVersion":"client.authentication.k8s.io/v1","status":"tok-9f8e7d"}"#[..],
            br#"{"status":{"token":["tok-9f8e7d"]}}"#,
            br#"{"status":{"token":"tok-9f8e7d","expirationTimestamp":5}}"#,
        ] {
            let e = ExecCredential::parse(out, &config).unwrap_err();
            let shown = e.to_string();
            assert!(matches!(e, ExecError::Parse(_)), "{shown}");
            assert!(!shown.contains("tok-9f8e7d"), "{shown}");
        }
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-21T23:54:45Z"), Some(1_795_305_285));
        assert_eq!(
            parse_rfc3339("2026-11-22T00:54:45.5+01:00"),
            Some(1_795_305_285)
        );
        assert_eq!(parse_rfc3339("2026-11-21"), None);
        assert_eq!(parse_rfc3339("2026-13-21T23:54:45Z"), None);
        assert_eq!(parse_rfc3339("2026-11-21T23:54:45"), None);
    }
}
