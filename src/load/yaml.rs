//! A YAML 1.2 reader that keeps the source position of every node and key.
//!
//! Built on `saphyr-parser`'s event stream rather than a ready-made tree so that the limits
//! that protect a CI job (depth, alias expansion, node count) are enforced while reading, and
//! so that every plain scalar keeps the text the user wrote: a `yes`, `0755` or `1e3` that
//! lands where text is expected can then be reported with its original spelling instead of
//! being silently turned into something else (see the README's "YAML 1.1 surprises").

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::diag::{Diagnostic, Diagnostics, Location, Pos};
use crate::rules::Rule;

/// How deep mappings and sequences may nest. Agent specs need about 6 levels.
///
/// Two guards enforce it, and both report `yaml-limits`. This one sees every collection the
/// parser opens, so it fires for block nesting at any depth and for flow nesting up to
/// saphyr-parser's own limit. That limit (a `u8` flow level, 255) is hit first only by flow
/// collections opened more than 255 deep before the scanner can emit their events (it reads
/// ahead while a `[` may still start a key); [`read_documents_at`] reports it with the same
/// message, since 255 levels are deeper than these 64 too.
pub const MAX_DEPTH: usize = 64;
/// How many nodes alias expansion may create in one file (a "billion laughs" guard).
pub const MAX_ALIAS_NODES: usize = 10_000;

/// A scalar or collection, as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty plain scalar.
    Null,
    /// `true` / `false` (YAML 1.2: `yes`, `on` and friends are text).
    Bool(bool),
    /// An integer that fits in i64.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// Text.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order. Keys are unique (duplicates are reported while reading).
    Map(Vec<Entry>),
}

/// A node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What it holds.
    pub value: Value,
    /// The source text of a plain scalar that YAML read as a non-string (`true`, `1e3`, `null`),
    /// kept for messages that must quote what the user wrote.
    pub plain: Option<Box<str>>,
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key's text.
    pub key: String,
    /// Where the key starts (diagnostics about a key point here).
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

impl Node {
    /// The value under mapping key `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry for mapping key `key`, if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The text of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Follows a JSON pointer (`/spec/mcpServers/x/args/1`) and returns the position of the
    /// deepest node reached. When the last step names a mapping key, the key's position is
    /// returned, because that is where a reader looks for "this field".
    pub fn locate(&self, pointer: &str) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        for raw in pointer.split('/').skip(1) {
            let token = raw.replace("~1", "/").replace("~0", "~");
            match &node.value {
                Value::Map(entries) => match entries.iter().find(|e| e.key == token) {
                    Some(e) => {
                        pos = e.key_pos;
                        node = &e.value;
                    }
                    None => return pos,
                },
                Value::Seq(items) => match token.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(item) => {
                        pos = item.pos;
                        node = item;
                    }
                    None => return pos,
                },
                _ => return pos,
            }
        }
        pos
    }

    /// Like [`Node::locate`] but returns the node itself, if the whole pointer resolves.
    pub fn find(&self, pointer: &str) -> Option<&Node> {
        let mut node = self;
        for raw in pointer.split('/').skip(1) {
            let token = raw.replace("~1", "/").replace("~0", "~");
            node = match &node.value {
                Value::Map(_) => node.get(&token)?,
                Value::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The JSON value with the same content, for the schema validator and serde.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Like [`Node::to_json`], consuming the tree instead of copying its strings.
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value as J;
        match self.value {
            Value::Str(s) => J::String(s),
            Value::Seq(items) => J::Array(items.into_iter().map(Node::into_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .into_iter()
                    .map(|e| (e.key, e.value.into_json()))
                    .collect(),
            ),
            _ => self.to_json(),
        }
    }

    fn count(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|e| 1 + e.value.count()).sum(),
            _ => 0,
        }
    }
}

/// One document of a YAML stream.
#[derive(Debug, Clone)]
pub struct Document {
    /// The root node.
    pub root: Node,
}

