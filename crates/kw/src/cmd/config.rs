//! `kw config get-contexts` and `kw config current-context`.

use clap::Subcommand;

use crate::cli::Global;
use crate::failure::Result;
use crate::print::table::Aligner;
use crate::session::load_config;

/// `kw config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// List the contexts of the kubeconfig.
    GetContexts,
    /// Print the current context.
    CurrentContext,
}

/// Run a `kw config` subcommand.
pub fn run(global: &Global, command: ConfigCommand) -> Result<()> {
    let loaded = load_config(global)?;
    let k = &loaded.kubeconfig;
    match command {
        ConfigCommand::GetContexts => {
            let current = k.current_context.as_deref().unwrap_or("");
            let mut rows = vec![vec![
                "CURRENT".to_string(),
                "NAME".into(),
                "CLUSTER".into(),
                "AUTHINFO".into(),
                "NAMESPACE".into(),
            ]];
            for c in &k.contexts {
                rows.push(vec![
                    if c.name == current {
                        "*".into()
                    } else {
                        String::new()
                    },
                    c.name.clone(),
                    c.context.cluster.clone(),
                    c.context.user.clone(),
                    c.context.namespace.clone().unwrap_or_default(),
                ]);
            }
            let _ = Aligner::default().write(&mut std::io::stdout().lock(), &rows);
            Ok(())
        }
        ConfigCommand::CurrentContext => {
            match k.current_context.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => {
                    println!("{c}");
                    Ok(())
                }
                None => Err(kubewire::ConfigError::NoCurrentContext.into()),
            }
        }
    }
}
