// @ts-check
// A live view of pods and configmaps in every namespace, with kubewire-web.
// No build step: a plain ES module, typed with JSDoc against the package's
// kubewire_web.d.ts.
//
// Each collection is LISTed, then WATCHed from the list's resourceVersion.
// When a watch ends (the server's timeout, a restart) it resumes from the
// last resourceVersion seen; a 410 Expired means relisting; a network error
// means retrying with a growing delay. The header shows the connection.

import init, { Client } from "../pkg/kubewire_web.js";

/** @typedef {import("../pkg/kubewire_web.js").KubeObject} KubeObject */
/** @typedef {import("../pkg/kubewire_web.js").WatchEvent} WatchEvent */
/** @typedef {import("../pkg/kubewire_web.js").KubeError} KubeError */
/** @typedef {"connecting" | "live" | "offline"} State */

/** The server comes from `?server=&token=` or from ./config.json. */
async function loadConfig() {
  const q = new URLSearchParams(location.search);
  if (q.has("server")) return { server: q.get("server") ?? "", token: q.get("token") ?? undefined };
  const r = await fetch("./config.json", { cache: "no-store" });
  if (!r.ok) throw new Error("no ./config.json and no ?server= in the URL");
  return r.json();
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

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

/** One live collection: its objects, its table and its connection state. */
class Collection {
  /**
   * @param {Client} kube
   * @param {string} resource
   * @param {(o: KubeObject) => HTMLTableCellElement[]} columns
   * @param {() => void} changed
   */
  constructor(kube, resource, columns, changed) {
    this.kube = kube;
    this.resource = resource;
    this.columns = columns;
    this.changed = changed;
    /** @type {Map<string, KubeObject>} */
    this.objects = new Map();
    /** @type {Set<string>} */
    this.flash = new Set();
    /** @type {State} */
    this.state = "connecting";
    this.detail = "";
    this.expired = false;
  }

  /** @param {State} state @param {string} [detail] */
  setState(state, detail = "") {
    this.state = state;
    this.detail = detail;
    this.changed();
  }

  /** @param {WatchEvent} e */
  apply(e) {
    if (e.type === "ADDED" || e.type === "MODIFIED") {
      this.objects.set(keyOf(e.object), e.object);
      this.flash.add(keyOf(e.object));
    } else if (e.type === "DELETED") {
      this.objects.delete(keyOf(e.object));
    } else if (e.type === "ERROR") {
      // 410 Expired: the server ends this watch; relist when it has.
      this.expired = e.status.code === 410;
      return;
    } else {
      return;
    }
    logEvent(`${e.type} ${this.resource} ${keyOf(e.object)}`);
    this.changed();
  }

  /** List, then watch and resume for as long as the page is open. */
  async run() {
    /** @type {string | null} */
    let rv = null;
    let delay = 500;
    for (;;) {
      try {
        if (rv === null) {
          const list = await this.kube.list(this.resource);
          this.objects = new Map(list.items.map((o) => [keyOf(o), o]));
          rv = list.metadata.resourceVersion ?? "";
          this.changed();
        }
        this.expired = false;
        const watch = await this.kube.watch(
          this.resource,
          { resourceVersion: rv, bookmarks: true, timeoutSeconds: 240 },
          (e) => this.apply(e),
        );
        this.setState("live");
        delay = 500;
        await watch.closed;
        rv = this.expired ? null : (watch.resourceVersion ?? rv);
      } catch (err) {
        const e = /** @type {KubeError} */ (err);
        if (e.kind === "api" && e.code === 410) {
          rv = null;
          continue;
        }
        // Stays "offline" through the retries, until a watch is live again.
        this.setState("offline", e.message);
        await sleep(delay);
        delay = Math.min(delay * 2, 8000);
      }
    }
  }

  /** @param {HTMLTableSectionElement} body @param {string} namespace */
  render(body, namespace) {
    const rows = [...this.objects.values()]
      .filter((o) => !namespace || o.metadata.namespace === namespace)
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
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
    const namespaces = new Set(all.flatMap((c) => [...c.objects.values()].map((o) => o.metadata.namespace ?? "")));
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
  for (const c of all) c.run();
}

main().catch((e) => {
  const status = /** @type {HTMLElement} */ (document.getElementById("connection"));
  status.dataset.state = "offline";
  /** @type {HTMLElement} */ (status.querySelector(".text")).textContent = `failed: ${e.message ?? e}`;
});
