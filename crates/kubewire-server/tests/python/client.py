"""The official Python `kubernetes` client against kubewire-server: version,
CRUD, watch, pagination, scale, SelfSubjectAccessReview, Events v1.
Run by tests/python_client.rs with KUBECONFIG pointing at the server.
Prints one `ok <step>` line per step; any failure raises."""
import datetime
import os
import threading

from kubernetes import client, config, watch

config.load_kube_config(os.environ["KUBECONFIG"])
api = client.ApiClient()
core = client.CoreV1Api(api)
apps = client.AppsV1Api(api)
ns = "py"


def ok(step):
    print("ok", step, flush=True)


# /version/ (VersionApi sends the trailing slash).
v = client.VersionApi(api).get_code()
assert v.git_version == "v1.36.2", v
ok("version")

core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
cm = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c0", labels={"app": "py"}), data={"a": "1"}))
assert cm.metadata.uid and cm.data == {"a": "1"}
got = core.read_namespaced_config_map("c0", ns)
assert got.metadata.resource_version == cm.metadata.resource_version
core.patch_namespaced_config_map("c0", ns, {"data": {"b": "2"}})
got.data = {"z": "9"}
rep = core.replace_namespaced_config_map("c0", ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c0", resource_version=core.read_namespaced_config_map("c0", ns).metadata.resource_version), data={"z": "9"}))
assert rep.data == {"z": "9"}
try:
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c0")))
    raise AssertionError("a second create must fail")
except client.ApiException as e:
    assert e.status == 409 and "AlreadyExists" in e.body
ok("crud")

for i in range(1, 7):
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"c{i}"), data={"i": str(i)}))
seen, token = [], None
while True:
    page = core.list_namespaced_config_map(ns, limit=2, _continue=token)
    seen += [c.metadata.name for c in page.items]
    token = page.metadata._continue
    if not token:
        break
assert seen == [f"c{i}" for i in range(7)], seen
ok("pagination")

events = []
def writer():
    import time
    time.sleep(0.5)
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="watched")))
threading.Thread(target=writer).start()
w = watch.Watch()
rv = core.list_namespaced_config_map(ns).metadata.resource_version
for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10):
    events.append((ev["type"], ev["object"].metadata.name))
    if ev["object"].metadata.name == "watched":
        w.stop()
assert ("ADDED", "watched") in events, events
ok("watch")

dep = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="web"),
    spec=client.V1DeploymentSpec(
        replicas=2,
        selector=client.V1LabelSelector(match_labels={"app": "web"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "web"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx")]))))
apps.create_namespaced_deployment(ns, dep)
s = apps.read_namespaced_deployment_scale("web", ns)
assert s.spec.replicas == 2 and s.status.selector == "app=web", s
apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 4}})
assert apps.read_namespaced_deployment("web", ns).spec.replicas == 4
ok("scale")

review = client.AuthorizationV1Api(api).create_self_subject_access_review(
    client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(namespace=ns, verb="list", resource="secrets"))))
assert review.status.allowed is True, review
ok("selfsubjectaccessreview")

ev = client.EventsV1Api(api).create_namespaced_event(ns, client.EventsV1Event(
    metadata=client.V1ObjectMeta(name="web.1"),
    event_time=datetime.datetime.now(datetime.timezone.utc),
    reporting_controller="py/controller", reporting_instance="py-0",
    action="Scaled", reason="Scaled", type="Normal", note="scaled to 4",
    regarding=client.V1ObjectReference(kind="Deployment", name="web", namespace=ns, api_version="apps/v1")))
listed = client.EventsV1Api(api).list_namespaced_event(ns)
assert [e.metadata.name for e in listed.items] == ["web.1"] and listed.items[0].note == "scaled to 4"
ok("events.k8s.io")

core.delete_namespaced_config_map("c0", ns)
try:
    core.read_namespaced_config_map("c0", ns)
    raise AssertionError("deleted")
except client.ApiException as e:
    assert e.status == 404
ok("delete")
