//! [`TokenSource`]: service-account tokens from TokenRequest, per
//! (namespace, service account, audiences, bound object), kept fresh the
//! way the kubelet keeps projected tokens fresh.
//!
//! - **Refresh** when 80 % of the token's lifetime has passed, less a
//!   random jitter of up to 10 s, or after 24 hours at the latest (the
//!   kubelet's `requiresRefresh`). Until then every demand is answered
//!   from the cache; a failed refresh keeps serving the old token until it
//!   expires.
//! - **Lifetime** comes from the token itself (`exp − iat`, or else
//!   `status.expirationTimestamp − iat`, or else the granted
//!   `spec.expirationSeconds`), counted from when the request was *sent*:
//!   never later than the server's expiry, and no wall clock needed.
//! - **Coalescing**: any number of demands for one key while a request is
//!   in flight make one request.
//! - **Backoff** per key after a failure (client-go's 800 ms doubling to
//!   30 s, jittered); demands during the backoff fail at once with the last
//!   error instead of hanging.
//! - **Only what is used is refreshed**: a token nobody asked for since it
//!   was issued is not renewed and is dropped when it expires, so the
//!   cache is bounded by what callers use.
//! - Tokens are [`Secret`]s: no `Debug`, log line or error shows one.
//!
//! The host drives it like the list+watch machine: [`demand`](TokenSource::demand)
//! when a caller wants a token, [`poll_output`](TokenSource::poll_output)
//! until `Idle`, hand responses back with [`handle_input`](TokenSource::handle_input).
//!
//! ```
//! use kubewire::listwatch::Instant;
//! use kubewire::mesh::{Demand, TokenConfig, TokenInput, TokenKey, TokenOutput, TokenSource};
//!
//! let mut tokens = TokenSource::new(TokenConfig::default().seed(7))?;
//! let key = TokenKey::new("demo", "web", ["vault.example.com"]);
//! let now = Instant(0);
//! assert!(matches!(tokens.demand(now, &key), Demand::Pending));
//! let TokenOutput::Send(id, req) = tokens.poll_output(now) else { panic!() };
//! assert_eq!(req.path_and_query, "/api/v1/namespaces/demo/serviceaccounts/web/token");
//! // ... the host sends `req`; the API server answers ...
//! let body = br#"{"spec":{"expirationSeconds":3600},"status":{"token":"t0k3n","expirationTimestamp":"2026-12-01T23:00:00Z"}}"#;
//! tokens.handle_input(now, TokenInput::Response { id, status: 201, retry_after: None, body });
//! assert!(matches!(tokens.poll_output(now), TokenOutput::Ready(k) if k == key));
//! let Demand::Ready(token) = tokens.demand(now, &key) else { panic!() };
//! assert_eq!(token.expose(), "t0k3n");
//! # Ok::<(), kubewire::listwatch::ConfigError>(())
//! ```

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::jwt;
use crate::listwatch::{Backoff, BackoffConfig, ConfigError, Instant, RequestId, Rng};
use crate::params::PostParams;
use crate::request::Request;
use crate::resource::known;
use crate::secret::Secret;
use crate::status::Status;
use core::time::Duration;

/// The kubelet's refresh point: at 80 % of a token's lifetime.
const REFRESH_PERCENT: u64 = 80;
/// The kubelet's `maxTTL`: refresh a day after issue whatever the lifetime.
const MAX_TTL_MS: u64 = 24 * 3600 * 1000;
/// Largest TokenRequest answer read; real ones are about 2 KB.
pub const MAX_RESPONSE: usize = 64 * 1024;

/// The object a token is bound to: it stops being accepted when that
/// object is deleted or replaced (a new uid).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundObject {
    /// `Pod`, `Secret` or `Node`.
    pub kind: String,
    /// `v1`.
    pub api_version: String,
    /// The object's name (in the service account's namespace).
    pub name: String,
    /// The object's uid.
    pub uid: String,
}

impl BoundObject {
    /// Bound to a Pod.
    pub fn pod(name: &str, uid: &str) -> Self {
        BoundObject::of("Pod", name, uid)
    }

    /// Bound to a Secret.
    pub fn secret(name: &str, uid: &str) -> Self {
        BoundObject::of("Secret", name, uid)
    }

