//! The command line, shaped like kubectl's.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Seconds to wait for a response (0 = 32 s).
    #[arg(long, global = true, default_value_t = 0)]
    pub request_timeout: u64,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Display one or many resources; lists stream item by item.
    Get(GetArgs),
    /// Print the resources the server serves.
    ApiResources(ApiResourcesArgs),
    /// Apply a configuration with server-side apply.
    Apply(FileArgs),
    /// Create resources from a file.
    Create(FileArgs),
    /// Delete resources by name, label or file.
    Delete(DeleteArgs),
    /// Request a service-account token (TokenRequest).
    Token(TokenArgs),
    /// Modify or read kubeconfig files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run kubewire-server, a small Kubernetes-compatible API server.
    Serve(ServeArgs),
    /// Show kubewire at work: start an embedded server when no cluster is
    /// configured, create objects and watch them change.
    Demo(DemoArgs),
}

/// `kw config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// List the contexts of the kubeconfig.
    GetContexts,
    /// Print the current context.
    CurrentContext,
}

/// Output formats of `get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// The server's table (what kubectl shows).
    Table,
    /// The table with every column.
    Wide,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// `kind/name` only.
    Name,
}

/// `kw get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The resource type (`pods`, `cm`, `deploy`, `widgets.example.com`),
    /// or `TYPE/NAME`.
    pub resource: Option<String>,
    /// Names of objects to get.
    pub names: Vec<String>,
    /// List across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Label selector, e.g. `app=web,tier in (a,b)`.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Field selector, e.g. `metadata.name=x`.
    #[arg(long)]
    pub field_selector: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// After listing, watch for changes.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// With `-w`: keep the watched state in DIR, and next time resume the
    /// watch from it instead of from the listing (changes made while kw was
    /// not watching are printed after the listing).
    #[arg(long, value_name = "DIR", requires = "watch")]
    pub cache: Option<std::path::PathBuf>,
    /// Page size of LIST requests.
    #[arg(long, default_value_t = 500)]
    pub chunk_size: u32,
    /// GET a raw URL path and print the body (e.g. `/api/v1`).
    #[arg(long)]
    pub raw: Option<String>,
}

/// `kw api-resources`.
#[derive(Debug, Args)]
pub struct ApiResourcesArgs {
    /// Only namespaced (`true`) or cluster-scoped (`false`) resources.
    #[arg(long)]
    pub namespaced: Option<bool>,
}

/// Commands that read manifests.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// A YAML or JSON file (several documents allowed), or `-` for stdin.
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<PathBuf>,
    /// For apply: take over fields other managers own.
    #[arg(long)]
    pub force_conflicts: bool,
    /// The field manager name.
    #[arg(long, default_value = "kw")]
    pub field_manager: String,
    /// Validate on the server only; store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `kw delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The resource type, or `TYPE/NAME`.
    pub resource: Option<String>,
    /// Names of objects to delete.
    pub names: Vec<String>,
    /// Delete what these files describe.
    #[arg(short = 'f', long = "filename")]
    pub files: Vec<PathBuf>,
    /// Delete every object matching this label selector.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Do not fail when an object is already gone.
    #[arg(long)]
    pub ignore_not_found: bool,
}

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

/// `kw serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Keep objects in this directory (crash-safe); in memory without it.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Require bearer tokens from this CSV file (token,user,...).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Serve HTTPS with a CA generated into the data directory.
    #[arg(long)]
    pub tls: bool,
    /// Write a kubeconfig for the running server here.
    #[arg(long)]
    pub write_kubeconfig: Option<PathBuf>,
    /// Let pages from this origin (`http://127.0.0.1:8080`) call the API
    /// from a browser (CORS); repeatable; `*` allows any origin, without credentials.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
}

/// `kw demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the embedded server running after the demo, for kubectl and kw.
    #[arg(long)]
    pub follow: bool,
    /// Use the embedded server even when a cluster is configured.
    #[arg(long)]
    pub embedded: bool,
    /// How many ConfigMaps the streaming-list part creates.
    #[arg(long, default_value_t = 5000)]
    pub objects: usize,
}
