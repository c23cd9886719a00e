//! What to watch and how, and the checks [`ListWatch::new`](super::ListWatch::new)
//! runs on it before anything is sent.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::backoff::BackoffConfig;
use crate::error::RequestError;
use crate::params::{ListParams, WatchParams};
use crate::request::{is_sensitive_header, Collection};
use crate::store::{Selector, SelectorError};

/// client-go's `minWatchTimeout`: each watch asks the server to end it
/// after a random time between this and twice this, so that many clients
/// do not reconnect in lockstep.
pub const MIN_WATCH_TIMEOUT: Duration = Duration::from_secs(300);

/// How long past its `timeoutSeconds` a watch may stay open before the
/// machine gives up on it (a server or proxy that never ends it, a half-open
/// connection): cancel and watch again.
pub const WATCH_GRACE: Duration = Duration::from_secs(60);

/// A watch that ends sooner than this having delivered nothing is
/// "very short" (client-go's wording): something is wrong, so the next
/// attempt waits for a backoff instead of reconnecting at once.
pub const SHORT_WATCH: Duration = Duration::from_secs(1);

/// The default [`Config::progress_timeout`]: how long a LIST or a
/// watch-list's initial events may go without a byte before the machine
/// cuts the request and retries. The API server streams a LIST as it reads
/// it and a watch-list's initial events back to back, so a minute of
/// silence means a stalled connection or server, not a large collection.
pub const PROGRESS_TIMEOUT: Duration = Duration::from_secs(60);

/// Configuration of a [`ListWatch`](super::ListWatch).
#[derive(Debug, Clone)]
pub struct Config {
    /// The collection: a resource, in one namespace or across all.
    pub collection: Collection,
    /// `labelSelector` for every list and watch.
    pub label_selector: Option<String>,
    /// `fieldSelector` for every list and watch.
    pub field_selector: Option<String>,
    /// Page size of the fallback LIST (`limit`, continued with `continue`);
    /// `None` lists in one response (still decoded item by item).
    pub page_size: Option<u32>,
    /// Start each sync with a streaming watch-list (default). When the
    /// server turns it down, the machine falls back to LIST + WATCH by
    /// itself; `false` skips the attempt.
    pub watch_list: bool,
    /// Retry delays.
    pub backoff: BackoffConfig,
    /// Watches last a random `[min, 2 * min)`, in whole seconds
    /// ([`MIN_WATCH_TIMEOUT`] by default).
    pub min_watch_timeout: Duration,
    /// A LIST, or a watch-list before its initial events are complete, that
    /// receives no byte (nor its response head) for this long is cut and
    /// retried after a backoff ([`PROGRESS_TIMEOUT`] by default). Watches
    /// past their initial events may be quiet for minutes; they have their
    /// own deadline (`timeoutSeconds` plus [`WATCH_GRACE`]).
    pub progress_timeout: Duration,
    /// Seed of the jitter generator (backoff delays and watch timeouts).
    /// `None` is refused by [`ListWatch::new`](super::ListWatch::new): the
    /// core has no entropy of its own, so the host must give some (each
    /// adapter draws it from its platform's random source when this is
    /// `None`), and a test passes a constant to replay exactly. A constant
    /// in production would make every client back off and reconnect in
    /// lockstep after an API server restart.
    pub seed: Option<u64>,
    /// Headers added to every request (e.g. an `Accept` for a projection
    /// the server computes). Credentials are the adapter's business and
    /// are refused here.
    pub headers: Vec<(String, String)>,
}

impl Config {
    /// Watch `collection` with client-go's defaults (and no seed yet).
    pub fn new(collection: Collection) -> Self {
        Config {
            collection,
            label_selector: None,
            field_selector: None,
            page_size: None,
            watch_list: true,
            backoff: BackoffConfig::default(),
            min_watch_timeout: MIN_WATCH_TIMEOUT,
            progress_timeout: PROGRESS_TIMEOUT,
            seed: None,
            headers: Vec::new(),
        }
    }

    /// Only objects matching this label selector.
    pub fn labels(mut self, selector: &str) -> Self {
        self.label_selector = Some(selector.into());
        self
    }

    /// Only objects matching this field selector.
    pub fn fields(mut self, selector: &str) -> Self {
        self.field_selector = Some(selector.into());
        self
    }

    /// Page the fallback LIST by `limit` items.
    pub fn page_size(mut self, limit: u32) -> Self {
        self.page_size = Some(limit);
        self
    }

    /// Try a watch-list first (`true`, the default) or go straight to LIST.
    pub fn watch_list(mut self, on: bool) -> Self {
        self.watch_list = on;
        self
    }

    /// Retry delays.
    pub fn backoff(mut self, backoff: BackoffConfig) -> Self {
        self.backoff = backoff;
        self
    }

