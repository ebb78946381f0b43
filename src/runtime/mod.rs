//! Runtime: what each agent runtime needs in its pod: config files, environment, Secrets,
//! tools. One module per runtime; adding Claude Code, Gemini CLI or OpenClaw is adding a
//! module and a match arm in [`build`].

pub mod codex;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::resolve::Agent;
use crate::spec::{EnvValue, Runtime, SecretKeyRef};

/// Everything a runtime contributes to an agent's artifacts.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeOutput {
    /// Files of the agent's ConfigMap, serialized by the runtime's own format serializer.
    pub config_files: Vec<ConfigFile>,
    /// The agent container's environment, in order.
    pub env: Vec<EnvVar>,
    /// Every Secret key the pod reads.
    pub secrets: Vec<SecretNeed>,
    /// npm packages (`name@version`) the init container installs.
    pub npm_packages: Vec<String>,
    /// What the boot step executes once the files are in place.
    pub command: Vec<String>,
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

/// A Kubernetes `EnvVar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    /// Variable name.
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
    pub rule: &'static str,
    /// JSON pointer into the agent spec.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Builds the runtime part of an agent, or the rules it breaks.
pub fn build(agent: &Agent) -> Result<RuntimeOutput, Vec<Violation>> {
    let out = match agent.runtime {
        Runtime::Codex => codex::build(agent),
        // `resolve` refuses the planned runtimes before this point.
        other => {
            return Err(vec![Violation {
                rule: "runtime-unsupported",
                pointer: "/spec/runtime".into(),
                message: format!(
                    "runtime `{}` is not rendered by this version",
                    other.as_str()
                ),
                help: "use `runtime: codex`".into(),
            }])
        }
    };
    let violations = [
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

/// Rule `model-alias`: the agent's model must be a `model_name` of the LiteLLM proxy, and
/// for a runtime on the Responses wire API (codex) its target must not carry the
/// `responses/` prefix, which leaks upstream and gets 400 "model not supported" (incident 5).
pub fn check_model(
    agent: &Agent,
    models: &crate::resolve::litellm::ModelList,
) -> Option<Violation> {
    let alias = &agent.model;
    let Some(target) = models.models.get(alias) else {
        let close =
            crate::validate::schema::did_you_mean(alias, models.models.keys().map(String::as_str));
        return Some(Violation {
            rule: "model-alias",
            pointer: "/spec/model".into(),
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
        });
    };
    let responses_api = matches!(agent.runtime, Runtime::Codex);
    (responses_api && target.contains("/responses/")).then(|| Violation {
        rule: "model-alias",
        pointer: "/spec/model".into(),
        message: format!("model `{alias}` maps to `{target}` in {}; codex calls LiteLLM's /v1/responses, where the `responses/` prefix reaches the provider and is refused", models.file),
        help: "use an alias whose `litellm_params.model` has no `responses/` prefix (the platform keeps `codex-cli/gpt-5.4` → `chatgpt/gpt-5.4` for this), and allow it on the agent's virtual key".into(),
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
    for e in &out.env {
        if seen.insert(e.name.as_str(), ()).is_some() && user.contains_key(e.name.as_str()) {
            v.push(Violation {
                rule: "env-reserved",
                pointer: format!("/spec/env/{}", crate::validate::rules::escape(&e.name)),
                message: format!("`{}` is set by the {} runtime and cannot be redefined in `spec.env`", e.name, agent.runtime.as_str()),
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
                    rule: "mcp-env-missing",
                    pointer: format!("/spec/mcpServers/{}/env/{i}", crate::validate::rules::escape(id)),
                    message: format!("MCP server `{id}` forwards `{var}`, but the agent's pod has no such variable"),
                    help: format!("add `{var}` under `spec.env` (a literal or a `secretKeyRef`), or remove it from the server's env"),
                });
            }
        }
    }
    v
}
