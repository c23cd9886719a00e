//! The JavaScript API: `new Client({server, token})`, then `get`, `list`
//! and `watch`. Every call returns a promise that rejects with a `KubeError`
//! (see [`Error::into_js`]).

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::{String, ToString};

use js_sys::{Array, Function, Object, Promise};
use kubewire::{DecodeError, GetParams, ListDecoder, ResponseError, WholeBody};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortController;

use crate::error::{set, Error};
use crate::listwatch::LiveCollection;
use crate::mux::Link;
use crate::options;
use crate::transport::{read_whole, status_of, Body, Credentials, Endpoint};
use crate::watch::WatchHandle;

/// A client for one API server (or one proxy prefix in front of one).
#[wasm_bindgen]
pub struct Client {
    endpoint: Rc<Endpoint>,
}

/// JSON text into a JavaScript value. The decoders hand out raw bytes, and
/// the browser's own `JSON.parse` is both the smallest and the fastest way
/// to build objects for the page. `Err` holds `JSON.parse`'s own message.
fn json(raw: &[u8]) -> Result<JsValue, String> {
    let text = core::str::from_utf8(raw).map_err(|e| e.to_string())?;
    js_sys::JSON::parse(text).map_err(|e| crate::transport::describe(&e))
}

/// An object of a streamed body (a LIST item, a watch event's object) that
/// starts at `offset` in the body.
pub(crate) fn parse_at(raw: &[u8], offset: u64) -> Result<JsValue, Error> {
    json(raw).map_err(|message| Error::Decode(DecodeError::Deserialize { offset, message }))
}

/// A body read whole: a success's JSON, or the server's Status.
fn parse_whole(whole: WholeBody) -> Result<JsValue, Error> {
    let code = whole.code();
    let bytes = whole.bytes()?;
    json(&bytes)
        .map_err(|message| Error::Response(Box::new(ResponseError::Decode { code, message })))
}

fn promise(f: impl core::future::Future<Output = Result<JsValue, Error>> + 'static) -> Promise {
    future_to_promise(async move { f.await.map_err(Error::into_js) })
}

