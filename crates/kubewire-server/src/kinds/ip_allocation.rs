//! networking.k8s.io's allocation objects: the ServiceCIDRs Services'
//! cluster IPs come from and the IPAddresses that record each one taken.
//! This server allocates cluster IPs from `--service-cluster-ip-range`
//! itself ([`crate::services`]) and does not mirror them here; the
//! objects are stored and printed as kube-apiserver does.

use super::{col, documented, Builtin, AGE, BASE, NAME};

const NETWORKING: Builtin = Builtin {
    group: "networking.k8s.io",
    ..BASE
};

/// kube-apiserver's IPAddress printer declares no Age column (its rows
/// carry an extra age cell that no column names; kubectl shows the
/// declared two).
pub static IP_ADDRESSES: Builtin = Builtin {
    plural: "ipaddresses",
    columns: &[
        NAME,
        documented(
            col("ParentRef", "string", 0, |o| {
                let p = &o["spec"]["parentRef"];
                if !p.is_object() {
                    return "<none>".into();
                }
                let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
                // schema.GroupResource.String(): `resource.group`, or the
                // resource alone for the core group; lowercased.
                let mut out = if s("group").is_empty() {
                    s("resource")
                } else {
                    format!("{}.{}", s("resource"), s("group"))
                }
                .to_lowercase();
                if !s("namespace").is_empty() {
                    out = format!("{out}/{}", s("namespace"));
                }
                format!("{out}/{}", s("name")).into()
            }),
            "io.k8s.api.networking.v1.IPAddressSpec",
            "parentRef",
        ),
    ],
    ..NETWORKING
};

pub static SERVICE_CIDRS: Builtin = Builtin {
    plural: "servicecidrs",
    subresources: &["status"],
    columns: &[
        NAME,
        documented(
            col("CIDRs", "string", 0, |o| {
                let c: Vec<&str> = o["spec"]["cidrs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                    .collect();
                c.join(",").into()
            }),
            "io.k8s.api.networking.v1.ServiceCIDRSpec",
            "cidrs",
        ),
        AGE,
    ],
    ..NETWORKING
};