/// Reads every document of `text`. Problems (syntax, duplicate keys, limits, unsupported
/// features) go to `diags`; the documents read completely before a fatal problem are kept.
pub fn read_documents(file: &Arc<str>, text: &str, diags: &mut Diagnostics) -> Vec<Document> {
    read_documents_at(file, text, 0, diags)
}

/// Like [`read_documents`] for a slice of a file that starts `line_offset` lines into it,
/// so positions still count from the top of the file.
pub fn read_documents_at(
    file: &Arc<str>,
    text: &str,
    line_offset: u32,
    diags: &mut Diagnostics,
) -> Vec<Document> {
    let mut reader = Reader {
        line_offset,
        file,
        diags,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        docs: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Err(e)) => {
                let m = e.marker();
                let (line, col) = clamp_to_text(text, m.line(), m.col());
                let pos = reader.pos(line, col);
                if e.info().contains("recursion limit") {
                    reader.fatal(
                        Rule::YamlLimits,
                        pos,
                        format!("the document nests deeper than {MAX_DEPTH} levels"),
                        "agent specs need only a few levels; flatten the document",
                    );
                } else {
                    reader.fatal(
                        Rule::YamlSyntax,
                        pos,
                        format!("YAML syntax error: {}", e.info()),
                        "fix the YAML syntax at this position (indentation, quotes, brackets)",
                    );
                }
                break;
            }
            Some(Ok((event, span))) => {
                if let Err(Stop) = reader.on_event(event, span) {
                    break;
                }
            }
        }
    }
    reader.docs
}

/// saphyr reads a text that does not end in a line break as if it did, so an error at the
/// very end of such a text is reported on the line after the last one (found by fuzzing:
/// `tests/cases/err_yaml_syntax_at_eof.yaml`). Clamps a 1-based line and 0-based column to
/// the end of `text`, where an editor can show it. Lines end as YAML ends them: at CR LF,
/// LF or a lone CR.
fn clamp_to_text(text: &str, line: usize, col: usize) -> (usize, usize) {
    let normalized = text.replace("\r\n", "\n");
    let lines: Vec<&str> = normalized.split(['\n', '\r']).collect();
    match line.checked_sub(1).and_then(|i| lines.get(i)) {
        Some(l) if line < lines.len() || col <= l.chars().count() => (line, col),
        Some(l) => (line, l.chars().count()),
        None => (lines.len(), lines.last().map_or(0, |l| l.chars().count())),
    }
}

fn marker_pos(line: usize, col: usize) -> Pos {
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(col + 1).unwrap_or(u32::MAX),
    }
}

/// Reading stops after a problem that leaves the tree untrustworthy.
struct Stop;

/// A collection being built.
enum Open {
    Seq {
        node: Node,
        anchor: usize,
    },
    Map {
        node: Node,
        anchor: usize,
        key: Option<(String, Pos)>,
        /// Key → index in the entries, so duplicate detection stays linear for mappings
        /// with thousands of keys (a fleet's `agents:` when values are read back).
        index: HashMap<String, usize>,
    },
}

struct Reader<'a> {
    line_offset: u32,
    file: &'a Arc<str>,
    diags: &'a mut Diagnostics,
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    docs: Vec<Document>,
}

