//! Render: arrange the resolved fleet into the artifacts (minijinja templates; `keys.yaml`
//! is serialized, see [`keys`]),
//! then parse every artifact back and check it before anything may be written.
//!
//! Templates arrange; they never build syntax from spec text. Every `{{ }}` goes through
//! [`yaml::inline`] (the environment's formatter), `toyaml(n)` writes whole blocks, and the
//! runtime config files were serialized by their format's own serializer upstream.

pub mod keys;
pub mod model;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use crate::diag::{Diagnostic, Diagnostics, Location, Pos};
use crate::rules::Rule;

/// The built-in templates, embedded in the binary.
pub const BUILTIN: [(&str, &str); 4] = [
    (
        "values.yaml.j2",
        include_str!("../../templates/values.yaml.j2"),
    ),
    (
        "configmaps.yaml.j2",
        include_str!("../../templates/configmaps.yaml.j2"),
    ),
    (
        "secrets.yaml.j2",
        include_str!("../../templates/secrets.yaml.j2"),
    ),
    (
        "externalsecrets.yaml.j2",
        include_str!("../../templates/externalsecrets.yaml.j2"),
    ),
];

/// How Secrets are emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsMode {
    /// Plain `Secret` stubs with no data keys (the keys and how to fill them are annotations).
    Stubs,
    /// External Secrets Operator `ExternalSecret`s reading from a store.
    ExternalSecrets {
        /// SecretStore name.
        store: String,
        /// `SecretStore` or `ClusterSecretStore`.
        kind: String,
    },
}

/// What a render produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every artifact (`--out-dir`, `--check`, the library's default).
    All,
    /// `values.yaml` alone (`render` to stdout). Only with the built-in templates in stub
    /// mode ([`Templates::values_scope`]): the other artifacts are verified by construction,
    /// so rendering them could report nothing; the rules they depend on still run.
    Values,
}

/// One output file, kept as the pieces it was assembled from (a header, one item per agent
/// or Secret, a footer) so a large fleet is written out without first being copied into
/// one string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Artifact {
    parts: Vec<String>,
}

impl Artifact {
    /// Appends a piece.
    pub fn push(&mut self, part: String) {
        if !part.is_empty() {
            self.parts.push(part);
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.parts.iter().map(String::len).sum()
    }

    /// True when the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the file's bytes to `w`.
    pub fn write_to(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        self.parts
            .iter()
            .try_for_each(|p| w.write_all(p.as_bytes()))
    }

    /// The whole file as one string.
    pub fn text(&self) -> String {
        self.parts.concat()
    }

    /// True when `bytes` is exactly this file.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        let mut rest = bytes;
        for p in &self.parts {
            match rest.strip_prefix(p.as_bytes()) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }
}

impl From<&str> for Artifact {
    fn from(s: &str) -> Self {
        let mut a = Artifact::default();
        a.push(s.to_owned());
        a
    }
}

/// The rendered artifacts, as written to `--out-dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifacts {
    /// `values.yaml`.
    pub values: Artifact,
    /// `configmaps.yaml`.
    pub configmaps: Artifact,
    /// `secrets.yaml`.
    pub secrets: Artifact,
    /// `keys.yaml`.
    pub keys: Artifact,
}

impl Artifacts {
    /// File name and content, in a fixed order.
    pub fn files(&self) -> [(&'static str, &Artifact); 4] {
        [
            ("values.yaml", &self.values),
            ("configmaps.yaml", &self.configmaps),
            ("secrets.yaml", &self.secrets),
            ("keys.yaml", &self.keys),
        ]
    }
}

/// The template environment: compiled once per run.
pub struct Templates {
    env: Environment<'static>,
    /// Display name of each template's source, for diagnostics.
    origins: Vec<(String, String)>,
    /// True when the values template is the built-in one: verified by construction (see
    /// [`Worker::agent`]), so its items are not parsed back.
    builtin_values: bool,
    /// True when the ConfigMaps template is the built-in one (likewise).
    builtin_configmaps: bool,
    /// True when the Secret stubs template is the built-in one (likewise; `tests/props.rs`
    /// reads every stub back).
    builtin_secrets: bool,
    /// True when no template was replaced.
    all_builtin: bool,
}

/// What every macro sees as `fleet`, and what `header`/`footer` receive.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FleetContext<'a> {
    /// Number of agents.
    agents: usize,
    /// The values' profiles by id (empty while agents are rendered: only `header` and
    /// `footer` of the final files see them).
    profiles: &'a BTreeMap<String, model::Profile>,
    /// Number of Secrets.
    secrets: usize,
    /// The ExternalSecrets store, when that mode is on.
    secret_store: Option<SecretStore<'a>>,
}

