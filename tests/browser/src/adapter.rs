//! The shared conformance suite's [`Adapter`] over kubewire-web in a real
//! Chromium page: each call runs `page/harness.js` over WebDriver, which uses
//! only the package's public JavaScript API.

use std::sync::Arc;

use kubewire::{ApiResource, DeleteParams, Patch, PatchParams};
use kubewire_conformance::{
    Adapter, Event, EventSource, Failure, ListOptions, ListWatchAdapter, ListWatchEvent,
    ListWatchOptions, ListWatchSource, Listed, Target, WatchOptions, WriteAdapter,
};
use serde_json::{json, Value};

use crate::files::Files;
use crate::webdriver::{Browser, Web};

/// Calls `harness.call(fn, args, done)` once the wasm module is loaded.
const CALL: &str = "const [fn, args, done] = arguments; window.harnessReady.then(() => window.harness.call(fn, args, done), e => done({err: {kind: 'js', message: String(e)}}));";

/// kubewire-web, driven in a headless Chromium page.
pub struct BrowserAdapter {
    browser: Arc<Browser>,
}

impl BrowserAdapter {
    /// Start a browser and open the harness page served by `files`.
    pub fn start(files: &Files) -> BrowserAdapter {
        // The shared scenarios start their servers without CORS origins; the
        // page's requests are cross-origin, so CORS is off for this browser
        // (tests/browser/tests/cors.rs covers CORS with it on).
        Self::start_with(files, Web::NoCors)
    }

    /// Start a browser treating CORS as `web` says, on the harness page.
    pub fn start_with(files: &Files, web: Web) -> BrowserAdapter {
        let browser = Browser::start(web);
        browser.open(&format!("{}/harness.html", files.origin()));
        BrowserAdapter {
            browser: Arc::new(browser),
        }
    }

    /// The browser, for checks beyond the scenarios.
    pub fn browser(&self) -> &Browser {
        &self.browser
    }

    async fn call(&self, f: &'static str, args: Value) -> Result<Value, Failure> {
        let browser = self.browser.clone();
        let answer = tokio::task::spawn_blocking(move || browser.run_async(CALL, json!([f, args])))
            .await
            .expect("the WebDriver call");
        match answer.get("err") {
            Some(err) => Err(failure(err)),
            None => Ok(answer["ok"].clone()),
        }
    }
}

/// Classify a `KubeError` as the suite does.
fn failure(err: &Value) -> Failure {
    match err["kind"].as_str() {
        Some("api") => Failure::Api {
            code: err["code"].as_u64().unwrap_or(0) as u16,
            reason: err["reason"].as_str().unwrap_or_default().to_string(),
        },
        Some("invalid") => Failure::Invalid,
        // A browser reports refused connections, untrusted certificates and
        // CORS refusals alike ("Failed to fetch"): all are Connect here.
        Some("network") => Failure::Connect,
        _ => Failure::Other(err["message"].as_str().unwrap_or_default().to_string()),
    }
}

fn target(t: &Target) -> Value {
    json!({"server": t.server, "token": t.token})
}

fn resource(r: &ApiResource) -> Value {
    json!({"group": r.group, "version": r.version, "plural": r.plural, "kind": r.kind, "namespaced": r.is_namespaced()})
}

impl Adapter for BrowserAdapter {
    type Watch = BrowserWatch;

    async fn get(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
    ) -> Result<Value, Failure> {
        self.call("get", json!([target(t), resource(r), ns, name]))
            .await
    }

    async fn list(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListOptions,
    ) -> Result<Listed, Failure> {
        let options = json!({"limit": o.limit, "continue": o.continue_token});
        let v = self
            .call("list", json!([target(t), resource(r), ns, options]))
            .await?;
        let text = |k: &str| v[k].as_str().map(String::from);
        Ok(Listed {
            names: v["names"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|n| n.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default(),
            resource_version: text("resourceVersion"),
            continue_token: text("continue"),
        })
    }

    async fn watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &WatchOptions,
    ) -> Result<BrowserWatch, Failure> {
        let options = json!({"resourceVersion": o.resource_version, "timeoutSeconds": o.timeout_seconds, "bookmarks": o.bookmarks});
        let id = self
            .call("watch", json!([target(t), resource(r), ns, options]))
            .await?;
        Ok(BrowserWatch {
            adapter: BrowserAdapter {
                browser: self.browser.clone(),
            },
            id,
            ended: false,
        })
    }
}

/// A watch open in the page; stopped when dropped.
pub struct BrowserWatch {
    adapter: BrowserAdapter,
    id: Value,
    ended: bool,
}

