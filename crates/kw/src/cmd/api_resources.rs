//! `kw api-resources`: what the server serves, sorted as kubectl sorts it
//! (by API group, the core group first, then by name).

use clap::Args;

use crate::cli::Global;
use crate::failure::Result;
use crate::print::table::Aligner;
use crate::session;

/// `kw api-resources`.
#[derive(Debug, Args)]
pub struct ApiResourcesArgs {
    /// Only namespaced (`true`) or cluster-scoped (`false`) resources.
    #[arg(long)]
    pub namespaced: Option<bool>,
}

/// `kw api-resources`.
pub async fn run(global: &Global, args: ApiResourcesArgs) -> Result<()> {
    let mut target = session::single(global)?;
    let mapper = target.discovery.all().await?;
    let mut seen = std::collections::BTreeSet::new();
    let mut resources: Vec<_> = mapper
        .resources
        .iter()
        .filter(|r| {
            args.namespaced
                .is_none_or(|n| n == r.resource.is_namespaced())
        })
        // Like kubectl: one line per resource, in its preferred version
        // (discovery lists that first).
        .filter(|r| seen.insert((r.resource.group.clone(), r.resource.plural.clone())))
        .collect();
    resources.sort_by(|a, b| {
        (a.resource.group.as_str(), a.resource.plural.as_str())
            .cmp(&(b.resource.group.as_str(), b.resource.plural.as_str()))
    });
    let mut rows = vec![vec![
        "NAME".to_string(),
        "SHORTNAMES".into(),
        "APIVERSION".into(),
        "NAMESPACED".into(),
        "KIND".into(),
    ]];
    for r in resources {
        rows.push(vec![
            r.resource.plural.clone(),
            r.short_names.join(","),
            r.resource.api_version(),
            r.resource.is_namespaced().to_string(),
            r.resource.kind.clone(),
        ]);
    }
    let _ = Aligner::default().write(&mut std::io::stdout().lock(), &rows);
    Ok(())
}
