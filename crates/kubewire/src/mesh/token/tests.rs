use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::*;

const S: u64 = 1000;

/// A span of `n` milliseconds.
fn ms(n: u64) -> core::time::Duration {
    core::time::Duration::from_millis(n)
}

fn jwt(iat: i64, ttl: i64, tag: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"k"}"#),
        URL_SAFE_NO_PAD.encode(format!(
            r#"{{"iat":{iat},"exp":{},"sub":"system:serviceaccount:demo:web"}}"#,
            iat + ttl
        )),
        URL_SAFE_NO_PAD.encode(tag),
    )
}

fn answer(token: &str, ttl: u64) -> Vec<u8> {
    format!(
        r#"{{"kind":"TokenRequest","spec":{{"expirationSeconds":{ttl}}},"status":{{"token":"{token}","expirationTimestamp":"2026-12-01T23:25:29Z"}}}}"#
    )
    .into_bytes()
}

fn key() -> TokenKey {
    TokenKey::new("demo", "web", ["vault.example.com"]).bound_to(BoundObject::pod("web-1", "u-1"))
}

/// Poll until idle; return what was sent and the other outputs.
fn drain(
    ts: &mut TokenSource,
    now: Instant,
) -> (Vec<(RequestId, Request)>, Vec<TokenOutput>, Option<Instant>) {
    let (mut sent, mut other) = (Vec::new(), Vec::new());
    loop {
        match ts.poll_output(now) {
            TokenOutput::Send(id, r) => sent.push((id, r)),
            TokenOutput::Idle { deadline } => return (sent, other, deadline),
            o => other.push(o),
        }
    }
}

fn ok(ts: &mut TokenSource, now: Instant, id: RequestId, token: &str, ttl: u64) {
    let body = answer(token, ttl);
    ts.handle_input(
        now,
        TokenInput::Response {
            id,
            status: 201,
            retry_after: None,
            body: &body,
        },
    );
}

fn ready(ts: &mut TokenSource, now: Instant) -> Option<String> {
    match ts.demand(now, &key()) {
        Demand::Ready(t) => Some(t.expose().into()),
        _ => None,
    }
}

#[test]
fn the_request_asks_for_the_audiences_lifetime_and_bound_pod() {
    let mut ts = TokenSource::new(TokenConfig::default().expiration_secs(3607).seed(1)).unwrap();
    assert!(matches!(ts.demand(Instant(0), &key()), Demand::Pending));
    let (sent, _, _) = drain(&mut ts, Instant(0));
    let [(_, req)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    assert_eq!(req.method, crate::request::Method::Post);
    assert_eq!(
        req.path_and_query,
        "/api/v1/namespaces/demo/serviceaccounts/web/token"
    );
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{
            "audiences":["vault.example.com"],"expirationSeconds":3607,
            "boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web-1","uid":"u-1"}}})
    );
}

#[test]
fn concurrent_demands_coalesce_into_one_request() {
    let mut ts = TokenSource::new(TokenConfig::default().seed(1)).unwrap();
    for _ in 0..5 {
        assert!(matches!(ts.demand(Instant(0), &key()), Demand::Pending));
    }
    let other = TokenKey::new("demo", "web", ["other"]);
    assert!(matches!(ts.demand(Instant(0), &other), Demand::Pending));
    let (sent, _, _) = drain(&mut ts, Instant(0));
    assert_eq!(sent.len(), 2, "one per key");
    let mine = sent
        .iter()
        .position(|(_, r)| r.body.windows(5).any(|w| w == b"vault"))
        .unwrap();
    // Demands while it is in flight add nothing.
    for _ in 0..5 {
        assert!(matches!(ts.demand(Instant(10), &key()), Demand::Pending));
    }
    assert!(drain(&mut ts, Instant(10)).0.is_empty());
    ok(&mut ts, Instant(50), sent[mine].0, &jwt(0, 3600, "a"), 3600);
    let (_, out, _) = drain(&mut ts, Instant(50));
    assert!(
        matches!(out.as_slice(), [TokenOutput::Ready(k)] if *k == key()),
        "{out:?}"
    );
    assert_eq!(ready(&mut ts, Instant(60)), Some(jwt(0, 3600, "a")));
}

