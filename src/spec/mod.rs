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
    /// For codex it must map to a deployment that serves the Responses API without the
    /// `responses/` prefix, e.g. `codex-cli/gpt-5.4`. Default `codex-cli/gpt-5.4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Number of pods. `0` parks the agent: the Deployment, PVC and Secrets stay, and the next
    /// deploy keeps it parked (scaling by hand is reverted by `helm upgrade`). Default `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Size of the agent's PersistentVolumeClaim, a Kubernetes quantity. Default `1Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// Container image for the tools installer and the agent. Default `node:22-bookworm-slim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// How the agent reaches the LiteLLM proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub litellm: Option<LiteLlm>,
    /// MCP servers the runtime starts, by id (the id becomes the tool namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<BTreeMap<String, McpServer>>,
    /// The platform agent type the installation registers as. Must be one the platform
    /// knows (`codex` for the codex runtime): any other name is swept as stale by the
    /// platform's cleanup job and messages stop reaching the agent. Default `codex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_agent_name: Option<String>,
    /// The platform instance id of this agent. Default: the agent's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_instance_id: Option<String>,
    /// The platform pod (workspace) the agent lives in. Required: there is no default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_id: Option<String>,
    /// The platform API URL, e.g. `http://backend.commonly-dev.svc.cluster.local:5000`.
    /// Required (usually set once in a Defaults document): a built-in default could silently
    /// point production agents at another environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// The platform adapter name. Default `codex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// Pinned `@openai/codex` version (exact semver), installed by the init container.
    /// Default `0.169.0`, the version CI checks generated configs with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codex_version: Option<String>,
    /// Pinned `@commonlyai/mcp` version (exact semver). Default `0.1.9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commonly_mcp_version: Option<String>,
    /// Git ref of the platform CLI cloned by the init container. Default `main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commonly_cli_ref: Option<String>,
    /// Name of the Secret holding the platform runtime token (key `token`).
    /// Default `cloud-codex-<name>-token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_secret: Option<String>,
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
    /// Claude Code (planned; not rendered by this version).
    ClaudeCode,
    /// Gemini CLI (planned; not rendered by this version).
    GeminiCli,
    /// OpenClaw (planned; not rendered by this version).
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

    /// The prefix of every Kubernetes resource an agent of this runtime owns
    /// (`cloud-codex-<name>`, as the platform chart names them).
    pub fn resource_prefix(self) -> &'static str {
        match self {
            Runtime::Codex => "cloud-codex",
            Runtime::ClaudeCode => "cloud-claude",
            Runtime::GeminiCli => "cloud-gemini",
            Runtime::Openclaw => "cloud-openclaw",
        }
    }
}

/// How the agent reaches LiteLLM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiteLlm {
    /// Base URL of the proxy's OpenAI-compatible API, with `/v1`. Default `http://litellm:4000/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Name of the Secret holding the agent's LiteLLM virtual key (key `key`).
    /// Default `cloud-codex-<name>-litellm-key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_secret: Option<String>,
}

/// A stdio MCP server the runtime starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpServer {
    /// The executable, e.g. `/tools/bin/commonly-mcp`.
    pub command: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// NAMES of pod environment variables passed through to the server (codex does not pass
    /// its environment to MCP servers). Never values: a value here would land in a ConfigMap.
    /// Each name must exist in the agent's pod env.
    pub env: Vec<String>,
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
    pub cpu: Option<String>,
    /// Memory, a Kubernetes quantity such as `256Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// The value of an environment variable: literal text, or a key of a Secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// Literal text. Must not be a secret: it is written into the Helm values.
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
    pub name: String,
    /// The key inside it.
    pub key: String,
    /// When true the pod starts even if the Secret or key is missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}
