//! Every output form of `get` (table, wide, name, json, yaml, jsonpath,
//! custom columns), for the three things `get` prints: the items of a
//! listing (streamed as they arrive), one object on its own, and the
//! events of a watch. [`Printer`] holds what must carry from one write to
//! the next: column widths, whether the header is out, the open `kind: List`
//! document, the columns each source's Table defined.

pub mod columns;
pub mod json;
pub mod jsonpath;
pub mod table;

use std::collections::HashMap;
use std::io::Write;

use kubewire::yaml::{self, hide_managed_fields};
use kubewire::ResourceInfo;
use serde_json::{Map, Value};

use self::columns::CustomColumns;
use self::jsonpath::Template;
use self::table::{Aligner, TableColumns};

/// An output form (`-o`).
#[derive(Debug, Clone)]
pub enum Form {
    /// The server's table (the default).
    Table,
    /// The table with every column.
    Wide,
    /// `kind/name`.
    Name,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// A kubectl JSONPath template.
    JsonPath(Template),
    /// Columns from JSONPath expressions.
    CustomColumns(CustomColumns),
}

impl Form {
    /// Reads `-o`: `wide`, `name`, `json`, `yaml`, `jsonpath=T`,
    /// `jsonpath-file=F`, `custom-columns=SPEC`, `custom-columns-file=F`.
    pub fn parse(s: &str) -> Result<Form, String> {
        let (name, arg) = match s.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let read = |file: &str| {
            std::fs::read_to_string(file).map_err(|e| format!("error reading {file}: {e}"))
        };
        match (name, arg) {
            ("table", None) => Ok(Form::Table),
            ("wide", None) => Ok(Form::Wide),
            ("name", None) => Ok(Form::Name),
            ("json", None) => Ok(Form::Json),
            ("yaml", None) => Ok(Form::Yaml),
            ("jsonpath" | "jsonpath-as-json", Some(t)) => Template::parse(t).map(Form::JsonPath),
            ("jsonpath-file", Some(f)) => Template::parse(read(f)?.trim_end()).map(Form::JsonPath),
            ("custom-columns", Some(spec)) => CustomColumns::parse(spec).map(Form::CustomColumns),
            ("custom-columns-file", Some(f)) => {
                CustomColumns::parse_file(&read(f)?).map(Form::CustomColumns)
            }
            ("jsonpath" | "jsonpath-file" | "custom-columns" | "custom-columns-file", None) => {
                Err(format!("{name} format specified but no template given"))
            }
            _ => Err(format!(
                "unable to match a printer suitable for the output format {s:?}, allowed formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-file,name,wide,yaml"
            )),
        }
    }

    /// Whether the form prints the server's Table.
    pub fn is_table(&self) -> bool {
        matches!(self, Form::Table | Form::Wide)
    }

    /// Whether it prints whole documents (a `kind: List` for a listing).
    pub fn is_document(&self) -> bool {
        matches!(self, Form::Json | Form::Yaml)
    }
}

/// Flags that shape every form.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// No header row (table, custom columns).
    pub no_headers: bool,
    /// Keep `metadata.managedFields` in json/yaml (kubectl hides them).
    pub show_managed_fields: bool,
    /// Mark each watch event with its type (`--output-watch-events`).
    pub watch_events: bool,
    /// A CLUSTER column (`--all-contexts`).
    pub show_cluster: bool,
}

/// Where printed objects come from: one cluster's collection.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// Tells the sources of one command apart (their Tables' columns).
    pub id: usize,
    /// The context name, for the CLUSTER column.
    pub cluster: &'a str,
    /// The resource.
    pub info: &'a ResourceInfo,
    /// A NAMESPACE column (`-A` on a namespaced resource).
    pub namespace_column: bool,
}

/// A watch event's type; kubectl's EVENT column prints its `as_str`.
pub use kubewire::decode::EventType;

/// What the command prints as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A listing: json/yaml as one `kind: List`, jsonpath over that list.
    List,
    /// One object, printed as itself.
    Single,
    /// Watch events, each printed on its own.
    Watch,
}

