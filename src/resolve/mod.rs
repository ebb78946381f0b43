//! Resolve: layer the defaults under each agent and produce a fully resolved [`Agent`],
//! with nothing left for a template or a chart to guess.
//!
//! Layers, lowest first: the built-in `values/defaults.yaml`, each `kind: Defaults` document
//! of the inputs (in the order read), each `--values` file, the agent's own spec.
//! Mappings merge key by key (Helm-style); lists and scalars are replaced whole.

pub mod litellm;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::load::Node;
use crate::rules::Rule;
use crate::runtime::{Descriptor, Settings};
use crate::spec::{AgentDocument, AgentSpec, EnvValue, McpServer, Runtime};
use crate::validate::{Checked, Parsed};

/// A resolved agent: every field set, every name derived.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// DNS-1123 label, unique in the fleet.
    pub name: String,
    /// Labels from `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// The runtime, with its own section resolved.
    pub settings: Settings,
    /// LiteLLM model alias.
    pub model: String,
    /// Pod count; 0 parks the agent.
    pub replicas: u32,
    /// PVC size.
    pub storage: String,
    /// Container image.
    pub image: String,
    /// LiteLLM base URL (with `/v1`).
    pub litellm_base_url: String,
    /// Secret with the LiteLLM virtual key (key `key`).
    pub litellm_key_secret: String,
    /// The policy of the LiteLLM virtual key in `litellm_key_secret`.
    pub key: Key,
    /// Secret with the platform runtime token (key `token`).
    pub token_secret: String,
    /// MCP servers by id.
    pub mcp_servers: BTreeMap<String, McpServer>,
    /// Platform registration.
    pub platform: Platform,
    /// Pinned platform tools.
    pub pins: Pins,
    /// Container resources.
    pub resources: Resources,
    /// Extra env by name.
    pub env: BTreeMap<String, EnvValue>,
}

/// How the agent is known to the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Registry agent type (`codex`).
    pub registry_agent_name: String,
    /// Instance id.
    pub agent_instance_id: String,
    /// Platform pod (workspace) id.
    pub pod_id: String,
    /// Platform API URL.
    pub api_url: String,
    /// Adapter name.
    pub adapter: String,
}

impl Agent {
    /// The agent's runtime.
    pub fn runtime(&self) -> Runtime {
        self.settings.runtime()
    }

    /// What gen-agents knows about the agent's runtime.
    pub fn descriptor(&self) -> &'static Descriptor {
        crate::runtime::descriptor(self.runtime())
    }
}

/// The policy of an agent's LiteLLM virtual key, resolved: the allowlist is never empty
/// and an unset limit stays `None` (no limit), distinct from `Some(0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The model aliases the key may call: the spec's `litellm.key.models`, else every
    /// alias the runtime calls ([`crate::runtime::model_aliases`]).
    pub models: Vec<String>,
    /// True when `models` was set in a layer (not derived from the runtime's aliases).
    pub models_set: bool,
    /// LiteLLM `max_budget` (USD).
    pub max_budget: Option<f64>,
    /// LiteLLM `budget_duration`.
    pub budget_duration: Option<String>,
    /// LiteLLM `rpm_limit`.
    pub rpm_limit: Option<u64>,
    /// LiteLLM `tpm_limit`.
    pub tpm_limit: Option<u64>,
    /// LiteLLM `max_parallel_requests`.
    pub max_parallel_requests: Option<u64>,
    /// LiteLLM `duration` (expiry after minting).
    pub duration: Option<String>,
    /// The spec's own metadata.
    pub metadata: BTreeMap<String, String>,
    /// LiteLLM `team_id`.
    pub team: Option<String>,
}

impl Key {
    /// The spec's key policy; `models` stays empty until [`resolve_agent`] fills in the
    /// runtime's aliases. `None` for a negative count, which the schema already refuses.
    fn from_spec(k: crate::spec::KeyPolicy) -> Option<Key> {
        let count = |v: Option<i64>| v.map(u64::try_from).transpose().ok();
        Some(Key {
            models_set: k.models.is_some(),
            models: k.models.unwrap_or_default(),
            max_budget: k.max_budget,
            budget_duration: k.budget_duration,
            rpm_limit: count(k.rpm_limit)?,
            tpm_limit: count(k.tpm_limit)?,
            max_parallel_requests: count(k.max_parallel_requests)?,
            duration: k.duration,
            metadata: k.metadata.unwrap_or_default(),
            team: k.team,
        })
    }
}

