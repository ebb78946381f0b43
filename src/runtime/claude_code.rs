//! The Claude Code runtime (`@anthropic-ai/claude-code`): `settings.json` and the project
//! MCP file `.mcp.json`, both written by serde_json from typed structs; its env; its spec
//! section `spec.claudeCode`.
//!
//! Facts this module relies on (`../shared/context/runtimes.md`, proven in CI by
//! `.ci/runtimes_check.py` with the real CLI through the real LiteLLM proxy):
//! - Claude Code appends `/v1/messages` to `ANTHROPIC_BASE_URL`, so that is LiteLLM's root;
//! - it ignores unknown settings keys and, in `-p` mode, silently drops a settings file that
//!   fails validation, so gen-agents writes only the keys of [`ClaudeSettings`];
//! - stdio MCP servers inherit Claude Code's whole environment. So the LiteLLM key is never
//!   in that environment (`apiKeyHelper` reads it from a mounted Secret file), and each MCP
//!   server is started through `env -i` with only `HOME`, `PATH` and the names it declares,
//!   which keeps the platform token away from servers that did not ask for it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{platform, ConfigFile, Descriptor, EnvVar, KeyDelivery, Parts, Violation, WireApi};
use crate::resolve::{Agent, Missing};
use crate::rules::Rule;
use crate::spec::Runtime;

/// What gen-agents knows about Claude Code.
pub const DESCRIPTOR: Descriptor = Descriptor {
    runtime: Runtime::ClaudeCode,
    section: "claudeCode",
    resource_prefix: "cloud-claude",
    example_model: "claude-sonnet",
    npm_package: "@anthropic-ai/claude-code",
    registry_names: &["claude-code"],
    defaults: include_str!("../../values/runtimes/claude-code.yaml"),
    moved: &[],
};

/// `CLAUDE_CONFIG_DIR`: Claude writes sessions, backups and plugins there, so it must be a
/// writable directory (on the PVC).
pub const CONFIG_DIR: &str = "/state/.claude";
/// The Secret file `apiKeyHelper` reads the LiteLLM key from.
pub const KEY_FILE: &str = "litellm-key";

/// `spec.claudeCode`: the Claude Code runtime's own settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Section {
    /// Pinned `@anthropic-ai/claude-code` version (exact semver). Default `2.1.331`, the
    /// version CI checks generated settings with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(crate::spec::NON_BLANK))]
    pub version: Option<String>,
    /// `permissions.defaultMode`. Default `bypassPermissions`: nobody is there to approve
    /// a tool call, and the pod is the sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<PermissionMode>,
    /// The LiteLLM alias for Claude Code's small, fast model (background tasks;
    /// `ANTHROPIC_DEFAULT_HAIKU_MODEL`). Default: the agent's `model`, so no call ever names
    /// a model the proxy does not serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(crate::spec::NON_BLANK))]
    pub small_fast_model: Option<String>,
}

/// Claude Code `permissions.defaultMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PermissionMode {
    /// Ask before tools (no one answers in a pod: tool calls are refused).
    Default,
    /// Accept file edits, ask for the rest.
    AcceptEdits,
    /// Plan only, no changes.
    Plan,
    /// Deny what is not pre-approved instead of asking.
    DontAsk,
    /// Run every tool without asking.
    BypassPermissions,
}

/// `spec.claudeCode`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `@anthropic-ai/claude-code` pin.
    pub version: semver::Version,
    /// Permission mode.
    pub permission_mode: PermissionMode,
    /// Small/fast model alias.
    pub small_fast_model: String,
}

/// Resolves `spec.claudeCode`.
pub fn settings(s: Section, model: Option<&String>, m: &mut Missing<'_>) -> Option<Settings> {
    let version = m.require(s.version, "claudeCode.version", "2.1.331");
    let mode = m.require(
        s.permission_mode,
        "claudeCode.permissionMode",
        "bypassPermissions",
    );
    Some(Settings {
        version: semver::Version::parse(&version?).ok()?,
        permission_mode: mode?,
        small_fast_model: s.small_fast_model.or_else(|| model.cloned())?,
    })
}

/// Claude Code calls Anthropic's Messages API.
pub fn wire_api(_: &Settings) -> WireApi {
    WireApi::Messages
}

/// `$CLAUDE_CONFIG_DIR/settings.json`. The fields are the allowlist of keys gen-agents
/// writes: Claude Code would ignore a misspelt key without a word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaudeSettings {
    /// A command whose output is the API key: reads the mounted Secret file.
    pub api_key_helper: String,
    /// The model alias.
    pub model: String,
    /// Tool permissions.
    pub permissions: Permissions,
    /// Start the project's `.mcp.json` servers without asking.
    pub enable_all_project_mcp_servers: bool,
}

