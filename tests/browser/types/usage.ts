// Type-level tests of kubewire-web's generated .d.ts, checked by `just
// web-typecheck` (tsc --strict): what a front-end developer writes must
// compile, and each `@ts-expect-error` line must be rejected.
import init, { Client, toYaml } from "./pkg/kubewire_web.js";
import type {
  DiscoveredResource,
  KubeError,
  KubeObject,
  KubeStatus,
  ListWatchEvent,
  LiveCollection,
  ObjectList,
  WatchEvent,
  WatchHandle,
} from "./pkg/kubewire_web.js";

export async function usage(): Promise<void> {
  await init();
  const kube = new Client({ server: "http://127.0.0.1:8001", token: "t" });
  const proxied = new Client({ server: "/clusters/prod", credentials: "include" });

  const list: ObjectList = await kube.list("pods");
  const names: (string | undefined)[] = list.items.map((p) => p.metadata.name);
  await kube.list(
    { group: "apps", version: "v1", plural: "deployments" },
    { namespace: "default", limit: 10, continue: list.metadata.continue, onItem: (o) => names.push(o.metadata.uid) },
  );
  await proxied.get("configmaps", "app-config", { namespace: "demo", signal: new AbortController().signal });
  await kube.get("cm", "without-options");

  const handle: WatchHandle = await kube.watch(
    "pods",
    { resourceVersion: list.metadata.resourceVersion, bookmarks: true },
    (e: WatchEvent) => {
      if (e.type === "ERROR") {
        const code: number = e.status.code;
        names.push(String(code));
      } else if (e.type === "BOOKMARK") {
        const rv: string = e.resourceVersion;
        names.push(rv);
      } else {
        names.push(e.object.metadata.name);
      }
    },
  );
  handle.stop();
  await handle.closed;
  const resume: string | undefined = handle.resourceVersion;
  names.push(resume);

  try {
    await kube.list("pods");
  } catch (err) {
    const e = err as KubeError;
    if (e.kind === "api") names.push(e.status?.reason);
  }

  // @ts-expect-error: server is required
  new Client({ token: "t" });
  // @ts-expect-error: credentials is one of fetch's modes
  new Client({ server: "", credentials: "always" });
  // @ts-expect-error: limit is a number
  await kube.list("pods", { limit: "10" });
  await kube.watch("pods", {}, (e) => {
    // @ts-expect-error: only ERROR events carry a status
    if (e.type === "ADDED") names.push(e.status.message);
  });

  // list+watch with a store the page reads.
  const controller = new AbortController();
  const pods: LiveCollection = kube.listWatch(
    "pods",
    { namespace: "demo", labelSelector: "app=web", pageSize: 500, signal: controller.signal },
    (e: ListWatchEvent) => {
      switch (e.type) {
        case "InitApply":
        case "Apply":
        case "Delete":
          names.push(e.object.metadata.name);
          break;
        case "InitDelete":
          names.push(`${e.object.metadata.name}@${e.resourceVersion}`);
          break;
        case "InitDone":
        case "Bookmark":
          names.push(e.resourceVersion);
          break;
        case "Error":
          names.push(e.error.kind);
          break;
        case "Init":
          break;
      }
    },
  );
  const one: KubeObject | undefined = pods.get("web-1", "demo");
  const some: KubeObject[] = pods.list({ namespace: "demo", labelSelector: "tier in (front)" });
  names.push(one?.metadata.name, String(some.length), String(pods.size), pods.resourceVersion);
  if (pods.synced) pods.stop();
  await pods.closed;
  kube.listWatch("configmaps").stop();

  // Writes.
  const cm: KubeObject = await kube.create("configmaps", { metadata: { name: "a", namespace: "demo" } });
  await kube.create("configmaps", { metadata: { name: "b" } }, { namespace: "demo", dryRun: true, fieldManager: "ui" });
  await kube.replace("configmaps", "a", { ...cm, data: { k: "v" } }, { fieldValidation: "Strict" });
  await kube.patch("configmaps", "a", { data: { k: "w" } }, { namespace: "demo" });
  await kube.patch("configmaps", "a", [{ op: "remove", path: "/data/k" }], { namespace: "demo", type: "json" });
  await kube.patch("deployments", "web", { spec: { replicas: 2 } }, { namespace: "demo", type: "strategic" });
  await kube.patch("configmaps", "a", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } }, {
    namespace: "demo",
    type: "apply",
    fieldManager: "dashboard",
    force: true,
  });
  const gone: KubeObject | KubeStatus = await kube.delete("configmaps", "a", {
    namespace: "demo",
    preconditions: { resourceVersion: cm.metadata.resourceVersion },
    propagationPolicy: "Background",
  });
  names.push(gone.kind);

  // Discovery's kinds are Resources the other calls take.
  const kinds: DiscoveredResource[] = await kube.discover();
  const first = kinds.find((k) => k.verbs.includes("watch") && k.namespaced);
  if (first) kube.listWatch(first, { namespace: "demo" }).stop();
  const yaml: string = toYaml(cm);
  names.push(yaml, ...kinds.flatMap((k) => k.shortNames));

  // @ts-expect-error: an InitDone carries no object
  kube.listWatch("pods", {}, (e) => e.type === "InitDone" && names.push(e.object.metadata.name));
  // @ts-expect-error: the patch types are the server's four
  await kube.patch("configmaps", "a", {}, { type: "yaml" });
  // @ts-expect-error: pageSize is a number
  kube.listWatch("pods", { pageSize: "10" });
  // @ts-expect-error: toYaml takes an object
  toYaml("pods");
}
