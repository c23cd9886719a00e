//! Server-side tables (`meta.k8s.io/v1` `Table`) printed as kubectl prints
//! them, and the column aligner both tables and custom columns use.

use std::io::Write;

use kubewire::yaml::go_float;
use serde_json::Value;

/// kubectl's tabwriter: cells padded by 3 spaces to at least 6 columns,
/// widths remembered across writes (so a watch's rows line up with the
/// listing above them, and a wider cell moves only the rows after it).
/// The last cell of a line is never padded.
#[derive(Debug, Default)]
pub struct Aligner {
    widths: Vec<usize>,
}

const MIN_WIDTH: usize = 6;
const PADDING: usize = 3;

impl Aligner {
    /// Write `rows` aligned, growing the remembered widths first.
    pub fn write(&mut self, out: &mut impl Write, rows: &[Vec<String>]) -> std::io::Result<()> {
        for row in rows {
            let cells = row.len().saturating_sub(1);
            if self.widths.len() < cells {
                self.widths.resize(cells, 0);
            }
            for (i, cell) in row.iter().take(cells).enumerate() {
                let w = (cell.chars().count() + PADDING).max(MIN_WIDTH);
                self.widths[i] = self.widths[i].max(w);
            }
        }
        let mut line = String::new();
        for row in rows {
            line.clear();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    let pad = self.widths[i] - cell.chars().count();
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// What printing needs of a Table's row, read as it streams: the cells,
/// and the namespace of the row's object (the rest of the object, its
/// managedFields too, is skipped without being built).
#[derive(Debug, serde::Deserialize)]
pub struct Row {
    /// The cells, in column order.
    #[serde(default)]
    pub cells: Vec<Value>,
    /// The row's object (PartialObjectMetadata by default).
    #[serde(default)]
    pub object: Option<RowObject>,
}

/// The part of a row's object a table shows.
#[derive(Debug, serde::Deserialize)]
pub struct RowObject {
    /// Its metadata.
    #[serde(default)]
    pub metadata: RowMeta,
}

/// The part of a row object's metadata a table shows.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RowMeta {
    /// For the NAMESPACE column.
    #[serde(default)]
    pub namespace: Option<String>,
}

impl Row {
    /// The namespace of the row's object, if any.
    pub fn namespace(&self) -> &str {
        self.object
            .as_ref()
            .and_then(|o| o.metadata.namespace.as_deref())
            .unwrap_or("")
    }
}

/// The columns of a Table to show: priority 0 only unless wide.
#[derive(Debug, Clone)]
pub struct TableColumns {
    /// Index into each row's cells, and the header.
    pub columns: Vec<(usize, String)>,
}

impl TableColumns {
    /// The columns of `table`; `None` when it carries no definitions (every
    /// watch event after a stream's first).
    pub fn of(table: &Value, wide: bool) -> Option<Self> {
        let defs = table["columnDefinitions"].as_array()?;
        if defs.is_empty() {
            return None;
        }
        let columns = defs
            .iter()
            .enumerate()
            .filter(|(_, d)| wide || d["priority"].as_i64().unwrap_or(0) == 0)
            .map(|(i, d)| (i, d["name"].as_str().unwrap_or("").to_uppercase()))
            .collect();
        Some(TableColumns { columns })
    }

    /// The header row after the extra leading columns.
    pub fn header(&self, leading: &[&str]) -> Vec<String> {
        leading
            .iter()
            .map(|s| s.to_string())
            .chain(self.columns.iter().map(|(_, n)| n.clone()))
            .collect()
    }

    /// One table row as strings, after the extra leading cells.
    pub fn row(&self, row: &Value, leading: Vec<String>) -> Vec<String> {
        let cells = row["cells"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        self.cells(cells, leading)
    }

    /// A row's cells as strings, after the extra leading cells.
    pub fn cells(&self, cells: &[Value], leading: Vec<String>) -> Vec<String> {
        let mut out = leading;
        for (i, _) in &self.columns {
            out.push(cells.get(*i).map(cell).unwrap_or_default());
        }
        out
    }
}

/// A cell as kubectl prints it: strings cut at the first line break (with
/// `...`), numbers and booleans as Go prints them, null as nothing.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => match s.find(['\n', '\r', '\u{c}']) {
            Some(cut) => format!("{}...", escape_terminal(&s[..cut])),
            None => escape_terminal(s),
        },
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => go_float(f),
            _ => n.to_string(),
        },
        Value::Bool(b) => b.to_string(),
        // fmt.Sprint of a []interface{} / map[string]interface{}.
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(go_sprint).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(_) => go_sprint(v),
    }
}

/// `fmt.Sprint` of a decoded JSON value.
pub fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", go_sprint(&m[k])))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
        other => cell(other),
    }
}

/// A terminal must not take a cell for control sequences (kubectl's
/// `EscapeTerminal`).
pub fn escape_terminal(s: &str) -> String {
    if !s.contains(['\u{1b}', '\r']) {
        return s.to_string();
    }
    s.replace('\u{1b}', "^[").replace('\r', "\\r")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aligns_like_kubectls_tabwriter() {
        let mut a = Aligner::default();
        let mut out = Vec::new();
        let rows = vec![
            vec!["NAME".to_string(), "DATA".into(), "AGE".into()],
            vec!["kube-root-ca.crt".into(), "1".into(), "6m33s".into()],
        ];
        a.write(&mut out, &rows).unwrap();
        // A later, narrower row keeps the widths; short columns are 6 wide.
        a.write(&mut out, &[vec!["kc".into(), "1".into(), "0s".into()]])
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "NAME               DATA   AGE\nkube-root-ca.crt   1      6m33s\nkc                 1      0s\n"
        );
        let mut b = Aligner::default();
        let mut out = Vec::new();
        b.write(
            &mut out,
            &[
                vec!["N".into(), "RV".into()],
                vec!["w1".into(), "34".into()],
            ],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "N     RV\nw1    34\n");
    }

    #[test]
    fn cells_as_kubectl_prints_them() {
        assert_eq!(cell(&json!(null)), "");
        assert_eq!(cell(&json!("<none>")), "<none>");
        assert_eq!(cell(&json!(3)), "3");
        assert_eq!(cell(&json!(1.5)), "1.5");
        assert_eq!(cell(&json!(1e6)), "1e+06");
        assert_eq!(cell(&json!(0.0001)), "0.0001");
        assert_eq!(cell(&json!(0.00001)), "1e-05");
        assert_eq!(cell(&json!(123456.0)), "123456");
        assert_eq!(cell(&json!(true)), "true");
        assert_eq!(cell(&json!("two\nlines")), "two...");
        assert_eq!(cell(&json!(["a", "b"])), "[a b]");
        assert_eq!(cell(&json!({"b": 1, "a": "x"})), "map[a:x b:1]");
    }
}
