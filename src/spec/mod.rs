//! The input model: what a user writes in an agent spec, as serde + schemars types.
//!
//! These types are the single source of truth for the published JSON Schema
//! (`gen-agents schema`), for the validator, and for the typed values the later stages read.
//! Every field is optional at this layer because a `kind: Defaults` document (or the
//! built-in `values/defaults.yaml`) may supply it; `resolve` turns the layered result into
//! a fully resolved agent and reports what is still missing.

pub mod schema;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The JSON Schema `pattern` of every string that names something: at least one
/// non-whitespace character. With `minLength: 1` it makes `""` and `"  "` errors in editors
/// and in the validator (rule `empty-value`). The strings where empty is meaningful do not
/// carry it: an MCP server's `args` items (an empty argument is an argument), a literal `env`
/// value (an empty variable is a value), and label values (Kubernetes allows an empty label
/// value; the `label` rule still refuses blanks).
pub const NON_BLANK: &str = r"\S";

/// The only `apiVersion` this build understands.
pub const API_VERSION: &str = "gen-agents/v1";

/// `apiVersion` of every gen-agents document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    /// Version 1 of the spec format.
    #[serde(rename = "gen-agents/v1")]
    V1,
}

/// `kind: Agent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AgentKind {
    /// One agent.
    Agent,
}

/// `kind: Defaults`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DefaultsKind {
    /// Fleet-wide defaults.
    Defaults,
}

/// One agent: a Deployment, its PVC, its runtime config and the Secrets it reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentDocument {
    /// Always `gen-agents/v1`.
    pub api_version: ApiVersion,
    /// Always `Agent`.
    pub kind: AgentKind,
    /// The agent's name and labels.
    pub metadata: AgentMetadata,
    /// What the agent runs and how. Unset fields come from `--values` files, `kind: Defaults`
    /// documents and the built-in defaults, in that order of precedence.
    #[serde(default)]
    pub spec: AgentSpec,
}

/// Fleet-wide defaults: any agent field, applied to every agent that does not set it.
/// Several Defaults documents are layered in the order they are read (later wins);
/// mappings merge key by key, lists and scalars are replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefaultsDocument {
    /// Always `gen-agents/v1`.
    pub api_version: ApiVersion,
    /// Always `Defaults`.
    pub kind: DefaultsKind,
    /// A name for this layer, used in messages.
    #[serde(default)]
    pub metadata: DefaultsMetadata,
    /// Default values for every agent's `spec`.
    #[serde(default)]
    pub spec: AgentSpec,
}

/// Identity of an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentMetadata {
    /// The agent's name: a DNS-1123 label (lowercase letters, digits and `-`, starting and
    /// ending with a letter or digit). Every Kubernetes resource name is derived from it
    /// (`cloud-codex-<name>`, `cloud-codex-<name>-litellm-key`, ...), so it is at most 39
    /// characters long.
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub name: String,
    /// Labels copied onto every generated resource and the agent's pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Identity of a Defaults layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefaultsMetadata {
    /// A name for this layer, used in messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub name: Option<String>,
}

