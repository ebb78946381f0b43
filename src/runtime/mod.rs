//! Runtime: what each agent runtime needs in its pod. A runtime is one module
//! (`codex.rs`, `claude_code.rs`, `gemini_cli.rs`, `openclaw.rs`) that answers everything
//! about it: its spec section and built-in defaults ([`Descriptor`]), its resource names,
//! npm package and pin, its config files and their serializers, its env and the way it gets
//! the LiteLLM key, the LiteLLM wire API it calls, and its own rules. What every runtime
//! shares (the `COMMONLY_*` env, the runtime token, the platform MCP server package and the
//! agent loop) is [`platform`]. This file only dispatches on [`Runtime`] and assembles the
//! parts in one order for all runtimes.
//!
//! Adding a runtime: a module with a `DESCRIPTOR`, `Section`, `Settings`, `settings`,
//! `wire_api` and `build`; its defaults in `values/runtimes/<name>.yaml`; a variant in
//! [`Settings`] and [`Runtime`], and one arm in each `match` below.

pub mod claude_code;
pub mod codex;
pub mod gemini_cli;
pub mod openclaw;
pub mod platform;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::resolve::{Agent, Missing};
use crate::rules::Rule;
use crate::spec::{AgentSpec, EnvValue, Runtime, SecretKeyRef};

/// The facts about a runtime that the other stages look up.
#[derive(Debug)]
pub struct Descriptor {
    /// The runtime.
    pub runtime: Runtime,
    /// Its section in a spec (`spec.<section>`).
    pub section: &'static str,
    /// Prefix of every Kubernetes resource its agents own (`cloud-codex-<name>`).
    pub resource_prefix: &'static str,
    /// A model alias for help texts (`model: …`).
    pub example_model: &'static str,
    /// Its npm package, installed at the section's `version`.
    pub npm_package: &'static str,
    /// The platform agent types its installations may register as (incident 4).
    pub registry_names: &'static [&'static str],
    /// Its built-in defaults: a `kind: Defaults` document applied under every other layer
    /// for its agents only.
    pub defaults: &'static str,
    /// Flat fields of older specs that now live in its section: (old key, new place).
    pub moved: &'static [(&'static str, &'static str)],
}

/// The descriptor of `runtime`.
pub fn descriptor(runtime: Runtime) -> &'static Descriptor {
    match runtime {
        Runtime::Codex => &codex::DESCRIPTOR,
        Runtime::ClaudeCode => &claude_code::DESCRIPTOR,
        Runtime::GeminiCli => &gemini_cli::DESCRIPTOR,
        Runtime::Openclaw => &openclaw::DESCRIPTOR,
    }
}

/// Where a flat field of an older spec moved to (rule `field-moved`).
pub fn moved_field(key: &str) -> Option<&'static str> {
    Runtime::ALL
        .iter()
        .flat_map(|r| descriptor(*r).moved)
        .find(|(old, _)| *old == key)
        .map(|(_, new)| *new)
}

/// A runtime's resolved settings: which runtime an agent runs, with its own section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settings {
    /// `spec.codex`.
    Codex(codex::Settings),
    /// `spec.claudeCode`.
    ClaudeCode(claude_code::Settings),
    /// `spec.geminiCli`.
    GeminiCli(gemini_cli::Settings),
    /// `spec.openclaw`.
    Openclaw(openclaw::Settings),
}

impl Settings {
    /// The runtime these settings are of.
    pub fn runtime(&self) -> Runtime {
        match self {
            Settings::Codex(_) => Runtime::Codex,
            Settings::ClaudeCode(_) => Runtime::ClaudeCode,
            Settings::GeminiCli(_) => Runtime::GeminiCli,
            Settings::Openclaw(_) => Runtime::Openclaw,
        }
    }