/// Prints objects in one form, keeping what carries between writes.
pub struct Printer<W: Write> {
    form: Form,
    options: Options,
    mode: Mode,
    out: W,
    aligner: Aligner,
    header_done: bool,
    columns: HashMap<usize, TableColumns>,
    /// Items written into the open `kind: List` document.
    list_items: usize,
    /// A listing's items, for a JSONPath template over the whole list.
    collected: Vec<Value>,
    /// Documents written in watch mode (YAML separates them with `---`).
    documents: usize,
    printed: usize,
    /// The text of the item being printed, kept from one to the next: a
    /// listing prints 100,000 of them.
    text: String,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `out`.
    pub fn new(form: Form, options: Options, mode: Mode, out: W) -> Self {
        Printer {
            form,
            options,
            mode,
            out,
            aligner: Aligner::default(),
            header_done: false,
            columns: HashMap::new(),
            list_items: 0,
            collected: Vec::new(),
            documents: 0,
            printed: 0,
            text: String::new(),
        }
    }

    /// The form.
    pub fn form(&self) -> &Form {
        &self.form
    }

    /// How many objects were printed.
    pub fn printed(&self) -> usize {
        self.printed
    }

    /// Whether `source`'s Table columns are known.
    pub fn knows_columns(&self, source: usize) -> bool {
        self.columns.contains_key(&source)
    }

    /// Take `source`'s columns from a Table, printing nothing.
    pub fn learn_columns(&mut self, source: usize, table: &Value) {
        if let Some(c) = TableColumns::of(table, matches!(self.form, Form::Wide)) {
            self.columns.insert(source, c);
        }
    }

    /// Print the rows of a Table (a listing's page, one object's Table, a
    /// watch event's one-row Table); returns how many. A Table without
    /// column definitions uses the last ones `src` sent.
    pub fn table(
        &mut self,
        table: &Value,
        src: &Source<'_>,
        event: Option<EventType>,
    ) -> std::io::Result<usize> {
        self.learn_columns(src.id, table);
        let rows = table["rows"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        self.rows(rows, src, event)
    }

    /// Print Table rows (each `{cells, object}`) with `src`'s columns.
    pub fn rows(
        &mut self,
        rows: &[Value],
        src: &Source<'_>,
        event: Option<EventType>,
    ) -> std::io::Result<usize> {
        let empty = Vec::new();
        self.cell_rows(
            rows.iter().map(|r| {
                (
                    r["cells"].as_array().unwrap_or(&empty).as_slice(),
                    r["object"]["metadata"]["namespace"].as_str().unwrap_or(""),
                )
            }),
            src,
            event,
        )
    }

    /// Print rows read as they streamed (see [`table::Row`]).
    pub fn streamed_rows(
        &mut self,
        rows: &[table::Row],
        src: &Source<'_>,
    ) -> std::io::Result<usize> {
        self.cell_rows(
            rows.iter().map(|r| (r.cells.as_slice(), r.namespace())),
            src,
            None,
        )
    }

    fn cell_rows<'r>(
        &mut self,
        rows: impl ExactSizeIterator<Item = (&'r [Value], &'r str)>,
        src: &Source<'_>,
        event: Option<EventType>,
    ) -> std::io::Result<usize> {
        let Some(columns) = self.columns.get(&src.id) else {
            return Ok(0);
        };
        let count = rows.len();
        if count == 0 {
            return Ok(0);
        }
        let event = event.filter(|_| self.options.watch_events && self.mode == Mode::Watch);
        let mut lines = Vec::with_capacity(count + 1);
        if !self.header_done && !self.options.no_headers {
            let mut leading = Vec::new();
            if self.options.watch_events && self.mode == Mode::Watch {
                leading.push("EVENT   ");
            }
            if self.options.show_cluster {
                leading.push("CLUSTER");
            }
            if src.namespace_column {
                leading.push("NAMESPACE");
            }
            lines.push(columns.header(&leading));
        }
        self.header_done = true;
        for (cells, namespace) in rows {
            let mut leading = Vec::new();
            if let Some(e) = event {
                // kubectl's EVENT column is as wide as MODIFIED from the start.
                leading.push(format!("{:<8}", e.as_str()));
            }
            if self.options.show_cluster {
                leading.push(src.cluster.to_string());
            }
            if src.namespace_column {
                leading.push(namespace.to_string());
            }
            lines.push(columns.cells(cells, leading));
        }
        self.aligner.write(&mut self.out, &lines)?;
        self.printed += count;
        Ok(count)
    }

