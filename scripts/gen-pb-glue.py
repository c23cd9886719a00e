#!/usr/bin/env python3
"""Generates crates/kubewire-server/src/pb/glue.rs: the JSON mapping of the
Kubernetes protobuf messages that k8s-pb (kube-rs's generated prost types)
defines, for every type kube-apiserver v1.36 publishes in its OpenAPI v2
document (crates/kubewire-server/openapi/v2.json.gz, captured from a real
server).

For each message it writes one `message!` line: the Rust field, its JSON
name (from the OpenAPI properties), and `[keep]` when a zero value on the
wire must still appear in JSON. Protobuf does not say which Go fields are
pointers, so the rule is taken from the schema: required fields, fields
whose description says they are pointers, and the pointer fields listed in KEEP_ZERO keep their zeros; other
optional scalars drop them, as Go's `omitempty` does for non-pointers.

Run: python3 scripts/gen-pb-glue.py  (needs the k8s-pb sources in the
cargo registry, i.e. after one `cargo build -p kubewire-server`).
`just pb-glue-check` regenerates and diffs.
"""
import gzip
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates/kubewire-server/src/pb/glue.rs")

# Pointer fields whose zero differs from absence and whose description
# does not say so.
KEEP_ZERO = {
    "runAsUser", "runAsGroup", "fsGroup", "ttlSecondsAfterFinished",
    "automountServiceAccountToken", "storageClassName", "ingressClassName",
    "allowPrivilegeEscalation", "enableServiceLinks", "hostUsers",
    "allocateLoadBalancerNodePorts", "priority", "activeDeadlineSeconds",
    "parallelism", "completions", "backoffLimit", "startingDeadlineSeconds",
    "terminationGracePeriodSeconds", "expirationSeconds",
    "readOnlyRootFilesystem", "runAsNonRoot",
    "privileged", "progressDeadlineSeconds", "revisionHistoryLimit",
    "minReplicas", "maxReplicas", "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit", "suspend", "immutable", "publishNotReadyAddresses",
    "deletionGracePeriodSeconds", "gracePeriodSeconds", "ready", "serving",
    "terminating",
}
# "Defaults to N" is no sign of a pointer: Probe.periodSeconds is a plain
# int32 that defaulting fills in when it is 0.
POINTER_HINT = re.compile(r"\bpointer\b")

# Types with a JSON form of their own (pb/special.rs).
SPECIAL = {
    "apimachinery.pkg.util.intstr.IntOrString", "apimachinery.pkg.api.resource.Quantity",
    "apimachinery.pkg.apis.meta.v1.Time", "apimachinery.pkg.apis.meta.v1.MicroTime",
    "apimachinery.pkg.apis.meta.v1.Duration", "apimachinery.pkg.runtime.RawExtension",
    "apimachinery.pkg.apis.meta.v1.FieldsV1",
    "apiextensions_apiserver.pkg.apis.apiextensions.v1.Json",
    "apiextensions_apiserver.pkg.apis.apiextensions.v1.JsonSchemaPropsOrArray",
    "apiextensions_apiserver.pkg.apis.apiextensions.v1.JsonSchemaPropsOrBool",
    "apiextensions_apiserver.pkg.apis.apiextensions.v1.JsonSchemaPropsOrStringArray",
}


def k8s_pb_src():
    meta = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--locked"], cwd=ROOT))
    for p in meta["packages"]:
        if p["name"] == "k8s-pb":
            return os.path.join(os.path.dirname(p["manifest_path"]), "src")
    sys.exit("k8s-pb is not a dependency")


def norm(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())


def structs(src):
    """(module path with dots, struct name, [(field, prost attr)])."""
    out = []
    for dirpath, _, files in os.walk(src):
        if "mod.rs" not in files:
            continue
        rel = os.path.relpath(dirpath, src)
        if rel == ".":
            continue
        module = rel.replace(os.sep, ".")
        text = open(os.path.join(dirpath, "mod.rs")).read()
        for m in re.finditer(r"pub struct (\w+) \{(\}|.*?\n\})", text, re.S):
            body = m.group(2)
            fields = []
            for f in re.finditer(r"#\[prost\(([^\]]*)\)\]\s*pub (r#\w+|\w+):(.*?)(?=\n\s*(?:///|#\[prost|$))", body + "\n", re.S):
                fields.append((f.group(1), f.group(2), referenced(module, f.group(3))))
            out.append((module, m.group(1), fields))
    return out