    /// Resolves the section of `runtime` from the layered `spec`; unset fields are
    /// reported through `m`.
    pub fn resolve(runtime: Runtime, spec: &AgentSpec, m: &mut Missing<'_>) -> Option<Self> {
        Some(match runtime {
            Runtime::Codex => {
                Settings::Codex(codex::settings(spec.codex.clone().unwrap_or_default(), m)?)
            }
            Runtime::ClaudeCode => Settings::ClaudeCode(claude_code::settings(
                spec.claude_code.clone().unwrap_or_default(),
                spec.model.as_ref(),
                m,
            )?),
            Runtime::GeminiCli => Settings::GeminiCli(gemini_cli::settings(
                spec.gemini_cli.clone().unwrap_or_default(),
                m,
            )?),
            Runtime::Openclaw => Settings::Openclaw(openclaw::settings(
                spec.openclaw.clone().unwrap_or_default(),
                m,
            )?),
        })
    }

    /// The LiteLLM API the runtime calls.
    pub fn wire_api(&self) -> WireApi {
        match self {
            Settings::Codex(s) => codex::wire_api(s),
            Settings::ClaudeCode(s) => claude_code::wire_api(s),
            Settings::GeminiCli(s) => gemini_cli::wire_api(s),
            Settings::Openclaw(s) => openclaw::wire_api(s),
        }
    }
}

/// Whether `spec` (an agent's own) has the section of `runtime`.
pub fn has_section(spec: &AgentSpec, runtime: Runtime) -> bool {
    match runtime {
        Runtime::Codex => spec.codex.is_some(),
        Runtime::ClaudeCode => spec.claude_code.is_some(),
        Runtime::GeminiCli => spec.gemini_cli.is_some(),
        Runtime::Openclaw => spec.openclaw.is_some(),
    }
}

/// The `version` pin of every runtime section `spec` has, with its pointer (rule
/// `version-pin`).
pub fn section_versions(spec: &AgentSpec) -> Vec<(String, &String)> {
    let versions = [
        (
            Runtime::Codex,
            spec.codex.as_ref().and_then(|s| s.version.as_ref()),
        ),
        (
            Runtime::ClaudeCode,
            spec.claude_code.as_ref().and_then(|s| s.version.as_ref()),
        ),
        (
            Runtime::GeminiCli,
            spec.gemini_cli.as_ref().and_then(|s| s.version.as_ref()),
        ),
        (
            Runtime::Openclaw,
            spec.openclaw.as_ref().and_then(|s| s.version.as_ref()),
        ),
    ];
    versions
        .into_iter()
        .filter_map(|(r, v)| Some((format!("/spec/{}/version", descriptor(r).section), v?)))
        .collect()
}

/// The LiteLLM endpoint family a runtime calls, and what its model targets must not be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireApi {
    /// `/v1/responses` (codex; OpenClaw with `api: openai-responses`).
    Responses,
    /// `/v1/chat/completions` (OpenClaw with `api: openai-completions`).
    ChatCompletions,
    /// `/v1/messages` (Claude Code).
    Messages,
    /// `/v1beta/models/<model>:generateContent` (Gemini CLI).
    GenerateContent,
}

impl WireApi {
    /// The proxy route, as written in messages.
    pub fn route(self) -> &'static str {
        match self {
            WireApi::Responses => "/v1/responses",
            WireApi::ChatCompletions => "/v1/chat/completions",
            WireApi::Messages => "/v1/messages",
            WireApi::GenerateContent => "/v1beta/models/<model>:generateContent",
        }
    }

    /// Why `target` (a `litellm_params.model`) fails on this API, if it does (incident 5):
    /// on `/v1/responses` a `responses/` prefix reaches the provider and is refused; on the
    /// other routes LiteLLM goes through chat completions, where the ChatGPT bridge only
    /// answers with the `responses/` prefix.
    pub fn refuses(self, target: &str) -> Option<&'static str> {
        match self {
            WireApi::Responses => target.contains("/responses/").then_some(
                "the `responses/` prefix reaches the provider on this route and is refused",
            ),
            WireApi::ChatCompletions | WireApi::Messages | WireApi::GenerateContent => {
                (target.starts_with("chatgpt/") && !target.contains("/responses/")).then_some(
                    "LiteLLM serves this route through chat completions, where a `chatgpt/` target needs the `responses/` prefix",
                )
            }
        }
    }
}