/// What an agent runs and how. Every field may also be set in a `kind: Defaults` document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentSpec {
    /// The agent runtime (the coding-agent CLI inside the pod). Default `codex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// The LiteLLM model alias the agent calls (a `model_name` of the proxy's `model_list`).
    /// It must suit the runtime's wire API: codex calls `/v1/responses`, so its alias must
    /// map to a deployment without the `responses/` prefix, e.g. `codex-cli/gpt-5.4`.
    /// Default for codex `codex-cli/gpt-5.4`; the other runtimes have no default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub model: Option<String>,
    /// Number of pods. `0` parks the agent: the Deployment, PVC and Secrets stay, and the next
    /// deploy keeps it parked (scaling by hand is reverted by `helm upgrade`). Default `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Size of the agent's PersistentVolumeClaim, a Kubernetes quantity. Default `1Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub storage: Option<String>,
    /// Container image for the tools installer and the agent. Default: the runtime's
    /// (`node:22-bookworm-slim`; `node:24-bookworm-slim` for OpenClaw, which needs Node 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub image: Option<String>,
    /// How the agent reaches the LiteLLM proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub litellm: Option<LiteLlm>,
    /// MCP servers the runtime starts, by id (the id becomes the tool namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<BTreeMap<String, McpServer>>,
    /// The platform agent type the installation registers as. Must be one the platform
    /// knows for the runtime (`codex` for codex): any other name is swept as stale by the
    /// platform's cleanup job and messages stop reaching the agent. Default: the runtime's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub registry_agent_name: Option<String>,
    /// The platform instance id of this agent. Default: the agent's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub agent_instance_id: Option<String>,
    /// The platform pod (workspace) the agent lives in. Required: there is no default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub pod_id: Option<String>,
    /// The platform API URL, e.g. `http://backend.commonly-dev.svc.cluster.local:5000`.
    /// Required (usually set once in a Defaults document): a built-in default could silently
    /// point production agents at another environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub api_url: Option<String>,
    /// The platform adapter the agent loop drives the runtime with. Default: the runtime's
    /// own (`codex`, `claude-code`, `gemini-cli`, `openclaw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub adapter: Option<String>,
    /// Pinned `@commonlyai/mcp` version (exact semver), the platform's MCP server, installed
    /// for every runtime. Default `0.1.9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub commonly_mcp_version: Option<String>,
    /// Git ref of the platform CLI cloned by the init container. Default `main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub commonly_cli_ref: Option<String>,
    /// Name of the Secret holding the platform runtime token (key `token`).
    /// Default `<prefix>-<name>-token`, e.g. `cloud-codex-<name>-token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub token_secret: Option<String>,
    /// Settings of the codex runtime. Only for `runtime: codex` (a `kind: Defaults`
    /// document may set every runtime's section).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codex: Option<crate::runtime::codex::Section>,
    /// Settings of the Claude Code runtime. Only for `runtime: claude-code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claude_code: Option<crate::runtime::claude_code::Section>,
    /// Settings of the Gemini CLI runtime. Only for `runtime: gemini-cli`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemini_cli: Option<crate::runtime::gemini_cli::Section>,
    /// Settings of the OpenClaw runtime. Only for `runtime: openclaw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openclaw: Option<crate::runtime::openclaw::Section>,
    /// CPU and memory of the agent container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Extra environment variables of the agent container, by name: a literal value (never a
    /// secret) or a reference to a key of a Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, EnvValue>>,
}

/// The coding-agent CLI an agent runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    /// OpenAI Codex CLI (`@openai/codex`), config in `$CODEX_HOME/config.toml`.
    Codex,
    /// Claude Code (`@anthropic-ai/claude-code`), settings in `$CLAUDE_CONFIG_DIR`.
    ClaudeCode,
    /// Gemini CLI (`@google/gemini-cli`), settings read as system settings.
    GeminiCli,
    /// OpenClaw (`openclaw`, Node 24), config in `openclaw.json`.
    Openclaw,
}

impl Runtime {
    /// The name used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Codex => "codex",
            Runtime::ClaudeCode => "claude-code",
            Runtime::GeminiCli => "gemini-cli",
            Runtime::Openclaw => "openclaw",
        }
    }

    /// Every runtime, in the order they are documented.
    pub const ALL: [Runtime; 4] = [
        Runtime::Codex,
        Runtime::ClaudeCode,
        Runtime::GeminiCli,
        Runtime::Openclaw,
    ];
}