    /// Whether a listing's items go to [`Printer::list_item_text`] as
    /// their JSON text rather than decoded: JSON and YAML are printed from
    /// the text itself, which saves building a `Value` per item.
    pub fn wants_item_text(&self) -> bool {
        matches!(self.form, Form::Json | Form::Yaml) && self.mode == Mode::List
    }

    /// One item of a JSON or YAML listing, from its JSON text
    /// ([`wants_item_text`]): what [`Printer::object`] prints for it
    /// decoded.
    ///
    /// [`wants_item_text`]: Printer::wants_item_text
    pub fn list_item_text(&mut self, text: &str, src: &Source<'_>) -> std::io::Result<()> {
        let mut obj = yaml::Node::from_json(text).map_err(std::io::Error::other)?;
        node_with_type(src.info, &mut obj);
        if !self.options.show_managed_fields {
            yaml::hide_managed_fields_node(&mut obj);
        }
        self.printed += 1;
        self.list_item(&obj)
    }

    /// An item of the open `kind: List` document, typed and trimmed.
    fn list_item(&mut self, obj: &yaml::Node<'_>) -> std::io::Result<()> {
        let first = self.list_items == 0;
        self.list_items += 1;
        self.text.clear();
        if let Form::Yaml = self.form {
            if first {
                self.text.push_str("apiVersion: v1\nitems:\n");
            }
            yaml::list_item(&mut self.text, obj);
        } else {
            self.text.push_str(if first {
                "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n"
            } else {
                ",\n"
            });
            // The item two levels in: `items` is inside the List.
            self.text.push_str("        ");
            json::pretty_into(&mut self.text, obj, 2);
        }
        self.out.write_all(self.text.as_bytes())
    }

    /// One object (json, yaml, name, jsonpath, custom columns). In watch
    /// mode `event` marks it when `--output-watch-events` is on.
    pub fn object(
        &mut self,
        mut obj: Value,
        src: &Source<'_>,
        event: Option<EventType>,
    ) -> std::io::Result<()> {
        let event = event.filter(|_| self.options.watch_events && self.mode == Mode::Watch);
        if self.form.is_document() {
            obj = with_type(src.info, obj);
            if !self.options.show_managed_fields {
                hide_managed_fields(&mut obj);
            }
        }
        if let Form::Name = self.form {
            let name = obj["metadata"]["name"].as_str().unwrap_or("");
            return self.name_line(name, src, event);
        }
        self.printed += 1;
        match (&self.form, self.mode) {
            (Form::Json | Form::Yaml, Mode::List) => self.list_item(&yaml::Node::from_value(&obj)),
            (Form::Json, _) => {
                let text = match event {
                    Some(e) => json::compact(&watch_event(e, obj)),
                    None => json::pretty(&obj),
                };
                self.out.write_all(text.as_bytes())?;
                self.out.write_all(b"\n")
            }
            (Form::Yaml, _) => {
                let doc = match event {
                    Some(e) => yaml::document(&watch_event(e, obj)),
                    None => yaml::document(&obj),
                };
                if self.documents > 0 {
                    self.out.write_all(b"---\n")?;
                }
                self.documents += 1;
                self.out.write_all(doc.as_bytes())
            }
            (Form::JsonPath(_), Mode::List) => {
                self.collected.push(with_type(src.info, obj));
                Ok(())
            }
            (Form::JsonPath(t), _) => {
                let text = t.render(&obj).map_err(std::io::Error::other)?;
                self.out.write_all(text.as_bytes())
            }
            (Form::CustomColumns(c), _) => {
                let mut lines = Vec::new();
                if !self.header_done && !self.options.no_headers {
                    lines.push(c.header());
                }
                self.header_done = true;
                lines.push(c.row(&obj));
                self.aligner.write(&mut self.out, &lines)
            }
            (Form::Table | Form::Wide | Form::Name, _) => Ok(()),
        }
    }