/// The model aliases an agent calls, with the `/spec/...` pointer of the field that sets
/// each: its model, and any other the runtime uses (the key's allowlist must hold them all).
pub fn model_aliases(agent: &Agent) -> Vec<(&'static str, String)> {
    let mut v = vec![("/spec/model", agent.model.clone())];
    if let Settings::ClaudeCode(s) = &agent.settings {
        if s.small_fast_model != agent.model {
            v.push((
                "/spec/claudeCode/smallFastModel",
                s.small_fast_model.clone(),
            ));
        }
    }
    v
}

/// What a runtime module builds; [`build`] assembles it with the platform's parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Parts {
    /// Its config files.
    pub config_files: Vec<ConfigFile>,
    /// Its own variables (placed after `HOME`, before the platform's).
    pub env: Vec<EnvVar>,
    /// How it gets the LiteLLM key.
    pub key: KeyDelivery,
    /// The pinned version of its npm package.
    pub version: semver::Version,
    /// Its own rules that failed.
    pub violations: Vec<Violation>,
}

/// How a runtime receives the agent's LiteLLM key from the key Secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum KeyDelivery {
    /// As this environment variable (`optional` secretKeyRef).
    Env(String),
    /// As this file under the pod's Secret-files directory, never in the environment.
    File(String),
}

/// Everything a runtime contributes to an agent's artifacts.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeOutput {
    /// Files of the agent's ConfigMap, serialized by the runtime's own format serializer.
    pub config_files: Vec<ConfigFile>,
    /// The agent container's environment.
    pub env: Env,
    /// Every Secret key the pod reads.
    pub secrets: Vec<SecretNeed>,
    /// Secret keys mounted as files under [`platform::SECRET_FILES_DIR`].
    pub secret_files: Vec<SecretFile>,
    /// How the LiteLLM key arrives (the boot step warns when it is empty).
    pub key: KeyDelivery,
    /// npm packages (`name@version`) the init container installs.
    pub npm_packages: Vec<String>,
    /// What the boot step executes once the files are in place.
    pub command: Vec<String>,
}

/// The agent container's environment in its three parts, in order: what agents of the same
/// runtime and settings share, what names the agent, and the spec's own `env`. Split so
/// the Helm values can state the shared parts once per profile ([`crate::render::model`]);
/// the order never depends on the rest of the fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `HOME`, the runtime's variables, the platform's that do not name the agent.
    pub shared: Vec<EnvVar>,
    /// The agent's name, ids, runtime token and (when it is a variable) LiteLLM key.
    pub own: Vec<EnvVar>,
    /// The spec's `env`, in name order: last, so it may refer to all the others as `$(NAME)`.
    pub spec: Vec<EnvVar>,
}

impl Env {
    /// Every variable, in the container's order.
    pub fn iter(&self) -> impl Iterator<Item = &EnvVar> {
        self.shared.iter().chain(&self.own).chain(&self.spec)
    }
}

/// One file of the runtime config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// ConfigMap key.
    pub key: String,
    /// Where the boot step copies it (a writable directory: runtimes write next to their config).
    pub path: String,
    /// The file's content.
    pub content: String,
}

/// A Secret key mounted as a file (read-only) under [`platform::SECRET_FILES_DIR`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretFile {
    /// The Secret.
    pub secret: String,
    /// Its key.
    pub key: String,
    /// The file name under the Secret-files directory.
    pub path: String,
    /// When true the pod starts without it.
    pub optional: bool,
}

/// Serializes a runtime's JSON config file: pretty, with a final newline. Serializing plain
/// structs of strings, bools and maps cannot fail; the error arm keeps `unwrap` off the path.
pub fn to_json(value: &impl Serialize) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(s) => s + "\n",
        Err(e) => format!("{{\"internal error\": {:?}}}\n", e.to_string()),
    }
}