#[wasm_bindgen]
impl Client {
    /// A client for `options.server`: a base URL that may end in a proxy
    /// prefix (`http://127.0.0.1:8001`, `/clusters/prod`). `options.token`
    /// is sent as a bearer token; `options.credentials` is fetch's cookie
    /// mode (`"omit"`, `"same-origin"`, `"include"`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<Client, JsValue> {
        let read = || -> Result<Endpoint, Error> {
            let base = options::string_option(&options, "server")?.ok_or_else(|| {
                Error::Invalid("options.server is required (\"\" for the page's own origin)".into())
            })?;
            let credentials = match options::string_option(&options, "credentials")?.as_deref() {
                None | Some("same-origin") => Credentials::SameOrigin,
                Some("omit") => Credentials::Omit,
                Some("include") => Credentials::Include,
                Some(other) => {
                    return Err(Error::Invalid(alloc::format!(
                        "unknown credentials mode {other:?}"
                    )))
                }
            };
            let token = options::string_option(&options, "token")?.filter(|t| !t.is_empty());
            let mux = match options::flag_option(&options, "mux")? {
                Some(false) => None,
                _ => Link::for_base(&base, credentials),
            };
            Ok(Endpoint {
                base,
                token,
                credentials,
                mux,
            })
        };
        let endpoint = read().map_err(Error::into_js)?;
        Ok(Client {
            endpoint: Rc::new(endpoint),
        })
    }

    /// A client for context `name` of the same proxy (the base URL with
    /// its `/clusters/NAME` replaced), with the same token and sharing the
    /// proxy's multiplexed stream: every context's watches on one
    /// connection.
    pub fn cluster(&self, name: &str) -> Result<Client, JsValue> {
        let e = &self.endpoint;
        let Some(link) = &e.mux else {
            return Err(Error::Invalid(
                "cluster() needs a kw proxy base URL (.../clusters/NAME)".into(),
            )
            .into_js());
        };
        if name.is_empty() || name.contains(['/', '?', '#']) {
            return Err(Error::Invalid(alloc::format!("invalid context name {name:?}")).into_js());
        }
        let mut base = String::from(link.root());
        base.push_str("/clusters/");
        base.push_str(name);
        Ok(Client {
            endpoint: Rc::new(Endpoint {
                base,
                token: e.token.clone(),
                credentials: e.credentials,
                mux: Some(link.clone()),
            }),
        })
    }

    /// The base URL requests go to.
    #[wasm_bindgen(getter)]
    pub fn server(&self) -> String {
        self.endpoint.base.clone()
    }

    /// Discovery (aggregated, or the legacy walk on older servers): every
    /// kind the server serves that can be listed and watched, once per
    /// group in its preferred version, core first, as `Resource`s the
    /// other calls take (CRDs and aggregated APIs included).
    #[wasm_bindgen(unchecked_return_type = "Promise<DiscoveredResource[]>")]
    pub fn discover(&self) -> Promise {
        let endpoint = self.endpoint.clone();
        promise(async move {
            let mapper = crate::discover::mapper(&endpoint).await?;
            Ok(crate::discover::kinds(&mapper).into())
        })
    }

    /// GET one object: `get("configmaps", "app-config", {namespace: "demo"})`.
    #[wasm_bindgen(unchecked_return_type = "Promise<KubeObject>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Resource")] resource: JsValue,
        name: String,
        #[wasm_bindgen(unchecked_param_type = "GetOptions")] opts: Option<Object>,
    ) -> Promise {
        let endpoint = self.endpoint.clone();
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        promise(async move {
            let r = options::resource(&resource)?;
            let req = options::collection(&r, &opts)?.get(&name, &GetParams::default())?;
            let signal = options::signal(&opts)?;
            let resp = endpoint.send(&req, signal.as_ref()).await?;
            parse_whole(read_whole(&resp).await?)
        })
    }

    /// LIST a collection, decoding items one by one as the body streams in.
    /// Resolves to `{apiVersion, kind, metadata, items}`; with
    /// `opts.onItem`, each item goes to the callback as it arrives instead
    /// and `items` stays empty, so memory holds one item at a time.
    #[wasm_bindgen(unchecked_return_type = "Promise<ObjectList>")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Resource")] resource: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ListOptions")] opts: Option<Object>,
    ) -> Promise {
        let endpoint = self.endpoint.clone();
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        promise(async move {
            let r = options::resource(&resource)?;
            let req = options::collection(&r, &opts)?.list(&options::list_params(&opts)?)?;
            let on_item = options::callback(&opts, "onItem")?;
            let signal = options::signal(&opts)?;
            let resp = endpoint.send(&req, signal.as_ref()).await?;
            if !resp.ok() {
                return Err(Error::Api(Box::new(status_of(&resp).await?)));
            }
            read_list(Body::new(&resp), on_item).await
        })
    }

    /// WATCH a collection. Resolves to a [`WatchHandle`] once the server
    /// has accepted the watch (an error answer rejects with its Status);
    /// then `onEvent` gets `{type, object}` for every event as it arrives
    /// (`BOOKMARK` also has `resourceVersion`, `ERROR` has `status`).
    #[wasm_bindgen(unchecked_return_type = "Promise<WatchHandle>")]
    pub fn watch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Resource")] resource: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WatchOptions")] opts: Option<Object>,
        #[wasm_bindgen(
            js_name = "onEvent",
            unchecked_param_type = "(event: WatchEvent) => void"
        )]
        on_event: Function,
    ) -> Promise {
        let endpoint = self.endpoint.clone();
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        promise(async move {
            let r = options::resource(&resource)?;
            let req = options::collection(&r, &opts)?.watch(&options::watch_params(&opts)?)?;
            let controller = AbortController::new().map_err(Error::from_js)?;
            let resp = endpoint.send(&req, Some(&controller.signal())).await?;
            if !resp.ok() {
                return Err(Error::Api(Box::new(status_of(&resp).await?)));
            }
            Ok(WatchHandle::start(controller, Body::new(&resp), on_event).into())
        })
    }

    /// Keep a collection in view with the core's list+watch machine:
    /// a watch-list (or LIST, then WATCH) to sync, resumed from the newest
    /// resourceVersion when a watch ends, a relist on 410 Gone that reports
    /// the objects deleted meanwhile (`InitDelete`), retries with
    /// client-go's backoff. `onEvent` gets every event in the machine's
    /// order (`Init`, `InitApply` for each object of a listing, `InitDone`,
    /// then `Apply`, `Delete`, `Bookmark`); problems the machine recovers
    /// from come as `{type: "Error", error}` and the collection goes on.
    /// The returned [`LiveCollection`] holds the objects (`get`, `list`)
    /// until `stop()` or `options.signal` ends it.
    #[wasm_bindgen(js_name = listWatch)]
    pub fn list_watch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Resource")] resource: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ListWatchOptions")] opts: Option<Object>,
        #[wasm_bindgen(
            js_name = "onEvent",
            unchecked_param_type = "(event: ListWatchEvent) => void"
        )]
        on_event: Option<Function>,
    ) -> Result<LiveCollection, JsValue> {
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        crate::listwatch::start(self.endpoint.clone(), &resource, &opts, on_event)
            .map_err(Error::into_js)
    }

    /// CREATE `object` (POST); its namespace is `opts.namespace` or its own
    /// `metadata.namespace`. Resolves to the object the server stored.
    #[wasm_bindgen(unchecked_return_type = "Promise<KubeObject>")]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Resource")] resource: JsValue,
        #[wasm_bindgen(unchecked_param_type = "object")] object: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WriteOptions")] opts: Option<Object>,
    ) -> Promise {
        let endpoint = self.endpoint.clone();
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        promise(async move {
            let r = options::resource(&resource)?;
            let c = options::write_collection(&r, &opts, &object)?;
            let req = c.create(&options::post_params(&opts)?, &options::body(&object)?)?;
            call(&endpoint, &req, &opts).await
        })
    }

    /// REPLACE object `name` (PUT) with `object`; a `metadata.resourceVersion`
    /// in it makes the write conditional (409 Conflict if it changed).
    #[wasm_bindgen(unchecked_return_type = "Promise<KubeObject>")]
    pub fn replace(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Resource")] resource: JsValue,
        name: String,
        #[wasm_bindgen(unchecked_param_type = "object")] object: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WriteOptions")] opts: Option<Object>,
    ) -> Promise {
        let endpoint = self.endpoint.clone();
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        promise(async move {
            let r = options::resource(&resource)?;
            let c = options::write_collection(&r, &opts, &object)?;
            let req = c.replace(
                &name,
                &options::post_params(&opts)?,
                &options::body(&object)?,
            )?;
            call(&endpoint, &req, &opts).await
        })
    }

    /// PATCH object `name`: `opts.type` is `"merge"` (the default),
    /// `"json"` (a list of operations), `"strategic"` or `"apply"`
    /// (server-side apply: `opts.fieldManager` is required, `opts.force`
    /// takes over fields others own). Resolves to the patched object.
    #[wasm_bindgen(unchecked_return_type = "Promise<KubeObject>")]
    pub fn patch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Resource")] resource: JsValue,
        name: String,
        #[wasm_bindgen(unchecked_param_type = "object | string")] patch: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PatchOptions")] opts: Option<Object>,
    ) -> Promise {
        let endpoint = self.endpoint.clone();
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        promise(async move {
            let r = options::resource(&resource)?;
            let c = options::write_collection(&r, &opts, &patch)?;
            let (params, body) = options::patch(&opts, options::body(&patch)?)?;
            let req = c.patch(&name, &params, &body)?;
            call(&endpoint, &req, &opts).await
        })
    }

    /// DELETE object `name`. Resolves to what the server answers: the
    /// object while finalizers hold it, else a `Success` Status (or the
    /// deleted object, for some resources).
    #[wasm_bindgen(unchecked_return_type = "Promise<KubeObject | KubeStatus>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Resource")] resource: JsValue,
        name: String,
        #[wasm_bindgen(unchecked_param_type = "DeleteOptions")] opts: Option<Object>,
    ) -> Promise {
        let endpoint = self.endpoint.clone();
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        promise(async move {
            let r = options::resource(&resource)?;
            let req =
                options::collection(&r, &opts)?.delete(&name, &options::delete_params(&opts)?)?;
            call(&endpoint, &req, &opts).await
        })
    }
}

