//! `kw`: a command line a kubectl user already knows, built on kubewire.
//! Lists stream item by item, so memory stays flat however large the
//! collection.

// A std program: the workspace's no_std hygiene lints are for the core.
// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core,
    clippy::result_large_err,
    clippy::large_enum_variant
)]

mod cli;
mod demo;
mod failure;
mod get;
mod output;
mod sanitize;
mod session;
mod write;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, ConfigCommand};

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
            eprintln!("{}", e.describe());
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> failure::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Get(args) => get::get(&global, args).await,
        Command::ApiResources(args) => get::api_resources(&global, args).await,
        Command::Apply(args) => write::apply(&global, args).await,
        Command::Create(args) => write::create(&global, args).await,
        Command::Delete(args) => write::delete(&global, args).await,
        Command::Token(args) => write::token(&global, args).await,
        Command::Config {
            command: ConfigCommand::GetContexts,
        } => session::get_contexts(&global),
        Command::Config {
            command: ConfigCommand::CurrentContext,
        } => session::current_context(&global),
        Command::Serve(args) => demo::serve(args).await,
        Command::Demo(args) => demo::demo(&global, args).await,
    }
}
