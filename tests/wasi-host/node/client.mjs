// The kubewire:client component from Node, through `jco transpile`:
// list, a watch read with the non-blocking calls while writes happen (and
// Node's own timers keep ticking), and an error. Prints one JSON line.
// Usage: node client.mjs SERVER TOKEN (next to the transpiled component).
import { client } from "./kubewire-client.js";

const [server, token] = process.argv.slice(2);
const cm = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const ns = "node";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const c = client.Client.open({ server, token, userAgent: "node-test" });
c.create(
  { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  undefined,
  JSON.stringify({ metadata: { name: ns } }),
);
for (const name of ["a", "b"]) {
  c.create(cm, ns, JSON.stringify({ metadata: { name }, data: { n: name } }));
}

// list: item by item while the body streams.
const items = c.list(cm, ns);
const listed = [];
for (let item; (item = items.next()) !== undefined; ) listed.push(JSON.parse(item).metadata.name);
const rv = items.metadata().resourceVersion;

// watch from the list's version, read with next-batch while writing.
const events = c.watch(cm, ns, { resourceVersion: rv, timeoutSeconds: 10 });
let ticks = 0;
const timer = setInterval(() => ticks++, 5);
// Nothing has happened yet: next-batch answers at once with nothing,
// and Node's timers run while this script waits (a blocking `next` would
// hold the event loop until the watch's timeout).
const early = events.nextBatch(10).length;
await sleep(100);
const ticksWhileIdle = ticks;
const seen = [];
c.patch(cm, ns, "a", JSON.stringify({ data: { n: "a2" } }));
c.delete(cm, ns, "b");
c.create(cm, ns, JSON.stringify({ metadata: { name: "c" } }));
const started = Date.now();
while (seen.length < 3 && Date.now() - started < 10000) {
  const batch = events.nextBatch(10);
  for (const e of batch) seen.push(`${e.kind} ${e.name}`);
  if (batch.length === 0) await sleep(20);
}
clearInterval(timer);

// an error: the server's Status, as data.
let error;
try {
  c.get(cm, ns, "missing");
} catch (e) {
  error = { tag: e.payload.tag, code: e.payload.val.code, reason: e.payload.val.reason };
}
console.log(JSON.stringify({ listed, early, ticksWhileIdle, seen, error }));
