// @ts-check
// A live view of pods and configmaps in every namespace, with kubewire-web.
// No build step: a plain ES module, typed with JSDoc against the package's
// kubewire_web.d.ts.
//
// Each collection is kept in view by kubewire's list+watch machine
// (`Client.listWatch`): syncing, resuming after a watch ends, relisting
// after 410 Gone and backing off after failures all happen in the core;
// this page only draws what the collection holds and says whether the
// last event came through a working connection.

import init, { Client } from "../pkg/kubewire_web.js";

/** @typedef {import("../pkg/kubewire_web.js").KubeObject} KubeObject */
/** @typedef {import("../pkg/kubewire_web.js").ListWatchEvent} ListWatchEvent */
/** @typedef {import("../pkg/kubewire_web.js").LiveCollection} LiveCollection */
/** @typedef {"connecting" | "live" | "offline"} State */

/** The server comes from `?server=&token=` or from ./config.json. */
async function loadConfig() {
  const q = new URLSearchParams(location.search);
  if (q.has("server")) return { server: q.get("server") ?? "", token: q.get("token") ?? undefined };
  const r = await fetch("./config.json", { cache: "no-store" });
  if (r.ok) return r.json();
  // Served by `kw dashboard` / `kw proxy --www`: the contexts it serves.
  const c = await fetch("/.kw/clusters", { cache: "no-store" });
  if (!c.ok) throw new Error("no ./config.json, no ?server= in the URL, and not served by kw proxy");
  /** @type {{clusters: string[]}} */
  const served = await c.json();
  if (!served.clusters.length) throw new Error("kw proxy serves no context");
  return { server: `/clusters/${served.clusters[0]}` };
}

/** @param {KubeObject} o */
const keyOf = (o) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

/** @param {string | undefined} ts */
function age(ts) {
  if (!ts) return "";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** @param {string} text @param {string} [cls] */
function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

/** One live collection: its table and its connection state. */
class Collection {
  /**
   * @param {Client} kube
   * @param {string} resource
   * @param {(o: KubeObject) => HTMLTableCellElement[]} columns
   * @param {() => void} changed
   */
  constructor(kube, resource, columns, changed) {
    this.resource = resource;
    this.columns = columns;
    this.changed = changed;
    /** @type {Set<string>} */
    this.flash = new Set();
    /** @type {State} */
    this.state = "connecting";
    this.detail = "";
    /** The objects, kept current by the machine. @type {LiveCollection} */
    this.live = kube.listWatch(resource, {}, (e) => this.apply(e));
    this.live.closed.catch((/** @type {Error} */ e) => this.setState("offline", `stopped: ${e.message}`));
  }

  /** @param {State} state @param {string} [detail] */
  setState(state, detail = "") {
    this.state = state;
    this.detail = detail;
    this.changed();
  }

  /** @param {ListWatchEvent} e */
  apply(e) {
    switch (e.type) {
      case "Error":
        // The machine retries by itself; until data flows again the view may be stale.
        this.setState("offline", e.error.message);
        return;
      case "Init":
        return;
      case "InitDone":
      case "Bookmark":
        this.setState("live");
        return;
      case "InitApply":
        return;
      case "InitDelete":
        logEvent(`gone while away: ${this.resource} ${keyOf(e.object)}`);
        break;
      case "Apply":
        this.flash.add(keyOf(e.object));
        logEvent(`changed ${this.resource} ${keyOf(e.object)}`);
        break;
      case "Delete":
        logEvent(`deleted ${this.resource} ${keyOf(e.object)}`);
        break;
    }
    // A change through a working watch: the connection is back.
    if (this.live?.synced) this.setState("live");
    else this.changed();
  }

  /** @param {HTMLTableSectionElement} body @param {string} namespace */
  render(body, namespace) {
    const rows = this.live.list({ namespace });
    body.replaceChildren(
      ...rows.map((o) => {
        const tr = document.createElement("tr");
        tr.dataset.key = keyOf(o);
        tr.append(cell(o.metadata.namespace ?? ""), cell(o.metadata.name ?? ""), ...this.columns(o));
        if (this.flash.has(keyOf(o))) tr.className = "changed";
        return tr;
      }),
    );
    this.flash.clear();
    return rows.length;
  }
}

/** @param {string} text */
function logEvent(text) {
  const list = /** @type {HTMLOListElement} */ (document.getElementById("events"));
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  list.prepend(li);
  while (list.children.length > 12) list.lastElementChild?.remove();
}

/** @param {KubeObject} pod */
function podColumns(pod) {
  const spec = /** @type {{nodeName?: string, containers?: {image?: string}[]}} */ (pod.spec ?? {});
  const phase = /** @type {{phase?: string}} */ (pod.status ?? {}).phase ?? "Pending";
  return [
    cell(phase, `phase-${phase}`),
    cell(spec.nodeName ?? ""),
    cell((spec.containers ?? []).map((c) => c.image ?? "").join(", ")),
    cell(age(pod.metadata.creationTimestamp)),
  ];
}

/** @param {KubeObject} cm */
function configMapColumns(cm) {
  const data = /** @type {Record<string, string>} */ (cm.data ?? {});
  const text = Object.entries(data).map(([k, v]) => `${k}=${v}`).join(" ");
  return [
    cell(text.length > 80 ? `${text.slice(0, 77)}...` : text, "data"),
    cell(cm.metadata.resourceVersion ?? ""),
    cell(age(cm.metadata.creationTimestamp)),
  ];
}

async function main() {
  const status = /** @type {HTMLElement} */ (document.getElementById("connection"));
  const select = /** @type {HTMLSelectElement} */ (document.getElementById("namespace"));
  const config = await loadConfig();
  await init();
  const kube = new Client({ server: config.server, token: config.token });
  /** @type {HTMLElement} */ (document.getElementById("server")).textContent = kube.server;

  let pending = false;
  const changed = () => {
    if (pending) return;
    pending = true;
    // Many events in one frame are drawn once.
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  };
  const pods = new Collection(kube, "pods", podColumns, changed);
  const configMaps = new Collection(kube, "configmaps", configMapColumns, changed);
  const all = [pods, configMaps];

  function draw() {
    const ns = select.value;
    const tables = /** @type {const} */ ([["pods", pods], ["configmaps", configMaps]]);
    for (const [id, c] of tables) {
      const body = /** @type {HTMLTableSectionElement} */ (document.querySelector(`#${id} tbody`));
      /** @type {HTMLElement} */ (document.getElementById(`${id}-count`)).textContent = String(c.render(body, ns));
    }
    const namespaces = new Set(all.flatMap((c) => c.live.list().map((o) => o.metadata.namespace ?? "")));
    const known = new Set([...select.options].map((o) => o.value));
    for (const n of [...namespaces].sort()) if (n && !known.has(n)) select.add(new Option(n, n));
    // The worst state wins: one collection offline means the view is stale.
    const state = all.some((c) => c.state === "offline") ? "offline" : all.every((c) => c.state === "live") ? "live" : "connecting";
    status.dataset.state = state;
    /** @type {HTMLElement} */ (status.querySelector(".text")).textContent = state === "offline" ? "offline, retrying" : state;
    status.title = all.map((c) => c.detail).filter(Boolean).join("\n");
  }

  select.addEventListener("change", draw);
  setInterval(draw, 5000); // ages
  draw();
}

main().catch((e) => {
  const status = /** @type {HTMLElement} */ (document.getElementById("connection"));
  status.dataset.state = "offline";
  /** @type {HTMLElement} */ (status.querySelector(".text")).textContent = `failed: ${e.message ?? e}`;
});
