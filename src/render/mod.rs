//! Render: arrange the resolved fleet into the three artifacts with minijinja templates,
//! then parse every artifact back and check it before anything may be written.
//!
//! Templates arrange; they never build syntax from spec text. Every `{{ }}` goes through
//! [`yaml::inline`] (the environment's formatter), `toyaml(n)` writes whole blocks, and the
//! runtime config files were serialized by their format's own serializer upstream.

pub mod model;
pub mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use crate::diag::{Diagnostic, Diagnostics, Location, Pos};
use model::{AgentContext, HelmValues, SecretContext};

/// The built-in templates, embedded in the binary.
pub const BUILTIN: [(&str, &str); 4] = [
    ("values.yaml.j2", include_str!("../../templates/values.yaml.j2")),
    ("configmaps.yaml.j2", include_str!("../../templates/configmaps.yaml.j2")),
    ("secrets.yaml.j2", include_str!("../../templates/secrets.yaml.j2")),
    ("externalsecrets.yaml.j2", include_str!("../../templates/externalsecrets.yaml.j2")),
];

/// How Secrets are emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsMode {
    /// Plain `Secret` stubs with empty values.
    Stubs,
    /// External Secrets Operator `ExternalSecret`s reading from a store.
    ExternalSecrets {
        /// SecretStore name.
        store: String,
        /// `SecretStore` or `ClusterSecretStore`.
        kind: String,
    },
}

/// The rendered artifacts, as written to `--out-dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifacts {
    /// `values.yaml`.
    pub values: String,
    /// `configmaps.yaml`.
    pub configmaps: String,
    /// `secrets.yaml`.
    pub secrets: String,
}

impl Artifacts {
    /// File name and content, in a fixed order.
    pub fn files(&self) -> [(&'static str, &str); 3] {
        [("values.yaml", &self.values), ("configmaps.yaml", &self.configmaps), ("secrets.yaml", &self.secrets)]
    }
}

/// The template environment: compiled once per run.
pub struct Templates {
    env: Environment<'static>,
    /// Display name of each template's source, for diagnostics.
    origins: Vec<(String, String)>,
    /// True when every template is the built-in one (then the values must match the chart's
    /// schema exactly).
    builtin_values: bool,
}

/// Everything the templates see.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Context<'a> {
    agents: &'a [AgentContext],
    secrets: &'a [SecretContext],
    secret_store: Option<SecretStore<'a>>,
}

#[derive(Serialize)]
struct SecretStore<'a> {
    name: &'a str,
    kind: &'a str,
}

impl Templates {
    /// The built-in templates, or those of `dir` where it has a file of the same name.
    pub fn load(dir: Option<&Path>, diags: &mut Diagnostics) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).keep_trailing_newline(true).build();
        match syntax {
            Ok(s) => env.set_syntax(s),
            Err(e) => diags.push(template_diag("<built-in syntax>", &e)),
        }
        env.set_formatter(|out, _state, value| {
            if value.is_safe() {
                return out.write_str(value.as_str().unwrap_or_default()).map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()));
            }
            let json = to_json(value)?;
            out.write_str(&yaml::inline(&json)).map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
        });
        env.add_filter("toyaml", |value: Value, indent: usize| -> Result<Value, Error> {
            Ok(Value::from_safe_string(yaml::block(&to_json(&value)?, indent)))
        });
        env.add_filter("yaml", |value: Value| -> Result<Value, Error> { Ok(Value::from_safe_string(yaml::inline(&to_json(&value)?))) });
        let mut origins = Vec::new();
        let mut builtin_values = true;
        for (name, source) in BUILTIN {
            let (origin, text) = match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
                Some(path) => match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        if name == "values.yaml.j2" {
                            builtin_values = false;
                        }
                        (path.to_string_lossy().into_owned(), text)
                    }
                    Err(e) => {
                        diags.push(Diagnostic::error("template", Location::file(&Arc::from(path.to_string_lossy().as_ref())), format!("cannot read template: {e}")));
                        continue;
                    }
                },
                None => (format!("<built-in>/templates/{name}"), source.to_owned()),
            };
            if let Err(e) = env.add_template_owned(name, text) {
                diags.push(template_diag(&origin, &e));
            }
            origins.push((name.to_owned(), origin));
        }
        Templates { env, origins, builtin_values }
    }

    fn origin<'a>(&'a self, name: &'a str) -> &'a str {
        self.origins.iter().find(|(n, _)| n == name).map_or(name, |(_, o)| o.as_str())
    }

    fn render(&self, name: &str, ctx: &Value, diags: &mut Diagnostics) -> Option<String> {
        let result = self.env.get_template(name).and_then(|t| t.render(ctx));
        match result {
            Ok(s) => Some(s),
            Err(e) => {
                diags.push(template_diag(self.origin(name), &e));
                None
            }
        }
    }
}