#[derive(Serialize)]
struct SecretStore<'a> {
    name: &'a str,
    kind: &'a str,
}

/// One agent's rendered pieces, parsed back and checked.
#[derive(Debug, Clone)]
pub struct AgentPieces {
    /// Its `item` of values.yaml.
    pub values: String,
    /// The profile it shares, with its id, when it is the first agent of its worker to
    /// share it (a fleet has few profiles: keeping one per agent cost 25 MiB at 10,000).
    pub profile: Option<(String, model::Profile)>,
    /// Its `item` of configmaps.yaml.
    pub configmap: String,
    /// The Secret keys it reads.
    pub secrets: Vec<crate::runtime::SecretNeed>,
    /// Its name.
    pub name: String,
}

/// A template with its header and footer rendered, ready for `item` calls.
struct Frame<'env> {
    name: &'static str,
    header: String,
    footer: String,
    captured: minijinja::Captured<'env>,
}

/// Per-thread rendering state: the values and ConfigMap templates, evaluated once.
pub struct Worker<'env> {
    templates: &'env Templates,
    scope: Scope,
    /// Ids of the profiles this worker has handed out already.
    profiles_seen: std::collections::BTreeSet<String>,
    values: Option<Frame<'env>>,
    configmaps: Option<Frame<'env>>,
}

impl Templates {
    /// The built-in templates, or those of `dir` where it has a file of the same name.
    pub fn load(dir: Option<&Path>, diags: &mut Diagnostics) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build();
        match syntax {
            Ok(s) => env.set_syntax(s),
            Err(e) => diags.push(template_diag("<built-in syntax>", &e)),
        }
        env.set_formatter(|out, _state, value| {
            if value.is_safe() {
                return out
                    .write_str(value.as_str().unwrap_or_default())
                    .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()));
            }
            let json = to_json(value)?;
            out.write_str(&yaml::inline(&json))
                .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
        });
        env.add_filter(
            "toyaml",
            |value: Value, indent: usize| -> Result<Value, Error> {
                Ok(Value::from_safe_string(yaml::block(
                    &to_json(&value)?,
                    indent,
                )))
            },
        );
        env.add_filter("yaml", |value: Value| -> Result<Value, Error> {
            Ok(Value::from_safe_string(yaml::inline(&to_json(&value)?)))
        });
        let mut origins = Vec::new();
        let mut builtin_values = true;
        let mut builtin_configmaps = true;
        let mut builtin_secrets = true;
        let mut all_builtin = true;
        for (name, source) in BUILTIN {
            let (origin, text) = match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
                Some(path) => match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        all_builtin = false;
                        builtin_values &= name != "values.yaml.j2";
                        builtin_configmaps &= name != "configmaps.yaml.j2";
                        builtin_secrets &= name != "secrets.yaml.j2";
                        (path.to_string_lossy().into_owned(), text)
                    }
                    Err(e) => {
                        diags.push(Diagnostic::error(
                            Rule::Template,
                            Location::file(&Arc::from(path.to_string_lossy().as_ref())),
                            format!("cannot read template: {e}"),
                        ));
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
        Templates {
            env,
            origins,
            builtin_values,
            builtin_configmaps,
            builtin_secrets,
            all_builtin,
        }
    }

    /// The scope for a render that prints only `values.yaml`: [`Scope::Values`] when
    /// nothing else could report a problem (every template built-in, stub mode), else
    /// [`Scope::All`], so a custom template's errors are found whatever the output.
    pub fn values_scope(&self, mode: &SecretsMode) -> Scope {
        if self.all_builtin && *mode == SecretsMode::Stubs {
            Scope::Values
        } else {
            Scope::All
        }
    }

    /// Per-thread state for rendering agents (see [`Worker::agent`]).
    pub fn worker(&self, agents: usize, scope: Scope, diags: &mut Diagnostics) -> Worker<'_> {
        let no_profiles = BTreeMap::new();
        let fleet = FleetContext {
            agents,
            profiles: &no_profiles,
            secrets: 0,
            secret_store: None,
        };
        Worker {
            templates: self,
            scope,
            profiles_seen: std::collections::BTreeSet::new(),
            values: self.frame("values.yaml.j2", &fleet, diags),
            configmaps: self.frame("configmaps.yaml.j2", &fleet, diags),
        }
    }

    /// Evaluates `name` with the fleet context and renders its header and footer.
    fn frame(
        &self,
        name: &'static str,
        fleet: &FleetContext<'_>,
        diags: &mut Diagnostics,
    ) -> Option<Frame<'_>> {
        let fleet = Value::from(minijinja::value::Serde(fleet));
        let result = self.env.get_template(name).and_then(|t| {
            let mut captured = t.render_captured(minijinja::context! { fleet => fleet.clone() })?;
            let header = captured
                .with_state_mut(|st| st.call_macro("header", std::slice::from_ref(&fleet)))?;
            let footer = captured
                .with_state_mut(|st| st.call_macro("footer", std::slice::from_ref(&fleet)))?;
            Ok(Frame {
                name,
                header,
                footer,
                captured,
            })
        });
        result
            .map_err(|e| diags.push(template_diag(self.origin(name), &e)))
            .ok()
    }

    fn origin<'a>(&'a self, name: &'a str) -> &'a str {
        self.origins
            .iter()
            .find(|(n, _)| n == name)
            .map_or(name, |(_, o)| o.as_str())
    }
}

