"""A Python guest of the kubewire:client component (tests/wasi-host/tests/python.rs).

Built with componentize-py against wit/guest.wit, composed with the Rust
client component by `wasm-tools compose`, and run under wasmtime. `run`
writes two ConfigMaps, lists them, keeps them in view with a list-watch
(its store queried by name and by label selector), makes a change through
a patch and a delete while the list-watch is open, and reads a 404 as the
server's Status. It answers what it saw as JSON for the Rust test to check.
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import client as kw

CONFIG_MAPS = kw.ApiResource(
    group="", version="v1", kind="ConfigMap", plural="configmaps", namespaced=True
)
NAMESPACE = "default"


def config_map(name, app):
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"app": app}},
            "data": {"v": "1"},
        }
    )


def names(objects):
    return sorted(json.loads(o)["metadata"]["name"] for o in objects)


def until(lw, wanted):
    """Read changes (blocking `next`) until one of kind `wanted` arrives;
    the kinds and names read on the way, in order (bookmarks left out)."""
    seen = []
    while True:
        change = lw.next()
        if change is None:
            raise RuntimeError("the list-watch ended")
        if change.kind == kw.ChangeKind.BOOKMARK:
            continue  # progress only; the server may send one at any time
        seen.append(f"{change.kind.name.lower()} {change.name}".strip())
        if change.kind == wanted:
            return seen


def scenario(server, token):
    c = kw.Client.open(
        kw.Config(
            server=server,
            token=token,
            username=None,
            password=None,
            user_agent="kubewire-python-guest",
            headers=None,
            timeout_ms=None,
        )
    )
    for name, app in (("a", "web"), ("b", "db")):
        c.create(CONFIG_MAPS, NAMESPACE, config_map(name, app), None)

    listed = []
    items = c.list(CONFIG_MAPS, NAMESPACE, None)
    while (item := items.next()) is not None:
        listed.append(item)

    lw = c.list_watch(CONFIG_MAPS, NAMESPACE, None)
    initial = until(lw, kw.ChangeKind.INIT_DONE)
    synced = lw.synced()
    web = names(lw.list(NAMESPACE, "app=web"))
    b = lw.get(NAMESPACE, "b")

    patched = json.loads(
        c.patch(CONFIG_MAPS, NAMESPACE, "a", json.dumps({"data": {"v": "2"}}), None)
    )
    after_patch = until(lw, kw.ChangeKind.APPLY)
    c.delete(CONFIG_MAPS, NAMESPACE, "b", None)
    after_delete = until(lw, kw.ChangeKind.DELETE)
    a_in_store = json.loads(lw.get(NAMESPACE, "a"))

    try:
        c.get(CONFIG_MAPS, NAMESPACE, "missing")
        error = None
    except Err as e:
        error = {"tag": type(e.value).__name__}
        if isinstance(e.value, kw.Error_Api):
            error["code"] = e.value.value.code
            error["reason"] = e.value.value.reason

    return {
        "listed": names(listed),
        "initial": initial,
        "synced": synced,
        "storeWeb": web,
        "storeB": json.loads(b)["metadata"]["labels"] if b else None,
        "patched": patched["data"],
        "afterPatch": after_patch,
        "afterDelete": after_delete,
        "storeA": a_in_store["data"],
        "storeSize": lw.size(),
        "error": error,
    }


class Scenario(exports.Scenario):
    def run(self, server: str, token: str) -> str:
        try:
            return json.dumps(scenario(server, token))
        except Err as e:
            raise Err(f"kubewire:client error: {e.value!r}")
        except Exception as e:  # the test prints why, instead of a trap
            raise Err(f"{type(e).__name__}: {e}")