impl EventSource for BrowserWatch {
    async fn next(&mut self) -> Option<Result<Event, Failure>> {
        if self.ended {
            return None;
        }
        let v = match self.adapter.call("next", json!([self.id])).await {
            Ok(v) => v,
            Err(f) => return Some(Err(f)),
        };
        if v.get("end").is_some() {
            self.ended = true;
            return None;
        }
        if let Some(f) = v.get("failure") {
            self.ended = true;
            return Some(Err(failure(f)));
        }
        let e = &v["event"];
        let object = e["object"].clone();
        Some(Ok(match e["type"].as_str().unwrap_or_default() {
            "ADDED" => Event::Added(object),
            "MODIFIED" => Event::Modified(object),
            "DELETED" => Event::Deleted(object),
            "BOOKMARK" => Event::Bookmark(
                e["resourceVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            "ERROR" => Event::Error {
                code: e["status"]["code"].as_u64().unwrap_or(0) as u16,
                reason: e["status"]["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            },
            other => return Some(Err(Failure::Other(format!("unknown event type {other:?}")))),
        }))
    }
}

impl Drop for BrowserWatch {
    fn drop(&mut self) {
        let browser = self.adapter.browser.clone();
        let id = self.id.clone();
        let stop = move || {
            browser.run_async(CALL, json!(["stop", [id]]));
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(stop)),
            Err(_) => stop(),
        }
    }
}

impl WriteAdapter for BrowserAdapter {
    async fn create(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        self.call("create", json!([target(t), resource(r), ns, object]))
            .await
    }

    async fn replace(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        self.call("replace", json!([target(t), resource(r), ns, name, object]))
            .await
    }

    async fn patch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        patch: &Patch<Value>,
        p: &PatchParams,
    ) -> Result<Value, Failure> {
        let (kind, body) = match patch {
            Patch::Merge(b) => ("merge", b),
            Patch::Json(b) => ("json", b),
            Patch::Strategic(b) => ("strategic", b),
            Patch::Apply(b) => ("apply", b),
        };
        let options = json!({
            "type": kind,
            "fieldManager": p.field_manager,
            "force": p.force,
            "dryRun": p.dry_run,
        });
        self.call(
            "patch",
            json!([target(t), resource(r), ns, name, body, options]),
        )
        .await
    }

    async fn delete(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        p: &DeleteParams,
    ) -> Result<Value, Failure> {
        let mut options = json!({"dryRun": p.dry_run});
        if let Some(pre) = &p.preconditions {
            options["preconditions"] =
                json!({"uid": pre.uid, "resourceVersion": pre.resource_version});
        }
        if let Some(grace) = p.grace_period_seconds {
            options["gracePeriodSeconds"] = json!(grace);
        }
        self.call("delete", json!([target(t), resource(r), ns, name, options]))
            .await
    }
}

impl ListWatchAdapter for BrowserAdapter {
    type ListWatch = BrowserListWatch;

    async fn list_watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListWatchOptions,
    ) -> Result<BrowserListWatch, Failure> {
        let options = json!({
            "labelSelector": o.label_selector,
            "pageSize": o.page_size,
            "watchList": !o.no_watch_list,
        });
        let id = self
            .call("listWatch", json!([target(t), resource(r), ns, options]))
            .await?;
        Ok(BrowserListWatch(BrowserWatch {
            adapter: BrowserAdapter {
                browser: self.browser.clone(),
            },
            id,
            ended: false,
        }))
    }
}

/// `Client.listWatch` running in the page; stopped when dropped.
pub struct BrowserListWatch(BrowserWatch);

impl ListWatchSource for BrowserListWatch {
    async fn next(&mut self) -> Option<Result<ListWatchEvent, Failure>> {
        let w = &mut self.0;
        if w.ended {
            return None;
        }
        let v = match w.adapter.call("next", json!([w.id])).await {
            Ok(v) => v,
            Err(f) => return Some(Err(f)),
        };
        if v.get("end").is_some() {
            w.ended = true;
            return None;
        }
        if let Some(f) = v.get("failure") {
            // An `Error` event: the collection goes on. A rejected
            // `closed`: it stopped.
            if v["goesOn"] != true {
                w.ended = true;
            }
            return Some(Err(failure(f)));
        }
        let e = &v["event"];
        let object = e["object"].clone();
        let rv = e["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Some(Ok(match e["type"].as_str().unwrap_or_default() {
            "Init" => ListWatchEvent::Init,
            "InitApply" => ListWatchEvent::InitApply(object),
            // The page has the last state from the store; the suite wants
            // the name.
            "InitDelete" => match object["metadata"]["name"].as_str() {
                Some(name) => ListWatchEvent::InitDelete(name.into()),
                None => {
                    return Some(Err(Failure::Other(
                        "an InitDelete without the object's last state".into(),
                    )))
                }
            },
            "InitDone" => ListWatchEvent::InitDone(rv),
            "Apply" => ListWatchEvent::Apply(object),
            "Delete" => ListWatchEvent::Delete(object),
            "Bookmark" => ListWatchEvent::Bookmark(rv),
            other => return Some(Err(Failure::Other(format!("unknown event type {other:?}")))),
        }))
    }
}