    /// Bound to a Node.
    pub fn node(name: &str, uid: &str) -> Self {
        BoundObject::of("Node", name, uid)
    }

    fn of(kind: &str, name: &str, uid: &str) -> Self {
        BoundObject {
            kind: kind.into(),
            api_version: "v1".into(),
            name: name.into(),
            uid: uid.into(),
        }
    }
}

/// What a token is for: one cache entry per key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenKey {
    /// The service account's namespace.
    pub namespace: String,
    /// The service account.
    pub service_account: String,
    /// The audiences, sorted, each once (empty: the API server's own).
    pub audiences: Vec<String>,
    /// The object the token is bound to, if any.
    pub bound: Option<BoundObject>,
}

impl TokenKey {
    /// A token for `namespace/service_account` good for `audiences`.
    pub fn new<A: Into<String>>(
        namespace: &str,
        service_account: &str,
        audiences: impl IntoIterator<Item = A>,
    ) -> Self {
        let mut audiences: Vec<String> = audiences.into_iter().map(Into::into).collect();
        audiences.sort_unstable();
        audiences.dedup();
        TokenKey {
            namespace: namespace.into(),
            service_account: service_account.into(),
            audiences,
            bound: None,
        }
    }

    /// The same, bound to `object`.
    pub fn bound_to(mut self, object: BoundObject) -> Self {
        self.bound = Some(object);
        self
    }
}

impl fmt::Display for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.service_account)?;
        if !self.audiences.is_empty() {
            write!(f, " for {}", self.audiences.join(","))?;
        }
        if let Some(b) = &self.bound {
            write!(f, " bound to {} {}", b.kind, b.name)?;
        }
        Ok(())
    }
}

/// Settings of a [`TokenSource`].
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// `spec.expirationSeconds` asked for (the API server's minimum is 600;
    /// the kubelet asks for 3607 by default). Default 3600.
    pub expiration_secs: u32,
    /// Refresh up to this much earlier than the 80 % point, at random, so
    /// that tokens issued together are not renewed together (kubelet: 10 s).
    pub refresh_jitter: Duration,
    /// Retry delays after a failure.
    pub backoff: BackoffConfig,
    /// Seed of the jitter generator: the host's entropy (a constant in a
    /// test). There is no default: [`TokenSource::new`] refuses `None`.
    pub seed: Option<u64>,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            expiration_secs: 3600,
            refresh_jitter: Duration::from_secs(10),
            backoff: BackoffConfig::default(),
            seed: None,
        }
    }
}

impl TokenConfig {
    /// Ask for tokens of this lifetime.
    pub fn expiration_secs(mut self, secs: u32) -> Self {
        self.expiration_secs = secs;
        self
    }

    /// Seed of the jitter generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The API server refused (403: no right to create tokens; 404: no such
    /// service account; 422: a lifetime it does not allow; ...).
    Api(Box<Status>),
    /// The request never got an answer (connection refused, cut, timed out).
    Transport,
    /// A success answer without a usable token (never quoted).
    Malformed {
        /// What was wrong.
        reason: &'static str,
    },
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Api(s) => write!(f, "TokenRequest refused: {s}"),
            TokenError::Transport => f.write_str("TokenRequest got no answer"),
            TokenError::Malformed { reason } => write!(f, "TokenRequest answer unusable: {reason}"),
        }
    }
}

impl core::error::Error for TokenError {}

/// The answer to [`TokenSource::demand`].
#[derive(Debug)]
pub enum Demand<'a> {
    /// A valid token, from the cache.
    Ready(&'a Secret),
    /// A request is (or will be) on its way; [`TokenOutput::Ready`] or
    /// [`TokenOutput::Failed`] for this key follows.
    Pending,
    /// The last request failed and the retry is not due yet.
    Failed(&'a TokenError),
}

/// What the host tells the source about a request it sent.
#[derive(Debug, Clone, Copy)]
pub enum TokenInput<'a> {
    /// The complete answer (at most [`MAX_RESPONSE`] bytes of body are
    /// read; the host may stop reading there).
    Response {
        /// Which request.
        id: RequestId,
        /// HTTP status code.
        status: u16,
        /// The `Retry-After` header, if any.
        retry_after: Option<&'a str>,
        /// The body.
        body: &'a [u8],
    },
    /// No answer: refused, cut, timed out.
    Failed {
        /// Which request.
        id: RequestId,
    },
}