def referenced(module, ty):
    """The message types (dotted paths) a field's Rust type names."""
    found = []
    for path in re.findall(r"((?:super::)*(?:\w+::)*[A-Z]\w*)", ty):
        parts = path.split("::")
        if parts[-1] in ("Option", "Vec", "BTreeMap", "String", "Box"):
            continue
        if parts[0] in ("core", "prost", "alloc", "std"):
            continue
        base = module.split(".")
        while parts and parts[0] == "super":
            base = base[:-1]
            parts = parts[1:]
        found.append(".".join(base + parts))
    return found


def definition_name(module, name):
    module = module.replace("apiextensions_apiserver", "apiextensions-apiserver")
    module = module.replace("kube_aggregator", "kube-aggregator")
    return norm(f"io.k8s.{module}.{name}")


def camel(snake):
    head, *rest = snake.removeprefix("r#").split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def main():
    src = k8s_pb_src()
    with gzip.open(os.path.join(ROOT, "crates/kubewire-server/openapi/v2.json.gz")) as f:
        defs = json.load(f)["definitions"]
    by_norm = {norm(k): (k, v) for k, v in defs.items()}
    all_structs = {f"{m}.{n}": (m, n, fs) for m, n, fs in structs(src)}
    lines = []
    resources = []
    done = set()
    wanted = []
    for key, (module, name, fields) in sorted(all_structs.items()):
        if key in SPECIAL:
            continue
        found = by_norm.get(definition_name(module, name))
        if not found:
            continue
        def_name, schema = found
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        json_names = {norm(p): p for p in props}
        parts = []
        for attr, field, refs in fields:
            rust = field
            jname = json_names.get(norm(field.removeprefix("r#")))
            if jname is None and attr.startswith("message"):
                # A Go struct embedded with `json:",inline"`: its fields
                # sit in this object's JSON.
                parts.append(f"{rust} => inline")
                wanted += refs
                continue
            if jname is None:
                parts = None
                break
            wanted += refs
            scalar = attr.split(",")[0].strip() in ("string", "int32", "int64", "bool", "double")
            desc = props[jname].get("description", "")
            keep = scalar and "optional" in attr and (
                jname in required or jname in KEEP_ZERO or POINTER_HINT.search(desc))
            parts.append(f'{rust} => "{jname}"' + (" [keep]" if keep else ""))
        if parts is None:
            # Not the message the schema describes (a name shared with a
            # schema-only type): leave it out.
            print(f"skipped {key}: fields differ from {def_name}", file=sys.stderr)
            continue
        path = "k8s_pb::" + module.replace(".", "::") + "::" + name
        lines.append(f"message!({path} {{ {', '.join(parts)} }});")
        done.add(key)
        gvk = schema.get("x-kubernetes-group-version-kind")
        if gvk:
            for g in gvk:
                resources.append((g["group"], g["version"], g["kind"], path))
    # Messages the schema has no definition of (embedded structs, Go slice
    # types such as ExtraValue): JSON names from the field names.
    while True:
        missing = sorted({w for w in wanted if w not in done and w not in SPECIAL})
        if not missing:
            break
        wanted = []
        for key in missing:
            if key not in all_structs:
                sys.exit(f"{key}: referenced but not in k8s-pb")
            module, name, fields = all_structs[key]
            path = "k8s_pb::" + module.replace(".", "::") + "::" + name
            done.add(key)
            if [f for _, f, _ in fields] == ["items"] and "repeated" in fields[0][0]:
                lines.append(f"list_type!({path});")
                continue
            parts = [f'{f} => "{camel(f)}"' for _, f, _ in fields]
            for _, _, refs in fields:
                wanted += refs
            lines.append(f"message!({path} {{ {', '.join(parts)} }});")
    head = ("// @generated by scripts/gen-pb-glue.py from k8s-pb and the OpenAPI v2\n"
            "// document of kube-apiserver v1.36 (openapi/v2.json.gz). Do not edit.\n\n")
    body = "\n".join(lines) + "\n\nresources! {\n"
    for g, v, k, path in sorted(set(resources)):
        body += f'    ("{g}", "{v}", "{k}") => {path},\n'
    body += "}\n"
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    open(OUT, "w").write(head + body)
    print(f"{len(lines)} messages, {len(set(resources))} kinds -> {OUT}")


if __name__ == "__main__":
    main()
