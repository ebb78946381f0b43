//! Validate: every document against its JSON Schema, then the semantic rules.
//!
//! A document that fails the schema is not deserialized (its typed value would be a guess);
//! its remaining problems show up on the next run, after the schema errors are fixed. All
//! other documents are still checked, so one run reports every error in every file.

pub mod rules;
pub mod schema;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::load::yaml::Value as YamlValue;
use crate::load::{Document, Node};
use crate::rules::Rule;
use crate::spec::schema::DocKind;
use crate::spec::{AgentDocument, DefaultsDocument};
use rules::Ctx;
use schema::KindValidator;

/// A document that passed the schema and the single-document rules' parsing.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The file it came from.
    pub file: Arc<str>,
    /// Where its text is, to read its tree again for positions.
    pub origin: Origin,
    /// Its typed content.
    pub doc: Parsed,
}

/// Where a document's text is. The YAML tree of every agent of a large fleet is not kept in
/// memory: positions are only needed when a later stage finds a problem, and then the
/// document is read again.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The whole text of the file.
    pub text: Arc<str>,
    /// The chunk of the text the document is in.
    pub chunk: crate::load::Chunk,
    /// The document's index within the chunk.
    pub index: usize,
}

impl Checked {
    /// The document's YAML tree, read again from its text.
    pub fn root(&self) -> Node {
        let c = self.origin.chunk;
        let mut ignored = Diagnostics::default();
        let text = self.origin.text.get(c.start..c.end).unwrap_or_default();
        crate::load::yaml::read_documents_at(&self.file, text, c.line_offset, &mut ignored)
            .into_iter()
            .nth(self.origin.index)
            .map_or_else(|| Node::from_value(YamlValue::Null), |d| d.root)
    }

    /// The position `pointer` resolves to in this document.
    pub fn locate(&self, pointer: &str) -> Location {
        Location::at(&self.file, self.root().locate(pointer))
    }

    /// The position of the value at `pointer`, if the document has it.
    pub fn find(&self, pointer: &str) -> Option<Location> {
        self.root()
            .find(pointer)
            .map(|n| Location::at(&self.file, n.pos))
    }
}

/// The typed content of a document.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// `kind: Agent`.
    Agent(AgentDocument),
    /// `kind: Defaults`.
    Defaults(DefaultsDocument),
}

/// The compiled schemas. Build once per run: compiling is the expensive part.
///
/// Each kind's schema is compiled on first use, once per process: compiling is most of what
/// a one-file pre-commit run spends, and a file of agents never needs the Defaults schema
/// (the built-in layers are trusted, see [`Validator::check_builtin_document`]). The
/// compiled schemas live in statics, so the process does not spend time dropping them either.
pub struct Validator {
    _private: (),
}

static AGENT_SCHEMA: OnceLock<Result<KindValidator, String>> = OnceLock::new();
static DEFAULTS_SCHEMA: OnceLock<Result<KindValidator, String>> = OnceLock::new();

impl Validator {
    /// A validator; each kind's schema is compiled when a document of that kind comes.
    pub fn new() -> Result<Self, String> {
        Ok(Validator { _private: () })
    }

    fn kind(&self, kind: DocKind) -> Result<&'static KindValidator, &'static str> {
        let cell = match kind {
            DocKind::Agent => &AGENT_SCHEMA,
            DocKind::Defaults => &DEFAULTS_SCHEMA,
        };
        cell.get_or_init(|| KindValidator::new(kind))
            .as_ref()
            .map_err(String::as_str)
    }

    /// Checks one document; returns its typed content when the schema accepts it.
    /// Empty documents (only comments, or a trailing `---`) are skipped.
    pub fn check_document(
        &self,
        file: &Arc<str>,
        doc: Document,
        origin: Origin,
        diags: &mut Diagnostics,
    ) -> Option<Checked> {
        self.check(file, doc, origin, true, diags)
    }

    /// Checks one of gen-agents' own embedded documents (`values/`), without the schema:
    /// they are part of the binary, and a test proves each passes the schema
    /// (`builtin_layers_pass_the_schema`). Serde and the rules still read them.
    pub fn check_builtin_document(
        &self,
        file: &Arc<str>,
        doc: Document,
        origin: Origin,
        diags: &mut Diagnostics,
    ) -> Option<Checked> {
        self.check(file, doc, origin, false, diags)
    }