/// What the source wants done next.
#[derive(Debug)]
pub enum TokenOutput {
    /// Send this TokenRequest and report its answer tagged `id`.
    Send(RequestId, Request),
    /// A token for this key is now in the cache: answer those waiting.
    Ready(TokenKey),
    /// A request for this key failed: answer those waiting with the error.
    Failed(TokenKey, TokenError),
    /// Nothing to do until a demand, an answer, or `deadline`.
    Idle {
        /// When to poll again at the latest.
        deadline: Option<Instant>,
    },
}

struct Held {
    token: Secret,
    /// Monotonic time after which the token is no longer served.
    expires: Instant,
    refresh: Instant,
    /// `status.expirationTimestamp` in Unix seconds, when readable.
    expires_unix: Option<i64>,
}

struct Slot {
    held: Option<Held>,
    in_flight: Option<(RequestId, Instant)>,
    /// Someone is waiting for an answer (a `Pending` demand).
    waiting: bool,
    /// Demanded since the token was issued: worth refreshing.
    wanted: bool,
    retry_at: Option<Instant>,
    last_error: Option<TokenError>,
    backoff: Backoff,
}

/// Tokens per [`TokenKey`], sans-IO. See the [module docs](self).
pub struct TokenSource {
    config: TokenConfig,
    rng: Rng,
    next_id: u64,
    slots: BTreeMap<TokenKey, Slot>,
    queue: VecDeque<TokenOutput>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and states only: the tokens stay out of it.
        f.debug_struct("TokenSource")
            .field("keys", &self.slots.keys().collect::<Vec<_>>())
            .field(
                "held",
                &self.slots.values().filter(|s| s.held.is_some()).count(),
            )
            .finish()
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    spec: AnswerSpec,
    #[serde(default)]
    status: AnswerStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnswerSpec {
    #[serde(default)]
    expiration_seconds: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnswerStatus {
    #[serde(default)]
    token: Secret,
    #[serde(default)]
    expiration_timestamp: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestBody<'a> {
    api_version: &'static str,
    kind: &'static str,
    spec: RequestSpec<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestSpec<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    audiences: &'a [String],
    expiration_seconds: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    bound_object_ref: Option<&'a BoundObject>,
}

impl TokenSource {
    /// An empty cache; refused without a [`TokenConfig::seed`].
    pub fn new(config: TokenConfig) -> Result<Self, ConfigError> {
        let seed = config.seed.ok_or(ConfigError::NoSeed)?;
        Ok(TokenSource {
            rng: Rng::new(seed),
            config,
            next_id: 0,
            slots: BTreeMap::new(),
            queue: VecDeque::new(),
        })
    }

    /// A caller wants a token for `key`.
    pub fn demand(&mut self, now: Instant, key: &TokenKey) -> Demand<'_> {
        let backoff = self.config.backoff;
        let slot = self.slots.entry(key.clone()).or_insert_with(|| Slot {
            held: None,
            in_flight: None,
            waiting: false,
            wanted: false,
            retry_at: None,
            last_error: None,
            backoff: Backoff::new(backoff),
        });
        if slot.held.as_ref().is_some_and(|h| now >= h.expires) {
            slot.held = None;
        }
        slot.wanted = true;
        if let Some(h) = &slot.held {
            return Demand::Ready(&h.token);
        }
        if slot.in_flight.is_none() && slot.retry_at.is_some_and(|t| now < t) {
            if let Some(e) = &slot.last_error {
                return Demand::Failed(e);
            }
        }
        slot.waiting = true;
        Demand::Pending
    }

    /// The cached token for `key`, if valid at `now`, without counting a
    /// demand (it will not be refreshed on this account).
    pub fn peek(&self, now: Instant, key: &TokenKey) -> Option<&Secret> {
        let h = self.slots.get(key)?.held.as_ref()?;
        (now < h.expires).then_some(&h.token)
    }

    /// `status.expirationTimestamp` of the cached token, in Unix seconds.
    pub fn expires_unix(&self, key: &TokenKey) -> Option<i64> {
        self.slots.get(key)?.held.as_ref()?.expires_unix
    }

    /// Forget `key` (its bound Pod is gone, say). An answer still on its
    /// way for it is ignored.
    pub fn remove(&mut self, key: &TokenKey) {
        self.slots.remove(key);
    }

    /// Keep only the keys `keep` approves.
    pub fn retain(&mut self, mut keep: impl FnMut(&TokenKey) -> bool) {
        self.slots.retain(|k, _| keep(k));
    }

    /// The keys cached or being fetched.
    pub fn keys(&self) -> impl Iterator<Item = &TokenKey> {
        self.slots.keys()
    }

    /// How many keys are cached or being fetched.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether nothing is cached or being fetched.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// What to do next. Call until [`TokenOutput::Idle`]; again after any
    /// [`demand`](Self::demand) that returned `Pending`, any
    /// [`handle_input`](Self::handle_input), and when the deadline passes.
    pub fn poll_output(&mut self, now: Instant) -> TokenOutput {
        if let Some(out) = self.queue.pop_front() {
            return out;
        }
        // Drop what expired unwanted, and what nobody waits for any more.
        self.slots.retain(|_, s| {
            if s.held.as_ref().is_some_and(|h| now >= h.expires) {
                s.held = None;
            }
            s.held.is_some()
                || s.in_flight.is_some()
                || s.waiting
                || s.retry_at.is_some_and(|t| now < t)
        });
        let mut deadline: Option<Instant> = None;
        let mut due: Option<TokenKey> = None;
        for (key, s) in &self.slots {
            if s.in_flight.is_some() {
                continue;
            }
            let retry_ok = s.retry_at.is_none_or(|t| now >= t);
            let refresh_due = s.held.as_ref().filter(|_| s.wanted).map(|h| h.refresh);
            let wants = if s.waiting {
                Some(s.retry_at.unwrap_or(now))
            } else {
                refresh_due.map(|r| s.retry_at.map_or(r, |t| t.max(r)))
            };
            match wants {
                Some(at) if at <= now && retry_ok => {
                    due = Some(key.clone());
                    break;
                }
                Some(at) => deadline = Some(deadline.map_or(at, |d| d.min(at))),
                None => {}
            }
            // Wake to drop the token at expiry.
            if let Some(h) = &s.held {
                deadline = Some(deadline.map_or(h.expires, |d| d.min(h.expires)));
            }
        }
        match due {
            Some(key) => self.send(now, key),
            None => TokenOutput::Idle { deadline },
        }
    }

    fn send(&mut self, now: Instant, key: TokenKey) -> TokenOutput {
        let body = RequestBody {
            api_version: "authentication.k8s.io/v1",
            kind: "TokenRequest",
            spec: RequestSpec {
                audiences: &key.audiences,
                expiration_seconds: self.config.expiration_secs,
                bound_object_ref: key.bound.as_ref(),
            },
        };
        let built = known::service_accounts()
            .within(&key.namespace)
            .create_subresource(&key.service_account, "token", &PostParams::default(), &body);
        let Some(slot) = self.slots.get_mut(&key) else {
            return TokenOutput::Idle { deadline: None };
        };
        match built {
            Ok(req) => {
                self.next_id += 1;
                let id = RequestId(self.next_id);
                slot.in_flight = Some((id, now));
                TokenOutput::Send(id, req)
            }
            Err(_) => {
                // An empty or unusable name: no request can ever succeed.
                slot.waiting = false;
                slot.wanted = false;
                let e = TokenError::Malformed {
                    reason: "the namespace or service account name is not valid",
                };
                slot.last_error = Some(e.clone());
                slot.retry_at = Some(now + self.config.backoff.max);
                TokenOutput::Failed(key, e)
            }
        }
    }

    /// Tell the source how a request ended. Answers for requests it no
    /// longer waits for are ignored.
    pub fn handle_input(&mut self, now: Instant, input: TokenInput<'_>) {
        let id = match input {
            TokenInput::Response { id, .. } | TokenInput::Failed { id } => id,
        };
        let Some((key, slot)) = self
            .slots
            .iter_mut()
            .find(|(_, s)| s.in_flight.is_some_and(|(i, _)| i == id))
        else {
            return;
        };
        let Some((_, sent)) = slot.in_flight.take() else {
            return;
        };
        let outcome = match input {
            TokenInput::Failed { .. } => Err((TokenError::Transport, None)),
            TokenInput::Response {
                status,
                retry_after,
                body,
                ..
            } => {
                if !(200..300).contains(&status) {
                    let s = Status::from_response(status, retry_after, body);
                    let wait = s.retry_after_seconds();
                    Err((TokenError::Api(Box::new(s)), wait))
                } else if body.len() > MAX_RESPONSE {
                    Err((
                        TokenError::Malformed {
                            reason: "the answer is too large",
                        },
                        None,
                    ))
                } else {
                    read_answer(body, self.config.expiration_secs).map_err(|e| (e, None))
                }
            }
        };
        match outcome {
            Ok((token, ttl_ms, expires_unix)) => {
                let jitter_ms =
                    u64::try_from(self.config.refresh_jitter.as_millis()).unwrap_or(u64::MAX);
                let jitter = (jitter_ms as f64 * self.rng.next_f64()) as u64;
                let refresh_after = (ttl_ms / 100 * REFRESH_PERCENT)
                    .saturating_sub(jitter)
                    .min(MAX_TTL_MS);
                slot.held = Some(Held {
                    token,
                    expires: sent + Duration::from_millis(ttl_ms),
                    refresh: sent + Duration::from_millis(refresh_after),
                    expires_unix,
                });
                slot.wanted = false;
                slot.retry_at = None;
                slot.last_error = None;
                slot.backoff = Backoff::new(self.config.backoff);
                if core::mem::take(&mut slot.waiting) {
                    self.queue.push_back(TokenOutput::Ready(key.clone()));
                }
            }
            Err((e, wait)) => {
                let mut delay = slot.backoff.next_delay(now, &mut self.rng);
                if let Some(w) = wait {
                    delay = delay.max(Duration::from_secs(u64::from(w)));
                }
                slot.retry_at = Some(now + delay);
                slot.last_error = Some(e.clone());
                if core::mem::take(&mut slot.waiting) {
                    self.queue.push_back(TokenOutput::Failed(key.clone(), e));
                }
            }
        }
    }
}

/// The token, its lifetime in ms, and its expiry in Unix seconds.
fn read_answer(body: &[u8], asked_secs: u32) -> Result<(Secret, u64, Option<i64>), TokenError> {
    let answer: Answer = crate::json::from_bytes(body).map_err(|_| TokenError::Malformed {
        reason: "the answer is not a TokenRequest",
    })?;
    let token = answer.status.token;
    if token.is_empty() {
        return Err(TokenError::Malformed {
            reason: "status.token is empty",
        });
    }
    let expires_unix = answer
        .status
        .expiration_timestamp
        .as_deref()
        .and_then(unix_seconds);
    let claims = jwt::decode(token.expose()).ok().map(|(_, c)| c);
    let iat = claims.as_ref().and_then(|c| c.iat);
    let lifetime_secs = match (claims.as_ref().and_then(|c| c.exp), expires_unix, iat) {
        (Some(exp), _, Some(iat)) if exp > iat => (exp - iat) as u64,
        (None, Some(exp), Some(iat)) if exp > iat => (exp - iat) as u64,
        _ => answer
            .spec
            .expiration_seconds
            .unwrap_or(u64::from(asked_secs)),
    };
    if lifetime_secs == 0 {
        return Err(TokenError::Malformed {
            reason: "the token has no lifetime",
        });
    }
    Ok((token, lifetime_secs.saturating_mul(1000), expires_unix))
}

/// An RFC 3339 time (`2026-12-01T23:25:29Z`, fractions and offsets too)
/// in seconds since the Unix epoch.
pub(crate) fn unix_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: core::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
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
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let oh: i64 = rest[1..3].parse().ok()?;
            let om: i64 = rest[4..6].parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    // Howard Hinnant's days_from_civil.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

#[cfg(test)]
mod tests;
