//! Authentication (static bearer tokens, service-account JWTs, TLS client
//! certificates): who a request comes from. What each may do is
//! [`crate::authz`]'s business.
//!
//! With no authentication configured every request is an admin (local
//! development on 127.0.0.1). With authentication on, static-token users
//! and client-certificate users are admins, service accounts are
//! themselves, requests without credentials are anonymous.

use std::collections::HashMap;
use std::path::Path;

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum User {
    /// Full access.
    Admin(String),
    /// A service account `(namespace, name)`.
    ServiceAccount(String, String),
    /// No credentials.
    Anonymous,
    /// Someone a trusted front proxy vouches for in request headers
    /// ([`crate::aggregation::requestheader`]).
    Remote(Box<Remote>),
}

/// A user as a front proxy names it: any name, its groups and extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// `X-Remote-User`.
    pub name: String,
    /// `X-Remote-Group`, in order.
    pub groups: Vec<String>,
    /// `X-Remote-Extra-KEY`: keys lower-cased and unescaped.
    pub extra: Vec<(String, Vec<String>)>,
}

impl User {
    /// The Kubernetes user name.
    pub fn name(&self) -> String {
        match self {
            User::Admin(n) => n.clone(),
            User::ServiceAccount(ns, n) => format!("system:serviceaccount:{ns}:{n}"),
            User::Anonymous => "system:anonymous".into(),
            User::Remote(r) => r.name.clone(),
        }
    }
}

/// Static tokens from a kube-apiserver style `--token-file`
/// (CSV: `token,user,uid,"group1,group2"`; only the first two columns are used).
#[derive(Debug, Clone, Default)]
pub struct StaticTokens(HashMap<String, String>);

impl StaticTokens {
    /// Reads a token file.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Ok(Self::parse(&text))
    }

    /// Parses token-file text.
    pub fn parse(text: &str) -> Self {
        let mut m = HashMap::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut cols = line.split(',');
            if let (Some(tok), Some(user)) = (cols.next(), cols.next()) {
                m.insert(
                    tok.trim().to_string(),
                    user.trim().trim_matches('"').to_string(),
                );
            }
        }
        StaticTokens(m)
    }

    /// Adds one token.
    pub fn insert(&mut self, token: &str, user: &str) {
        self.0.insert(token.into(), user.into());
    }

    /// The user a token belongs to.
    pub fn user(&self, token: &str) -> Option<&str> {
        self.0.get(token).map(String::as_str)
    }

    /// All `(token, user)` pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(t, u)| (t.as_str(), u.as_str()))
    }

    /// True when no tokens are configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Any one token (for writing a kubeconfig).
    pub fn any(&self) -> Option<&str> {
        let mut keys: Vec<&String> = self.0.keys().collect();
        keys.sort();
        keys.first().map(|s| s.as_str())
    }
}
