//! `kubewire-server`: run the server in the foreground.
//!
//! ```text
//! kubewire-server [--listen ADDR] [--data DIR] [--recover] [--token-file FILE] [--tls]
//!                 [--write-kubeconfig FILE] [--cors-origin ORIGIN]...
//!                 [--service-cluster-ip-range CIDR] [--namespace-defaults]
//!                 [--etcd-servers URL,...] [--etcd-prefix P] [--etcd-cafile F]
//!                 [--etcd-certfile F] [--etcd-keyfile F] [--etcd-compaction-interval D]
//! ```

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

const USAGE: &str =
    "usage: kubewire-server [--listen ADDR] [--data DIR] [--recover] [--token-file FILE] [--tls]
                       [--write-kubeconfig FILE] [--cors-origin ORIGIN]...
                       [--service-cluster-ip-range CIDR] [--namespace-defaults]
                       [aggregation flags, below]
                       [--etcd-servers URL,...] [--etcd-prefix P] [--etcd-cafile F]
                       [--etcd-certfile F] [--etcd-keyfile F] [--etcd-compaction-interval D]

  --listen ADDR            address to listen on (default 127.0.0.1:0, a free port)
  --data DIR               keep objects in DIR (crash-safe); in memory without
  --recover                start even if DIR is damaged: keep every record that
                           verifies, copy the damaged files to DIR/damaged-<time>/
  --token-file FILE        require bearer tokens (CSV: token,user,...)
  --tls                    serve HTTPS with a CA generated into the data dir
  --write-kubeconfig FILE  write a kubeconfig for the running server to FILE
  --cors-origin ORIGIN     let pages from ORIGIN (http://127.0.0.1:8080) call the
                           API from a browser; repeatable; `*` = any, no credentials
  --service-cluster-ip-range CIDR
                           where Services' cluster IPs come from (default 10.96.0.0/12)
  --namespace-defaults     give every namespace a `default` ServiceAccount and a
                           `kube-root-ca.crt` ConfigMap, as kube-controller-manager does
  --etcd-servers URL,...   keep objects in etcd v3 (http:// or https://) instead of
                           the embedded log; several servers may share one etcd
  --etcd-prefix P          prefix of every etcd key (default /registry)
  --etcd-cafile F          CA of etcd's serving certificate (TLS to etcd)
  --etcd-certfile F        client certificate for etcd (with --etcd-keyfile)
  --etcd-keyfile F         its key
  --etcd-compaction-interval D
                           compact etcd this often (5m default; 0 = never; 500ms, 10s, 1h)
  --tls-san NAME           another name for the generated server certificate
                           (SERVICE.NAMESPACE.svc for an aggregated API server)

Aggregated API server (behind kube-apiserver, or a kubewire-server front):
  --requestheader-client-ca-file FILE
                           clients with a certificate from this CA may name the
                           user in headers (needs --tls)
  --requestheader-allowed-names A,B
                           ... only with one of these common names (default any)
  --requestheader-username-headers H,...      (default X-Remote-User)
  --requestheader-group-headers H,...         (default X-Remote-Group)
  --requestheader-extra-headers-prefix P,...  (default X-Remote-Extra-)
  --authorization-kubeconfig FILE
                           authorize those users with SubjectAccessReviews to
                           this kubeconfig's server (answers cached 10 s)
  --serve-group GROUP,...  serve only these groups to them (discovery, OpenAPI,
                           requests); this server's own admins see everything
Front (kube-aggregator): APIService objects proxy their group to a backend
  --proxy-client-cert-file FILE, --proxy-client-key-file FILE
                           the client certificate presented to backends
";

fn main() {
    let mut builder = kubewire_server::Server::builder();
    let mut kubeconfig: Option<PathBuf> = None;
    let mut rh: Option<kubewire_server::aggregation::requestheader::Options> = None;
    let mut rh_lists: Vec<(String, Vec<String>)> = Vec::new();
    let mut proxy_cert: Option<String> = None;
    let mut proxy_key: Option<String> = None;
    let read = |p: &str| {
        std::fs::read_to_string(p).unwrap_or_else(|e| {
            eprintln!("kubewire-server: reading {p}: {e}");
            std::process::exit(2)
        })
    };
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    };
    let mut etcd = kubewire_server::storage::etcd::EtcdConfig::new(Vec::new());
    let mut args = std::env::args().skip(1);
    let fail = |m: String| -> ! {
        eprintln!("kubewire-server: {m}\n\n{USAGE}");
        std::process::exit(2)
    };
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| fail(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--listen" => {
                let v = value();
                let addr: SocketAddr = v
                    .parse()
                    .unwrap_or_else(|_| fail(format!("bad address {v}")));
                builder = builder.listen(addr);
            }
            "--data" => builder = builder.data_dir(value()),
            "--recover" => builder = builder.recover(true),
            "--token-file" => builder = builder.token_file(value()),
            "--tls" => builder = builder.tls(true),
            "--namespace-defaults" => builder = builder.namespace_defaults(true),
            "--cors-origin" => builder = builder.cors_origin(&value()),
            "--write-kubeconfig" => kubeconfig = Some(PathBuf::from(value())),
            "--service-cluster-ip-range" => {
                let range =
                    kubewire_server::services::IpRange::parse(&value()).unwrap_or_else(|e| fail(e));
                builder = builder.service_cluster_ip_range(range);
            }
            "--tls-san" => builder = builder.tls_san(&value()),
            "--requestheader-client-ca-file" => {
                rh = Some(kubewire_server::aggregation::requestheader::Options::new(
                    read(&value()),
                ))
            }
            "--requestheader-allowed-names"
            | "--requestheader-username-headers"
            | "--requestheader-group-headers"
            | "--requestheader-extra-headers-prefix" => {
                rh_lists.push((flag.clone(), list(&value())));
            }
            "--authorization-kubeconfig" => builder = builder.authorization_kubeconfig(value()),
            "--serve-group" => {
                for g in list(&value()) {
                    builder = builder.serve_group(&g);
                }
            }
            "--proxy-client-cert-file" => proxy_cert = Some(read(&value())),
            "--proxy-client-key-file" => proxy_key = Some(read(&value())),
            "--etcd-servers" => {
                etcd.endpoints = value()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            "--etcd-prefix" => etcd.prefix = value(),
            "--etcd-cafile" => etcd.ca_file = Some(PathBuf::from(value())),
            "--etcd-certfile" => etcd.cert_file = Some(PathBuf::from(value())),
            "--etcd-keyfile" => etcd.key_file = Some(PathBuf::from(value())),
            "--etcd-compaction-interval" => {
                let v = value();
                let d = parse_duration(&v).unwrap_or_else(|| fail(format!("bad duration {v}")));
                etcd.compaction_interval = (!d.is_zero()).then_some(d);
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                return;
            }
            other => fail(format!("unknown flag {other}")),
        }
    }
    match (rh, rh_lists.is_empty()) {
        (Some(mut o), _) => {
            for (flag, values) in rh_lists {
                match flag.as_str() {
                    "--requestheader-allowed-names" => o.allowed_names = values,
                    "--requestheader-username-headers" => o.username_headers = values,
                    "--requestheader-group-headers" => o.group_headers = values,
                    _ => o.extra_prefixes = values,
                }
            }
            builder = builder.requestheader(o);
        }
        (None, false) => fail("--requestheader-* flags need --requestheader-client-ca-file".into()),
        (None, true) => {}
    }
    match (proxy_cert, proxy_key) {
        (Some(c), Some(k)) => builder = builder.proxy_client_cert(&c, &k),
        (None, None) => {}
        _ => fail("--proxy-client-cert-file and --proxy-client-key-file go together".into()),
    }
    if !etcd.endpoints.is_empty() {
        builder = builder.etcd(etcd);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("starting the runtime: {e}")));
    rt.block_on(async move {
        let server = builder
            .start()
            .await
            .unwrap_or_else(|e| fail(e.to_string()));
        // Print errors (a closed stdout) must not take the server down.
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "kubewire-server listening on {}", server.url());
        let _ = stdout.flush();
        if let Some(p) = &kubeconfig {
            if let Err(e) = server.write_kubeconfig(p) {
                fail(format!("writing {}: {e}", p.display()));
            }
            let _ = writeln!(stdout, "kubeconfig written to {}", p.display());
            let _ = stdout.flush();
        }
        wait_for_signal().await;
        server.shutdown().await;
    });
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `0`, or a number with `ms`, `s`, `m` or `h` (Go's duration units that
/// kube-apiserver's flag is usually given in).
fn parse_duration(v: &str) -> Option<std::time::Duration> {
    if v == "0" {
        return Some(std::time::Duration::ZERO);
    }
    let split = v.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = v.split_at(split);
    let n: u64 = n.parse().ok()?;
    let ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    Some(std::time::Duration::from_millis(n.checked_mul(ms)?))
}
