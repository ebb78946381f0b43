//! The platform wiring every runtime shares: the pod's home, the `COMMONLY_*` environment,
//! the runtime token Secret, the platform's MCP server package, the platform CLI and the
//! agent-loop command (`commonly agent run <name>`, which drives the runtime through its
//! adapter). A runtime module adds only what is its own.

use super::{EnvVar, SecretNeed};
use crate::resolve::Agent;

/// Where the agent's PVC is mounted; `HOME` of every runtime.
pub const HOME: &str = "/state";
/// The agent's working directory (on the PVC), the container's `workingDir`.
pub const WORKSPACE: &str = "/state/workspace";
/// Where Secret keys a runtime reads as files are mounted (read-only, never in the env).
pub const SECRET_FILES_DIR: &str = "/var/run/secrets/gen-agents";
/// Git repository of the platform CLI the init container clones.
pub const CLI_REPO: &str = "https://github.com/Team-Commonly/commonly.git";
/// npm package of the platform's MCP server, installed for every runtime.
pub const MCP_PACKAGE: &str = "@commonlyai/mcp";
/// The variable holding the agent's name (the platform CLI's local alias for it).
pub const AGENT_NAME_ENV: &str = "COMMONLY_AGENT_NAME";
/// The variable holding the platform runtime token.
pub const TOKEN_ENV: &str = "COMMONLY_AGENT_TOKEN";

/// The platform's variables that do not name the agent (shared by every agent with the
/// same settings; the seed's chart set them between the agent's own).
pub fn shared_env(agent: &Agent) -> Vec<EnvVar> {
    let p = &agent.platform;
    vec![
        EnvVar::literal(
            "COMMONLY_REGISTRY_AGENT_NAME",
            p.registry_agent_name.clone(),
        ),
        EnvVar::literal("COMMONLY_ADAPTER", p.adapter.clone()),
        EnvVar::literal("COMMONLY_API_URL", p.api_url.clone()),
        EnvVar::literal("COMMONLY_LITELLM_BASE_URL", agent.litellm_base_url.clone()),
    ]
}

/// The platform's variables that name the agent, in the seed's order. The runtime token is
/// the only secret among them.
pub fn own_env(agent: &Agent) -> Vec<EnvVar> {
    let p = &agent.platform;
    vec![
        EnvVar::literal(AGENT_NAME_ENV, agent.name.clone()),
        EnvVar::literal("COMMONLY_AGENT_INSTANCE_ID", p.agent_instance_id.clone()),
        EnvVar::literal("COMMONLY_POD_ID", p.pod_id.clone()),
        EnvVar::secret(TOKEN_ENV, &agent.token_secret, "token", false),
    ]
}

/// The runtime token Secret key (operator step 2 of the seed).
pub fn token_need(agent: &Agent) -> SecretNeed {
    SecretNeed {
        name: agent.token_secret.clone(),
        key: "token".into(),
        required: true,
        fill: format!(
            "the platform runtime token (cm_agent_...) minted for the installation {}/{} (operator step 2)",
            agent.descriptor().resource_prefix,
            agent.name
        ),
    }
}

/// The LiteLLM virtual key Secret key (operator step 3). Optional: the pod may start before
/// the key is minted; the boot step warns, and model calls fail until it is filled.
pub fn key_need(agent: &Agent) -> SecretNeed {
    SecretNeed {
        name: agent.litellm_key_secret.clone(),
        key: "key".into(),
        required: false,
        fill: format!(
            "the LiteLLM virtual key (sk-...) with key_alias `{}` and allowlist {}, as keys.yaml declares it: `gen-agents keys apply --secrets-out FILE` mints it into a Secret manifest (operator step 3)",
            agent.litellm_key_secret,
            agent
                .key
                .models
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What the init container installs: the runtime's CLI and the platform's MCP server.
pub fn npm_packages(agent: &Agent, runtime_version: &semver::Version) -> Vec<String> {
    vec![
        format!("{}@{runtime_version}", agent.descriptor().npm_package),
        format!("{MCP_PACKAGE}@{}", agent.pins.commonly_mcp),
    ]
}

/// The agent loop: the platform CLI runs the runtime through the agent's adapter, for the
/// agent named by `COMMONLY_AGENT_NAME` (Kubernetes expands `$(NAME)` in a container's
/// args from its env, as the seed's boot script read `${COMMONLY_AGENT_NAME}`). The command
/// is then the same for every agent, so the values state it once per profile.
pub fn command() -> Vec<String> {
    vec![
        "/tools/bin/commonly".into(),
        "agent".into(),
        "run".into(),
        format!("$({AGENT_NAME_ENV})"),
    ]
}