#[test]
fn refreshes_at_80_percent_of_the_lifetime_less_jitter_serving_the_cache_until_replaced() {
    for seed in [1, 2, 3] {
        let mut ts = TokenSource::new(TokenConfig::default().seed(seed)).unwrap();
        ts.demand(Instant(0), &key());
        let (sent, _, _) = drain(&mut ts, Instant(0));
        // The answer comes 200 ms later: lifetime counts from sending.
        ok(
            &mut ts,
            Instant(200),
            sent[0].0,
            &jwt(1_796_000_000, 3600, "first"),
            3600,
        );
        drain(&mut ts, Instant(200));
        let mut now = Instant(200);
        assert_eq!(ready(&mut ts, now), Some(jwt(1_796_000_000, 3600, "first")));
        let (sent, _, deadline) = drain(&mut ts, now);
        assert!(sent.is_empty());
        let refresh = deadline.unwrap();
        assert!(
            (2870 * S..=2880 * S).contains(&refresh.0),
            "seed {seed}: refresh at {refresh}, want 80% of 3600 s less up to 10 s"
        );
        // Answered from the cache all along.
        while now < refresh {
            assert!(ready(&mut ts, now).is_some());
            assert!(
                drain(&mut ts, now).0.is_empty(),
                "no request before {refresh}"
            );
            now = now + ms(60 * S);
        }
        let (sent, _, _) = drain(&mut ts, refresh);
        assert_eq!(sent.len(), 1, "refresh due");
        assert_eq!(
            ready(&mut ts, refresh + ms(5)),
            Some(jwt(1_796_000_000, 3600, "first"))
        );
        ok(
            &mut ts,
            refresh + ms(100),
            sent[0].0,
            &jwt(1_796_002_900, 3600, "second"),
            3600,
        );
        let (_, out, _) = drain(&mut ts, refresh + ms(100));
        assert!(out.is_empty(), "nobody was waiting: {out:?}");
        assert_eq!(
            ready(&mut ts, refresh + ms(200)),
            Some(jwt(1_796_002_900, 3600, "second"))
        );
    }
}

#[test]
fn a_token_nobody_asks_for_again_is_not_refreshed_and_goes_at_expiry() {
    let mut ts = TokenSource::new(TokenConfig::default().seed(1)).unwrap();
    ts.demand(Instant(0), &key());
    let (sent, _, _) = drain(&mut ts, Instant(0));
    ok(&mut ts, Instant(0), sent[0].0, &jwt(0, 600, "t"), 600);
    drain(&mut ts, Instant(0));
    // Never asked again: the next wake-up is the expiry, not a refresh.
    let (sent, _, deadline) = drain(&mut ts, Instant(1));
    assert!(sent.is_empty());
    assert_eq!(deadline, Some(Instant(600 * S)));
    assert!(drain(&mut ts, Instant(600 * S)).0.is_empty());
    assert!(ts.is_empty(), "dropped at expiry");
    assert!(ts.peek(Instant(600 * S), &key()).is_none());
}

#[test]
fn failures_back_off_fail_fast_meanwhile_and_reset_on_success() {
    let mut ts = TokenSource::new(TokenConfig::default().seed(9)).unwrap();
    let mut now = Instant(0);
    let mut delays = Vec::new();
    for round in 0..4 {
        assert!(
            matches!(ts.demand(now, &key()), Demand::Pending),
            "round {round}"
        );
        let (sent, _, _) = drain(&mut ts, now);
        assert_eq!(sent.len(), 1);
        let body = br#"{"kind":"Status","status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500}"#;
        ts.handle_input(
            now,
            TokenInput::Response {
                id: sent[0].0,
                status: 500,
                retry_after: None,
                body,
            },
        );
        let (_, out, _) = drain(&mut ts, now);
        assert!(
            matches!(out.as_slice(), [TokenOutput::Failed(k, TokenError::Api(s))] if *k == key() && s.code == 500),
            "{out:?}"
        );
        // During the backoff a demand fails at once, and nothing is sent.
        let Demand::Failed(e) = ts.demand(now + ms(1), &key()) else {
            panic!("round {round}")
        };
        assert!(format!("{e}").contains("request timed out"));
        let (sent, _, deadline) = drain(&mut ts, now + ms(1));
        assert!(sent.is_empty());
        // Nobody waits: the retry waits for the next demand after it.
        assert!(deadline.is_none_or(|d| d > now), "{deadline:?}");
        let retry = ts.slots[&key()].retry_at.unwrap();
        delays.push(retry.0 - now.0);
        now = retry;
    }
    for (d, base) in delays.iter().zip([800, 1600, 3200, 6400]) {
        assert!((base..2 * base).contains(d), "{delays:?}");
    }
    assert!(matches!(ts.demand(now, &key()), Demand::Pending));
    let (sent, _, _) = drain(&mut ts, now);
    ok(&mut ts, now, sent[0].0, &jwt(0, 3600, "t"), 3600);
    assert!(ts.slots[&key()].retry_at.is_none());
    assert_eq!(
        ts.slots[&key()]
            .backoff
            .clone()
            .next_delay(now, &mut Rng::new(0))
            .as_millis()
            / 800,
        1,
        "reset"
    );
}

#[test]
fn a_failed_refresh_keeps_the_old_token_until_it_expires() {
    let mut ts = TokenSource::new(TokenConfig::default().seed(4)).unwrap();
    ts.demand(Instant(0), &key());
    let (sent, _, _) = drain(&mut ts, Instant(0));
    ok(&mut ts, Instant(0), sent[0].0, &jwt(0, 600, "old"), 600);
    drain(&mut ts, Instant(0));
    assert!(ready(&mut ts, Instant(1)).is_some()); // wanted again
    let mut now = Instant(480 * S);
    let mut attempts = 0;
    while now < Instant(600 * S) {
        let deadline = loop {
            let (sent, _, deadline) = drain(&mut ts, now);
            if sent.is_empty() {
                break deadline;
            }
            for (id, _) in sent {
                attempts += 1;
                ts.handle_input(now, TokenInput::Failed { id });
            }
        };
        assert_eq!(ready(&mut ts, now), Some(jwt(0, 600, "old")), "at {now}");
        now = deadline.unwrap().max(now + ms(1));
    }
    assert!(attempts >= 5, "retried with backoff, {attempts} attempts");
    assert!(
        ready(&mut ts, Instant(600 * S)).is_none(),
        "expired: no longer served"
    );
}