    /// A `-o name` line for an object known only by name.
    pub fn name_line(
        &mut self,
        name: &str,
        src: &Source<'_>,
        event: Option<EventType>,
    ) -> std::io::Result<()> {
        let mut line = String::new();
        // With --output-watch-events even `-o name` says what happened
        // (kubectl prints the bare name for every event type).
        if let Some(e) = event.filter(|_| self.options.watch_events && self.mode == Mode::Watch) {
            line.push_str(&format!("{:<11}", e.as_str()));
        }
        if self.options.show_cluster {
            line.push_str(src.cluster);
            line.push_str("   ");
        }
        line.push_str(&kind_name(src.info, name));
        line.push('\n');
        self.printed += 1;
        self.out.write_all(line.as_bytes())
    }

    /// End a listing: close the `kind: List` document, or run the JSONPath
    /// template over the list. `any` says whether there was anything to
    /// list (an empty listing still prints an empty List).
    pub fn finish_list(&mut self) -> std::io::Result<()> {
        match &self.form {
            Form::Json => {
                if self.list_items == 0 {
                    self.out
                        .write_all(b"{\n    \"apiVersion\": \"v1\",\n    \"items\": [")?;
                } else {
                    self.out.write_all(b"\n    ")?;
                }
                self.out.write_all(b"],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n")
            }
            Form::Yaml => {
                if self.list_items == 0 {
                    self.out.write_all(b"apiVersion: v1\nitems: []\n")?;
                }
                self.out
                    .write_all(b"kind: List\nmetadata:\n  resourceVersion: \"\"\n")
            }
            Form::JsonPath(t) => {
                let list = serde_json::json!({
                    "apiVersion": "v1",
                    "items": std::mem::take(&mut self.collected),
                    "kind": "List",
                    "metadata": {"resourceVersion": ""},
                });
                let text = t.render(&list).map_err(std::io::Error::other)?;
                self.out.write_all(text.as_bytes())
            }
            _ => Ok(()),
        }
    }

