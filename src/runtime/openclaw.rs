//! The OpenClaw runtime (`openclaw`, Node ≥ 24.16): `openclaw.json` written by serde_json
//! from typed structs; its env; its spec section `spec.openclaw`.
//!
//! Facts this module relies on (`../shared/context/runtimes.md`, proven in CI by
//! `.ci/runtimes_check.py` with `openclaw config validate --json`, `mcp doctor --json` and
//! one `agent exec` through the real LiteLLM proxy):
//! - the config schema is strict: an unknown key makes the gateway refuse to start;
//! - the provider's key is an env SecretRef (`{source: env, …, id: LITELLM_API_KEY}`),
//!   never a literal;
//! - stdio MCP children get only `HOME`, `PATH`, `PWD` and their explicit `env`, so each
//!   declared name is mapped to itself there.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ConfigFile, Descriptor, EnvVar, KeyDelivery, Parts, WireApi};
use crate::resolve::{Agent, Missing};
use crate::spec::Runtime;

/// What gen-agents knows about OpenClaw.
pub const DESCRIPTOR: Descriptor = Descriptor {
    runtime: Runtime::Openclaw,
    section: "openclaw",
    resource_prefix: "cloud-openclaw",
    example_model: "gpt-4o-mini",
    npm_package: "openclaw",
    registry_names: &["openclaw"],
    defaults: include_str!("../../values/runtimes/openclaw.yaml"),
    moved: &[],
};

/// `OPENCLAW_CONFIG_PATH`.
pub const CONFIG_PATH: &str = "/state/.openclaw/openclaw.json";
/// The provider id, and the prefix of the model reference (`litellm/<alias>`).
pub const PROVIDER_ID: &str = "litellm";
/// The variable the key SecretRef names.
pub const KEY_ENV: &str = "LITELLM_API_KEY";

/// `spec.openclaw`: the OpenClaw runtime's own settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Section {
    /// Pinned `openclaw` version (exact semver). Default `2026.9.6`, the version CI checks
    /// generated configs with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(crate::spec::NON_BLANK))]
    pub version: Option<String>,
    /// The API OpenClaw speaks to LiteLLM. Default `openai-completions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
}

/// OpenClaw provider `api`: the ones this version renders and CI proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// OpenAI chat completions (`/v1/chat/completions`).
    OpenaiCompletions,
    /// OpenAI Responses (`/v1/responses`).
    OpenaiResponses,
}

/// `spec.openclaw`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `openclaw` pin.
    pub version: semver::Version,
    /// The provider API.
    pub api: Api,
}

/// Resolves `spec.openclaw`.
pub fn settings(s: Section, m: &mut Missing<'_>) -> Option<Settings> {
    let version = m.require(s.version, "openclaw.version", "2026.9.6");
    let api = m.require(s.api, "openclaw.api", "openai-completions");
    Some(Settings {
        version: semver::Version::parse(&version?).ok()?,
        api: api?,
    })
}

/// What the provider `api` calls.
pub fn wire_api(s: &Settings) -> WireApi {
    match s.api {
        Api::OpenaiCompletions => WireApi::ChatCompletions,
        Api::OpenaiResponses => WireApi::Responses,
    }
}

/// `openclaw.json`: only these keys are written (OpenClaw refuses unknown ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenclawConfig {
    /// Model providers.
    pub models: Models,
    /// Agent defaults.
    pub agents: Agents,
    /// MCP servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<Mcp>,
}

/// `models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Models {
    /// Providers by id.
    pub providers: BTreeMap<String, Provider>,
}

/// `models.providers.litellm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provider {
    /// LiteLLM's base URL, with `/v1`.
    pub base_url: String,
    /// The key, as a reference to an environment variable.
    pub api_key: SecretRef,
    /// The API spoken.
    pub api: Api,
    /// The models offered: the agent's alias.
    pub models: Vec<ModelEntry>,
    /// Request policy.
    pub request: Request,
}

/// `models.providers.litellm.request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    /// Always true: LiteLLM is a Service inside the cluster, and OpenClaw refuses to call a
    /// URL that resolves to a private address without it (its SSRF guard; proven in CI, where
    /// `agent exec` fails with "Blocked: resolves to private/internal/special-use IP
    /// address" when it is missing).
    pub allow_private_network: bool,
}

/// An env SecretRef.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    /// Always `env`.
    pub source: String,
    /// Always `default`.
    pub provider: String,
    /// The variable name.
    pub id: String,
}

/// One model of a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelEntry {
    /// The LiteLLM alias.
    pub id: String,
    /// Its display name (the alias).
    pub name: String,
}

/// `agents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Agents {
    /// `agents.defaults`.
    pub defaults: AgentDefaults,
}

/// `agents.defaults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentDefaults {
    /// `agents.defaults.model`.
    pub model: AgentModel,
}

/// `agents.defaults.model`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentModel {
    /// `litellm/<alias>`.
    pub primary: String,
}

/// `mcp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mcp {
    /// Servers by id.
    pub servers: BTreeMap<String, McpServer>,
}

/// One stdio server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServer {
    /// Executable.
    pub command: String,
    /// Arguments.
    pub args: Vec<String>,
    /// Every declared name mapped to itself (`"GITHUB_TOKEN": "${GITHUB_TOKEN}"`).
    pub env: BTreeMap<String, String>,
}

/// The config for `agent`.
pub fn config(agent: &Agent, s: &Settings) -> OpenclawConfig {
    let provider = Provider {
        base_url: agent.litellm_base_url.clone(),
        api_key: SecretRef {
            source: "env".into(),
            provider: "default".into(),
            id: KEY_ENV.into(),
        },
        api: s.api,
        models: vec![ModelEntry {
            id: agent.model.clone(),
            name: agent.model.clone(),
        }],
        request: Request {
            allow_private_network: true,
        },
    };
    let servers: BTreeMap<String, McpServer> = agent
        .mcp_servers
        .iter()
        .map(|(id, m)| {
            let env = m
                .env
                .iter()
                .map(|n| (n.clone(), format!("${{{n}}}")))
                .collect();
            let server = McpServer {
                command: m.command.clone(),
                args: m.args.clone(),
                env,
            };
            (id.clone(), server)
        })
        .collect();
    OpenclawConfig {
        models: Models {
            providers: BTreeMap::from([(PROVIDER_ID.to_owned(), provider)]),
        },
        agents: Agents {
            defaults: AgentDefaults {
                model: AgentModel {
                    primary: format!("{PROVIDER_ID}/{}", agent.model),
                },
            },
        },
        mcp: (!servers.is_empty()).then_some(Mcp { servers }),
    }
}

/// Everything OpenClaw contributes to `agent`'s artifacts.
pub fn build(agent: &Agent, s: &Settings) -> Parts {
    Parts {
        config_files: vec![ConfigFile {
            key: "openclaw.json".into(),
            path: CONFIG_PATH.into(),
            content: super::to_json(&config(agent, s)),
        }],
        env: vec![EnvVar::literal("OPENCLAW_CONFIG_PATH", CONFIG_PATH)],
        key: KeyDelivery::Env(KEY_ENV.into()),
        version: s.version.clone(),
        violations: Vec::new(),
    }
}
