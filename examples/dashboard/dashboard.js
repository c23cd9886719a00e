// @ts-check
// A live view of pods, configmaps and events in every namespace of every
// cluster the page is given, and of any other kind the clusters serve
// (from discovery: every kind that can be listed and watched, CRDs
// included), with kubewire-web.
// No build step: a plain ES module, typed with JSDoc against the package's
// kubewire_web.d.ts.
//
// Each collection is kept in view by kubewire's list+watch machine
// (`Client.listWatch`): syncing, resuming after a watch ends, relisting
// after 410 Gone and backing off after failures all happen in the core;
// this page only draws what the collection holds and says whether the
// last event came through a working connection.

import init, { Client, toYaml } from "../pkg/kubewire_web.js";

/** @typedef {import("../pkg/kubewire_web.js").KubeObject} KubeObject */
/** @typedef {import("../pkg/kubewire_web.js").ListWatchEvent} ListWatchEvent */
/** @typedef {import("../pkg/kubewire_web.js").LiveCollection} LiveCollection */
/** @typedef {import("../pkg/kubewire_web.js").DiscoveredResource} DiscoveredResource */
/** @typedef {import("../pkg/kubewire_web.js").Resource} Resource */
/** @typedef {"connecting" | "live" | "offline"} State */

/** @typedef {{server: string, token?: string, clusters?: string[]}} Config */

/**
 * The server comes from `?server=&token=` or from ./config.json; served by
 * `kw dashboard` / `kw proxy --www`, every context it serves is a cluster.
 * @returns {Promise<Config>}
 */
async function loadConfig() {
  const q = new URLSearchParams(location.search);
  if (q.has("server")) return { server: q.get("server") ?? "", token: q.get("token") ?? undefined };
  const r = await fetch("./config.json", { cache: "no-store" });
  if (r.ok) return r.json();
  const c = await fetch("/.kw/clusters", { cache: "no-store" });
  if (!c.ok) throw new Error("no ./config.json, no ?server= in the URL, and not served by kw proxy");
  /** @type {{clusters: string[]}} */
  const served = await c.json();
  if (!served.clusters.length) throw new Error("kw proxy serves no context");
  return { server: `/clusters/${served.clusters[0]}`, clusters: served.clusters };
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

/** One live collection of one cluster: its rows and its watch's state. */
class Collection {
  /**
   * @param {Client} kube
   * @param {string} cluster
   * @param {string} resource the name shown and looked up ("pods", "widgets.example.com")
   * @param {(o: KubeObject) => HTMLTableCellElement[]} columns
   * @param {() => void} changed
   * @param {Resource} [kind] what to watch, when not the name itself
   */
  constructor(kube, cluster, resource, columns, changed, kind = resource) {
    this.cluster = cluster;
    this.resource = resource;
    this.columns = columns;
    this.changed = changed;
    /** @type {Set<string>} */
    this.flash = new Set();
    /** @type {State} */
    this.state = "connecting";
    this.detail = "";
    /** The objects, kept current by the machine. @type {LiveCollection} */
    this.live = kube.listWatch(kind, {}, (e) => this.apply(e));
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
    // Kubernetes events are their own panel, not changes to log.
    if (this.resource === "events" && e.type !== "Error" && e.type !== "InitDone" && e.type !== "Bookmark") {
      if (this.live?.synced && this.state !== "live") this.setState("live");
      else this.changed();
      return;
    }
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
        logEvent(`gone while away: ${this.resource} ${keyOf(e.object)}${where(this.cluster)}`);
        break;
      case "Apply":
        this.flash.add(keyOf(e.object));
        logEvent(`changed ${this.resource} ${keyOf(e.object)}${where(this.cluster)}`);
        break;
      case "Delete":
        logEvent(`deleted ${this.resource} ${keyOf(e.object)}${where(this.cluster)}`);
        break;
    }
    // A change through a working watch: the connection is back.
    if (this.live?.synced) this.setState("live");
    else this.changed();
  }

  /**
   * The rows the filters select (the label selector is the core's, in the
   * store), with the cluster as the last column.
   * @param {{namespace: string, labelSelector?: string}} filter
   */
  rows(filter) {
    const rows = this.live.list(filter).map((o) => {
      const tr = document.createElement("tr");
      tr.dataset.key = keyOf(o);
      tr.dataset.cluster = this.cluster;
      tr.dataset.resource = this.resource;
      tr.append(cell(o.metadata.namespace ?? ""), cell(o.metadata.name ?? ""), ...this.columns(o), cell(this.cluster, "cluster"));
      if (this.flash.has(keyOf(o))) tr.className = "changed";
      if (selected && selected.cluster === this.cluster && selected.resource === this.resource && selected.key === keyOf(o)) tr.classList.add("selected");
      return tr;
    });
    this.flash.clear();
    return rows;
  }
}

/** The row whose object the details pane shows. @type {{cluster: string, resource: string, key: string} | null} */
let selected = null;

