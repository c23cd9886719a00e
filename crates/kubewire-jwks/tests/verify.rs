//! JWKS verification of tokens from kubewire-server (ES256) and of RS256
//! tokens as kube-apiserver signs them, with the checks that must refuse.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use kubewire_jwks::{Jwks, VerifyError};
use kubewire_server::tokens::{Bound, ObjectRef, TokenIssuer, TokenSubject, ISSUER};
use serde_json::json;

fn subject() -> TokenSubject {
    TokenSubject {
        namespace: "demo".into(),
        name: "web".into(),
        uid: "u-sa".into(),
    }
}

fn now() -> i64 {
    // The server stamps iat with the wall clock.
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn kubewire_server_tokens_verify_against_its_jwks() {
    let issuer = TokenIssuer::load_or_generate(None).unwrap();
    let bound = Bound {
        pod: Some(ObjectRef {
            name: "web-1".into(),
            uid: "u-pod".into(),
        }),
        ..Bound::default()
    };
    let (token, exp) = issuer.issue(&subject(), &["vault".into()], 600, &bound);
    let jwks = Jwks::from_json(issuer.jwks().to_string().as_bytes(), ISSUER).unwrap();
    assert_eq!(jwks.len(), 1);
    let t = now();
    let c = jwks.verify(&token, &["other", "vault"], t).unwrap();
    assert_eq!(c.service_account(), Some(("demo", "web")));
    assert_eq!(c.kubernetes.unwrap().pod.unwrap().name, "web-1");
    assert_eq!(
        jwks.verify(&token, &["other"], t),
        Err(VerifyError::Audience)
    );
    assert_eq!(
        jwks.verify(&token, &["vault"], exp),
        Err(VerifyError::Expired)
    );
    assert_eq!(
        jwks.verify(&token, &["vault"], t - 3600),
        Err(VerifyError::NotYetValid)
    );
    let wrong_issuer =
        Jwks::from_json(issuer.jwks().to_string().as_bytes(), "https://elsewhere").unwrap();
    assert_eq!(
        wrong_issuer.verify(&token, &["vault"], t),
        Err(VerifyError::Issuer)
    );
    // Another server's key: its kid is not in this set.
    let other = TokenIssuer::load_or_generate(None).unwrap();
    let (foreign, _) = other.issue(&subject(), &["vault".into()], 600, &Bound::default());
    assert!(matches!(
        jwks.verify(&foreign, &["vault"], t),
        Err(VerifyError::UnknownKey(Some(_)))
    ));
    // Claims swapped under a valid signature.
    let (other_claims, _) = issuer.issue(&subject(), &["admin".into()], 600, &Bound::default());
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        other_claims.split('.').nth(1).unwrap(),
        parts[2]
    );
    assert_eq!(
        jwks.verify(&forged, &["admin"], t),
        Err(VerifyError::Signature)
    );
}

#[test]
fn rs256_tokens_as_kube_apiserver_signs_them() {
    let jwks = Jwks::from_json(
        include_bytes!("data/test-rsa-jwks.json"),
        "https://kubernetes.default.svc",
    )
    .unwrap();
    let key = EncodingKey::from_rsa_pem(include_bytes!("data/test-rsa-key.pem")).unwrap();
    // The claims of the real tokenrequest-bound-pod capture.
    let claims = json!({"aud":["https://kubernetes.default.svc"],"exp":1796167529,"iat":1796163929,"iss":"https://kubernetes.default.svc","jti":"58fb4d70-b089-40d4-a110-75081e134e1d","kubernetes.io":{"namespace":"capture","pod":{"name":"bound-pod","uid":"26bc659c-756f-4751-a3df-f03543fc336c"},"serviceaccount":{"name":"reader","uid":"0cfdda85-f2e1-48d0-b43e-927ae6f8355c"}},"nbf":1796163929,"sub":"system:serviceaccount:capture:reader"});
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-rsa".into());
    let token = encode(&header, &claims, &key).unwrap();
    let c = jwks
        .verify(&token, &["https://kubernetes.default.svc"], 1796163930)
        .unwrap();
    assert_eq!(c.service_account(), Some(("capture", "reader")));
    assert_eq!(
        c.jti.as_deref(),
        Some("58fb4d70-b089-40d4-a110-75081e134e1d")
    );
    assert_eq!(
        jwks.verify(&token, &["https://kubernetes.default.svc"], 1796167529),
        Err(VerifyError::Expired)
    );

    // No kid, one key in the set: that key.
    let mut bare = Header::new(Algorithm::RS256);
    bare.kid = None;
    let t = encode(&bare, &claims, &key).unwrap();
    assert!(jwks
        .verify(&t, &["https://kubernetes.default.svc"], 1796163930)
        .is_ok());

    // `alg: none`, and HS256 keyed with the public key's bytes (the
    // classic confusion): refused before any signature math.
    let b64 = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(json!({"alg":"none","kid":"test-rsa"})),
        b64(claims.clone())
    );
    assert!(jwks
        .verify(&none, &["https://kubernetes.default.svc"], 1796163930)
        .is_err());
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some("test-rsa".into());
    let confused = encode(
        &hs,
        &claims,
        &EncodingKey::from_secret(include_bytes!("data/test-rsa-jwks.json")),
    )
    .unwrap();
    assert!(matches!(
        jwks.verify(&confused, &["https://kubernetes.default.svc"], 1796163930),
        Err(VerifyError::Algorithm(_))
    ));
    // An ES256 header naming the RSA key.
    let es = format!(
        "{}.{}.c2ln",
        b64(json!({"alg":"ES256","kid":"test-rsa"})),
        b64(claims)
    );
    assert!(matches!(
        jwks.verify(&es, &["https://kubernetes.default.svc"], 1796163930),
        Err(VerifyError::Algorithm(_))
    ));
}

#[test]
fn symmetric_keys_are_left_out_and_errors_do_not_quote_the_token() {
    let doc = br#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#;
    let jwks = Jwks::from_json(doc, ISSUER).unwrap();
    assert!(jwks.is_empty());
    let hs = encode(
        &Header {
            kid: Some("h".into()),
            ..Header::new(Algorithm::HS256)
        },
        &json!({"iss": ISSUER, "aud": "a", "exp": i64::MAX, "sub": "system:serviceaccount:a:b"}),
        &EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    let e = jwks.verify(&hs, &["a"], 0).unwrap_err();
    assert!(matches!(e, VerifyError::Algorithm(_)), "{e:?}");
    for bad in ["", "garbage", "a.b.c", &hs] {
        let e = jwks.verify(bad, &["a"], 0).unwrap_err();
        let shown = format!("{e} {e:?} {jwks:?}");
        assert!(bad.len() < 6 || !shown.contains(bad), "{shown}");
    }
    assert!(matches!(
        Jwks::from_json(b"{\"keys\": 7}", ISSUER),
        Err(kubewire_jwks::JwksError::Json { .. })
    ));
}
