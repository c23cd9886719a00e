// Type-level tests of kubewire-web's generated .d.ts, checked by `just
// web-typecheck` (tsc --strict): what a front-end developer writes must
// compile, and each `@ts-expect-error` line must be rejected.
import init, { Client } from "./pkg/kubewire_web.js";
import type { KubeError, ObjectList, WatchEvent, WatchHandle } from "./pkg/kubewire_web.js";

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
}