/// LiteLLM's root URL (the base URL without `/v1`), for runtimes that append their own
/// versioned route; rule `litellm-base-url` when the base URL does not end in `/v1`.
pub fn litellm_root(agent: &Agent) -> (String, Vec<Violation>) {
    let base = agent.litellm_base_url.trim_end_matches('/');
    match base.strip_suffix("/v1") {
        Some(root) => (root.to_owned(), Vec::new()),
        None => (
            base.to_owned(),
            vec![Violation {
                rule: Rule::LitellmBaseUrl,
                pointer: "/spec/litellm/baseUrl".into(),
                message: format!(
                    "`{}` does not end in `/v1`; the {} runtime calls LiteLLM's root with its own route ({}), which gen-agents derives by removing `/v1`",
                    agent.litellm_base_url,
                    agent.runtime().as_str(),
                    agent.settings.wire_api().route()
                ),
                help: "write the proxy's OpenAI-compatible base URL, e.g. `http://litellm:4000/v1`".into(),
            }],
        ),
    }
}

/// A Kubernetes `EnvVar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    /// Variable name. (`GEN_AGENTS_*` names belong to the chart's boot step.)
    #[schemars(extend("not" = {"pattern": "^GEN_AGENTS_"}))]
    pub name: String,
    /// Literal value (never a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where the value comes from, for secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvSource>,
}

/// `valueFrom` of an `EnvVar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvSource {
    /// A key of a Secret.
    pub secret_key_ref: SecretKeyRef,
}

impl EnvVar {
    /// A literal variable.
    pub fn literal(name: &str, value: impl Into<String>) -> Self {
        EnvVar {
            name: name.to_owned(),
            value: Some(value.into()),
            value_from: None,
        }
    }

    /// A variable read from a Secret key.
    pub fn secret(name: &str, secret: &str, key: &str, optional: bool) -> Self {
        EnvVar {
            name: name.to_owned(),
            value: None,
            value_from: Some(EnvSource {
                secret_key_ref: SecretKeyRef {
                    name: secret.to_owned(),
                    key: key.to_owned(),
                    optional,
                },
            }),
        }
    }
}

/// A key of a Secret the pod reads, and how the operator fills it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretNeed {
    /// Secret name.
    pub name: String,
    /// Key.
    pub key: String,
    /// False when the pod starts without it (`optional: true`).
    pub required: bool,
    /// What the operator puts there.
    pub fill: String,
}

/// A rule the runtime found broken, with the `/spec/...` pointer of the offending field so
/// the pipeline can locate it in whichever layer set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Rule id.
    pub rule: Rule,
    /// JSON pointer into the agent spec.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Builds the runtime part of an agent, or the rules it breaks.
pub fn build(agent: &Agent) -> Result<RuntimeOutput, Vec<Violation>> {
    let parts = match &agent.settings {
        Settings::Codex(s) => codex::build(agent, s),
        Settings::ClaudeCode(s) => claude_code::build(agent, s),
        Settings::GeminiCli(s) => gemini_cli::build(agent, s),
        Settings::Openclaw(s) => openclaw::build(agent, s),
    };
    let out = assemble(
        agent,
        parts.config_files,
        parts.env,
        parts.key,
        &parts.version,
    );
    let violations = [
        parts.violations,
        check_env_reserved(agent, &out),
        check_mcp_env_declared(agent, &out),
    ]
    .concat();
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(violations)
    }
}

/// One order for every runtime: `HOME`, the runtime's own variables, the platform's shared
/// ones; then the agent's own (name, ids, token, the key when it is a variable); then the
/// spec's `env`.
fn assemble(
    agent: &Agent,
    config_files: Vec<ConfigFile>,
    runtime_env: Vec<EnvVar>,
    key: KeyDelivery,
    version: &semver::Version,
) -> RuntimeOutput {
    let mut shared = vec![EnvVar::literal("HOME", platform::HOME)];
    shared.extend(runtime_env);
    shared.extend(platform::shared_env(agent));
    let mut own = platform::own_env(agent);
    let mut secret_files = Vec::new();
    match &key {
        KeyDelivery::Env(name) => {
            own.push(EnvVar::secret(name, &agent.litellm_key_secret, "key", true))
        }
        KeyDelivery::File(path) => secret_files.push(SecretFile {
            secret: agent.litellm_key_secret.clone(),
            key: "key".into(),
            path: path.clone(),
            optional: true,
        }),
    }
    let env = Env {
        shared,
        own,
        spec: user_env(agent),
    };
    let mut secrets = vec![platform::token_need(agent), platform::key_need(agent)];
    secrets.extend(user_secrets(agent));
    RuntimeOutput {
        config_files,
        env,
        secrets,
        secret_files,
        key,
        npm_packages: platform::npm_packages(agent, version),
        command: platform::command(),
    }
}

