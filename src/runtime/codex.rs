//! The codex CLI runtime (`@openai/codex`): `config.toml` from typed structs, its env, its
//! spec section `spec.codex`.
//!
//! What codex accepts is pinned by CI against the real CLI (`.ci/runtimes_check.py` runs
//! `codex exec --strict-config` through the real LiteLLM proxy). Facts this module relies on:
//! - `wire_api = "responses"` is the only value current codex accepts (`"chat"` is an error),
//!   so codex calls LiteLLM's `/v1/responses`;
//! - `env_key` names the variable holding the LiteLLM key; the key itself never enters the
//!   file (no `experimental_bearer_token`);
//! - codex does not pass its environment to MCP servers: each server lists the variable
//!   NAMES it needs in `env_vars`, and codex forwards exactly those. The seed wrote the
//!   values into an `env` table instead, which put the runtime token into the file.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ConfigFile, Descriptor, EnvVar, KeyDelivery, Parts, WireApi};
use crate::resolve::{Agent, Missing};
use crate::spec::Runtime;

/// What gen-agents knows about codex.
pub const DESCRIPTOR: Descriptor = Descriptor {
    runtime: Runtime::Codex,
    section: "codex",
    resource_prefix: "cloud-codex",
    example_model: "codex-cli/gpt-5.4",
    npm_package: "@openai/codex",
    registry_names: &["codex"],
    defaults: include_str!("../../values/runtimes/codex.yaml"),
    moved: &[
        ("codexVersion", "spec.codex.version"),
        ("sandboxMode", "spec.codex.sandboxMode"),
        ("approvalPolicy", "spec.codex.approvalPolicy"),
        ("reasoningEffort", "spec.codex.reasoningEffort"),
    ],
};

/// `CODEX_HOME`: codex writes sessions and state next to its config, so it must be writable.
pub const CODEX_HOME: &str = "/state/.codex";
/// The provider id in config.toml. Built-in ids (`openai`, `ollama`, `lmstudio`) cannot be
/// overridden, so the LiteLLM provider gets its own.
pub const PROVIDER_ID: &str = "litellm";
/// The variable codex reads the LiteLLM virtual key from.
pub const KEY_ENV: &str = "LITELLM_API_KEY";

/// `spec.codex`: the codex runtime's own settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Section {
    /// Pinned `@openai/codex` version (exact semver), installed by the init container.
    /// Default `0.169.0`, the version CI checks generated configs with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(crate::spec::NON_BLANK))]
    pub version: Option<String>,
    /// The codex sandbox. Default `danger-full-access`: codex's bubblewrap sandbox cannot run
    /// in a normal pod, so the pod is the perimeter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_mode: Option<SandboxMode>,
    /// When codex asks before running a command. Default `never` (nobody is there to answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<ApprovalPolicy>,
    /// Reasoning effort sent with every model call. Unset: the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
}

/// Codex `sandbox_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Read-only file system access.
    ReadOnly,
    /// Writes allowed inside the workspace.
    WorkspaceWrite,
    /// No sandbox: the pod is the perimeter.
    DangerFullAccess,
}

/// Codex `approval_policy`. (`untrusted` and `on-failure` are refused or deprecated by
/// current codex and are not offered.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalPolicy {
    /// Never ask.
    Never,
    /// Let the model ask.
    OnRequest,
}

/// Codex `model_reasoning_effort` (codex itself accepts any text here, so it is checked here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReasoningEffort {
    /// No reasoning.
    None,
    /// Minimal.
    Minimal,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Extra high.
    Xhigh,
}

/// `spec.codex`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `@openai/codex` pin.
    pub version: semver::Version,
    /// Sandbox mode.
    pub sandbox_mode: SandboxMode,
    /// Approvals.
    pub approval_policy: ApprovalPolicy,
    /// Reasoning effort; `None` leaves the model's default.
    pub reasoning_effort: Option<ReasoningEffort>,
}

/// Resolves `spec.codex`; every unset field is reported through `m`.
pub fn settings(s: Section, m: &mut Missing<'_>) -> Option<Settings> {
    let version = m.require(s.version, "codex.version", "0.169.0");
    let sandbox = m.require(s.sandbox_mode, "codex.sandboxMode", "danger-full-access");
    let approval = m.require(s.approval_policy, "codex.approvalPolicy", "never");
    Some(Settings {
        version: semver::Version::parse(&version?).ok()?,
        sandbox_mode: sandbox?,
        approval_policy: approval?,
        reasoning_effort: s.reasoning_effort,
    })
}

/// Codex speaks only the Responses API.
pub fn wire_api(_: &Settings) -> WireApi {
    WireApi::Responses
}

/// `$CODEX_HOME/config.toml`, as codex reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodexConfig {
    /// LiteLLM model alias.
    pub model: String,
    /// Provider id, always [`PROVIDER_ID`].
    pub model_provider: String,
    /// When to ask for approval.
    pub approval_policy: ApprovalPolicy,
    /// Sandbox mode.
    pub sandbox_mode: SandboxMode,
    /// Reasoning effort, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_reasoning_effort: Option<ReasoningEffort>,
    /// Providers by id.
    pub model_providers: BTreeMap<String, Provider>,
    /// MCP servers by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mcp_servers: BTreeMap<String, McpServer>,
}

/// `[model_providers.<id>]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Display name.
    pub name: String,
    /// Base URL; codex appends `/responses`.
    pub base_url: String,
    /// Always `responses`.
    pub wire_api: String,
    /// Name of the variable with the key.
    pub env_key: String,
}

/// `[mcp_servers.<id>]` for a stdio server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServer {
    /// Executable.
    pub command: String,
    /// Arguments.
    pub args: Vec<String>,
    /// Names of variables codex forwards from its own environment.
    pub env_vars: Vec<String>,
}

/// The config.toml content for `agent`.
pub fn config(agent: &Agent, s: &Settings) -> CodexConfig {
    let provider = Provider {
        name: "LiteLLM".into(),
        base_url: agent.litellm_base_url.clone(),
        wire_api: "responses".into(),
        env_key: KEY_ENV.into(),
    };
    CodexConfig {
        model: agent.model.clone(),
        model_provider: PROVIDER_ID.into(),
        approval_policy: s.approval_policy,
        sandbox_mode: s.sandbox_mode,
        model_reasoning_effort: s.reasoning_effort,
        model_providers: BTreeMap::from([(PROVIDER_ID.to_owned(), provider)]),
        mcp_servers: agent
            .mcp_servers
            .iter()
            .map(|(id, s)| {
                let server = McpServer {
                    command: s.command.clone(),
                    args: s.args.clone(),
                    env_vars: s.env.clone(),
                };
                (id.clone(), server)
            })
            .collect(),
    }
}

/// Serializes the config with the `toml` crate. Serializing plain structs of strings,
/// enums and maps cannot fail; the error arm exists so no `unwrap` sits on an input path.
pub fn to_toml(config: &CodexConfig) -> String {
    toml::to_string(config).unwrap_or_else(|e| format!("# internal error: {e}\n"))
}

/// Everything codex contributes to `agent`'s artifacts.
pub fn build(agent: &Agent, s: &Settings) -> Parts {
    Parts {
        config_files: vec![ConfigFile {
            key: "config.toml".into(),
            path: format!("{CODEX_HOME}/config.toml"),
            content: to_toml(&config(agent, s)),
        }],
        env: vec![EnvVar::literal("CODEX_HOME", CODEX_HOME)],
        key: KeyDelivery::Env(KEY_ENV.into()),
        version: s.version.clone(),
        violations: Vec::new(),
    }
}
