// @ts-check
// A page of `kw proxy --www`: 30 `listWatch`es (10 label selectors in each
// of 3 contexts) through the proxy's multiplexed stream. The Rust test
// (tests/kw_proxy.rs) makes changes from outside and reads `window.muxPage`:
// for every watch, each object's last state and when it arrived
// (`Date.now()`, the clock the test also reads).
import init, { Client } from "/pkg/kubewire_web.js";

const CONTEXTS = ["c1", "c2", "c3"];
const SELECTORS = 10;

/**
 * @typedef {{context: string, selector: string, status: string, synced: boolean, events: number,
 *   errors: string[], objects: Record<string, {v: string, at: number}>,
 *   deleted: Record<string, number>, handle: any}} Watch
 */

/** @type {{watches: Watch[], ready: boolean}} */
const page = { watches: [], ready: false };
// @ts-ignore: read by the test over WebDriver
window.muxPage = page;

let drawing = false;
function draw() {
  if (drawing) return;
  drawing = true;
  requestAnimationFrame(() => {
    drawing = false;
    const body = /** @type {HTMLElement} */ (document.querySelector("#watches tbody"));
    body.replaceChildren(
      ...page.watches.map((w) => {
        const tr = document.createElement("tr");
        const names = Object.keys(w.objects).sort();
        const last = names.map((n) => ({ n, ...w.objects[n] })).sort((a, b) => b.at - a.at)[0];
        const cells = [w.context, w.selector, w.status, String(names.length), String(w.events),
          last ? `${last.n} = ${last.v}` : ""];
        for (const [i, text] of cells.entries()) {
          const td = document.createElement("td");
          td.textContent = text;
          if (i === 2) td.className = w.status.split(":")[0];
          tr.append(td);
        }
        return tr;
      }),
    );
  });
}

// The test reads which requests the page made: room for all of them.
performance.setResourceTimingBufferSize(100000);

await init();
// A relative base URL ending in /clusters/NAME: the page's own origin is
// the proxy, and the adapter finds its stream at /.kw/mux.
const first = new Client({ server: "/clusters/c1" });
for (const context of CONTEXTS) {
  const client = context === "c1" ? first : first.cluster(context);
  for (let k = 0; k < SELECTORS; k++) {
    /** @type {Watch} */
    const w = { context, selector: `w=${k}`, status: "starting", synced: false, events: 0, errors: [], objects: {}, deleted: {}, handle: null };
    w.handle = client.listWatch("configmaps", { namespace: "default", labelSelector: w.selector }, (e) => {
      const at = Date.now();
      w.events++;
      switch (e.type) {
        case "InitApply":
        case "Apply":
          w.objects[e.object.metadata.name] = { v: e.object.data?.v ?? "", at };
          delete w.deleted[e.object.metadata.name];
          if (e.type === "Apply" && w.synced) w.status = "live";
          break;
        case "InitDelete":
        case "Delete":
          delete w.objects[e.object.metadata.name];
          w.deleted[e.object.metadata.name] = at;
          if (e.type === "Delete" && w.synced) w.status = "live";
          break;
        case "InitDone":
          w.status = "live";
          w.synced = true;
          break;
        case "Error":
          w.status = `error: ${e.error.kind}`;
          w.errors.push(String(e.error));
          break;
      }
      draw();
    });
    w.handle.closed.then(() => { w.status = "closed"; draw(); }, (/** @type {any} */ e) => { w.status = `error: closed ${e}`; draw(); });
    page.watches.push(w);
  }
}
page.ready = true;
/** @type {HTMLElement} */ (document.getElementById("state")).textContent = "ready";
draw();