/// Rules `model-alias` (each alias the agent calls must be a `model_name` of the LiteLLM
/// proxy) and `model-wire-api` (its target must suit the runtime's wire API: incident 5).
/// An alias the key allows but the runtime does not call (an explicit `litellm.key.models`)
/// must exist too (`model-alias`); its wire API is not checked, since the runtime never
/// calls it.
pub fn check_model(agent: &Agent, models: &crate::resolve::litellm::ModelList) -> Vec<Violation> {
    let wire = agent.settings.wire_api();
    let called = model_aliases(agent);
    let mut out: Vec<Violation> = called
        .iter()
        .filter_map(|(pointer, alias)| check_alias(agent, wire, pointer, alias, models))
        .collect();
    let allowed_only = agent
        .key
        .models
        .iter()
        .enumerate()
        .filter(|(_, m)| !called.iter().any(|(_, a)| a == *m));
    for (i, alias) in allowed_only {
        let pointer = format!("/spec/litellm/key/models/{i}");
        if let Some(mut v) = unknown_alias(&pointer, alias, models) {
            v.message = v.message.replacen("model `", "allowlisted model `", 1);
            out.push(v);
        }
    }
    out
}

/// Rule `key-models-missing`: an explicit key allowlist must hold every alias the runtime
/// calls, or LiteLLM answers those calls with 403 `key_model_access_denied`.
pub fn check_key_models(agent: &Agent) -> Vec<Violation> {
    if !agent.key.models_set {
        return Vec::new();
    }
    model_aliases(agent)
        .into_iter()
        .filter(|(_, alias)| !agent.key.models.contains(alias))
        .map(|(pointer, alias)| Violation {
            rule: Rule::KeyModelsMissing,
            pointer: "/spec/litellm/key/models".into(),
            message: format!(
                "the key's allowlist `litellm.key.models` lacks `{alias}`, which the agent calls (`spec.{}`); LiteLLM would answer those calls with 403",
                pointer.trim_start_matches("/spec/").replace('/', ".")
            ),
            help: format!("add `{alias}` to `litellm.key.models`, or leave `models` unset to allow exactly the aliases the runtime calls"),
        })
        .collect()
}

fn check_alias(
    agent: &Agent,
    wire: WireApi,
    pointer: &str,
    alias: &str,
    models: &crate::resolve::litellm::ModelList,
) -> Option<Violation> {
    let Some(target) = models.models.get(alias) else {
        return unknown_alias(pointer, alias, models);
    };
    let why = wire.refuses(target)?;
    Some(Violation {
        rule: Rule::ModelWireApi,
        pointer: pointer.into(),
        message: format!(
            "model `{alias}` maps to `{target}` in {}; the {} runtime calls LiteLLM's {}, and {why}",
            models.file,
            agent.runtime().as_str(),
            wire.route()
        ),
        help: match wire {
            WireApi::Responses => "use an alias whose `litellm_params.model` has no `responses/` prefix (the platform keeps `codex-cli/gpt-5.4` → `chatgpt/gpt-5.4` for this), and allow it on the agent's virtual key".into(),
            _ => "use an alias whose `litellm_params.model` is `chatgpt/responses/…` (or another provider), and allow it on the agent's virtual key".into(),
        },
    })
}