    fn check(
        &self,
        file: &Arc<str>,
        doc: Document,
        origin: Origin,
        schema: bool,
        diags: &mut Diagnostics,
    ) -> Option<Checked> {
        let root = doc.root;
        if matches!(root.value, YamlValue::Null) {
            return None;
        }
        if !matches!(root.value, YamlValue::Map(_)) {
            diags.push(
                Diagnostic::error(
                    Rule::DocumentShape,
                    Location::at(file, root.pos),
                    "a gen-agents document must be a mapping",
                )
                .with_help("start the document with `apiVersion: gen-agents/v1` and `kind: Agent`"),
            );
            return None;
        }
        let kind = self.kind_of(file, &root, diags)?;
        let json = root.to_json();
        if schema {
            let validator = match self.kind(kind) {
                Ok(v) => v,
                Err(e) => {
                    diags.push(Diagnostic::error(Rule::Internal, Location::at(file, root.pos), e.to_owned())
                        .with_help("the schema is generated from gen-agents' own types, so this is a gen-agents bug; please report it"));
                    return None;
                }
            };
            if !validator.check(file, &root, &json, diags) {
                return None;
            }
        }
        let ctx = Ctx { file, root: &root };
        let doc = match kind {
            DocKind::Agent => Parsed::Agent(deserialize(&ctx, json, diags)?),
            DocKind::Defaults => Parsed::Defaults(deserialize(&ctx, json, diags)?),
        };
        match &doc {
            Parsed::Agent(a) => {
                rules::check_agent_name(&ctx, &a.metadata.name, diags);
                rules::check_labels(&ctx, &a.metadata.labels, diags);
                rules::check_spec(&ctx, &a.spec, diags);
            }
            Parsed::Defaults(d) => rules::check_spec(&ctx, &d.spec, diags),
        }
        rules::check_secret_literals(&ctx, diags);
        Some(Checked {
            file: Arc::clone(file),
            origin,
            doc,
        })
    }

    fn kind_of(&self, file: &Arc<str>, root: &Node, diags: &mut Diagnostics) -> Option<DocKind> {
        let Some(entry) = root.entry("kind") else {
            diags.push(
                Diagnostic::error(
                    Rule::SchemaRequired,
                    Location::at(file, root.pos),
                    "missing required field `kind` in the document",
                )
                .with_help("add `kind: Agent` or `kind: Defaults`"),
            );
            return None;
        };
        let text = entry.value.as_str().unwrap_or_default();
        if let Some((_, k)) = DocKind::ALL.iter().find(|(name, _)| *name == text) {
            return Some(*k);
        }
        let names = DocKind::ALL.map(|(n, _)| n);
        let help = match schema::did_you_mean(text, names.into_iter()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "use `kind: Agent` or `kind: Defaults`".to_owned(),
        };
        diags.push(
            Diagnostic::error(
                Rule::UnknownKind,
                Location::at(file, entry.value.pos),
                format!("unknown document kind `{text}`"),
            )
            .with_help(help),
        );
        None
    }
}

/// Builds the typed document. The schema already accepted `json`, so a failure here is a
/// value the schema cannot express (a float where serde wants an integer); it is still
/// reported at its position.
fn deserialize<T: serde::de::DeserializeOwned>(
    ctx: &Ctx<'_>,
    json: serde_json::Value,
    diags: &mut Diagnostics,
) -> Option<T> {
    match serde_path_to_error::deserialize(json) {
        Ok(v) => Some(v),
        Err(e) => {
            let pointer = to_pointer(e.path());
            let inner = e.into_inner();
            let node = ctx.root.find(&pointer);
            let field = schema::pretty_path(&pointer);
            // The schema's `integer` accepts 1.0 and 1e3; serde does not. That is the one
            // known way to get here, so say it plainly and keep serde's text otherwise.
            let (message, help) = match node.map(|n| (&n.value, n.plain.as_deref())) {
                Some((YamlValue::Float(_), Some(plain))) => (
                    format!("`{field}` must be a whole number, found `{plain}`"),
                    "write the number without a fraction or exponent, e.g. `1`".to_owned(),
                ),
                _ => (
                    format!("`{field}`: {inner}"),
                    "write a value of the type the schema describes for this field".to_owned(),
                ),
            };
            diags.push(
                Diagnostic::error(
                    Rule::SchemaType,
                    Location::at(ctx.file, node.map_or(ctx.root.pos, |n| n.pos)),
                    message,
                )
                .with_help(help),
            );
            None
        }
    }
}

fn to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push_str(&rules::escape(key))
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// Rule `duplicate-agent-name`: every agent name is unique across all inputs, since each
/// becomes a Deployment, a PVC and Secrets of the same name.
pub fn check_unique_names(checked: &[Checked], diags: &mut Diagnostics) {
    let mut seen: HashMap<&str, &Checked> = HashMap::new();
    for c in checked {
        let Parsed::Agent(a) = &c.doc else { continue };
        let name = a.metadata.name.as_str();
        match seen.get(name) {
            None => {
                seen.insert(name, c);
            }
            Some(first) => {
                let first = first.locate("/metadata/name");
                let here = c.find("/metadata/name").unwrap_or_else(|| c.locate(""));
                diags.push(
                    Diagnostic::error(
                        Rule::DuplicateAgentName,
                        here,
                        format!("agent `{name}` is defined twice"),
                    )
                    .with_help(format!("rename one of them; the other is at {first}")),
                );
            }
        }
    }
}