    /// Flush the output.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// `{"type": "ADDED", "object": ...}`, as `--output-watch-events` prints
/// an event in json and yaml.
fn watch_event(e: EventType, object: Value) -> Value {
    serde_json::json!({"type": e.as_str(), "object": object})
}

/// `configmap`, `deployment.apps`: a resource's kind as kubectl names it
/// in messages.
pub fn kind_group(info: &ResourceInfo) -> String {
    let kind = info.resource.kind.to_lowercase();
    if info.resource.group.is_empty() {
        kind
    } else {
        format!("{kind}.{}", info.resource.group)
    }
}

/// `configmap/name`, `deployment.apps/name`: what `-o name` prints.
pub fn kind_name(info: &ResourceInfo, name: &str) -> String {
    format!("{}/{name}", kind_group(info))
}

/// List items carry no `kind`/`apiVersion`; put them back, as kubectl does.
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

/// [`with_type`] for an item read as a [`yaml::Node`].
fn node_with_type<'a>(info: &'a ResourceInfo, item: &mut yaml::Node<'a>) {
    if item.get("kind").is_none() {
        item.insert(
            "apiVersion",
            yaml::Node::Str(info.resource.api_version().into()),
        );
        item.insert("kind", yaml::Node::Str(info.resource.kind.as_str().into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A listing printed item by item is one `kind: List` document, as
    /// kubectl prints it: the items get `kind`/`apiVersion` back, lose
    /// `managedFields`, and sit two levels in.
    fn listing(form: Form) -> String {
        let mapper = kubewire::RestMapper::builtin();
        let info = mapper.find("configmaps").unwrap();
        let src = Source {
            id: 0,
            cluster: "",
            info,
            namespace_column: false,
        };
        let mut out = Vec::new();
        let mut printer = Printer::new(form, Options::default(), Mode::List, &mut out);
        for name in ["a", "b"] {
            let item = json!({"metadata": {"name": name, "managedFields": [{}]},
                              "data": {"k": "x < y", "n": "1"}});
            printer.object(item, &src, None).unwrap();
        }
        printer.finish_list().unwrap();
        drop(printer);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_listing_is_one_list_document() {
        let item = |name: &str| {
            format!(
                r#"        {{
            "apiVersion": "v1",
            "data": {{
                "k": "x \u003c y",
                "n": "1"
            }},
            "kind": "ConfigMap",
            "metadata": {{
                "name": "{name}"
            }}
        }}"#
            )
        };
        let expected = format!(
            "{{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n{},\n{}\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {{\n        \"resourceVersion\": \"\"\n    }}\n}}\n",
            item("a"),
            item("b")
        );
        assert_eq!(listing(Form::Json), expected);
        // go-yaml quotes `n` even as a key: YAML 1.1 reads it as false.
        let item = |name: &str| {
            format!("- apiVersion: v1\n  data:\n    k: x < y\n    \"n\": \"1\"\n  kind: ConfigMap\n  metadata:\n    name: {name}\n")
        };
        let expected = format!(
            "apiVersion: v1\nitems:\n{}{}kind: List\nmetadata:\n  resourceVersion: \"\"\n",
            item("a"),
            item("b")
        );
        assert_eq!(listing(Form::Yaml), expected);
    }

    /// A JSON or YAML listing printed from each item's text is the one printed
    /// from the decoded items: escapes, numbers, a repeated key, a missing
    /// and a present `kind`, managedFields shown and hidden.
    #[test]
    fn yaml_from_item_text_is_yaml_from_values() {
        let mapper = kubewire::RestMapper::builtin();
        let src = Source {
            id: 0,
            cluster: "",
            info: mapper.find("configmaps").unwrap(),
            namespace_column: false,
        };
        let items = [
            r#"{"metadata":{"name":"a","managedFields":[{"manager":"kw"}],"labels":{"y":"n"}},"data":{"q":"a \"b\"\n\u00e9","n":"9","n":"10"},"x":[1,-2,2.0,1e21,0.25,true,null,{}]}"#,
            r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"b"},"data":{}}"#,
        ];
        for (form, show_managed_fields) in [
            (Form::Yaml, false),
            (Form::Yaml, true),
            (Form::Json, false),
            (Form::Json, true),
        ] {
            let yaml = matches!(form, Form::Yaml);
            let print = |text: bool| {
                let options = Options {
                    show_managed_fields,
                    ..Options::default()
                };
                let mut out = Vec::new();
                let form = if yaml { Form::Yaml } else { Form::Json };
                let mut printer = Printer::new(form, options, Mode::List, &mut out);
                assert!(printer.wants_item_text());
                for item in items {
                    if text {
                        printer.list_item_text(item, &src).unwrap();
                    } else {
                        let v: Value = serde_json::from_str(item).unwrap();
                        printer.object(v, &src, None).unwrap();
                    }
                }
                printer.finish_list().unwrap();
                drop(printer);
                String::from_utf8(out).unwrap()
            };
            let from_text = print(true);
            assert_eq!(from_text, print(false));
            assert_eq!(from_text.contains("manager"), show_managed_fields);
            // The later of two `n` keys wins, as Go reads JSON.
            let n = if yaml {
                "    \"n\": \"10\"\n"
            } else {
                "\"n\": \"10\""
            };
            assert!(
                from_text.contains(n) && !from_text.contains("\"9\""),
                "{from_text}"
            );
        }
        let mut out = Vec::new();
        let mut printer = Printer::new(Form::Yaml, Options::default(), Mode::List, &mut out);
        assert!(printer.list_item_text("{not json", &src).is_err());
        let single = Printer::new(Form::Yaml, Options::default(), Mode::Single, Vec::new());
        assert!(!single.wants_item_text());
    }
}
