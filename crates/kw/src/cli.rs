//! The command line, shaped like kubectl's: the flags every command takes
//! and the list of commands. Each command's own flags live beside its code
//! in `cmd/`, so a new command is a new file and one line here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::cmd;

/// kw: a streaming kubectl-like client built on kubewire.
#[derive(Debug, Parser)]
#[command(name = "kw", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Path to the kubeconfig file (else $KUBECONFIG, else ~/.kube/config).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Run against every context of the kubeconfig at once.
    #[arg(long, global = true)]
    pub all_contexts: bool,
    /// The namespace.
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// Log requests: 6 = method, URL, status and time; 7 = + request
    /// headers; 8 and up = + curl command and response headers. Secrets
    /// are always redacted.
    #[arg(short = 'v', long = "v", global = true, default_value_t = 0)]
    pub verbosity: u8,
    /// How long to wait for a server's answer: `5`, `5s`, `1m`; `0` waits
    /// for ever. Unset: 32 s.
    #[arg(long, global = true, value_parser = request_timeout)]
    pub request_timeout: Option<Duration>,
}

fn request_timeout(s: &str) -> Result<Duration, String> {
    crate::duration::parse(s, true)
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Display one or many resources; lists stream item by item.
    Get(cmd::get::GetArgs),
    /// Print the resources the server serves.
    ApiResources(cmd::api_resources::ApiResourcesArgs),
    /// Apply a configuration with server-side apply.
    Apply(cmd::manifest::FileArgs),
    /// Create resources from a file.
    Create(cmd::manifest::FileArgs),
    /// Delete resources by name, label or file.
    Delete(cmd::delete::DeleteArgs),
    /// Update fields of a resource with a merge, JSON or strategic patch.
    Patch(cmd::patch::PatchArgs),
    /// Update the labels of resources.
    Label(cmd::label::MetaArgs),
    /// Update the annotations of resources.
    Annotate(cmd::label::MetaArgs),
    /// Wait until resources are deleted or meet a condition.
    Wait(cmd::wait::WaitArgs),
    /// Serve the API of the kubeconfig's contexts under
    /// `/clusters/CONTEXT/` on loopback, with their credentials, for pages.
    Proxy(cmd::proxy::ProxyArgs),
    /// Serve a page (`--www`, e.g. examples/dashboard with the kubewire-web
    /// package: `just dashboard`) behind `kw proxy`, against every context
    /// of the kubeconfig, or the embedded server when there is none.
    Dashboard(cmd::dashboard::DashboardArgs),
    /// Request a service-account token (TokenRequest).
    Token(cmd::token::TokenArgs),
    /// Modify or read kubeconfig files.
    Config {
        #[command(subcommand)]
        command: cmd::config::ConfigCommand,
    },
    /// Run kubewire-server, a small Kubernetes-compatible API server.
    #[cfg(feature = "server")]
    Serve(crate::embedded::ServeArgs),
    /// Show kubewire at work: start an embedded server when no cluster is
    /// configured, create objects and watch them change.
    Demo(cmd::demo::DemoArgs),
}