/** The names of the clusters shown, once known. @type {string[]} */
let clusterNames = [];

/** " in CLUSTER" when the page shows more than one. @param {string} cluster */
const where = (cluster) => (clusterNames.length > 1 ? ` in ${cluster}` : "");

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

/** @param {KubeObject} ev A Kubernetes Event (core v1). */
function eventColumns(ev) {
  const e = /** @type {{type?: string, reason?: string, message?: string, count?: number, lastTimestamp?: string, eventTime?: string, involvedObject?: {kind?: string, name?: string}}} */ (ev);
  const about = e.involvedObject ?? {};
  return [
    cell(e.type ?? "", `event-${e.type ?? ""}`),
    cell(e.reason ?? ""),
    cell(`${about.kind ?? ""}/${about.name ?? ""}`),
    cell(e.message ?? ""),
    cell(age(e.lastTimestamp ?? e.eventTime ?? ev.metadata.creationTimestamp)),
  ];
}

/** When an event last happened, for the newest first. @param {KubeObject} ev */
const eventTime = (ev) => {
  const e = /** @type {{lastTimestamp?: string, eventTime?: string}} */ (ev);
  return Date.parse(e.lastTimestamp ?? e.eventTime ?? ev.metadata.creationTimestamp ?? "") || 0;
};

/** The columns of any other kind: its age (namespace, name and cluster are every table's). @param {KubeObject} o */
const otherColumns = (o) => [cell(o.kind ?? ""), cell(age(o.metadata.creationTimestamp))];

/** How a discovered kind is named: its plural, qualified by its group. @param {DiscoveredResource} r */
const kindName = (r) => (r.group ? `${r.plural}.${r.group}` : r.plural);

/**
 * Every kind the clusters serve that can be listed and watched (the core's
 * rule, in `discover`), once, in discovery order, with the clusters that
 * serve it; a cluster whose discovery fails adds none (its panels still say
 * why their watches fail).
 * @param {{name: string, kube: Client}[]} clusters
 */
async function discoverKinds(clusters) {
  const found = await Promise.all(clusters.map((c) => c.kube.discover().catch(() => /** @type {DiscoveredResource[]} */ ([]))));
  /** @type {Map<string, {kind: DiscoveredResource, clusters: Set<string>}>} */
  const kinds = new Map();
  found.forEach((served, i) => {
    for (const kind of served) {
      const known = kinds.get(kindName(kind)) ?? { kind, clusters: new Set() };
      known.clusters.add(clusters[i].name);
      kinds.set(kindName(kind), known);
    }
  });
  return kinds;
}

/** How many events the panel shows. */
const EVENTS_SHOWN = 50;