/// The platform's tools installed by the init container, for every runtime (the runtime's
/// own pin is in its [`Settings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pins {
    /// `@commonlyai/mcp`.
    pub commonly_mcp: semver::Version,
    /// Git ref of the platform CLI.
    pub commonly_cli_ref: String,
}

/// Requests and limits, all set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// CPU request.
    pub requests_cpu: String,
    /// Memory request.
    pub requests_memory: String,
    /// CPU limit.
    pub limits_cpu: String,
    /// Memory limit.
    pub limits_memory: String,
}

/// A defaults layer: where it came from and its spec as JSON (for merging).
#[derive(Debug, Clone)]
pub struct Layer {
    /// File it was read from.
    pub file: Arc<str>,
    /// Its YAML tree, for positions.
    pub root: Node,
    /// Its `spec`, as JSON.
    pub spec: Value,
}

impl Layer {
    /// A layer from a checked `kind: Defaults` document; `None` for agents.
    pub fn from_checked(c: &Checked) -> Option<Layer> {
        let Parsed::Defaults(d) = &c.doc else {
            return None;
        };
        Some(Layer {
            file: Arc::clone(&c.file),
            root: c.root(),
            spec: serde_json::to_value(&d.spec).unwrap_or(Value::Null),
        })
    }
}

/// The defaults of a run, merged once per runtime and applied to every agent.
pub struct Defaults {
    layers: Vec<Layer>,
    runtimes: Vec<(Runtime, Layer)>,
    /// The runtime the common layers set (the built-in layer sets `codex`).
    runtime: Option<Runtime>,
    /// Per runtime: its built-in layer under all the common layers, merged.
    merged: Vec<(Runtime, Value)>,
}

impl Defaults {
    /// Merges `layers` (lowest first) over each runtime's own built-in layer.
    pub fn new(layers: Vec<Layer>, runtimes: Vec<(Runtime, Layer)>) -> Self {
        let mut common = Value::Object(serde_json::Map::new());
        for l in &layers {
            merge(&mut common, &l.spec);
        }
        let runtime = common_runtime(&layers);
        let merged = runtimes
            .iter()
            .map(|(r, l)| {
                let mut m = l.spec.clone();
                merge(&mut m, &common);
                (*r, m)
            })
            .collect();
        Defaults {
            layers,
            runtimes,
            runtime,
            merged,
        }
    }

    fn merged_for(&self, runtime: Runtime) -> Value {
        self.merged
            .iter()
            .find(|(r, _)| *r == runtime)
            .map_or_else(|| Value::Object(serde_json::Map::new()), |(_, v)| v.clone())
    }

    /// Where `pointer` (under `/spec`) is set for an agent of `runtime`: in its own document
    /// if there, else in the highest defaults layer that sets it (the runtime's built-in
    /// layer last), else at the agent's name.
    pub fn locate(&self, agent: &Checked, runtime: Option<Runtime>, pointer: &str) -> Location {
        // `Node::locate` points at a field's key, where a reader looks for "this field".
        let root = agent.root();
        if root.find(pointer).is_some() {
            return Location::at(&agent.file, root.locate(pointer));
        }
        let own = self
            .runtimes
            .iter()
            .filter(|(r, _)| Some(*r) == runtime)
            .map(|(_, l)| l);
        for l in self.layers.iter().rev().chain(own) {
            if l.root.find(pointer).is_some() {
                return Location::at(&l.file, l.root.locate(pointer));
            }
        }
        Location::at(&agent.file, root.locate("/metadata/name"))
    }
}

/// The runtime the common layers set: the highest layer's `runtime` (what merging them
/// yields; the built-in layer sets `codex`).
pub fn common_runtime(layers: &[Layer]) -> Option<Runtime> {
    layers
        .iter()
        .rev()
        .find_map(|l| l.spec.get("runtime"))
        .and_then(|r| serde_json::from_value(r.clone()).ok())
}

