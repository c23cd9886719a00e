// @ts-check
// The page side of the conformance bridge: the Rust test calls these over
// WebDriver (execute/async) and compares what comes back with the native
// adapter's transcript. Only kubewire-web's public API is used.
import init, { Client } from "/pkg/kubewire_web.js";

/** @typedef {{server: string, token?: string}} Target */

/** Errors in the shape the Rust side classifies (err.kind, err.code, err.reason). */
function failure(e) {
  return { kind: e?.kind ?? "js", code: e?.code ?? null, reason: e?.reason ?? null, message: String(e) };
}

/** @type {Map<number, {queue: any[], waiters: ((v: any) => void)[], handle: any}>} */
const watches = new Map();
let nextId = 1;

function push(w, item) {
  const waiter = w.waiters.shift();
  if (waiter) waiter(item);
  else w.queue.push(item);
}

const harness = {
  async get(/** @type {Target} */ t, resource, namespace, name) {
    return new Client(t).get(resource, name, { namespace });
  },

  // Only names go back to the test: 10,000 whole objects would make the
  // WebDriver answer, not the adapter, the slow part.
  async list(/** @type {Target} */ t, resource, namespace, options) {
    const names = [];
    const listed = await new Client(t).list(resource, {
      namespace,
      ...options,
      onItem: (item) => names.push(item.metadata.name ?? ""),
    });
    return { names, resourceVersion: listed.metadata.resourceVersion ?? null, continue: listed.metadata.continue ?? null };
  },

  async watch(/** @type {Target} */ t, resource, namespace, options) {
    const id = nextId++;
    const w = { queue: [], waiters: [], handle: null };
    watches.set(id, w);
    try {
      w.handle = await new Client(t).watch(resource, { namespace, ...options }, (event) =>
        push(w, { event: { type: event.type, object: event.object, resourceVersion: event.resourceVersion ?? null, status: event.status ?? null } }));
    } catch (e) {
      watches.delete(id);
      throw e;
    }
    w.handle.closed.then(() => push(w, { end: true }), (e) => push(w, { failure: failure(e) }));
    return id;
  },

  /** The next event of watch `id`, waiting for it: {event} | {end} | {failure}. */
  next(id) {
    const w = watches.get(id);
    if (!w) return Promise.resolve({ end: true });
    if (w.queue.length > 0) return Promise.resolve(w.queue.shift());
    return new Promise((resolve) => w.waiters.push(resolve));
  },

  /** Start `Client.listWatch`; its events are read with `next(id)`. */
  listWatch(/** @type {Target} */ t, resource, namespace, options) {
    const id = nextId++;
    const w = { queue: [], waiters: [], handle: null };
    watches.set(id, w);
    try {
      w.handle = new Client(t).listWatch(resource, { namespace, ...options }, (event) => {
        if (event.type === "Error") push(w, { failure: failure(event.error), goesOn: true });
        else push(w, { event: { type: event.type, object: event.object ?? null, resourceVersion: event.resourceVersion ?? null } });
      });
    } catch (e) {
      watches.delete(id);
      throw e;
    }
    w.handle.closed.then(() => push(w, { end: true }), (e) => push(w, { failure: failure(e) }));
    return id;
  },

  async create(/** @type {Target} */ t, resource, namespace, object) {
    return new Client(t).create(resource, object, { namespace });
  },

  async replace(/** @type {Target} */ t, resource, namespace, name, object) {
    return new Client(t).replace(resource, name, object, { namespace });
  },

  async patch(/** @type {Target} */ t, resource, namespace, name, patch, options) {
    return new Client(t).patch(resource, name, patch, { namespace, ...options });
  },

  async delete(/** @type {Target} */ t, resource, namespace, name, options) {
    return new Client(t).delete(resource, name, { namespace, ...options });
  },

  stop(id) {
    watches.get(id)?.handle?.stop();
    watches.delete(id);
    return null;
  },

  /** Run `fn` and settle as {ok} or {err}, for execute/async's callback. */
  call(fn, args, done) {
    Promise.resolve()
      .then(() => harness[fn](...args))
      .then((ok) => done({ ok: ok ?? null }), (e) => done({ err: failure(e) }));
  },
};

// @ts-ignore: the bridge's entry point
window.harness = harness;
// @ts-ignore
window.harnessReady = init().then(() => {
  document.getElementById("state").textContent = "ready";
});