async function main() {
  const status = /** @type {HTMLElement} */ (document.getElementById("connection"));
  const select = /** @type {HTMLSelectElement} */ (document.getElementById("namespace"));
  const labels = /** @type {HTMLInputElement} */ (document.getElementById("labels"));
  const details = /** @type {HTMLElement} */ (document.getElementById("details"));
  const config = await loadConfig();
  await init();
  const first = new Client({ server: config.server, token: config.token });
  /** @type {HTMLElement} */ (document.getElementById("server")).textContent = first.server;
  // Behind kw proxy: every context through the one multiplexed stream.
  const clusters = (config.clusters ?? [""]).map((name) => ({
    name: name || "default",
    kube: name && `/clusters/${name}` !== config.server ? first.cluster(name) : first,
  }));
  clusterNames = clusters.map((c) => c.name);

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
  /** resource, its columns, its table's id. @type {[string, (o: KubeObject) => HTMLTableCellElement[], string][]} */
  const kinds = [["pods", podColumns, "pods"], ["configmaps", configMapColumns, "configmaps"], ["events", eventColumns, "kube-events"]];
  /** @type {Map<string, Collection[]>} by resource */
  const byKind = new Map(kinds.map(([resource, columns]) => [resource, clusters.map((c) => new Collection(c.kube, c.name, resource, columns, changed))]));
  const tableOf = new Map(kinds.map(([resource, , id]) => [resource, id]));
  let all = [...byKind.values()].flat();
  const fixed = all;

  // Any other served kind, one at a time, from discovery.
  const kindSelect = /** @type {HTMLSelectElement} */ (document.getElementById("kind"));
  const served = await discoverKinds(clusters);
  // The fixed panels' kinds have their own tables.
  for (const name of served.keys()) if (!byKind.has(name)) kindSelect.add(new Option(name, name));
  /** The chosen kind's collections, one per cluster. @type {Collection[]} */
  let other = [];
  kindSelect.addEventListener("change", () => {
    for (const c of other) c.live.stop();
    byKind.delete(kindSelect.dataset.shown ?? "");
    /** @type {HTMLTableSectionElement} */ (document.querySelector("#resources tbody")).replaceChildren();
    /** @type {HTMLElement} */ (document.getElementById("resources-count")).textContent = "0";
    const name = kindSelect.value;
    const found = served.get(name);
    // Watched only where it is served (a CRD may exist in one context).
    const serving = clusters.filter((c) => found?.clusters.has(c.name));
    other = found ? serving.map((c) => new Collection(c.kube, c.name, name, otherColumns, changed, found.kind)) : [];
    kindSelect.dataset.shown = name;
    if (other.length) byKind.set(name, other);
    tableOf.set(name, "resources");
    all = [...fixed, ...other];
    /** @type {HTMLElement} */ (document.getElementById("resources-kind")).textContent = name || "choose a kind";
    draw();
  });

  /** The filters: the namespace, and a label selector ("" = everything). */
  function filter() {
    const labelSelector = labels.value.trim();
    return labelSelector ? { namespace: select.value, labelSelector } : { namespace: select.value };
  }

  function draw() {
    const f = filter();
    let invalid = "";
    for (const [resource, collections] of byKind) {
      const id = tableOf.get(resource) ?? resource;
      const body = /** @type {HTMLTableSectionElement} */ (document.querySelector(`#${id} tbody`));
      /** @type {HTMLTableRowElement[]} */
      let rows = [];
      try {
        // Events carry no labels of their own: only the namespace applies.
        rows = collections.flatMap((c) => c.rows(resource === "events" ? { namespace: f.namespace } : f));
      } catch (e) {
        // A selector the core's parser refuses: say so, show nothing.
        invalid = String(/** @type {Error} */ (e).message ?? e);
      }
      if (resource === "events") {
        const time = (/** @type {HTMLTableRowElement} */ tr) => {
          const c = collections.find((c) => c.cluster === tr.dataset.cluster);
          const [ns, name] = (tr.dataset.key ?? "").split("/");
          const ev = c?.live.get(name, ns);
          return ev ? eventTime(ev) : 0;
        };
        rows = rows.map((tr) => /** @type {[number, HTMLTableRowElement]} */ ([time(tr), tr])).sort((a, b) => b[0] - a[0]).slice(0, EVENTS_SHOWN).map(([, tr]) => tr);
      }
      body.replaceChildren(...rows);
      /** @type {HTMLElement} */ (document.getElementById(`${id}-count`)).textContent = String(rows.length);
    }
    labels.classList.toggle("invalid", invalid !== "");
    labels.title = invalid;
    const namespaces = new Set(all.flatMap((c) => c.live.list().map((o) => o.metadata.namespace ?? "")));
    const known = new Set([...select.options].map((o) => o.value));
    for (const n of [...namespaces].sort()) if (n && !known.has(n)) select.add(new Option(n, n));
    // Each watch's own state, then the worst wins: one offline means the view is stale.
    const watches = /** @type {HTMLElement} */ (document.getElementById("watches"));
    watches.replaceChildren(
      ...all.map((c) => {
        const li = document.createElement("li");
        li.dataset.state = c.state;
        li.dataset.watch = `${c.resource}@${c.cluster}`;
        li.textContent = `${c.resource} · ${c.cluster}: ${c.state}`;
        li.title = c.detail;
        return li;
      }),
    );
    const state = all.some((c) => c.state === "offline") ? "offline" : all.every((c) => c.state === "live") ? "live" : "connecting";
    status.dataset.state = state;
    /** @type {HTMLElement} */ (status.querySelector(".text")).textContent = state === "offline" ? "offline, retrying" : state;
    status.title = all.map((c) => c.detail).filter(Boolean).join("\n");
    showDetails();
  }

  /** The selected object as the collection holds it now, in kubectl's YAML (the core's printer). */
  function showDetails() {
    if (!selected) return;
    const { cluster, resource, key } = selected;
    const c = byKind.get(resource)?.find((c) => c.cluster === cluster);
    const [ns, name] = key.split("/");
    const o = c?.live.get(name, ns);
    /** @type {HTMLElement} */ (document.getElementById("details-title")).textContent = `${resource} ${key}${where(cluster)}${o ? "" : " (deleted)"}`;
    details.textContent = o ? toYaml(o) : "";
  }

  document.querySelector("main")?.addEventListener("click", (e) => {
    const tr = /** @type {HTMLElement} */ (e.target).closest?.("tbody tr");
    if (!(tr instanceof HTMLTableRowElement) || !tr.dataset.resource) return;
    selected = { cluster: tr.dataset.cluster ?? "", resource: tr.dataset.resource, key: tr.dataset.key ?? "" };
    draw();
  });
  select.addEventListener("change", draw);
  labels.addEventListener("input", draw);
  setInterval(draw, 5000); // ages
  draw();
}

main().catch((e) => {
  const status = /** @type {HTMLElement} */ (document.getElementById("connection"));
  status.dataset.state = "offline";
  /** @type {HTMLElement} */ (status.querySelector(".text")).textContent = `failed: ${e.message ?? e}`;
});