/// Deep-merges `over` into `base`: objects key by key, everything else replaced.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Resolves one agent document against the defaults. Missing required fields and
/// fleet-level rule violations go to `diags`; `None` when the agent cannot be resolved.
pub fn resolve_agent(
    checked: &Checked,
    defaults: &Defaults,
    diags: &mut Diagnostics,
) -> Option<Agent> {
    let Parsed::Agent(doc) = &checked.doc else {
        return None;
    };
    let mut missing = Missing {
        checked,
        defaults,
        diags,
        any: false,
    };
    let runtime = missing.require(doc.spec.runtime.or(defaults.runtime), "runtime", "codex")?;
    if !check_sections(checked, doc, runtime, missing.diags) {
        return None;
    }
    let mut spec_json = defaults.merged_for(runtime);
    merge(
        &mut spec_json,
        &serde_json::to_value(&doc.spec).unwrap_or(Value::Null),
    );
    let spec: AgentSpec = match serde_json::from_value(spec_json) {
        Ok(s) => s,
        Err(e) => {
            missing.diags.push(Diagnostic::error(
                Rule::Internal,
                checked.locate(""),
                format!("internal error: the layered spec of this agent does not deserialize: {e}"),
            )
            .with_help("every layer passed the schema, so this is a gen-agents bug; please report it with this file"));
            return None;
        }
    };
    let agent = build(doc, spec, runtime, &mut missing);
    if missing.any {
        return None;
    }
    let mut agent = agent?;
    if !agent.key.models_set {
        agent.key.models = crate::runtime::model_aliases(&agent)
            .into_iter()
            .map(|(_, alias)| alias)
            .collect();
    }
    let mut ok = true;
    ok &= check_registry_name(checked, defaults, &agent, diags);
    ok &= check_derived_names(checked, &agent, diags);
    ok.then_some(agent)
}

/// Collects "required field not set anywhere" diagnostics; runtime modules use it to
/// resolve their own sections.
pub struct Missing<'a> {
    checked: &'a Checked,
    defaults: &'a Defaults,
    diags: &'a mut Diagnostics,
    any: bool,
}

impl Missing<'_> {
    /// `value`, or a `required-field` diagnostic for `spec.<field>` (with an example value)
    /// when no layer set it.
    pub fn require<T>(&mut self, value: Option<T>, field: &str, example: &str) -> Option<T> {
        if value.is_none() {
            self.any = true;
            let name = match &self.checked.doc {
                Parsed::Agent(a) => a.metadata.name.as_str(),
                Parsed::Defaults(_) => "?",
            };
            self.diags.push(
                Diagnostic::error(
                    Rule::RequiredField,
                    self.defaults.locate(self.checked, None, "/metadata/name"),
                    format!("agent `{name}` has no `spec.{field}`, and no defaults layer sets it"),
                )
                .with_help(format!("set `spec.{field}` in the agent, or once for the fleet in a `kind: Defaults` document, e.g. `{field}: {example}`")),
            );
        }
        value
    }
}

fn build(
    doc: &AgentDocument,
    spec: AgentSpec,
    runtime: Runtime,
    m: &mut Missing<'_>,
) -> Option<Agent> {
    // Every `require` runs before any `?`, so one run reports every missing field.
    let name = doc.metadata.name.clone();
    let descriptor = crate::runtime::descriptor(runtime);
    let prefix = descriptor.resource_prefix;
    let settings = Settings::resolve(runtime, &spec, m);
    let litellm = spec.litellm.unwrap_or_default();
    let res = spec.resources.unwrap_or_default();
    let (req, lim) = (
        res.requests.unwrap_or_default(),
        res.limits.unwrap_or_default(),
    );
    let model = m.require(spec.model, "model", descriptor.example_model);
    let replicas = m.require(spec.replicas, "replicas", "1");
    let storage = m.require(spec.storage, "storage", "1Gi");
    let image = m.require(spec.image, "image", "node:22-bookworm-slim");
    let base_url = m.require(
        litellm.base_url,
        "litellm.baseUrl",
        "http://litellm:4000/v1",
    );
    let registry = m.require(
        spec.registry_agent_name,
        "registryAgentName",
        runtime.as_str(),
    );
    let pod_id = m.require(spec.pod_id, "podId", "69f841a9063269526de0437c");
    let api_url = m.require(
        spec.api_url,
        "apiUrl",
        "http://backend.commonly.svc.cluster.local:5000",
    );
    let adapter = m.require(spec.adapter, "adapter", runtime.as_str());
    let mcp = m.require(spec.commonly_mcp_version, "commonlyMcpVersion", "0.1.9");
    let cli_ref = m.require(spec.commonly_cli_ref, "commonlyCliRef", "main");
    let requests_cpu = m.require(req.cpu, "resources.requests.cpu", "50m");
    let requests_memory = m.require(req.memory, "resources.requests.memory", "256Mi");
    let limits_cpu = m.require(lim.cpu, "resources.limits.cpu", "500m");
    let limits_memory = m.require(lim.memory, "resources.limits.memory", "2Gi");
    Some(Agent {
        labels: doc.metadata.labels.clone(),
        settings: settings?,
        model: model?,
        // Rules already refused negative counts and malformed versions in every layer.
        replicas: u32::try_from(replicas?).ok()?,
        storage: storage?,
        image: image?,
        litellm_base_url: base_url?,
        litellm_key_secret: litellm
            .key_secret
            .unwrap_or_else(|| format!("{prefix}-{name}-litellm-key")),
        key: Key::from_spec(litellm.key.unwrap_or_default())?,
        token_secret: spec
            .token_secret
            .unwrap_or_else(|| format!("{prefix}-{name}-token")),
        mcp_servers: spec.mcp_servers.unwrap_or_default(),
        platform: Platform {
            registry_agent_name: registry?,
            agent_instance_id: spec.agent_instance_id.unwrap_or_else(|| name.clone()),
            pod_id: pod_id?,
            api_url: api_url?,
            adapter: adapter?,
        },
        pins: Pins {
            commonly_mcp: semver::Version::parse(&mcp?).ok()?,
            commonly_cli_ref: cli_ref?,
        },
        resources: Resources {
            requests_cpu: requests_cpu?,
            requests_memory: requests_memory?,
            limits_cpu: limits_cpu?,
            limits_memory: limits_memory?,
        },
        env: spec.env.unwrap_or_default(),
        name,
    })
}

