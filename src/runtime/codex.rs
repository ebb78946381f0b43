//! The codex CLI runtime: `config.toml` from typed structs, the pod env, the Secrets.
//!
//! What codex accepts is pinned by CI against the real CLI (`.ci/consumers.sh` runs
//! `codex doctor` on every generated file). Facts this module relies on:
//! - `wire_api = "responses"` is the only value current codex accepts (`"chat"` is an error);
//! - `env_key` names the variable holding the LiteLLM key; the key itself never enters the
//!   file (no `experimental_bearer_token`);
//! - codex does not pass its environment to MCP servers: each server lists the variable
//!   NAMES it needs in `env_vars`, and codex forwards them. The seed wrote the values into an
//!   `env` table instead, which put the runtime token into the file in clear text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{user_env, user_secrets, ConfigFile, EnvVar, RuntimeOutput, SecretNeed};
use crate::resolve::Agent;
use crate::spec::{ApprovalPolicy, ReasoningEffort, SandboxMode};

/// Where the agent's home (the PVC) is mounted.
pub const HOME: &str = "/state";
/// `CODEX_HOME`: codex writes sessions and state next to its config, so it must be writable.
pub const CODEX_HOME: &str = "/state/.codex";
/// The provider id in config.toml. Built-in ids (`openai`, `ollama`, `lmstudio`) cannot be
/// overridden, so the LiteLLM provider gets its own.
pub const PROVIDER_ID: &str = "litellm";
/// The variable codex reads the LiteLLM virtual key from.
pub const KEY_ENV: &str = "LITELLM_API_KEY";

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
pub fn config(agent: &Agent) -> CodexConfig {
    let provider = Provider {
        name: "LiteLLM".into(),
        base_url: agent.litellm_base_url.clone(),
        wire_api: "responses".into(),
        env_key: KEY_ENV.into(),
    };
    CodexConfig {
        model: agent.model.clone(),
        model_provider: PROVIDER_ID.into(),
        approval_policy: agent.approval_policy,
        sandbox_mode: agent.sandbox_mode,
        model_reasoning_effort: agent.reasoning_effort,
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

/// The pod environment codex and the platform CLI need, before the agent's own `env`.
fn runtime_env(agent: &Agent) -> Vec<EnvVar> {
    let p = &agent.platform;
    vec![
        EnvVar::literal("HOME", HOME),
        EnvVar::literal("CODEX_HOME", CODEX_HOME),
        EnvVar::literal("COMMONLY_AGENT_NAME", agent.name.clone()),
        EnvVar::literal(
            "COMMONLY_REGISTRY_AGENT_NAME",
            p.registry_agent_name.clone(),
        ),
        EnvVar::literal("COMMONLY_AGENT_INSTANCE_ID", p.agent_instance_id.clone()),
        EnvVar::literal("COMMONLY_POD_ID", p.pod_id.clone()),
        EnvVar::literal("COMMONLY_ADAPTER", p.adapter.clone()),
        EnvVar::literal("COMMONLY_API_URL", p.api_url.clone()),
        EnvVar::literal("COMMONLY_LITELLM_BASE_URL", agent.litellm_base_url.clone()),
        EnvVar::secret("COMMONLY_AGENT_TOKEN", &agent.token_secret, "token", false),
        // Optional: the pod may start before the key is minted; the boot step warns, and
        // model calls get 401 from LiteLLM until the Secret is filled.
        EnvVar::secret(KEY_ENV, &agent.litellm_key_secret, "key", true),
    ]
}

/// Everything the codex runtime contributes to `agent`'s artifacts.
pub fn build(agent: &Agent) -> RuntimeOutput {
    let mut env = runtime_env(agent);
    env.extend(user_env(agent));
    let mut secrets = vec![
        SecretNeed {
            name: agent.token_secret.clone(),
            key: "token".into(),
            required: true,
            fill: format!("the platform runtime token (cm_agent_...) minted for the installation cloud-codex/{} (operator step 2)", agent.name),
        },
        SecretNeed {
            name: agent.litellm_key_secret.clone(),
            key: "key".into(),
            required: false,
            fill: format!("a LiteLLM virtual key (sk-...) whose model allowlist includes `{}` (operator step 3)", agent.model),
        },
    ];
    secrets.extend(user_secrets(agent));
    RuntimeOutput {
        config_files: vec![ConfigFile {
            key: "config.toml".into(),
            path: format!("{CODEX_HOME}/config.toml"),
            content: to_toml(&config(agent)),
        }],
        env,
        secrets,
        npm_packages: vec![
            format!("@openai/codex@{}", agent.pins.codex),
            format!("@commonlyai/mcp@{}", agent.pins.commonly_mcp),
        ],
        command: vec![
            "/tools/bin/commonly".into(),
            "agent".into(),
            "run".into(),
            agent.name.clone(),
        ],
    }
}
