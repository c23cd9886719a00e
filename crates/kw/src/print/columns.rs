//! `-o custom-columns=NAME:.metadata.name,RV:.metadata.resourceVersion`
//! (and `custom-columns-file`), as kubectl reads and prints them: a header
//! of the given names, each cell the values its expression finds joined by
//! `,`, or `<none>`.

use serde_json::Value;

use super::jsonpath::Template;

/// Parsed custom columns.
#[derive(Debug, Clone)]
pub struct CustomColumns {
    columns: Vec<(String, Template)>,
}

impl CustomColumns {
    /// `NAME:PATH,NAME:PATH...`
    pub fn parse(spec: &str) -> Result<Self, String> {
        if spec.is_empty() {
            return Err("custom-columns format specified but no custom columns given".into());
        }
        let mut columns = Vec::new();
        for part in spec.split(',') {
            let Some((name, path)) = part.split_once(':') else {
                return Err(format!(
                    "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                ));
            };
            columns.push((name.to_string(), relaxed(path)?));
        }
        Ok(CustomColumns { columns })
    }

    /// A file: the header names on the first line, the paths on the second.
    pub fn parse_file(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        let names: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
        let paths: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
        if names.len() != paths.len() {
            return Err(format!(
                "number of headers ({}) and field specifications ({}) don't match",
                names.len(),
                paths.len()
            ));
        }
        let columns = names
            .into_iter()
            .zip(paths)
            .map(|(n, p)| Ok((n.to_string(), relaxed(p)?)))
            .collect::<Result<_, String>>()?;
        Ok(CustomColumns { columns })
    }

    /// The header row.
    pub fn header(&self) -> Vec<String> {
        self.columns.iter().map(|(n, _)| n.clone()).collect()
    }

    /// One object's row.
    pub fn row(&self, obj: &Value) -> Vec<String> {
        self.columns
            .iter()
            .map(|(_, t)| match t.find(obj) {
                Ok(values) if !values.is_empty() => values
                    .iter()
                    .map(|v| super::table::escape_terminal(&super::table::go_sprint(v)))
                    .collect::<Vec<_>>()
                    .join(","),
                _ => "<none>".into(),
            })
            .collect()
    }
}

/// kubectl's `RelaxedJSONPathExpression`: `a.b`, `.a.b`, `{a.b}` and
/// `{.a.b}` all mean `{.a.b}`.
fn relaxed(path: &str) -> Result<Template, String> {
    let inner = path
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .unwrap_or(path);
    let inner = inner.strip_prefix('.').unwrap_or(inner);
    if inner.is_empty() || inner.contains(['{', '}']) {
        return Err("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'".into());
    }
    Template::parse(&format!("{{.{inner}}}"))
}