#[test]
fn retry_after_is_honoured() {
    let mut ts = TokenSource::new(TokenConfig::default().seed(1)).unwrap();
    ts.demand(Instant(0), &key());
    let (sent, _, _) = drain(&mut ts, Instant(0));
    let body = br#"{"kind":"Status","status":"Failure","message":"too many requests","reason":"TooManyRequests","code":429,"details":{"retryAfterSeconds":5}}"#;
    ts.handle_input(
        Instant(0),
        TokenInput::Response {
            id: sent[0].0,
            status: 429,
            retry_after: Some("5"),
            body,
        },
    );
    assert!(ts.slots[&key()].retry_at.unwrap() >= Instant(5 * S));
}

#[test]
fn stale_and_forgotten_answers_are_ignored() {
    let mut ts = TokenSource::new(TokenConfig::default().seed(1)).unwrap();
    ts.demand(Instant(0), &key());
    let (sent, _, _) = drain(&mut ts, Instant(0));
    ok(&mut ts, Instant(0), RequestId(99), &jwt(0, 600, "x"), 600);
    assert!(ts.peek(Instant(0), &key()).is_none(), "unknown id");
    ts.remove(&key());
    ok(&mut ts, Instant(0), sent[0].0, &jwt(0, 600, "x"), 600);
    assert!(ts.is_empty());
    let (_, out, _) = drain(&mut ts, Instant(0));
    assert!(out.is_empty());
}

#[test]
fn the_lifetime_comes_from_the_token_and_the_real_answer_reads() {
    // tokenrequest-create from a real API server: exp - iat = 3600, and
    // expirationTimestamp is the same instant as `exp`.
    let real = include_str!("../../../../../tests/data/real-apiserver/tokenrequest-create.json");
    let (token, ttl_ms, unix) = read_answer(real.as_bytes(), 600).unwrap();
    assert_eq!(ttl_ms, 3600 * S);
    assert_eq!(unix, Some(1_795_308_529));
    assert!(token.expose().starts_with("eyJ"));
    // A server granting less than asked: the token's own exp - iat wins.
    let (_, ttl_ms, _) = read_answer(&answer(&jwt(100, 900, "t"), 3600), 3600).unwrap();
    assert_eq!(ttl_ms, 900 * S);
    // Not a JWT: the granted expirationSeconds.
    let (_, ttl_ms, _) = read_answer(&answer("opaque", 1200), 3600).unwrap();
    assert_eq!(ttl_ms, 1200 * S);
}

#[test]
fn tokens_appear_in_no_debug_output_and_no_error() {
    let secret = "eyJzZWNyZXQtdG9rZW4tYnl0ZXMifQ";
    let mut ts = TokenSource::new(TokenConfig::default().seed(1)).unwrap();
    ts.demand(Instant(0), &key());
    let (sent, _, _) = drain(&mut ts, Instant(0));
    ok(&mut ts, Instant(0), sent[0].0, secret, 3600);
    let (_, out, _) = drain(&mut ts, Instant(0));
    let demanded = format!("{:?}", ts.demand(Instant(1), &key()));
    assert!(demanded.starts_with("Ready"), "{demanded}");
    let shown = format!("{ts:?} {out:?} {demanded}");
    assert!(!shown.contains(secret), "{shown}");
    // A malformed answer's error does not quote it either.
    for body in [
        format!(r#"{{"status":{{"token":"{secret}","expirationTimestamp":7}}}}"#),
        format!(r#"{{"status":{{"token":["{secret}"]}}}}"#),
        String::from(secret),
    ] {
        let e = read_answer(body.as_bytes(), 600).map(|_| ()).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn rfc3339_times_read_as_unix_seconds() {
    assert_eq!(unix_seconds("2026-11-22T00:48:49Z"), Some(1_795_308_529));
    assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(
        unix_seconds("2026-11-22T01:48:49.123+01:00"),
        Some(1_795_308_529)
    );
    assert_eq!(unix_seconds("2000-02-29T12:00:00Z"), Some(951_825_600));
    for bad in [
        "",
        "2026-11-22",
        "2026-13-01T00:00:00Z",
        "2026-11-22T00:48:49",
        "2026-11-22T00:48:49.Z",
        "2026-11-22T00:48:49+0100",
    ] {
        assert_eq!(unix_seconds(bad), None, "{bad}");
    }
}

#[test]
fn a_source_without_a_seed_is_refused() {
    assert_eq!(
        TokenSource::new(TokenConfig::default()).err(),
        Some(crate::listwatch::ConfigError::NoSeed)
    );
}
