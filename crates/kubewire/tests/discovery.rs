//! The discovery machine on kube-apiserver v1.36's own documents: the
//! aggregated walk, the legacy walk of a server without it (answers in any
//! order, a group that fails), and the errors that end it.

use std::path::Path;

use kubewire::discovery::{Discovery, DiscoveryError, Poll, RequestId};
use kubewire::{Request, RestMapper};

fn capture(name: &str) -> Option<Vec<u8>> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/real-apiserver")
            .join(name),
    )
    .ok()
}

/// Everything the machine asks for until it waits or is done.
fn sends(d: &mut Discovery) -> Vec<(RequestId, Request)> {
    let mut out = Vec::new();
    while let Poll::Send(id, req) = d.poll() {
        out.push((id, req));
    }
    out
}

#[test]
fn aggregated_discovery_is_two_requests() {
    let mut d = Discovery::new();
    let round = sends(&mut d);
    let paths: Vec<&str> = round
        .iter()
        .map(|(_, r)| r.path_and_query.as_str())
        .collect();
    assert_eq!(paths, ["/api", "/apis"]);
    assert!(round.iter().all(|(_, r)| r
        .header("accept")
        .is_some_and(|a| a.starts_with("application/json;g=apidiscovery.k8s.io;v=v2"))));
    assert!(matches!(d.poll(), Poll::Wait));
    // Answers in reverse order: the mapper keeps discovery's order.
    let groups = capture("discovery-v2-apis.json").unwrap();
    let core = capture("discovery-v2-api.json").unwrap();
    d.handle(round[1].0, 200, &groups).unwrap();
    assert!(matches!(d.poll(), Poll::Wait));
    d.handle(round[0].0, 200, &core).unwrap();
    assert!(matches!(d.poll(), Poll::Done));
    let docs: Vec<(String, Vec<u8>)> = d
        .documents()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect();
    assert!(d.failures().is_empty());
    let mapper = d.into_mapper();
    let mut direct = RestMapper::default();
    direct.add_aggregated(&core).unwrap();
    direct.add_aggregated(&groups).unwrap();
    assert_eq!(mapper, direct);
    assert_eq!(mapper.find("events").unwrap().resource.group, "");
    assert_eq!(
        docs.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["/api", "/apis"]
    );
    // What a host caches rebuilds the same mapper.
    let cached = RestMapper::from_documents(docs.iter().map(|(_, b)| b.as_slice())).unwrap();
    assert_eq!(cached, mapper);
}

#[test]
fn a_server_without_aggregated_discovery_gets_the_legacy_walk() {
    let mut d = Discovery::new();
    let roots = sends(&mut d);
    // The same two requests get the plain documents from such a server.
    d.handle(roots[0].0, 200, &capture("discovery-api.json").unwrap())
        .unwrap();
    d.handle(roots[1].0, 200, &capture("discovery-apis.json").unwrap())
        .unwrap();
    let lists = sends(&mut d);
    let paths: Vec<&str> = lists
        .iter()
        .map(|(_, r)| r.path_and_query.as_str())
        .collect();
    assert_eq!(paths.len(), 21, "{paths:?}");
    assert_eq!(
        paths[..4],
        [
            "/api/v1",
            "/apis/apiregistration.k8s.io/v1",
            "/apis/apps/v1",
            "/apis/events.k8s.io/v1"
        ]
    );
    assert!(
        paths.contains(&"/apis/autoscaling/v2"),
        "the preferred version"
    );
    assert!(lists
        .iter()
        .all(|(_, r)| r.header("accept") == Some("application/json")));
    // Answer in reverse; groups without a capture answer as an aggregated
    // API server that is down does.
    for (id, req) in lists.iter().rev() {
        let file = match req.path_and_query.strip_prefix("/apis/") {
            None => "discovery-api-v1.json".to_string(),
            Some(gv) => format!("discovery-apis-{}.json", gv.replace('/', "-")),
        };
        match capture(&file) {
            Some(body) => d.handle(*id, 200, &body).unwrap(),
            None => d.handle(*id, 503, b"service unavailable").unwrap(),
        }
        assert_eq!(matches!(d.poll(), Poll::Done), id == &lists[0].0);
    }
    let failed: Vec<String> = d
        .failures()
        .iter()
        .map(|f| match f {
            DiscoveryError::Api { path, status } => format!("{path} {}", status.code),
            other => panic!("{other}"),
        })
        .collect();
    assert!(
        failed.contains(&"/apis/apiregistration.k8s.io/v1 503".to_string()),
        "{failed:?}"
    );
    assert_eq!(failed.len(), 21 - 14);
    let mapper = d.into_mapper();
    assert_eq!(mapper.find("cm").unwrap().resource.plural, "configmaps");
    assert_eq!(mapper.find("deploy").unwrap().resource.group, "apps");
    assert_eq!(mapper.find("hpa").unwrap().resource.version, "v2");
    assert!(mapper
        .find("pods")
        .unwrap()
        .subresources
        .iter()
        .any(|s| s == "log"));
    // Core first even though its answer came last.
    assert_eq!(mapper.resources[0].resource.group, "");
    assert_eq!(mapper.find("events").unwrap().resource.group, "");
}

#[test]
fn roots_that_fail_end_discovery_and_stale_answers_are_ignored() {
    let mut d = Discovery::new();
    let roots = sends(&mut d);
    let denied = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden","reason":"Forbidden","code":403}"#;
    match d.handle(roots[1].0, 403, denied) {
        Err(DiscoveryError::Api { path, status }) => {
            assert_eq!((path.as_str(), status.code), ("/apis", 403));
        }
        other => panic!("{other:?}"),
    }
    let mut d = Discovery::new();
    let roots = sends(&mut d);
    assert!(matches!(
        d.handle(roots[0].0, 200, b"<html>not discovery</html>"),
        Ok(())
    ));
    match d.handle(roots[1].0, 200, &capture("discovery-v2-apis.json").unwrap()) {
        Err(DiscoveryError::Document { path, .. }) => assert_eq!(path, "/api"),
        other => panic!("{other:?}"),
    }
    // A second answer to the same request changes nothing.
    let mut d = Discovery::new();
    let roots = sends(&mut d);
    let core = capture("discovery-v2-api.json").unwrap();
    d.handle(roots[0].0, 200, &core).unwrap();
    d.handle(roots[0].0, 500, b"late").unwrap();
    d.handle(roots[1].0, 200, &capture("discovery-v2-apis.json").unwrap())
        .unwrap();
    assert!(matches!(d.poll(), Poll::Done));
    assert!(d.into_mapper().find("cm").is_ok());
}

#[test]
fn documents_that_are_not_discovery_are_refused_from_a_cache() {
    assert!(RestMapper::from_documents([&b"{\"kind\":\"Status\"}"[..]]).is_err());
    assert!(RestMapper::from_documents([&b"not json"[..]]).is_err());
    assert_eq!(
        RestMapper::from_documents([]).unwrap(),
        RestMapper::default()
    );
}
