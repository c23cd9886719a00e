//! kubectl's rules for merging the files listed in `KUBECONFIG`.

use super::Kubeconfig;

/// Merge kubeconfigs in `KUBECONFIG` order, the way kubectl does.
///
/// - A cluster, user or context name is taken from the **first** file that
///   defines it; later definitions of the same name are ignored, never
///   mixed field by field.
/// - `current-context` comes from the first file that sets one.
///
/// Resolve each file's relative paths ([`Kubeconfig::resolve_paths`])
/// before merging.
pub fn merge(files: impl IntoIterator<Item = Kubeconfig>) -> Kubeconfig {
    let mut out = Kubeconfig::default();
    for file in files {
        for c in file.clusters {
            if !out.clusters.iter().any(|x| x.name == c.name) {
                out.clusters.push(c);
            }
        }
        for u in file.users {
            if !out.users.iter().any(|x| x.name == u.name) {
                out.users.push(u);
            }
        }
        for c in file.contexts {
            if !out.contexts.iter().any(|x| x.name == c.name) {
                out.contexts.push(c);
            }
        }
        if out.current_context.as_deref().is_none_or(str::is_empty) {
            if let Some(cc) = file.current_context.filter(|c| !c.is_empty()) {
                out.current_context = Some(cc);
            }
        }
    }
    out
}
