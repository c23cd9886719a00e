//! What to watch and how.

use alloc::string::String;
use alloc::vec::Vec;

use super::backoff::BackoffConfig;
use crate::request::Collection;

/// client-go's `minWatchTimeout`: each watch asks the server to end it
/// after a random time between this and twice this, so that many clients
/// do not reconnect in lockstep.
pub const MIN_WATCH_TIMEOUT_SECS: u32 = 300;

/// How long past its `timeoutSeconds` a watch may stay open before the
/// machine gives up on it (a server or proxy that never ends it, a half-open
/// connection): cancel and watch again.
pub const WATCH_GRACE_MS: u64 = 60_000;

/// A watch that ends sooner than this having delivered nothing is
/// "very short" (client-go's wording): something is wrong, so the next
/// attempt waits for a backoff instead of reconnecting at once.
pub const SHORT_WATCH_MS: u64 = 1_000;

/// Largest error body kept to build a `Status` from: error bodies are small;
/// anything larger is cut, never buffered without end.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

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
    /// Watches last a random `[min, 2 * min)` seconds
    /// ([`MIN_WATCH_TIMEOUT_SECS`] by default).
    pub min_watch_timeout_secs: u32,
    /// Seed of the jitter generator: pass real entropy in production,
    /// a constant in tests.
    pub seed: u64,
    /// Headers added to every request (e.g. an `Accept` for a projection
    /// the server computes). Credentials are the adapter's business.
    pub headers: Vec<(String, String)>,
}

impl Config {
    /// Watch `collection` with client-go's defaults.
    pub fn new(collection: Collection) -> Self {
        Config {
            collection,
            label_selector: None,
            field_selector: None,
            page_size: None,
            watch_list: true,
            backoff: BackoffConfig::default(),
            min_watch_timeout_secs: MIN_WATCH_TIMEOUT_SECS,
            seed: 0,
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

    /// A name for what this config watches: the collection's path and
    /// selectors. A disk cache is only loaded for the same identity.
    pub fn identity(&self) -> String {
        let path = self.collection.path().unwrap_or_default();
        let labels = self.label_selector.as_deref().unwrap_or("");
        let fields = self.field_selector.as_deref().unwrap_or("");
        alloc::format!("{path}?labelSelector={labels}&fieldSelector={fields}")
    }

    /// Seed of the jitter generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}