impl Frame<'_> {
    fn item(
        &mut self,
        value: &Value,
        templates: &Templates,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        let result = self
            .captured
            .with_state_mut(|st| st.call_macro("item", std::slice::from_ref(value)));
        result
            .map_err(|e| diags.push(template_diag(templates.origin(self.name), &e)))
            .ok()
    }

    /// The piece as a whole file of one item, for parsing back.
    fn alone(&self, item: &str) -> String {
        let mut s = String::with_capacity(self.header.len() + item.len() + self.footer.len());
        s.push_str(&self.header);
        s.push_str(item);
        s.push_str(&self.footer);
        s
    }
}

impl Worker<'_> {
    /// Renders one agent's values item and ConfigMap item. A custom template's items are
    /// checked by parsing each back as a file of its own (and the joined files again in
    /// [`assemble`]). The built-in templates are verified by construction instead: every
    /// `{{ }}` and `toyaml` goes through the YAML formatter ([`yaml`]), and
    /// `tests/props.rs` proves, for hazardous text in every free-text field of every
    /// runtime, that what they write reads back (with our reader and with libyaml) as
    /// exactly the typed values and ConfigMap data. Parsing every piece back cost about
    /// half of a large render.
    pub fn agent(
        &mut self,
        agent: &crate::resolve::Agent,
        rt: &crate::runtime::RuntimeOutput,
        diags: &mut Diagnostics,
    ) -> Option<AgentPieces> {
        let ctx = model::agent_context(agent, rt);
        let value = Value::from(minijinja::value::Serde(&ctx));
        let templates = self.templates;
        let (values_frame, cm_frame) = (self.values.as_mut()?, self.configmaps.as_mut()?);
        let values = values_frame.item(&value, templates, diags);
        let configmap = match self.scope {
            Scope::All => cm_frame.item(&value, templates, diags),
            Scope::Values => Some(String::new()),
        };
        let (values, configmap) = (values?, configmap?);
        if !templates.builtin_values {
            parse_back("values.yaml", &values_frame.alone(&values), diags)?;
        }
        if !templates.builtin_configmaps {
            let docs = parse_back("configmaps.yaml", &cm_frame.alone(&configmap), diags)?;
            if docs.iter().any(|d| d.get("kind").is_none()) {
                diags.push(internal(
                    "configmaps.yaml",
                    &format!("a document of agent `{}` has no kind", ctx.name),
                ));
                return None;
            }
        }
        Some(AgentPieces {
            values,
            profile: self
                .profiles_seen
                .insert(ctx.values.profile.clone())
                .then_some((ctx.values.profile, ctx.profile)),
            configmap,
            secrets: rt.secrets.clone(),
            name: ctx.name,
        })
    }
}

fn to_json(value: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))
}

fn template_diag(origin: &str, e: &Error) -> Diagnostic {
    let file: Arc<str> = Arc::from(origin);
    let loc = match e.line() {
        Some(line) => Location::at(
            &file,
            Pos {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: 1,
            },
        ),
        None => Location::file(&file),
    };
    let detail = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_owned);
    Diagnostic::error(Rule::Template, loc, format!("template error: {detail}")).with_help("fix the template; with strict undefined behaviour every field a template names must exist (see the README for the context fields)")
}

