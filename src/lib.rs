//! gen-agents: declarative AI-agent specs in; complete Helm values, a runtime-config
//! ConfigMap per agent and Secret stubs out.
//!
//! The library is the pipeline, one module per stage:
//! [`load`] → [`validate`] → [`resolve`] (layered defaults) → [`runtime`] (per-runtime
//! config) → [`render`] (templates, parse-back verification) → [`write`](mod@write) (atomic output,
//! `--check`). [`diag`] carries every problem, located, between stages.
//!
//! ```
//! let mut diags = gen_agents::diag::Diagnostics::default();
//! let fleet = gen_agents::load_fleet(&["examples".into()], &[], &mut diags).unwrap();
//! assert!(!diags.has_errors());
//! let templates = gen_agents::render::Templates::load(None, &mut diags);
//! let mode = gen_agents::render::SecretsMode::Stubs;
//! let out = gen_agents::render_fleet(fleet, &templates, &mode, &mut diags).unwrap();
//! assert!(out.values.text().contains("cloud-codex-cody"));
//! ```

#![warn(missing_docs)]

pub mod diag;
pub mod init;
pub mod keys;
pub mod load;
pub mod par;
pub mod render;
pub mod resolve;
pub mod rules;
pub mod runtime;
pub mod spec;
pub mod validate;
pub mod write;

use std::sync::Arc;

use crate::rules::Rule;
use diag::{Diagnostic, Diagnostics};
use load::{Chunk, LoadError, Source};
use render::keys::KeyEntry;
use render::{Artifacts, Scope, SecretsMode, Templates};
use resolve::{Agent, Defaults, Layer};
use runtime::RuntimeOutput;
use validate::{Checked, Origin, Parsed, Validator};

/// The built-in defaults layer (`values/defaults.yaml`), embedded in the binary.
pub const BUILTIN_DEFAULTS: &str = include_str!("../values/defaults.yaml");
/// The name diagnostics use for the built-in defaults.
pub const BUILTIN_DEFAULTS_NAME: &str = "<built-in>/values/defaults.yaml";

/// A validated fleet: the agent documents, sorted by name, and the layered defaults.
/// Agents are resolved on demand ([`resolve_fleet`], [`render_fleet`]) so a large fleet
/// is never held in memory in more than one form at a time.
pub struct Fleet {
    agents: Vec<Checked>,
    defaults: Defaults,
    models: Option<resolve::litellm::ModelList>,
    name: String,
    /// How many input files were read.
    pub files: usize,
}

impl Fleet {
    /// Cross-checks every agent's model alias against a LiteLLM proxy's model list
    /// (rules `model-alias`, `model-wire-api`) when agents are resolved.
    pub fn check_models_against(&mut self, models: resolve::litellm::ModelList) {
        self.models = Some(models);
    }

    /// Names the fleet (`--fleet`), recorded in the metadata of every key of `keys.yaml`
    /// so that a proxy can serve several fleets. Default [`render::keys::DEFAULT_FLEET`].
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Rule `no-agents`: inputs without any agent are an error, because the empty values
    /// they render make `helm upgrade` remove every agent of the fleet (a wrong path in CI).
    pub fn require_agents(&self, inputs: &[String], diags: &mut Diagnostics) {
        if self.agents.is_empty() && !diags.has_errors() {
            let inputs: Arc<str> = Arc::from(inputs.join(" "));
            diags.push(
                Diagnostic::error(Rule::NoAgents, diag::Location::file(&inputs), "the inputs hold no `kind: Agent` document")
                    .with_help("check the paths; pass --allow-empty to render an empty fleet on purpose (helm upgrade with it removes every agent)"),
            );
        }
    }

    /// Number of agents that passed validation.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// True when no agent passed validation.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }
}

/// Loads and validates the specs in `inputs`, layering `values_files` (`kind: Defaults`
/// documents) over the built-in defaults. Every problem goes to `diags`. `Err` only for
/// I/O and usage problems.
pub fn load_fleet(
    inputs: &[String],
    values_files: &[String],
    diags: &mut Diagnostics,
) -> Result<Fleet, LoadError> {
    let validator = Validator::new().map_err(LoadError::Internal)?;
    let builtin = builtin_layer(&validator, BUILTIN_DEFAULTS_NAME, BUILTIN_DEFAULTS, diags);
    let value_sources = load::load_sources(values_files, diags)?;
    let value_docs = check_sources(&validator, &value_sources, false, diags);
    let sources = load::load_sources(inputs, diags)?;
    let checked = check_sources(&validator, &sources, false, diags);
    validate::check_unique_names(&checked, diags);

    // Lowest first: built-in, the inputs' Defaults documents, then `--values` files, so a
    // `--values prod.yaml` overlays the fleet repository's defaults the way `helm -f`
    // overlays a chart's values.yaml. Each agent's own spec goes on top in `resolve`.
    let mut layers: Vec<Layer> = builtin.into_iter().collect();
    layers.extend(checked.iter().filter_map(Layer::from_checked));
    for c in &value_docs {
        match Layer::from_checked(c) {
            Some(l) => layers.push(l),
            None => diags.push(
                Diagnostic::error(
                    Rule::ValuesKind,
                    c.locate("/kind"),
                    "a `--values` file may only hold `kind: Defaults` documents",
                )
                .with_help("move agents to the inputs, or change the document to `kind: Defaults`"),
            ),
        }
    }
    let mut agents: Vec<Checked> = checked
        .into_iter()
        .filter(|c| matches!(c.doc, Parsed::Agent(_)))
        .collect();
    agents.sort_by(|a, b| agent_name(a).cmp(agent_name(b)));
    let runtime_layers = runtime_layers(&validator, &runtimes_used(&agents, &layers), diags);
    Ok(Fleet {
        agents,
        defaults: Defaults::new(layers, runtime_layers),
        models: None,
        name: render::keys::DEFAULT_FLEET.to_owned(),
        files: sources.len(),
    })
}

