//! What each path answers, with kubewire doing the Kubernetes part.

use std::collections::BTreeMap;

use kubewire::{known, AuthPlan, GetParams, ListParams, Secret, WatchEvent, WatchParams};
use kubewire_wasi::{Client, Error};

use crate::Response;

/// The fields of a ConfigMap this proxy shows.
#[derive(serde::Deserialize)]
struct ConfigMap {
    metadata: Meta,
    #[serde(default)]
    data: BTreeMap<String, String>,
}

#[derive(serde::Deserialize)]
struct Meta {
    name: String,
}

pub(crate) fn serve(path_and_query: &str, resp: Response) {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let client = match client() {
        Ok(c) => c,
        Err(e) => return resp.send(500, &e),
    };
    let watch = query.split('&').find_map(|kv| kv.strip_prefix("watch="));
    match (parts.as_slice(), watch) {
        (["configmaps", ns], None) => names(&client, ns, resp),
        (["configmaps", ns, name], None) => keys(&client, ns, name, resp),
        (["configmaps", ns, name], Some(seconds)) => match seconds.parse() {
            Ok(seconds) => changes(&client, ns, name, seconds, resp),
            Err(_) => resp.send(400, "watch= takes a number of seconds"),
        },
        _ => resp.send(
            404,
            "try /configmaps/NAMESPACE or /configmaps/NAMESPACE/NAME[?watch=SECONDS]",
        ),
    }
}

fn client() -> Result<Client, String> {
    let env: BTreeMap<String, String> = wasi::cli::environment::get_environment()
        .into_iter()
        .collect();
    let server = env
        .get("KUBEWIRE_SERVER")
        .ok_or("set KUBEWIRE_SERVER to the API server's URL")?;
    let auth = env.get("KUBEWIRE_TOKEN").map_or(AuthPlan::None, |t| {
        AuthPlan::Bearer(Secret::new(t.as_str()))
    });
    Client::new(server, &auth).map_err(|e| e.to_string())
}

/// An error's HTTP code (the API server's own when it answered) and text.
fn fail(resp: Response, e: Error) {
    let code = e.status().map_or(502, |s| s.code);
    resp.send(code, &e.to_string())
}

fn keys(client: &Client, ns: &str, name: &str, resp: Response) {
    let req = match known::config_maps()
        .within(ns)
        .get(name, &GetParams::default())
    {
        Ok(r) => r,
        Err(e) => return resp.send(400, &e.to_string()),
    };
    match client.call::<ConfigMap>(&req) {
        Ok(cm) => resp.send(200, &render(&cm.data, "\n")),
        Err(e) => fail(resp, e),
    }
}

fn names(client: &Client, ns: &str, resp: Response) {
    let req = match known::config_maps().within(ns).list(&ListParams::default()) {
        Ok(r) => r,
        Err(e) => return resp.send(400, &e.to_string()),
    };
    let items = match client.list::<ConfigMap>(&req) {
        Ok(items) => items,
        Err(e) => return fail(resp, e),
    };
    let mut body = resp.start(200);
    for item in items {
        let line = match item {
            Ok(cm) => cm.metadata.name,
            // The status line is gone; say it in the body and stop.
            Err(e) => format!("error: {e}"),
        };
        if !body.line(&line) {
            return;
        }
    }
}

fn changes(client: &Client, ns: &str, name: &str, seconds: u32, resp: Response) {
    let params = WatchParams::default()
        .fields(&format!("metadata.name={name}"))
        .timeout(seconds);
    let req = match known::config_maps().within(ns).watch(&params) {
        Ok(r) => r,
        Err(e) => return resp.send(400, &e.to_string()),
    };
    let events = match client.watch::<ConfigMap>(&req) {
        Ok(events) => events,
        Err(e) => return fail(resp, e),
    };
    let mut body = resp.start(200);
    for event in events {
        let line = match &event {
            Ok(WatchEvent::Added(cm) | WatchEvent::Modified(cm) | WatchEvent::Deleted(cm)) => {
                format!(
                    "{} {}",
                    event.as_ref().map_or("", |e| e.type_name()),
                    render(&cm.data, ",")
                )
            }
            Ok(WatchEvent::Bookmark(_)) => continue,
            Ok(WatchEvent::Error(status)) => format!("ERROR {status}"),
            Err(e) => format!("error: {e}"),
        };
        if !body.line(&line) {
            return;
        }
    }
}

fn render(data: &BTreeMap<String, String>, sep: &str) -> String {
    data.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(sep)
}