/// Joins the agents' pieces (in name order) with each file's header and footer, renders
/// the fleet's Secrets, and checks the Secrets and, with custom templates, whole files.
/// `keys` is the finished `keys.yaml` ([`keys::artifact`]).
pub fn assemble(
    templates: &Templates,
    mut pieces: Vec<AgentPieces>,
    mode: &SecretsMode,
    scope: Scope,
    keys: Artifact,
    diags: &mut Diagnostics,
) -> Option<Artifacts> {
    let needs: Vec<(String, &[crate::runtime::SecretNeed])> = match scope {
        Scope::All => pieces
            .iter()
            .map(|p| (p.name.clone(), p.secrets.as_slice()))
            .collect(),
        Scope::Values => Vec::new(),
    };
    let secrets = model::fleet_secrets(&needs);
    let (secret_template, store) = match mode {
        SecretsMode::Stubs => ("secrets.yaml.j2", None),
        SecretsMode::ExternalSecrets { store, kind } => (
            "externalsecrets.yaml.j2",
            Some(SecretStore { name: store, kind }),
        ),
    };
    let mut profiles: BTreeMap<String, model::Profile> = BTreeMap::new();
    for (id, profile) in pieces.iter_mut().filter_map(|p| p.profile.take()) {
        match profiles.get(&id) {
            // Ids are 40 bits of a content hash: two contents under one id would give
            // some agents the other's pod.
            Some(known) if *known != profile => {
                diags.push(internal(
                    "values.yaml",
                    &format!("two different profiles hash to the id `{id}`"),
                ));
                return None;
            }
            Some(_) => {}
            None => {
                profiles.insert(id, profile);
            }
        }
    }
    let fleet = FleetContext {
        agents: pieces.len(),
        profiles: &profiles,
        secrets: secrets.len(),
        secret_store: store,
    };
    let values_frame = templates.frame("values.yaml.j2", &fleet, diags)?;
    let cm_frame = templates.frame("configmaps.yaml.j2", &fleet, diags)?;
    let secrets_frame = templates.frame(secret_template, &fleet, diags)?;
    // Header and footer alone must parse too (the whole file, for an empty fleet).
    parse_back("values.yaml", &values_frame.alone(""), diags)?;

    let mut values = Artifact::default();
    let mut configmaps = Artifact::default();
    values.push(values_frame.header.clone());
    configmaps.push(cm_frame.header.clone());
    for p in pieces {
        values.push(p.values);
        configmaps.push(p.configmap);
    }
    values.push(values_frame.footer.clone());
    configmaps.push(cm_frame.footer.clone());

    // The built-in stubs are verified by construction, like the values; anything else (a
    // custom template, ExternalSecrets) is parsed back, and no stub may carry data keys.
    let verified = templates.builtin_secrets && *mode == SecretsMode::Stubs;
    let items = crate::par::map_with(
        &secrets,
        256,
        diags,
        |d| templates.frame(secret_template, &fleet, d),
        |frame, s, d| {
            let frame = frame.as_mut()?;
            let item = frame.item(&Value::from(minijinja::value::Serde(s)), templates, d)?;
            if !verified {
                for doc in parse_back("secrets.yaml", &frame.alone(&item), d)? {
                    check_stub_is_empty(&doc, d);
                }
            }
            Some(item)
        },
    );
    let mut secrets_out = Artifact::default();
    secrets_out.push(secrets_frame.header.clone());
    for item in items {
        secrets_out.push(item?);
    }
    secrets_out.push(secrets_frame.footer.clone());

    let artifacts = Artifacts {
        values,
        configmaps,
        secrets: secrets_out,
        keys,
    };
    if !templates.all_builtin {
        // Custom templates: items that parse alone do not prove the joined file does.
        for (name, artifact) in artifacts.files() {
            parse_back(name, &artifact.text(), diags)?;
        }
    }
    (!diags.has_errors()).then_some(artifacts)
}

/// A stub must hold no data keys at all, not even empty ones: `kubectl apply` of an empty
/// value over a filled Secret would erase it.
fn check_stub_is_empty(doc: &serde_json::Value, diags: &mut Diagnostics) {
    for field in ["stringData", "data", "binaryData"] {
        let has_keys = doc
            .get(field)
            .and_then(|d| d.as_object())
            .is_some_and(|m| !m.is_empty());
        if has_keys {
            diags.push(internal(
                "secrets.yaml",
                &format!("a Secret stub carries `{field}` keys; stubs must have none (applying one over a filled Secret would overwrite its values)"),
            ));
        }
    }
}

fn internal(file: &str, message: &str) -> Diagnostic {
    Diagnostic::error(Rule::RenderVerify, Location::file(&Arc::from(file)), message.to_owned()).with_help("the templates produced something that is not what was resolved; check custom templates, or report a gen-agents bug")
}

/// Reads `text` as YAML documents (as any consumer would); `None` after a parse error.
fn parse_back(name: &str, text: &str, diags: &mut Diagnostics) -> Option<Vec<serde_json::Value>> {
    let file: Arc<str> = Arc::from(name);
    let mut local = Diagnostics::default();
    let docs = crate::load::yaml::read_documents(&file, text, &mut local);
    if local.has_errors() {
        for mut d in local.sorted() {
            d.rule = Rule::RenderVerify;
            d.message = format!("rendered output does not parse: {}", d.message);
            diags.push(d);
        }
        return None;
    }
    Some(
        docs.into_iter()
            .map(|d| d.root.into_json())
            .filter(|v| !v.is_null())
            .collect(),
    )
}