/// Rule `runtime-section`: an agent's own document may only carry its runtime's section
/// (a `claudeCode:` block on a codex agent would be silently ignored otherwise). A
/// `kind: Defaults` document may carry every runtime's.
fn check_sections(
    c: &Checked,
    doc: &AgentDocument,
    runtime: Runtime,
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for other in Runtime::ALL.into_iter().filter(|r| *r != runtime) {
        if !crate::runtime::has_section(&doc.spec, other) {
            continue;
        }
        let section = crate::runtime::descriptor(other).section;
        let own = crate::runtime::descriptor(runtime).section;
        ok = false;
        diags.push(
            Diagnostic::error(
                Rule::RuntimeSection,
                c.find(&format!("/spec/{section}"))
                    .unwrap_or_else(|| c.locate("")),
                format!(
                    "`spec.{section}` configures the {} runtime, but this agent runs {}",
                    other.as_str(),
                    runtime.as_str()
                ),
            )
            .with_help(format!(
                "move these settings to `spec.{own}`, or set `runtime: {}`",
                other.as_str()
            )),
        );
    }
    ok
}

/// Rule `registry-name`: the platform agent types an installation may register as come
/// from its runtime; any other name is swept as stale by the platform's cleanup job
/// (incident 4 in the README).
fn check_registry_name(c: &Checked, d: &Defaults, agent: &Agent, diags: &mut Diagnostics) -> bool {
    let allowed = agent.descriptor().registry_names;
    let name = &agent.platform.registry_agent_name;
    if allowed.is_empty() || allowed.contains(&name.as_str()) {
        return true;
    }
    diags.push(
        Diagnostic::error(
            Rule::RegistryName,
            d.locate(c, Some(agent.runtime()), "/spec/registryAgentName"),
            format!("registry agent name `{name}` is not a platform agent type for the {} runtime; the platform sweeps such installations as stale and stops routing messages to them", agent.runtime().as_str()),
        )
        .with_help(format!("use {}", allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(" or "))),
    );
    false
}

/// Rule `agent-name-length`: every derived name must stay within 63 characters, the
/// limit of Kubernetes label values and DNS labels.
fn check_derived_names(c: &Checked, agent: &Agent, diags: &mut Diagnostics) -> bool {
    let longest = format!(
        "{}-{}-litellm-key",
        agent.descriptor().resource_prefix,
        agent.name
    );
    if longest.len() <= 63 {
        return true;
    }
    let max = 63 - (longest.len() - agent.name.len());
    diags.push(
        Diagnostic::error(
            Rule::AgentNameLength,
            c.find("/metadata/name").unwrap_or_else(|| c.locate("")),
            format!("agent name `{}` is {} characters; the derived name `{longest}` would exceed the 63-character limit of Kubernetes names and label values", agent.name, agent.name.len()),
        )
        .with_help(format!("shorten the name to at most {max} characters")),
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_is_deep_for_maps_and_replaces_lists() {
        let mut base = json!({"a": {"x": 1, "y": [1, 2]}, "b": 1});
        merge(&mut base, &json!({"a": {"y": [3], "z": 2}}));
        assert_eq!(base, json!({"a": {"x": 1, "y": [3], "z": 2}, "b": 1}));
    }
}
