//! `kw`: a command line a kubectl user already knows, built on kubewire.
//! Lists stream item by item, so memory stays flat however large the
//! collection.
//!
//! Layout: `cli` (flags every command takes, the list of commands), one
//! module per command in `cmd/`, `print/` (every output form, for lists,
//! single objects and watch events), `watch` (`get -w`), `session` (which
//! clusters, `-v` logging), `failure` (how errors read). The embedded API
//! server (`kw serve`, and `kw demo` without a cluster) is the default
//! cargo feature `server`; without it kw links no server, JWT or
//! certificate-generation code.

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

mod cli;
mod cmd;
mod duration;
#[cfg(feature = "server")]
mod embedded;
mod failure;
mod print;
mod sanitize;
mod session;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let message = e.describe();
            if !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> failure::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Get(args) => cmd::get::run(&global, args).await,
        Command::ApiResources(args) => cmd::api_resources::run(&global, args).await,
        Command::Apply(args) => cmd::manifest::apply(&global, args).await,
        Command::Create(args) => cmd::manifest::create(&global, args).await,
        Command::Delete(args) => cmd::delete::run(&global, args).await,
        Command::Patch(args) => cmd::patch::run(&global, args).await,
        Command::Label(args) => cmd::label::run(&global, cmd::label::Field::Labels, args).await,
        Command::Annotate(args) => {
            cmd::label::run(&global, cmd::label::Field::Annotations, args).await
        }
        Command::Wait(args) => cmd::wait::run(&global, args).await,
        Command::Proxy(args) => cmd::proxy::run(&global, args).await,
        Command::Dashboard(args) => cmd::dashboard::run(&global, args).await,
        Command::Token(args) => cmd::token::run(&global, args).await,
        Command::Config { command } => cmd::config::run(&global, command),
        #[cfg(feature = "server")]
        Command::Serve(args) => embedded::serve(args).await,
        Command::Demo(args) => cmd::demo::run(&global, args).await,
    }
}
