//! The Gemini CLI runtime (`@google/gemini-cli`): `settings.json` written by serde_json from
//! typed structs and read as the CLI's *system* settings; its env; its spec section
//! `spec.geminiCli`.
//!
//! Facts this module relies on (`../shared/context/runtimes.md`, proven in CI by
//! `.ci/runtimes_check.py`):
//! - the CLI appends `/v1beta/models/<model>:…generateContent` to `GOOGLE_GEMINI_BASE_URL`,
//!   so that is LiteLLM's root, and sends `GEMINI_API_KEY` as `x-goog-api-key`;
//! - without `GEMINI_CLI_TRUST_WORKSPACE=true` a headless run exits 55;
//! - it rewrites a *user* settings file it finds deprecated, but never system settings
//!   (`GEMINI_CLI_SYSTEM_SETTINGS_PATH`), so the generated file is read as system settings;
//! - MCP children get the CLI's environment minus every secret-looking name (`*TOKEN*`,
//!   `*KEY*`, …), so each name a server declares is mapped explicitly in its `env`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ConfigFile, Descriptor, EnvVar, KeyDelivery, Parts, WireApi};
use crate::resolve::{Agent, Missing};
use crate::spec::Runtime;

/// What gen-agents knows about Gemini CLI.
pub const DESCRIPTOR: Descriptor = Descriptor {
    runtime: Runtime::GeminiCli,
    section: "geminiCli",
    resource_prefix: "cloud-gemini",
    example_model: "gemini-pro",
    npm_package: "@google/gemini-cli",
    registry_names: &["gemini-cli"],
    defaults: include_str!("../../values/runtimes/gemini-cli.yaml"),
    moved: &[],
};

/// Where the settings go: a directory of their own on the PVC, which the CLI does not write.
pub const SETTINGS_PATH: &str = "/state/.gemini-system/settings.json";
/// The variable the CLI reads the key from.
pub const KEY_ENV: &str = "GEMINI_API_KEY";

/// `spec.geminiCli`: the Gemini CLI runtime's own settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Section {
    /// Pinned `@google/gemini-cli` version (exact semver). Default `0.61.0`, the version CI
    /// checks generated settings with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(crate::spec::NON_BLANK))]
    pub version: Option<String>,
}

/// `spec.geminiCli`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `@google/gemini-cli` pin.
    pub version: semver::Version,
}

/// Resolves `spec.geminiCli`.
pub fn settings(s: Section, m: &mut Missing<'_>) -> Option<Settings> {
    let version = m.require(s.version, "geminiCli.version", "0.61.0");
    Some(Settings {
        version: semver::Version::parse(&version?).ok()?,
    })
}

/// Gemini CLI calls Google's generateContent API.
pub fn wire_api(_: &Settings) -> WireApi {
    WireApi::GenerateContent
}

/// The CLI's `settings.json`: only these keys are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeminiSettings {
    /// Authentication.
    pub security: Security,
    /// The model.
    pub model: Model,
    /// Usage statistics off.
    pub privacy: Privacy,
    /// Telemetry off.
    pub telemetry: Telemetry,
    /// Auto-update off (the pin is the version).
    pub general: General,
    /// MCP servers by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mcp_servers: BTreeMap<String, McpServer>,
}

/// `security`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Security {
    /// `auth`.
    pub auth: Auth,
}

/// `security.auth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Auth {
    /// Always `gemini-api-key` (else a headless run exits 41).
    pub selected_type: String,
}

/// `model`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Model {
    /// The LiteLLM alias.
    pub name: String,
}

/// `privacy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Privacy {
    /// Always false.
    pub usage_statistics_enabled: bool,
}

/// `telemetry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Telemetry {
    /// Always false.
    pub enabled: bool,
}

/// `general`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct General {
    /// Always false.
    pub enable_auto_update: bool,
    /// Always false.
    pub enable_auto_update_notification: bool,
}

/// One stdio server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServer {
    /// Executable.
    pub command: String,
    /// Arguments.
    pub args: Vec<String>,
    /// Every declared name mapped to itself (`"GITHUB_TOKEN": "$GITHUB_TOKEN"`): the CLI
    /// drops secret-looking names that are not mapped explicitly.
    pub env: BTreeMap<String, String>,
}

/// The settings for `agent`.
pub fn config(agent: &Agent) -> GeminiSettings {
    GeminiSettings {
        security: Security {
            auth: Auth {
                selected_type: "gemini-api-key".into(),
            },
        },
        model: Model {
            name: agent.model.clone(),
        },
        privacy: Privacy {
            usage_statistics_enabled: false,
        },
        telemetry: Telemetry { enabled: false },
        general: General {
            enable_auto_update: false,
            enable_auto_update_notification: false,
        },
        mcp_servers: agent
            .mcp_servers
            .iter()
            .map(|(id, m)| {
                let env = m.env.iter().map(|n| (n.clone(), format!("${n}"))).collect();
                let server = McpServer {
                    command: m.command.clone(),
                    args: m.args.clone(),
                    env,
                };
                (id.clone(), server)
            })
            .collect(),
    }
}

/// Everything Gemini CLI contributes to `agent`'s artifacts.
pub fn build(agent: &Agent, s: &Settings) -> Parts {
    let (root, violations) = super::litellm_root(agent);
    Parts {
        config_files: vec![ConfigFile {
            key: "settings.json".into(),
            path: SETTINGS_PATH.into(),
            content: super::to_json(&config(agent)),
        }],
        env: vec![
            EnvVar::literal("GEMINI_CLI_SYSTEM_SETTINGS_PATH", SETTINGS_PATH),
            EnvVar::literal("GOOGLE_GEMINI_BASE_URL", root),
            EnvVar::literal("GEMINI_CLI_TRUST_WORKSPACE", "true"),
        ],
        key: KeyDelivery::Env(KEY_ENV.into()),
        version: s.version.clone(),
        violations,
    }
}
