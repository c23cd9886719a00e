//! # kubewire-web: the kubewire client in a browser page
//!
//! The transport is the browser's `fetch`; response bodies are read through
//! a `ReadableStream` reader and every chunk goes into kubewire's decoders
//! the moment it arrives, so LIST items and WATCH events reach the page as
//! they stream, and memory is bounded by one object.
//!
//! ## In scope
//!
//! - [`transport`]: the core's `Request` over `fetch`, with a bearer token,
//!   a base URL that may carry a proxy prefix (`kubectl proxy`, or
//!   Headlamp-style `/clusters/NAME`), an `AbortSignal`, and streamed bodies.
//! - A JavaScript/TypeScript API made with wasm-bindgen ([`Client`],
//!   [`WatchHandle`], [`LiveCollection`]): `get`, `list` and `watch`;
//!   `listWatch`, the core's list+watch machine driven over `fetch` and
//!   `setTimeout` with the core's `Store` for the page to query; `create`,
//!   `replace`, `patch` (merge, JSON, strategic, server-side apply) and
//!   `delete`; `discover`, the served kinds a live view can show (the
//!   core's discovery walk), and `toYaml`, the core's kubectl YAML.
//!   Objects are plain JavaScript values and errors rejected
//!   promises carrying the Kubernetes Status.
//!
//! ## Out of scope
//!
//! Kubernetes semantics (they live in the core), kubeconfig files, client
//! certificates and private CAs (a page cannot use them: see the README for
//! the proxy a real cluster needs).
//!
//! ## From JavaScript
//!
//! ```text
//! import init, { Client } from "kubewire-web";
//! await init();
//! const kube = new Client({ server: "http://127.0.0.1:8001", token });
//! const pods = await kube.list("pods", { namespace: "default" });
//! const watch = await kube.watch("pods", { resourceVersion: pods.metadata.resourceVersion },
//!                                e => console.log(e.type, e.object.metadata.name));
//! watch.stop();
//!
//! // Or keep the collection in view: sync, resume, 410 relist and backoff
//! // are the core's; the objects are held for get/list.
//! const live = kube.listWatch("pods", { namespace: "default" }, e => console.log(e.type));
//! live.list({ labelSelector: "app=web" });
//! await kube.patch("configmaps", "app", { data: { mode: "safe" } }, { namespace: "default" });
//! ```

#![no_std]

// The core is no_std; this crate only needs `alloc` for its own strings and
// vectors, everything else is the browser's.
extern crate alloc;

mod client;
mod discover;
pub mod error;
mod listwatch;
mod mux;
mod options;
pub mod transport;
mod watch;

pub use client::Client;
pub use error::Error;
pub use listwatch::LiveCollection;
pub use watch::WatchHandle;

/// `toYaml(object)`: the object as `kubectl get -o yaml` prints it
/// (managedFields hidden), with the core's printer, the one `kw` uses.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = toYaml)]
pub fn to_yaml(
    #[wasm_bindgen(unchecked_param_type = "KubeObject")] object: wasm_bindgen::JsValue,
) -> Result<alloc::string::String, wasm_bindgen::JsValue> {
    discover::to_yaml(&object).map_err(Error::into_js)
}

/// A seed for the core's list+watch jitter from the browser's
/// `crypto.getRandomValues` (in a page or a worker), for
/// [`kubewire::listwatch::Config::seed`]: every open page retries on its
/// own schedule after the API server restarts.
pub fn seed() -> Result<u64, Error> {
    use wasm_bindgen::JsCast;
    let unavailable = || Error::Invalid("crypto.getRandomValues is not available".into());
    let crypto =
        js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).map_err(|_| unavailable())?;
    let get = js_sys::Reflect::get(&crypto, &"getRandomValues".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(unavailable)?;
    let buf = js_sys::Uint8Array::new_with_length(8);
    get.call1(&crypto, &buf).map_err(Error::from_js)?;
    let mut bytes = [0u8; 8];
    buf.copy_to(&mut bytes);
    Ok(u64::from_le_bytes(bytes))
}

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Where to send requests. */
export interface ClientOptions {
  /** Base URL, possibly with a proxy prefix: "http://127.0.0.1:8001", "/clusters/prod", or "" for the page's origin. */
  server: string;
  /** Bearer token for the Authorization header. */
  token?: string;
  /** fetch's cookie mode; "include" for a proxy that authenticates with a session cookie. */
  credentials?: "omit" | "same-origin" | "include";
  /**
   * For a kw proxy base URL (".../clusters/NAME"): carry GETs (lists, watches) over the proxy's
   * multiplexed stream, one connection for every watch (default true; probed once, plain fetches
   * when the server is not a kw proxy).
   */
  mux?: boolean;
}

