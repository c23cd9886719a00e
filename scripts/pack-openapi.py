#!/usr/bin/env python3
"""Packs the OpenAPI v3 documents kube-apiserver v1.36.2 served (captured
in ../shared/data/real-apiserver as openapi-v3-api-v1.json and
openapi-v3-apis-GROUP-VERSION.json) into crates/kubewire-server/openapi/v3.json.gz:
one JSON object from "api/v1" / "apis/GROUP/VERSION" to the document, as
the server serves them at /openapi/v3/<key>. The v2 document is the
captured openapi-v2.json, gzipped as openapi/v2.json.gz. Usage:
  python3 scripts/pack-openapi.py DIR_WITH_CAPTURES
"""
import glob
import gzip
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = sys.argv[1]
docs = {}
for f in sorted(glob.glob(os.path.join(src, "openapi-v3-ap*.json"))):
    stem = os.path.basename(f)[len("openapi-v3-"):-len(".json")]
    if stem.endswith("-with-hash") or stem.endswith("stale-hash"):
        continue
    doc = json.load(open(f))
    if "components" not in doc:
        continue  # a group's version list, not a document
    if stem == "api-v1":
        key = "api/v1"
    else:
        if "-" not in stem[len("apis-"):]:
            continue
        g, v = stem[len("apis-"):].rsplit("-", 1)
        if g in ("shop.example.com", "example.com"):
            continue  # captured CRDs: this server builds those from the CRD
        key = f"apis/{g}/{v}"
    docs[key] = doc
out = os.path.join(ROOT, "crates/kubewire-server/openapi/v3.json.gz")
with gzip.open(out, "wt", compresslevel=9) as z:
    json.dump(docs, z, separators=(",", ":"))
v2 = json.load(open(os.path.join(src, "openapi-v2.json")))
# The captured cluster had CRDs of its own; this server adds its CRDs' schemas itself.
v2["definitions"] = {k: v for k, v in v2["definitions"].items() if k.startswith("io.k8s.")}
v2["paths"] = {k: v for k, v in v2["paths"].items() if "example.com" not in k}
with gzip.open(os.path.join(ROOT, "crates/kubewire-server/openapi/v2.json.gz"), "wt", compresslevel=9) as z:
    json.dump(v2, z, separators=(",", ":"))
print(len(docs), "documents:", ", ".join(sorted(docs)))
