//! gen-agents: declarative AI-agent specs in; complete Helm values, a runtime-config
//! ConfigMap per agent and Secret stubs out.
//!
//! The library is the pipeline, one module per stage:
//! [`load`] → [`validate`] → [`resolve`] (layered defaults) → [`runtime`] (per-runtime
//! config) → [`render`] (templates, parse-back verification) → [`write`] (atomic output,
//! `--check`). [`diag`] carries every problem, located, between stages.
//!
//! ```
//! let mut diags = gen_agents::diag::Diagnostics::default();
//! let fleet = gen_agents::load_fleet(&["examples".into()], &[], &mut diags).unwrap();
//! assert!(!diags.has_errors());
//! let templates = gen_agents::render::Templates::load(None, &mut diags);
//! let out = gen_agents::render_fleet(&fleet, &templates, &gen_agents::render::SecretsMode::Stubs, &mut diags).unwrap();
//! assert!(out.values.contains("cloud-codex-cody"));
//! ```

pub mod diag;
pub mod load;
pub mod render;
pub mod resolve;
pub mod runtime;
pub mod spec;
pub mod validate;
pub mod write;

use std::sync::Arc;

use diag::{Diagnostic, Diagnostics, Location};
use load::{LoadError, Source};
use render::model::{agent_context, fleet_secrets};
use render::{Artifacts, SecretsMode, Templates};
use resolve::{Agent, Defaults, Layer};
use runtime::RuntimeOutput;
use validate::{Checked, Parsed, Validator};

/// The built-in defaults layer (`values/defaults.yaml`), embedded in the binary.
pub const BUILTIN_DEFAULTS: &str = include_str!("../values/defaults.yaml");
/// The name diagnostics use for the built-in defaults.
pub const BUILTIN_DEFAULTS_NAME: &str = "<built-in>/values/defaults.yaml";

/// A validated, resolved fleet, sorted by agent name.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Each agent with what its runtime contributes.
    pub agents: Vec<(Agent, RuntimeOutput)>,
    /// How many input files were read.
    pub files: usize,
}

/// Loads, validates and resolves the specs in `inputs`, layering `values_files`
/// (`kind: Defaults` documents) over the built-in defaults. Every problem goes to `diags`;
/// the fleet holds the agents that resolved. `Err` only for I/O and usage problems.
pub fn load_fleet(inputs: &[String], values_files: &[String], diags: &mut Diagnostics) -> Result<Fleet, LoadError> {
    let validator = Validator::new().map_err(LoadError::Internal)?;
    let builtin = builtin_layer(&validator, diags);
    let value_sources = load::load_sources(values_files, diags)?;
    let value_docs = check_sources(&validator, &value_sources, diags);
    let sources = load::load_sources(inputs, diags)?;
    let checked = check_sources(&validator, &sources, diags);
    validate::check_unique_names(&checked, diags);

    let mut layers: Vec<Layer> = builtin.into_iter().collect();
    for c in &value_docs {
        match Layer::from_checked(c) {
            Some(l) => layers.push(l),
            None => diags.push(
                Diagnostic::error("values-kind", Location::at(&c.file, c.root.locate("/kind")), "a `--values` file may only hold `kind: Defaults` documents")
                    .with_help("move agents to the inputs, or change the document to `kind: Defaults`"),
            ),
        }
    }
    layers.extend(checked.iter().filter_map(Layer::from_checked));
    let defaults = Defaults::new(layers);

    let mut agents: Vec<(Agent, RuntimeOutput)> = checked
        .iter()
        .filter(|c| matches!(c.doc, Parsed::Agent(_)))
        .filter_map(|c| resolve_one(c, &defaults, diags))
        .collect();
    agents.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    Ok(Fleet { agents, files: sources.len() })
}

fn builtin_layer(validator: &Validator, diags: &mut Diagnostics) -> Option<Layer> {
    let file: Arc<str> = Arc::from(BUILTIN_DEFAULTS_NAME);
    let docs = load::yaml::read_documents(&file, BUILTIN_DEFAULTS, diags);
    docs.into_iter().filter_map(|d| validator.check_document(&file, d, diags)).find_map(|c| Layer::from_checked(&c))
}

fn check_sources(validator: &Validator, sources: &[Source], diags: &mut Diagnostics) -> Vec<Checked> {
    let mut out = Vec::new();
    for s in sources {
        for doc in load::yaml::read_documents(&s.name, &s.text, diags) {
            out.extend(validator.check_document(&s.name, doc, diags));
        }
    }
    out
}

fn resolve_one(c: &Checked, defaults: &Defaults, diags: &mut Diagnostics) -> Option<(Agent, RuntimeOutput)> {
    let agent = resolve::resolve_agent(c, defaults, diags)?;
    match runtime::build(&agent) {
        Ok(out) => Some((agent, out)),
        Err(violations) => {
            for v in violations {
                diags.push(Diagnostic::error(v.rule, defaults.locate(c, &v.pointer), v.message).with_help(v.help));
            }
            None
        }
    }
}

/// Renders and verifies the three artifacts of `fleet`.
pub fn render_fleet(fleet: &Fleet, templates: &Templates, mode: &SecretsMode, diags: &mut Diagnostics) -> Option<Artifacts> {
    let contexts: Vec<_> = fleet.agents.iter().map(|(a, rt)| agent_context(a, rt)).collect();
    let outputs: Vec<(String, &RuntimeOutput)> = fleet.agents.iter().map(|(a, rt)| (a.name.clone(), rt)).collect();
    let secrets = fleet_secrets(&outputs);
    render::render(templates, &contexts, &secrets, mode, diags)
}
