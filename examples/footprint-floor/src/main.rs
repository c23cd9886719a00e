//! One HTTPS GET, body streamed to stdout: the TLS, HTTP and async stack
//! that any Rust Kubernetes client with rustls stands on, and nothing else.
//! Its size and build time are the floor under both footprint programs.

use std::io::Write;
use std::sync::Arc;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: footprint-floor https://HOST/PATH CA.pem")?;
    let ca = std::fs::read(std::env::args().nth(2).ok_or("no CA file")?)?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&ca) {
        roots.add(cert?)?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let mut body = client.get(url.parse()?).await?.into_body();
    let mut out = std::io::stdout().lock();
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            out.write_all(data)?;
        }
    }
    Ok(())
}
