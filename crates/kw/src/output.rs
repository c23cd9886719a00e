//! Printing: server-side tables, and objects as JSON, YAML or `kind/name`,
//! written as they stream so nothing is collected first.

use std::io::Write;

use kubewire::ResourceInfo;
use serde_json::{Map, Value};

/// Print rows as aligned columns, kubectl's way (three spaces apart).
pub fn print_aligned(rows: &[Vec<String>]) {
    let mut out = std::io::stdout().lock();
    let _ = write_aligned(&mut out, rows, None);
}

/// Write rows aligned, with column widths at least `min_widths`; returns
/// the widths used, so later rows (a watch) can line up.
pub fn write_aligned(
    out: &mut impl Write,
    rows: &[Vec<String>],
    min_widths: Option<&[usize]>,
) -> std::io::Result<Vec<usize>> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    if let Some(min) = min_widths {
        for (w, m) in widths.iter_mut().zip(min) {
            *w = *m;
        }
    }
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count() + 3;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(widths)
}

/// The columns of a `meta.k8s.io/v1` Table to show.
pub struct TableColumns {
    /// Index into each row's cells, and the header.
    pub columns: Vec<(usize, String)>,
}

impl TableColumns {
    /// The columns of `table` (priority 0 only unless `wide`).
    pub fn of(table: &Value, wide: bool) -> Self {
        let defs = table["columnDefinitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let columns = defs
            .iter()
            .enumerate()
            .filter(|(_, d)| wide || d["priority"].as_i64().unwrap_or(0) == 0)
            .map(|(i, d)| (i, d["name"].as_str().unwrap_or("").to_uppercase()))
            .collect();
        TableColumns { columns }
    }

    /// The header row, with optional CLUSTER and NAMESPACE columns first.
    pub fn header(&self, cluster: bool, namespace: bool) -> Vec<String> {
        let mut h = Vec::new();
        if cluster {
            h.push("CLUSTER".into());
        }
        if namespace {
            h.push("NAMESPACE".into());
        }
        h.extend(self.columns.iter().map(|(_, n)| n.clone()));
        h
    }

    /// One table row as strings.
    pub fn row(&self, row: &Value, cluster: Option<&str>, namespace: bool) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(c) = cluster {
            out.push(c.to_string());
        }
        if namespace {
            out.push(
                row["object"]["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            );
        }
        for (i, _) in &self.columns {
            out.push(cell(&row["cells"][*i]));
        }
        out
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<none>".into(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// `configmap/name`, `deployment.apps/name`: what `-o name` prints.
pub fn kind_name(info: &ResourceInfo, name: &str) -> String {
    let kind = info.resource.kind.to_lowercase();
    if info.resource.group.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}.{}/{name}", info.resource.group)
    }
}

/// List items carry no `kind`/`apiVersion`; put them back first, as kubectl does.
pub fn with_type(info: &ResourceInfo, item: Value) -> Value {
    match item {
        Value::Object(fields) if !fields.contains_key("kind") => {
            let mut out = Map::new();
            out.insert(
                "apiVersion".into(),
                Value::from(info.resource.api_version()),
            );
            out.insert("kind".into(), Value::from(info.resource.kind.clone()));
            out.extend(fields);
            Value::Object(out)
        }
        other => other,
    }
}

/// Keys sorted at every level, as kubectl prints objects (it goes through
/// Go maps); the server's own order is kept in memory but not shown.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// JSON with kubectl's four-space indent and sorted keys.
pub fn json(value: &Value) -> String {
    let value = &sorted(value);
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(value, &mut ser).expect("a Value always serialises");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// YAML for one document, keys sorted.
pub fn yaml(value: &Value) -> String {
    serde_norway::to_string(&sorted(value))
        .unwrap_or_else(|e| format!("# cannot render as YAML: {e}\n"))
}

/// Streams a list as one `kind: List` document, item by item.
pub struct ListPrinter {
    format: crate::cli::Output,
    count: usize,
}

impl ListPrinter {
    /// A printer for `-o json` or `-o yaml`.
    pub fn new(format: crate::cli::Output) -> Self {
        ListPrinter { format, count: 0 }
    }

    /// Print one item.
    pub fn item(&mut self, out: &mut impl Write, item: &Value) -> std::io::Result<()> {
        use crate::cli::Output;
        match self.format {
            Output::Json => {
                let text = json(item);
                let sep = if self.count == 0 {
                    "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n"
                } else {
                    ",\n"
                };
                write!(out, "{sep}")?;
                for (i, line) in text.lines().enumerate() {
                    if i > 0 {
                        writeln!(out)?;
                    }
                    write!(out, "        {line}")?;
                }
            }
            _ => {
                if self.count == 0 {
                    writeln!(out, "apiVersion: v1\nitems:")?;
                }
                for (i, line) in yaml(item).lines().enumerate() {
                    writeln!(out, "{}{line}", if i == 0 { "- " } else { "  " })?;
                }
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Close the document.
    pub fn finish(self, out: &mut impl Write) -> std::io::Result<()> {
        use crate::cli::Output;
        match self.format {
            Output::Json => {
                if self.count == 0 {
                    write!(out, "{{\n    \"apiVersion\": \"v1\",\n    \"items\": [")?;
                } else {
                    writeln!(out)?;
                    write!(out, "    ")?;
                }
                writeln!(out, "],\n    \"kind\": \"List\",\n    \"metadata\": {{\n        \"resourceVersion\": \"\"\n    }}\n}}")
            }
            _ => {
                if self.count == 0 {
                    writeln!(out, "apiVersion: v1\nitems: []")?;
                }
                writeln!(out, "kind: List\nmetadata:\n  resourceVersion: \"\"")
            }
        }
    }
}

/// Parse a duration like `600s`, `10m`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let (num, mult) = match s.as_bytes().last()? {
        b's' => (&s[..s.len() - 1], 1),
        b'm' => (&s[..s.len() - 1], 60),
        b'h' => (&s[..s.len() - 1], 3600),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}
