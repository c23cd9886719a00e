//! `kw token SA --audience A --duration 1h`: a TokenRequest.

use clap::Args;
use kubewire::PostParams;
use serde_json::{json, Value};

use crate::cli::Global;
use crate::cmd::namespace;
use crate::failure::{Failure, Result};
use crate::session;

/// `kw token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The service account.
    pub service_account: String,
    /// An audience of the token (repeatable).
    #[arg(long = "audience")]
    pub audiences: Vec<String>,
    /// Lifetime, e.g. `600s`, `10m`, `1h`.
    #[arg(long, default_value = "1h")]
    pub duration: String,
}

/// `kw token`.
pub async fn run(global: &Global, args: TokenArgs) -> Result<()> {
    let target = session::single(global)?;
    let seconds = crate::duration::parse(&args.duration, true)
        .map_err(|e| Failure::Usage(format!("--duration: {e}")))?
        .as_secs();
    let ns = namespace(global, &target);
    let mut spec = json!({ "expirationSeconds": seconds });
    if !args.audiences.is_empty() {
        spec["audiences"] = json!(args.audiences);
    }
    let body =
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec});
    let req = kubewire::known::service_accounts()
        .within(&ns)
        .create_subresource(
            &args.service_account,
            "token",
            &PostParams::default(),
            &body,
        )?;
    let resp: Value = target.client.call(&req).await?;
    match resp["status"]["token"].as_str() {
        Some(t) => {
            println!("{t}");
            Ok(())
        }
        None => Err(Failure::Input("the server answered without a token".into())),
    }
}