impl Reader<'_> {
    fn pos(&self, line: usize, col: usize) -> Pos {
        let p = marker_pos(line, col);
        Pos {
            line: p.line.saturating_add(self.line_offset),
            column: p.column,
        }
    }

    fn fatal(&mut self, rule: Rule, pos: Pos, msg: String, help: &str) {
        self.diags
            .push(Diagnostic::error(rule, Location::at(self.file, pos), msg).with_help(help));
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), Stop> {
        let pos = self.pos(span.start.line(), span.start.col());
        match event {
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
            Event::SequenceStart(anchor, tag) => {
                self.check_tag(tag.as_deref(), pos)?;
                self.open(Open::Seq {
                    node: Node::new(pos, Value::Seq(Vec::new())),
                    anchor,
                })
            }
            Event::MappingStart(anchor, tag) => {
                self.check_tag(tag.as_deref(), pos)?;
                self.open(Open::Map {
                    node: Node::new(pos, Value::Map(Vec::new())),
                    anchor,
                    key: None,
                    index: HashMap::new(),
                })
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq { node, anchor } | Open::Map { node, anchor, .. }) => {
                        (node, anchor)
                    }
                    None => return Ok(()),
                };
                self.remember(anchor, &node);
                self.insert(node)
            }
            Event::Scalar(text, style, anchor, tag) => {
                let node = self.scalar(&text, style, tag.as_deref(), pos)?;
                self.remember(anchor, &node);
                self.insert(node)
            }
            Event::Alias(id) => self.alias(id, pos),
        }
    }

    fn open(&mut self, open: Open) -> Result<(), Stop> {
        if self.stack.len() >= MAX_DEPTH {
            self.fatal(
                Rule::YamlLimits,
                open_pos(&open),
                format!("the document nests deeper than {MAX_DEPTH} levels"),
                "agent specs need only a few levels; flatten the document",
            );
            return Err(Stop);
        }
        self.stack.push(open);
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), Stop> {
        let Some(target) = self.anchors.get(&id) else {
            self.fatal(
                Rule::YamlSyntax,
                pos,
                "alias to an unknown anchor".into(),
                "define the anchor (&name) before using it (*name)",
            );
            return Err(Stop);
        };
        let size = target.count();
        if size > self.alias_budget {
            self.fatal(
                Rule::YamlAliasLimit,
                pos,
                format!("alias expansion would create more than {MAX_ALIAS_NODES} nodes in this file (a \"billion laughs\" document?)"),
                "write the repeated part out, or move shared settings into a `kind: Defaults` document",
            );
            return Err(Stop);
        }
        self.alias_budget -= size;
        let mut node = target.clone();
        node.pos = pos;
        self.insert(node)
    }

    fn check_tag(&mut self, tag: Option<&Tag>, pos: Pos) -> Result<(), Stop> {
        match tag {
            None => Ok(()),
            Some(t)
                if t.is_yaml_core_schema()
                    && (t.suffix == "str" || t.suffix == "map" || t.suffix == "seq") =>
            {
                Ok(())
            }
            Some(t) => {
                self.fatal(
                    Rule::YamlTag,
                    pos,
                    format!("the YAML tag `{}` is not supported", tag_as_written(t)),
                    "remove the tag; quote a value to make it text",
                );
                Err(Stop)
            }
        }
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        pos: Pos,
    ) -> Result<Node, Stop> {
        self.check_tag(tag, pos)?;
        if style != ScalarStyle::Plain || tag.is_some() {
            return Ok(Node::new(pos, Value::Str(text.to_owned())));
        }
        if is_ambiguous_number(text) {
            self.fatal(
                Rule::YamlAmbiguousNumber,
                pos,
                format!("`{text}` is octal in YAML 1.1 and decimal in YAML 1.2, so tools disagree on its value"),
                &format!("quote it (\"{text}\") if it is text, or drop the leading zeros if it is a number"),
            );
            return Ok(Node::new(pos, Value::Str(text.to_owned())));
        }
        let value = resolve_plain(text);
        let mut node = Node::new(pos, value);
        if !matches!(node.value, Value::Str(_)) {
            node.plain = Some(text.into());
        }
        Ok(node)
    }

    /// Puts a finished node into the collection being built, or ends a document.
    fn insert(&mut self, node: Node) -> Result<(), Stop> {
        let file = self.file;
        match self.stack.last_mut() {
            None => {
                self.docs.push(Document { root: node });
                Ok(())
            }
            Some(Open::Seq { node: seq, .. }) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
                Ok(())
            }
            Some(Open::Map {
                node: map,
                key,
                index,
                ..
            }) => match key.take() {
                None => {
                    let Some(text) = key_text(&node) else {
                        let d = Diagnostic::error(
                            Rule::YamlKey,
                            Location::at(file, node.pos),
                            "mapping keys must be plain text, not sequences or mappings",
                        )
                        .with_help("use a text key");
                        self.diags.push(d);
                        return Err(Stop);
                    };
                    *key = Some((text, node.pos));
                    Ok(())
                }
                Some((k, key_pos)) => {
                    let Value::Map(entries) = &mut map.value else {
                        return Ok(());
                    };
                    // Small mappings are scanned; large ones (a fleet's `agents:`) are indexed.
                    let seen = if entries.len() < 16 {
                        entries.iter().find(|e| e.key == k)
                    } else {
                        if index.is_empty() {
                            index.extend(
                                entries.iter().enumerate().map(|(i, e)| (e.key.clone(), i)),
                            );
                        }
                        index.get(&k).and_then(|&i| entries.get(i))
                    };
                    if let Some(first) = seen {
                        let first = first.key_pos;
                        let d = Diagnostic::error(
                            Rule::YamlDuplicateKey,
                            Location::at(file, key_pos),
                            format!("duplicate key `{k}` in this mapping"),
                        )
                        .with_help(format!(
                            "remove one of them; the first is at line {}, column {}",
                            first.line, first.column
                        ));
                        self.diags.push(d);
                        return Ok(());
                    }
                    if k == "<<" {
                        let d = Diagnostic::error(
                            Rule::YamlMergeKey,
                            Location::at(file, key_pos),
                            "YAML 1.1 merge keys (`<<`) are not supported",
                        )
                        .with_help("write the keys out, or put shared settings in a `kind: Defaults` document");
                        self.diags.push(d);
                        return Ok(());
                    }
                    if !index.is_empty() {
                        index.insert(k.clone(), entries.len());
                    }
                    entries.push(Entry {
                        key: k,
                        key_pos,
                        value: node,
                    });
                    Ok(())
                }
            },
        }
    }
}