/// `permissions` of [`ClaudeSettings`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Permissions {
    /// The default mode.
    pub default_mode: PermissionMode,
}

/// `.mcp.json` in the agent's working directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpFile {
    /// Servers by id.
    pub mcp_servers: BTreeMap<String, McpServer>,
}

/// One stdio server of `.mcp.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServer {
    /// Always `stdio`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `/bin/sh`: the allow-list wrapper (see [`wrap`]).
    pub command: String,
    /// The wrapper's script, then the server's command and arguments.
    pub args: Vec<String>,
}

/// Starts `command args…` with only `HOME`, `PATH` and the declared `names` in its
/// environment. The script text holds nothing but validated variable names (rule
/// `env-name`); the command and its arguments are passed as positional parameters, never
/// spliced into the script, and `$VAR` (not `${VAR}`) keeps Claude's own expansion out.
pub fn wrap(command: &str, args: &[String], names: &[String]) -> McpServer {
    let mut script = String::from("exec /usr/bin/env -i HOME=\"$HOME\" PATH=\"$PATH\"");
    for n in names {
        script.push_str(&format!(" {n}=\"${n}\""));
    }
    script.push_str(" \"$0\" \"$@\"");
    let mut all = vec!["-c".to_owned(), script, command.to_owned()];
    all.extend(args.iter().cloned());
    McpServer {
        kind: "stdio".into(),
        command: "/bin/sh".into(),
        args: all,
    }
}

/// Everything Claude Code contributes to `agent`'s artifacts.
pub fn build(agent: &Agent, s: &Settings) -> Parts {
    let settings = ClaudeSettings {
        api_key_helper: format!("cat {}/{KEY_FILE}", platform::SECRET_FILES_DIR),
        model: agent.model.clone(),
        permissions: Permissions {
            default_mode: s.permission_mode,
        },
        enable_all_project_mcp_servers: true,
    };
    let mcp = McpFile {
        mcp_servers: agent
            .mcp_servers
            .iter()
            .map(|(id, m)| (id.clone(), wrap(&m.command, &m.args, &m.env)))
            .collect(),
    };
    let (root, mut violations) = super::litellm_root(agent);
    violations.extend(check_mcp_commands(agent));
    let mut env = vec![
        EnvVar::literal("CLAUDE_CONFIG_DIR", CONFIG_DIR),
        EnvVar::literal("ANTHROPIC_BASE_URL", root),
        EnvVar::literal("ANTHROPIC_MODEL", agent.model.clone()),
        EnvVar::literal("ANTHROPIC_DEFAULT_HAIKU_MODEL", s.small_fast_model.clone()),
        EnvVar::literal("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
    ];
    if s.permission_mode == PermissionMode::BypassPermissions {
        // Claude refuses bypassPermissions as root unless told it runs in a sandbox; the
        // pod is that sandbox.
        env.push(EnvVar::literal("IS_SANDBOX", "1"));
    }
    Parts {
        config_files: vec![
            ConfigFile {
                key: "settings.json".into(),
                path: format!("{CONFIG_DIR}/settings.json"),
                content: super::to_json(&settings),
            },
            ConfigFile {
                key: "mcp.json".into(),
                path: format!("{}/.mcp.json", platform::WORKSPACE),
                content: super::to_json(&mcp),
            },
        ],
        env,
        key: KeyDelivery::File(KEY_FILE.into()),
        version: s.version.clone(),
        violations,
    }
}

/// Rule `mcp-command`: `env` would read a command containing `=` as one more variable
/// assignment instead of the program to run.
fn check_mcp_commands(agent: &Agent) -> Vec<Violation> {
    agent
        .mcp_servers
        .iter()
        .filter(|(_, m)| m.command.contains('='))
        .map(|(id, m)| Violation {
            rule: Rule::McpCommand,
            pointer: format!("/spec/mcpServers/{}/command", crate::validate::rules::escape(id)),
            message: format!("MCP server `{id}` command `{}` contains `=`, which `env` would take for a variable assignment", m.command),
            help: "use the executable's path without `=` and pass the rest as `args`".into(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_passes_only_declared_names_and_keeps_arguments_out_of_the_script() {
        let s = wrap(
            "/tools/bin/x",
            &["a b".into(), "$(id)".into()],
            &["GH".into()],
        );
        assert_eq!(s.command, "/bin/sh");
        assert_eq!(
            s.args[1],
            "exec /usr/bin/env -i HOME=\"$HOME\" PATH=\"$PATH\" GH=\"$GH\" \"$0\" \"$@\""
        );
        assert_eq!(&s.args[2..], ["/tools/bin/x", "a b", "$(id)"]);
    }
}