/** A built-in resource name ("pods", "cm", "deployments", ...) or any resource by group/version/plural. */
export type Resource =
  | string
  | { group?: string; version: string; plural: string; kind?: string; namespaced?: boolean };

/** A kind discovery found: a Resource for every other call, with what discovery says of it. */
export interface DiscoveredResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  singular: string;
  shortNames: string[];
  verbs: string[];
  categories: string[];
}

/** Options every call takes. */
export interface CallOptions {
  /** The namespace; absent or "" means every namespace. */
  namespace?: string;
  /** Stops the call. */
  signal?: AbortSignal;
}

export interface GetOptions extends CallOptions {}

export interface ListOptions extends CallOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "NotOlderThan" | "Exact";
  timeoutSeconds?: number;
  /** Receive items one by one as they stream in; the result's items stay empty. */
  onItem?: (item: KubeObject) => void;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Resume after this resourceVersion (a list's metadata.resourceVersion). */
  resourceVersion?: string;
  timeoutSeconds?: number;
  /** Ask for BOOKMARK events. */
  bookmarks?: boolean;
  /** A watch-list: the current state as ADDED events, then a BOOKMARK with initialEventsEnd. */
  sendInitialEvents?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ObjectList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

/** The API server's error object. */
export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  status?: string;
  message?: string;
  reason?: string;
  code: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    retryAfterSeconds?: number;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** The calls without options (merged into the class's declaration). */
export interface Client {
  get(resource: Resource, name: string): Promise<KubeObject>;
  list(resource: Resource): Promise<ObjectList>;
  listWatch(resource: Resource): LiveCollection;
  listWatch(resource: Resource, options: ListWatchOptions): LiveCollection;
  create(resource: Resource, object: object): Promise<KubeObject>;
  replace(resource: Resource, name: string, object: object): Promise<KubeObject>;
  patch(resource: Resource, name: string, patch: object | string): Promise<KubeObject>;
  delete(resource: Resource, name: string): Promise<KubeObject | KubeStatus>;
}

/** The query without options: every object held. */
export interface LiveCollection {
  list(): KubeObject[];
}

/** What listWatch keeps in view, and how. */
export interface ListWatchOptions {
  /** The namespace; absent or "" means every namespace. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page the fallback LIST by this many items. */
  pageSize?: number;
  /** Try a streaming watch-list first (default true); the machine falls back to LIST + WATCH by itself. */
  watchList?: boolean;
  /** Stops the collection, as stop() does. */
  signal?: AbortSignal;
}

/** A query of the objects a LiveCollection holds. */
export interface StoreQuery {
  namespace?: string;
  labelSelector?: string;
}

/**
 * The list+watch machine's events, in kube-runtime's watcher vocabulary:
 * Init starts a listing, InitApply is each of its objects (changed or not), InitDelete an
 * object deleted while the watch was away (only in a relist), InitDone ends it; then Apply
 * (created or changed), Delete (its last state), Bookmark. Error: a problem the machine
 * recovers from by itself (the collection goes on).
 */
export type ListWatchEvent =
  | { type: "Init" }
  | { type: "InitApply" | "Apply" | "Delete"; object: KubeObject }
  | { type: "InitDelete"; object: KubeObject; resourceVersion: string }
  | { type: "InitDone" | "Bookmark"; resourceVersion: string }
  | { type: "Error"; error: KubeError };

/** Options of create and replace. */
export interface WriteOptions extends CallOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: "Strict" | "Warn" | "Ignore";
}

export interface PatchOptions extends WriteOptions {
  /** "merge" (RFC 7386, the default), "json" (RFC 6902 operations), "strategic", or "apply" (server-side apply: needs fieldManager). */
  type?: "merge" | "json" | "strategic" | "apply";
  /** Server-side apply: take over fields other managers own. */
  force?: boolean;
}

export interface DeleteOptions extends CallOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type WatchEvent =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubeObject }
  | { type: "BOOKMARK"; object: KubeObject; resourceVersion: string; initialEventsEnd: boolean }
  | { type: "ERROR"; object: unknown; status: KubeStatus };

/**
 * What every rejected promise carries. kind: "api" (the server's Status is in status),
 * "network" (unreachable, refused, untrusted certificate or blocked by CORS: browsers do
 * not tell these apart), "invalid" (bad URL or option), "decode", "aborted".
 */
export interface KubeError extends Error {
  name: "KubeError";
  kind: "api" | "network" | "invalid" | "decode" | "aborted";
  code?: number;
  reason?: string;
  status?: KubeStatus;
}
"#;