fn agent_name(c: &Checked) -> &str {
    match &c.doc {
        Parsed::Agent(a) => &a.metadata.name,
        Parsed::Defaults(_) => "",
    }
}

/// Resolves every agent of `fleet` (in parallel) with its runtime output, sorted by name.
/// Problems found while resolving go to `diags`; such agents are left out.
pub fn resolve_fleet(fleet: &Fleet, diags: &mut Diagnostics) -> Vec<(Agent, RuntimeOutput)> {
    par::map(&fleet.agents, 64, diags, |c, d| {
        resolve_one(c, &fleet.defaults, fleet.models.as_ref(), d)
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Resolves every agent to run the rules that need the layered result, keeping nothing;
/// returns how many agents resolved.
pub fn check_fleet(fleet: &Fleet, diags: &mut Diagnostics) -> usize {
    let entries = key_entries(fleet, diags);
    let count = entries.len();
    render::keys::requests(&fleet.name, entries, diags, &|e| key_location(fleet, e));
    count
}

/// Every agent resolved, as its key entry (the agents that do not resolve are reported).
fn key_entries(fleet: &Fleet, diags: &mut Diagnostics) -> Vec<KeyEntry> {
    let indexed: Vec<(usize, &Checked)> = fleet.agents.iter().enumerate().collect();
    par::map(&indexed, 64, diags, |(i, c), d| {
        let (agent, _) = resolve_one(c, &fleet.defaults, fleet.models.as_ref(), d)?;
        Some(KeyEntry::of(&agent, *i))
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Where the key Secret of `e`'s agent is set (its `litellm.keySecret`, or its name).
fn key_location(fleet: &Fleet, e: &KeyEntry) -> diag::Location {
    fleet.defaults.locate(
        &fleet.agents[e.index],
        Some(e.runtime),
        "/spec/litellm/keySecret",
    )
}

/// The fleet's desired LiteLLM keys (what `keys.yaml` holds), after every check of
/// [`check_fleet`]; `None` when any check failed.
pub fn key_requests(
    fleet: &Fleet,
    diags: &mut Diagnostics,
) -> Option<Vec<render::keys::KeyRequest>> {
    let entries = key_entries(fleet, diags);
    let keys = render::keys::requests(&fleet.name, entries, diags, &|e| key_location(fleet, e));
    (!diags.has_errors()).then_some(keys)
}

/// The fleet's name (`--fleet`).
pub fn fleet_name(fleet: &Fleet) -> &str {
    &fleet.name
}

/// Resolves and renders every agent (in parallel, each agent's pieces parsed back as they
/// are made), then assembles and checks the four artifacts.
pub fn render_fleet(
    fleet: Fleet,
    templates: &Templates,
    mode: &SecretsMode,
    diags: &mut Diagnostics,
) -> Option<Artifacts> {
    render_fleet_scoped(fleet, templates, mode, Scope::All, diags)
}

/// [`render_fleet`], producing only what `scope` asks for: with [`Scope::Values`] only
/// `values` is filled in (the other artifacts are empty), and every rule still runs.
pub fn render_fleet_scoped(
    fleet: Fleet,
    templates: &Templates,
    mode: &SecretsMode,
    scope: Scope,
    diags: &mut Diagnostics,
) -> Option<Artifacts> {
    let count = fleet.agents.len();
    let indexed: Vec<(usize, &Checked)> = fleet.agents.iter().enumerate().collect();
    let pieces = par::map_with(
        &indexed,
        32,
        diags,
        |d| templates.worker(count, scope, d),
        |worker, (i, c), d| {
            let (agent, rt) = resolve_one(c, &fleet.defaults, fleet.models.as_ref(), d)?;
            Some((worker.agent(&agent, &rt, d)?, KeyEntry::of(&agent, *i)))
        },
    );
    drop(indexed);
    let (pieces, entries): (Vec<_>, Vec<_>) = pieces.into_iter().flatten().unzip();
    let keys = render::keys::requests(&fleet.name, entries, diags, &|e| key_location(&fleet, e));
    let name = fleet.name.clone();
    // The specs are no longer needed: free them before the files are assembled.
    drop(fleet);
    if diags.has_errors() {
        return None;
    }
    let keys = match scope {
        Scope::All => render::keys::artifact(&name, keys),
        Scope::Values => render::Artifact::default(),
    };
    render::assemble(templates, pieces, mode, scope, keys, diags)
}

fn builtin_layer(
    validator: &Validator,
    name: &str,
    text: &str,
    diags: &mut Diagnostics,
) -> Option<Layer> {
    let source = Source {
        name: Arc::from(name),
        text: Arc::from(text),
    };
    check_sources(validator, &[source], true, diags)
        .iter()
        .find_map(Layer::from_checked)
}

/// The runtimes `agents` run: each one's own `spec.runtime`, else the one the highest
/// defaults layer sets. A one-file pre-commit run then reads one runtime's built-in layer,
/// not all of them.
fn runtimes_used(agents: &[Checked], layers: &[Layer]) -> Vec<spec::Runtime> {
    let common = resolve::common_runtime(layers);
    spec::Runtime::ALL
        .into_iter()
        .filter(|r| {
            agents.iter().any(|c| match &c.doc {
                Parsed::Agent(a) => a.spec.runtime.or(common) == Some(*r),
                Parsed::Defaults(_) => false,
            })
        })
        .collect()
}

/// The built-in defaults (`values/runtimes/<runtime>.yaml`, embedded) of `runtimes`.
fn runtime_layers(
    validator: &Validator,
    runtimes: &[spec::Runtime],
    diags: &mut Diagnostics,
) -> Vec<(spec::Runtime, Layer)> {
    runtimes
        .iter()
        .copied()
        .filter_map(|r| {
            let name = format!("<built-in>/values/runtimes/{}.yaml", r.as_str());
            let layer = builtin_layer(validator, &name, runtime::descriptor(r).defaults, diags)?;
            Some((r, layer))
        })
        .collect()
}

/// Reads and checks every document of `sources`, in parallel by chunks of documents;
/// the result keeps the order of the sources and of the documents in them.
/// `builtin` sources are gen-agents' own embedded layers, read without the schema check.
fn check_sources(
    validator: &Validator,
    sources: &[Source],
    builtin: bool,
    diags: &mut Diagnostics,
) -> Vec<Checked> {
    let work: Vec<(&Source, Chunk)> = sources
        .iter()
        .flat_map(|s| {
            load::split_documents(&s.text)
                .into_iter()
                .map(move |c| (s, c))
        })
        .collect();
    let checked = par::map(&work, 64, diags, |(s, chunk), d| {
        let text = s.text.get(chunk.start..chunk.end).unwrap_or_default();
        let docs = load::yaml::read_documents_at(&s.name, text, chunk.line_offset, d);
        docs.into_iter()
            .enumerate()
            .filter_map(|(index, doc)| {
                let origin = Origin {
                    text: Arc::clone(&s.text),
                    chunk: *chunk,
                    index,
                };
                if builtin {
                    validator.check_builtin_document(&s.name, doc, origin, d)
                } else {
                    validator.check_document(&s.name, doc, origin, d)
                }
            })
            .collect::<Vec<_>>()
    });
    checked.into_iter().flatten().collect()
}

fn resolve_one(
    c: &Checked,
    defaults: &Defaults,
    models: Option<&resolve::litellm::ModelList>,
    diags: &mut Diagnostics,
) -> Option<(Agent, RuntimeOutput)> {
    let agent = resolve::resolve_agent(c, defaults, diags)?;
    let (out, mut violations) = match runtime::build(&agent) {
        Ok(out) => (Some(out), Vec::new()),
        Err(v) => (None, v),
    };
    violations.extend(runtime::check_key_models(&agent));
    if let Some(m) = models {
        violations.extend(runtime::check_model(&agent, m));
    }
    if violations.is_empty() {
        return out.map(|out| (agent, out));
    }
    for v in violations {
        let at = defaults.locate(c, Some(agent.runtime()), &v.pointer);
        diags.push(Diagnostic::error(v.rule, at, v.message).with_help(v.help));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in layers are read without the schema check (it would cost every run a
    /// schema compilation); this is what makes that safe.
    #[test]
    fn builtin_layers_pass_the_schema() {
        let validator = Validator::new().unwrap();
        let mut texts = vec![(BUILTIN_DEFAULTS_NAME.to_owned(), BUILTIN_DEFAULTS)];
        for r in spec::Runtime::ALL {
            texts.push((r.as_str().to_owned(), runtime::descriptor(r).defaults));
        }
        for (name, text) in texts {
            let source = Source {
                name: Arc::from(name.as_str()),
                text: Arc::from(text),
            };
            let mut diags = Diagnostics::default();
            let checked = check_sources(&validator, &[source], false, &mut diags);
            assert!(diags.is_empty(), "{name}: {:?}", diags.sorted());
            assert_eq!(checked.len(), 1, "{name}");
            assert!(Layer::from_checked(&checked[0]).is_some(), "{name}");
        }
    }
}
