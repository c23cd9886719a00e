//! A deterministic generator of realistic Pods (2–4 KB of compact JSON each),
//! shaped like what a v1.36 API server sends for a Deployment's Pods: labels,
//! annotations, owner references, a defaulted spec with env, probes, resources
//! and the injected service-account volume, and a Running status.

use serde_json::{json, Value};

/// A small xorshift RNG: the same seed gives the same Pods on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap())
            .collect()
    }
    fn uid(&mut self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12)
        )
    }
}

const APPS: &[&str] = &[
    "web", "api", "worker", "cache", "gateway", "billing", "search", "auth",
];
const IMAGES: &[&str] = &[
    "registry.example.com/web/frontend:v2.14.3",
    "registry.example.com/platform/api-server:1.33.0",
    "docker.io/library/redis:7.4.1-alpine",
    "ghcr.io/example/worker@sha256:3f1d5c0e8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
];

/// Pod number `i` as a JSON value.
pub fn pod(i: u64, rng: &mut Rng) -> Value {
    let app = APPS[rng.below(APPS.len() as u64) as usize];
    let hash = rng.hex(10);
    let name = format!("{app}-{hash}-{}", rng.hex(5));
    let ns = format!("team-{}", rng.below(40));
    // A quarter of the Pods have a sidecar: 2–4 KB of compact JSON per Pod.
    let containers = 1 + u64::from(rng.below(4) == 0);
    let mut cs = Vec::new();
    let mut statuses = Vec::new();
    for c in 0..containers {
        let cname = if c == 0 {
            app.to_string()
        } else {
            "sidecar".to_string()
        };
        let image = IMAGES[rng.below(IMAGES.len() as u64) as usize];
        cs.push(json!({
            "name": cname,
            "image": image,
            "ports": [{"name": "http", "containerPort": 8080 + c, "protocol": "TCP"}],
            "env": [
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                {"name": "LOG_LEVEL", "value": if rng.below(2) == 0 { "info" } else { "debug" }},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": format!("{app}-db"), "key": "password"}}}
            ],
            "resources": {
                "limits": {"cpu": format!("{}m", 250 * (1 + rng.below(8))), "memory": format!("{}Mi", 128 * (1 + rng.below(8)))},
                "requests": {"cpu": "100m", "memory": "64Mi"}
            },
            "volumeMounts": [
                {"name": "config", "mountPath": "/etc/app", "readOnly": true},
                {"name": "kube-api-access-x7k2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}
            ],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080 + c, "scheme": "HTTP"}, "initialDelaySeconds": 10, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent"
        }));
        statuses.push(json!({
            "name": if c == 0 { app } else { "sidecar" },
            "state": {"running": {"startedAt": "2026-11-20T08:15:31Z"}},
            "lastState": {},
            "ready": true,
            "restartCount": rng.below(3),
            "image": image,
            "imageID": format!("{image}@sha256:{}", rng.hex(64)),
            "containerID": format!("containerd://{}", rng.hex(64)),
            "started": true
        }));
    }
    let pod_ip = format!(
        "10.{}.{}.{}",
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    );
    json!({
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "generateName": format!("{app}-{hash}-"),
            "namespace": ns,
            "uid": rng.uid(),
            "resourceVersion": (100_000 + i).to_string(),
            "creationTimestamp": "2026-11-20T08:15:29Z",
            "labels": {"app": app, "pod-template-hash": hash, "tier": if rng.below(2) == 0 { "frontend" } else { "backend" }, "version": format!("v{}", rng.below(5))},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-19T22:04:11Z", "prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-{hash}"), "uid": rng.uid(), "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {
            "volumes": [
                {"name": "config", "configMap": {"name": format!("{app}-config"), "defaultMode": 420}},
                {"name": "kube-api-access-x7k2p", "projected": {"sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
                ], "defaultMode": 420}}
            ],
            "containers": cs,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "nodeName": format!("node-{}", rng.below(200)),
            "securityContext": {"fsGroup": 2000},
            "schedulerName": "default-scheduler",
            "priority": 0,
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority"
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:29Z"},
                {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:33Z"},
                {"type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:33Z"},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:29Z"}
            ],
            "hostIP": format!("192.168.{}.{}", rng.below(256), rng.below(256)),
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": "2026-11-20T08:15:29Z",
            "containerStatuses": statuses,
            "qosClass": "Burstable"
        }
    })
}

/// A watch stream of `n` events (mostly MODIFIED, some ADDED/DELETED, a
/// BOOKMARK every 1000), one JSON line each.
pub fn watch_stream(n: u64, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for i in 0..n {
        if i % 1000 == 999 {
            let line = json!({"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": (100_000 + i).to_string()}}});
            serde_json::to_writer(&mut out, &line).unwrap();
        } else {
            let t = match rng.below(10) {
                0 => "ADDED",
                1 => "DELETED",
                _ => "MODIFIED",
            };
            let line = json!({"type": t, "object": pod(i, &mut rng)});
            serde_json::to_writer(&mut out, &line).unwrap();
        }
        out.push(b'\n');
    }
    out
}

/// A PodList body of `n` Pods, produced in pieces of about `chunk` bytes
/// without ever holding the whole body, so that a streaming consumer's peak
/// memory is its own.
pub struct ListBody {
    rng: Rng,
    next: u64,
    n: u64,
    pending: Vec<u8>,
    chunk: usize,
    done: bool,
}

impl ListBody {
    pub fn new(n: u64, seed: u64, chunk: usize) -> Self {
        let mut pending = Vec::new();
        pending.extend_from_slice(br#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"99999"},"items":["#);
        ListBody {
            rng: Rng::new(seed),
            next: 0,
            n,
            pending,
            chunk,
            done: false,
        }
    }
}

impl Iterator for ListBody {
    type Item = Vec<u8>;
    fn next(&mut self) -> Option<Vec<u8>> {
        while self.pending.len() < self.chunk && !self.done {
            if self.next == self.n {
                self.pending.extend_from_slice(b"]}");
                self.done = true;
                break;
            }
            if self.next > 0 {
                self.pending.push(b',');
            }
            serde_json::to_writer(&mut self.pending, &pod(self.next, &mut self.rng)).unwrap();
            self.next += 1;
        }
        if self.pending.is_empty() {
            return None;
        }
        let take = self.pending.len().min(self.chunk);
        let rest = self.pending.split_off(take);
        Some(std::mem::replace(&mut self.pending, rest))
    }
}