fn to_json(value: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))
}

fn template_diag(origin: &str, e: &Error) -> Diagnostic {
    let file: Arc<str> = Arc::from(origin);
    let loc = match e.line() {
        Some(line) => Location::at(&file, Pos { line: u32::try_from(line).unwrap_or(u32::MAX), column: 1 }),
        None => Location::file(&file),
    };
    let detail = e.detail().map_or_else(|| e.kind().to_string(), str::to_owned);
    Diagnostic::error("template", loc, format!("template error: {detail}")).with_help("fix the template; with strict undefined behaviour every field a template names must exist (see the README for the context fields)")
}

/// Renders the artifacts of `agents` (sorted by name) and `secrets`, then verifies them.
pub fn render(templates: &Templates, agents: &[AgentContext], secrets: &[SecretContext], mode: &SecretsMode, diags: &mut Diagnostics) -> Option<Artifacts> {
    let (secret_template, store) = match mode {
        SecretsMode::Stubs => ("secrets.yaml.j2", None),
        SecretsMode::ExternalSecrets { store, kind } => ("externalsecrets.yaml.j2", Some(SecretStore { name: store, kind })),
    };
    // Converted to template values once, not once per template.
    let ctx = Value::from(minijinja::value::Serde(&Context { agents, secrets, secret_store: store }));
    let values = templates.render("values.yaml.j2", &ctx, diags);
    let configmaps = templates.render("configmaps.yaml.j2", &ctx, diags);
    let secrets_out = templates.render(secret_template, &ctx, diags);
    let artifacts = Artifacts { values: values?, configmaps: configmaps?, secrets: secrets_out? };
    verify(&artifacts, templates.builtin_values.then_some(agents), diags).then_some(artifacts)
}

/// Parses every artifact back. With the built-in values template, the values must equal
/// the [`HelmValues`] they were rendered from; every Secret value must be empty; every
/// ConfigMap must be a mapping. A failure here is reported, never written.
fn verify(a: &Artifacts, expected: Option<&[AgentContext]>, diags: &mut Diagnostics) -> bool {
    let before = diags.has_errors();
    let values = parse_back("values.yaml", &a.values, diags);
    let configmaps = parse_back("configmaps.yaml", &a.configmaps, diags);
    let secrets = parse_back("secrets.yaml", &a.secrets, diags);
    if let (Some(values), Some(expected)) = (values, expected) {
        let want = HelmValues { agents: expected.iter().map(|c| (c.name.clone(), c.values.clone())).collect() };
        let got = values.first().cloned().unwrap_or(serde_json::Value::Null);
        if serde_json::to_value(&want).ok() != Some(got) {
            diags.push(internal("values.yaml", "the rendered values do not read back as the resolved values"));
        }
    }
    for (i, doc) in configmaps.iter().flatten().enumerate() {
        if doc.get("kind").is_none() {
            diags.push(internal("configmaps.yaml", &format!("document {} has no kind", i + 1)));
        }
    }
    for doc in secrets.iter().flatten() {
        for field in ["stringData", "data"] {
            let leaked = doc.get(field).and_then(|d| d.as_object()).is_some_and(|m| m.values().any(|v| v != ""));
            if leaked {
                diags.push(internal("secrets.yaml", "a Secret stub carries a value; stubs must be empty"));
            }
        }
    }
    !diags.has_errors() || before
}

fn internal(file: &str, message: &str) -> Diagnostic {
    Diagnostic::error("render-verify", Location::file(&Arc::from(file)), message.to_owned()).with_help("the templates produced something that is not what was resolved; check custom templates, or report a gen-agents bug")
}

/// Reads `text` as YAML documents (as any consumer would); `None` after a parse error.
fn parse_back(name: &str, text: &str, diags: &mut Diagnostics) -> Option<Vec<serde_json::Value>> {
    let file: Arc<str> = Arc::from(name);
    let mut local = Diagnostics::default();
    let docs = crate::load::yaml::read_documents(&file, text, &mut local);
    if local.has_errors() {
        for mut d in local.sorted() {
            d.rule = "render-verify";
            d.message = format!("rendered output does not parse: {}", d.message);
            diags.push(d);
        }
        return None;
    }
    Some(docs.iter().map(|d| d.root.to_json()).filter(|v| !v.is_null()).collect())
}

/// A directory of templates given with `--templates`.
pub fn templates_dir(path: &str) -> PathBuf {
    PathBuf::from(path)
}