    /// How long a LIST or a watch-list's initial events may stall.
    pub fn progress_timeout(mut self, timeout: Duration) -> Self {
        self.progress_timeout = timeout;
        self
    }

    /// Add a header to every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Seed of the jitter generator: host entropy in production, a
    /// constant in tests.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// A name for what this config watches: everything that decides which
    /// objects come and in what shape — the collection's path (group,
    /// version, resource, namespace), the selectors and the headers (an
    /// `Accept` for a Table or for metadata only changes every object). A
    /// disk cache is only loaded for the same identity. Retry timing and
    /// page size are left out: they change nothing that is stored.
    pub fn identity(&self) -> String {
        let path = self.collection.path().unwrap_or_default();
        let labels = self.label_selector.as_deref().unwrap_or("");
        let fields = self.field_selector.as_deref().unwrap_or("");
        let mut headers: Vec<(String, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
            .collect();
        headers.sort();
        let mut id = alloc::format!("{path}?labelSelector={labels}&fieldSelector={fields}");
        for (name, value) in headers {
            id.push_str(&alloc::format!("\n{name}: {value}"));
        }
        id
    }

    /// Check everything that can be checked before a request is sent, so
    /// that a mistake is one clear error at start and never a retry loop.
    pub(crate) fn check(&self) -> Result<u64, ConfigError> {
        let seed = self.seed.ok_or(ConfigError::NoSeed)?;
        if let Some(problem) = self.backoff.problem() {
            return Err(ConfigError::Invalid(problem));
        }
        if self.min_watch_timeout < Duration::from_secs(1)
            || self.min_watch_timeout > Duration::from_secs(u64::from(u32::MAX / 2))
        {
            return Err(ConfigError::Invalid(
                "min_watch_timeout must be between 1 s and 68 years",
            ));
        }
        if self.progress_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "progress_timeout must be more than zero",
            ));
        }
        if self.page_size == Some(0) {
            return Err(ConfigError::Invalid(
                "page_size must be more than zero (None lists in one response)",
            ));
        }
        if let Some(labels) = &self.label_selector {
            Selector::parse(labels).map_err(ConfigError::LabelSelector)?;
        }
        for (name, value) in &self.headers {
            if is_sensitive_header(name) {
                return Err(ConfigError::Credentials { name: name.clone() });
            }
            if !is_token(name) || !is_field_value(value) {
                return Err(ConfigError::Header { name: name.clone() });
            }
        }
        // Both requests the machine builds from the config alone.
        let list = ListParams {
            label_selector: self.label_selector.clone(),
            field_selector: self.field_selector.clone(),
            limit: self.page_size,
            ..ListParams::default()
        };
        self.collection.list(&list).map_err(ConfigError::Request)?;
        let mut watch = WatchParams::watch_list();
        watch.label_selector.clone_from(&self.label_selector);
        watch.field_selector.clone_from(&self.field_selector);
        self.collection
            .watch(&watch)
            .map_err(ConfigError::Request)?;
        Ok(seed)
    }
}

/// RFC 9110's `token`: what a header name may be made of.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A field value without the bytes that would end or split a header.
fn is_field_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// Why [`ListWatch::new`](super::ListWatch::new) refused a [`Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No seed ([`Config::seed`], or `TokenConfig::seed` of the mesh token
    /// source): the host must seed the jitter.
    NoSeed,
    /// A request cannot be built from the config (e.g. a namespace the
    /// API server would reject, `resourceVersionMatch` rules).
    Request(RequestError),
    /// The label selector does not parse (the API server's message).
    LabelSelector(SelectorError),
    /// A header name that is not a token, or a value with line breaks.
    Header {
        /// The header's name.
        name: String,
    },
    /// A credential header (`Authorization`, `Cookie`, ...): the adapter
    /// adds credentials; in the config they would reach the disk cache's
    /// identity.
    Credentials {
        /// The header's name.
        name: String,
    },
    /// A duration, size or factor that cannot work; the message names it.
    Invalid(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoSeed => f.write_str(
                "no seed for the retry jitter: pass the host's entropy (or a constant in a test) as the config's seed",
            ),
            ConfigError::Request(e) => write!(f, "{e}"),
            ConfigError::LabelSelector(e) => write!(f, "labelSelector: {e}"),
            ConfigError::Header { name } => write!(f, "header {name:?} cannot be sent"),
            ConfigError::Credentials { name } => write!(
                f,
                "header {name:?} carries credentials, which the adapter adds; leave it out of the config"
            ),
            ConfigError::Invalid(m) => f.write_str(m),
        }
    }
}

impl core::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ConfigError::Request(e) => Some(e),
            ConfigError::LabelSelector(e) => Some(e),
            _ => None,
        }
    }
}