/// How the agent reaches LiteLLM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiteLlm {
    /// Base URL of the proxy's OpenAI-compatible API, ending in `/v1`. Default
    /// `http://litellm:4000/v1`. Runtimes that call the proxy's root (Claude Code, Gemini
    /// CLI) get it without `/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub base_url: Option<String>,
    /// Name of the Secret holding the agent's LiteLLM virtual key (key `key`).
    /// Default `<prefix>-<name>-litellm-key`, e.g. `cloud-codex-<name>-litellm-key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub key_secret: Option<String>,
    /// The policy of the agent's LiteLLM virtual key, written to `keys.yaml` as the body of
    /// LiteLLM's `/key/generate` request. Every field is optional; an unset limit is no
    /// limit (it is left out of the request), which is different from `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyPolicy>,
}

/// The policy of an agent's LiteLLM virtual key (LiteLLM's `/key/generate` fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyPolicy {
    /// The model aliases the key may call (LiteLLM `models`). Default: every alias the
    /// agent's runtime calls (its `model`, and Claude Code's `smallFastModel`). Never empty:
    /// LiteLLM reads `[]` as "every model" (rule `key-models-empty`), and it must hold every
    /// alias the runtime calls (rule `key-models-missing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(length(min = 1), pattern(NON_BLANK)))]
    pub models: Option<Vec<String>>,
    /// Spend ceiling in USD over each `budgetDuration` (LiteLLM `max_budget`); `0` blocks
    /// every paid call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_budget: Option<f64>,
    /// How often the spend resets, a LiteLLM duration: a positive whole number and one of
    /// `s`, `m`, `h`, `d`, `w`, `mo`, e.g. `30d` (LiteLLM `budget_duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub budget_duration: Option<String>,
    /// Requests per minute (LiteLLM `rpm_limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub rpm_limit: Option<i64>,
    /// Tokens per minute (LiteLLM `tpm_limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub tpm_limit: Option<i64>,
    /// Concurrent requests (LiteLLM `max_parallel_requests`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_parallel_requests: Option<i64>,
    /// The key expires this long after it is minted, a LiteLLM duration such as `90d`
    /// (LiteLLM `duration`). Default: it never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub duration: Option<String>,
    /// Extra metadata stored on the key (LiteLLM `metadata`). The keys gen-agents sets
    /// itself (`managed-by`, `fleet`, `agents`, `runtimes`, `policy-hash`, `duration`, `rotated-out`) are reserved.
    /// Values are free text and may be empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// The LiteLLM team the key belongs to (LiteLLM `team_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub team: Option<String>,
}

/// A stdio MCP server the runtime starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpServer {
    /// The executable, e.g. `/tools/bin/commonly-mcp`.
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub command: String,
    /// Its arguments. An item may be `""`: an empty argument is still an argument.
    #[serde(default)]
    pub args: Vec<String>,
    /// NAMES of pod environment variables passed through to the server, and the only ones
    /// it gets (besides `HOME` and `PATH`, whatever the runtime). Never values: a value here
    /// would land in a ConfigMap. Each name must exist in the agent's pod env.
    #[schemars(inner(length(min = 1), pattern(NON_BLANK)))]
    pub env: Vec<String>,
}

/// Container resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves. Default cpu `50m`, memory `256Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<ResourceList>,
    /// The ceiling. Default cpu `500m`, memory `2Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceList>,
}

/// CPU and memory quantities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceList {
    /// CPU, a Kubernetes quantity such as `50m` or `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub cpu: Option<String>,
    /// Memory, a Kubernetes quantity such as `256Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub memory: Option<String>,
}

/// The value of an environment variable: literal text, or a key of a Secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// Literal text. Must not be a secret: it is written into the Helm values. May be `""`
    /// (the variable is set, and empty).
    Literal(String),
    /// Read from a Secret.
    Secret(SecretEnv),
}

/// An environment variable read from a Secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretEnv {
    /// Which Secret and key.
    pub secret_key_ref: SecretKeyRef,
}

/// A key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeyRef {
    /// The Secret's name.
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub name: String,
    /// The key inside it.
    #[schemars(length(min = 1), pattern(NON_BLANK))]
    pub key: String,
    /// When true the pod starts even if the Secret or key is missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}