fn open_pos(open: &Open) -> Pos {
    match open {
        Open::Seq { node, .. } | Open::Map { node, .. } => node.pos,
    }
}

impl Node {
    /// A node at the start of the file (for documents that could not be read again).
    pub fn from_value(value: Value) -> Self {
        Node::new(Pos { line: 1, column: 1 }, value)
    }

    fn new(pos: Pos, value: Value) -> Self {
        Node {
            pos,
            value,
            plain: None,
        }
    }
}

/// A tag as the user most likely wrote it: `!!x` rather than its expansion `tag:yaml.org,2002:x`.
fn tag_as_written(t: &Tag) -> String {
    match t.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", t.suffix),
        handle => format!("{handle}{}", t.suffix),
    }
}

/// The text of a scalar key as the user wrote it (`1:` is the key "1", `on:` the key "on").
fn key_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Seq(_) | Value::Map(_) => None,
        _ => node.plain.as_deref().map(str::to_owned),
    }
}

/// `0755`, `-012`: integers with a leading zero, octal in YAML 1.1 and decimal in 1.2.
fn is_ambiguous_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    if looks_like_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            if f.is_finite() {
                return Value::Float(f);
            }
        }
    }
    Value::Str(text.to_owned())
}

fn parse_int(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    None
}

/// The YAML 1.2 core float syntax: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn looks_like_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Document>, Vec<Diagnostic>) {
        let file: Arc<str> = Arc::from("t.yaml");
        let mut d = Diagnostics::default();
        let docs = read_documents(&file, text, &mut d);
        (docs, d.sorted())
    }

    #[test]
    fn positions_of_keys_and_values_are_one_based() {
        let (docs, diags) = read("a:\n  b: [1, x]\n");
        assert!(diags.is_empty());
        let root = &docs[0].root;
        assert_eq!(root.locate("/a/b"), Pos { line: 2, column: 3 });
        assert_eq!(
            root.locate("/a/b/1"),
            Pos {
                line: 2,
                column: 10
            }
        );
        assert_eq!(root.locate("/a/missing"), Pos { line: 1, column: 1 });
    }

    #[test]
    fn yaml_11_booleans_stay_text_and_12_booleans_are_booleans() {
        let (docs, _) = read("a: yes\nb: on\nc: true\nd: 1e3\ne: '0755'\n");
        let j = docs[0].root.to_json();
        assert_eq!(j["a"], "yes");
        assert_eq!(j["b"], "on");
        assert_eq!(j["c"], true);
        assert_eq!(j["d"], 1000.0);
        assert_eq!(j["e"], "0755");
        assert_eq!(docs[0].root.get("d").unwrap().plain.as_deref(), Some("1e3"));
    }

    #[test]
    fn leading_zero_numbers_are_reported() {
        let (_, diags) = read("mode: 0755\n");
        assert_eq!(diags[0].rule, Rule::YamlAmbiguousNumber);
        assert_eq!(diags[0].location.to_string(), "t.yaml:1:7");
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let (_, diags) = read("a: 1\nb: 2\na: 3\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].rule, Rule::YamlDuplicateKey);
        assert_eq!(diags[0].location.to_string(), "t.yaml:3:1");
        assert!(diags[0]
            .help
            .as_deref()
            .unwrap()
            .contains("line 1, column 1"));
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let (_, diags) = read(&text);
        assert_eq!(diags[0].rule, Rule::YamlAliasLimit);
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let text = "[".repeat(100_000);
        let (_, diags) = read(&text);
        assert_eq!(diags[0].rule, Rule::YamlLimits, "{:?}", diags[0]);
    }

    #[test]
    fn the_depth_guard_fires_for_block_nesting() {
        let text: String = (0..MAX_DEPTH + 1)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>()
            + &"  ".repeat(MAX_DEPTH + 1)
            + "leaf: 1\n";
        let (_, diags) = read(&text);
        assert_eq!(diags[0].rule, Rule::YamlLimits, "{:?}", diags[0]);
        assert_eq!(
            diags[0].message,
            format!("the document nests deeper than {MAX_DEPTH} levels")
        );
        // The 65th mapping opens at `k64:`'s value, the line of `k64:`'s first key.
        assert_eq!(diags[0].location.pos.map(|p| p.line), Some(65));
    }

    #[test]
    fn the_depth_guard_fires_for_flow_nesting_below_the_parser_limit() {
        let text = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let (_, diags) = read(&text);
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags[0].message,
            format!("the document nests deeper than {MAX_DEPTH} levels")
        );
        assert_eq!(
            diags[0].location.pos,
            Some(Pos {
                line: 1,
                column: 65
            })
        );
    }

    #[test]
    fn nesting_at_the_limit_is_read() {
        let text = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let (docs, diags) = read(&text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn syntax_errors_keep_earlier_documents() {
        let (docs, diags) = read("a: 1\n---\nb: [1, 2\n");
        assert_eq!(docs.len(), 1);
        assert_eq!(diags[0].rule, Rule::YamlSyntax);
    }

    #[test]
    fn a_syntax_error_at_the_end_of_a_text_without_a_final_line_break_stays_inside_it() {
        let (_, diags) = read("a: b\nc");
        assert_eq!(diags[0].rule, Rule::YamlSyntax);
        assert_eq!(diags[0].location.pos, Some(Pos { line: 2, column: 2 }));
        assert_eq!(clamp_to_text("a\n", 2, 0), (2, 0));
        assert_eq!(clamp_to_text("a\nbc", 2, 9), (2, 2));
        assert_eq!(clamp_to_text("a\rb\r\nc", 4, 0), (3, 1));
    }

    #[test]
    fn float_syntax_follows_yaml_12_core() {
        for yes in ["1.5", "1e3", "-2.", ".5", "+1E-2"] {
            assert!(looks_like_float(yes), "{yes}");
        }
        for no in ["1.2.3", "e3", ".", "1e", "1Gi", "0.169.0"] {
            assert!(!looks_like_float(no), "{no}");
        }
    }
}