/// Send a request whose answer is read whole: the object, or a rejection
/// with the server's Status.
async fn call(
    endpoint: &Endpoint,
    req: &kubewire::Request,
    opts: &JsValue,
) -> Result<JsValue, Error> {
    let signal = options::signal(opts)?;
    let resp = endpoint.send(req, signal.as_ref()).await?;
    parse_whole(read_whole(&resp).await?)
}

/// The drive loop of a LIST: every chunk goes into the decoder as it
/// arrives, and every complete item comes out before the next read.
async fn read_list(mut body: Body, on_item: Option<Function>) -> Result<JsValue, Error> {
    let mut decoder = ListDecoder::new();
    let items = Array::new();
    loop {
        while let Some(item) = decoder.next_item()? {
            let value = parse_at(item.raw(), item.offset())?;
            match &on_item {
                Some(f) => {
                    f.call1(&JsValue::NULL, &value).map_err(Error::Js)?;
                }
                None => {
                    items.push(&value);
                }
            }
        }
        match body.next().await? {
            Some(chunk) => decoder.feed(&chunk),
            None => break,
        }
    }
    decoder.finish()?;
    let out = Object::new();
    set(
        &out,
        "apiVersion",
        &decoder.api_version().unwrap_or("v1").into(),
    );
    set(&out, "kind", &decoder.kind().unwrap_or("List").into());
    let metadata = Object::new();
    if let Some(meta) = decoder.metadata() {
        if let Some(rv) = &meta.resource_version {
            set(&metadata, "resourceVersion", &rv.into());
        }
        if let Some(token) = meta.continue_token.as_deref().filter(|t| !t.is_empty()) {
            set(&metadata, "continue", &token.into());
        }
        if let Some(n) = meta.remaining_item_count {
            set(&metadata, "remainingItemCount", &(n as f64).into());
        }
    }
    set(&out, "metadata", &metadata);
    set(&out, "items", &items);
    Ok(out.into())
}