/// `model-alias` for an alias that is not a `model_name` of the proxy; `None` when it is.
fn unknown_alias(
    pointer: &str,
    alias: &str,
    models: &crate::resolve::litellm::ModelList,
) -> Option<Violation> {
    if models.models.contains_key(alias) {
        return None;
    }
    let close =
        crate::validate::schema::did_you_mean(alias, models.models.keys().map(String::as_str));
    Some(Violation {
        rule: Rule::ModelAlias,
        pointer: pointer.into(),
        message: format!(
            "model `{alias}` is not a `model_name` in the LiteLLM config {}",
            models.file
        ),
        help: match close {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!(
                "use one of: {}",
                models.models.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        },
    })
}

/// Appends the agent's own `env` (sorted by name) to the runtime's variables.
pub fn user_env(agent: &Agent) -> Vec<EnvVar> {
    agent
        .env
        .iter()
        .map(|(name, v)| match v {
            EnvValue::Literal(s) => EnvVar::literal(name, s.clone()),
            EnvValue::Secret(s) => EnvVar::secret(
                name,
                &s.secret_key_ref.name,
                &s.secret_key_ref.key,
                s.secret_key_ref.optional,
            ),
        })
        .collect()
}

/// The Secret keys the agent's own `env` reads.
pub fn user_secrets(agent: &Agent) -> Vec<SecretNeed> {
    agent
        .env
        .iter()
        .filter_map(|(var, v)| match v {
            EnvValue::Secret(s) => Some(SecretNeed {
                name: s.secret_key_ref.name.clone(),
                key: s.secret_key_ref.key.clone(),
                required: !s.secret_key_ref.optional,
                fill: format!("the value agents read as ${var}"),
            }),
            EnvValue::Literal(_) => None,
        })
        .collect()
}

/// Rule `env-reserved`: the agent's own `env` may not redefine a variable the runtime sets
/// (a literal `LITELLM_API_KEY` would both leak a key and shadow the Secret).
fn check_env_reserved(agent: &Agent, out: &RuntimeOutput) -> Vec<Violation> {
    // The runtime's variables come first in `out.env` and the agent's own follow, so a name
    // seen twice is one the agent redefines.
    let user: BTreeMap<&str, ()> = agent.env.keys().map(|k| (k.as_str(), ())).collect();
    let mut seen = BTreeMap::new();
    let mut v = Vec::new();
    for e in out.env.iter() {
        if seen.insert(e.name.as_str(), ()).is_some() && user.contains_key(e.name.as_str()) {
            v.push(Violation {
                rule: Rule::EnvReserved,
                pointer: format!("/spec/env/{}", crate::validate::rules::escape(&e.name)),
                message: format!("`{}` is set by the {} runtime and cannot be redefined in `spec.env`", e.name, agent.runtime().as_str()),
                help: "remove it from `spec.env`; use the dedicated field (e.g. `litellm.keySecret`, `tokenSecret`, `apiUrl`)".into(),
            });
        }
    }
    v
}

/// Rule `mcp-env-missing`: every variable an MCP server forwards must exist in the pod's
/// environment, or the server starts without it and dies (incident 2 in the README).
fn check_mcp_env_declared(agent: &Agent, out: &RuntimeOutput) -> Vec<Violation> {
    let names: BTreeMap<&str, ()> = out.env.iter().map(|e| (e.name.as_str(), ())).collect();
    let mut v = Vec::new();
    for (id, server) in &agent.mcp_servers {
        for (i, var) in server.env.iter().enumerate() {
            // Malformed names are reported by the `mcp-env-name` rule already.
            if crate::validate::rules::is_env_name(var) && !names.contains_key(var.as_str()) {
                v.push(Violation {
                    rule: Rule::McpEnvMissing,
                    pointer: format!("/spec/mcpServers/{}/env/{i}", crate::validate::rules::escape(id)),
                    message: format!("MCP server `{id}` forwards `{var}`, but the agent's pod has no such variable"),
                    help: format!("add `{var}` under `spec.env` (a literal or a `secretKeyRef`), or remove it from the server's env"),
                });
            }
        }
    }
    v
}
