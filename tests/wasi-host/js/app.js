// A JavaScript guest of the kubewire:client component
// (tests/wasi-host/tests/js.rs), built with componentize-js against
// wit/guest.wit, composed with the Rust client component by
// `wasm-tools compose`, and run under wasmtime. `run` writes two
// ConfigMaps, lists them, keeps them in view with a list-watch (its store
// queried by name and by label selector), makes a change through a patch
// and a delete while the list-watch is open, and reads a 409 and a 404 as
// the server's Status. It answers what it saw as JSON for the Rust test.
import { Client } from "kubewire:client/client@0.1.0";

const CONFIG_MAPS = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
  namespaced: true,
};
const NAMESPACE = "default";

const configMap = (name, app) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels: { app } },
    data: { v: "1" },
  });

const names = (objects) => objects.map((o) => JSON.parse(o).metadata.name).sort();

// Read changes (blocking `next`) until one of kind `wanted` arrives; the
// kinds and names read on the way, in order (bookmarks left out: the
// server may send one at any time).
function until(lw, wanted) {
  const seen = [];
  for (;;) {
    const change = lw.next();
    if (change === undefined) throw new Error("the list-watch ended");
    if (change.kind === "bookmark") continue;
    seen.push(`${change.kind} ${change.name}`.trim());
    if (change.kind === wanted) return seen;
  }
}

// A `result` error of an import comes out as a thrown value whose
// `payload` is the WIT `error` variant ({ tag, val }).
function refusal(call) {
  try {
    call();
    return null;
  } catch (e) {
    const err = e.payload ?? e;
    if (err.tag === undefined) throw e;
    const out = { tag: err.tag };
    if (err.tag === "api") {
      out.code = err.val.code;
      out.reason = err.val.reason;
    }
    return out;
  }
}

function runScenario(server, token) {
  // Only what is needed: the options record's other fields are left out.
  const c = Client.open({ server, token, userAgent: "kubewire-js-guest" });
  for (const [name, app] of [["a", "web"], ["b", "db"]]) {
    c.create(CONFIG_MAPS, NAMESPACE, configMap(name, app));
  }

  const items = c.list(CONFIG_MAPS, NAMESPACE);
  const listed = [];
  for (let item; (item = items.next()) !== undefined; ) listed.push(item);

  const lw = c.listWatch(CONFIG_MAPS, NAMESPACE);
  const initial = until(lw, "init-done");
  const synced = lw.synced();
  const web = names(lw.list(NAMESPACE, "app=web"));
  const b = lw.get(NAMESPACE, "b");

  const patched = JSON.parse(
    c.patch(CONFIG_MAPS, NAMESPACE, "a", JSON.stringify({ data: { v: "2" } })),
  );
  const afterPatch = until(lw, "apply");
  c.delete(CONFIG_MAPS, NAMESPACE, "b");
  const afterDelete = until(lw, "delete");
  const aInStore = JSON.parse(lw.get(NAMESPACE, "a"));

  // A replace from a stale read: the server's 409 Conflict.
  const stale = JSON.parse(configMap("a", "web"));
  const listedA = listed.map((o) => JSON.parse(o)).find((o) => o.metadata.name === "a");
  stale.metadata.resourceVersion = listedA.metadata.resourceVersion;
  const conflict = refusal(() => c.replace(CONFIG_MAPS, NAMESPACE, "a", JSON.stringify(stale)));
  const missing = refusal(() => c.get(CONFIG_MAPS, NAMESPACE, "missing"));

  return {
    listed: names(listed),
    initial,
    synced,
    storeWeb: web,
    storeB: b === undefined ? null : JSON.parse(b).metadata.labels,
    patched: patched.data,
    afterPatch,
    afterDelete,
    storeA: aInStore.data,
    storeSize: lw.size(),
    conflict,
    error: missing,
  };
}

// The `scenario` interface. A thrown value becomes the `err` of `run`'s
// result: the test prints why, instead of a trap.
export const scenario = {
  run(server, token) {
    try {
      return JSON.stringify(runScenario(server, token));
    } catch (e) {
      const err = e.payload ?? e;
      throw err.tag === undefined ? `${e}` : `kubewire:client error: ${JSON.stringify(err)}`;
    }
  },
};
