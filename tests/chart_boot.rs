//! The chart's boot step (`chart/agent-fleet/files/boot.sh`) run for real on this machine
//! with an agent's rendered env: the runtime config lands as a private, writable copy,
//! the platform CLI's token files are valid JSON holding exactly the env's values, and the
//! agent's command is exec'd. Needs bash and node, as the agent image has.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn boot_copies_the_runtime_config_and_writes_token_files_from_the_env() {
    let work = tempfile::tempdir().unwrap();
    let (runtime_dir, home) = (work.path().join("runtime"), work.path().join("state"));
    std::fs::create_dir_all(&runtime_dir).unwrap();
    std::fs::write(runtime_dir.join("config.toml"), "model = \"m\"\n").unwrap();
    let codex_home = home.join(".codex");
    let files = serde_json::json!([{"key": "config.toml", "path": codex_home.join("config.toml")}])
        .to_string();
    // A token with quotes, `$(...)` and a trailing newline, as an operator might paste it.
    let token = "cm_agent_\"x\"$(id)`y`\n";
    let o = Command::new("bash")
        .arg(root().join("chart/agent-fleet/files/boot.sh"))
        .args(["sh", "-c", "echo started \"$COMMONLY_AGENT_NAME\""])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("GEN_AGENTS_RUNTIME_DIR", &runtime_dir)
        .env("GEN_AGENTS_RUNTIME_FILES", files)
        .env("COMMONLY_AGENT_NAME", "cody")
        .env("COMMONLY_REGISTRY_AGENT_NAME", "codex")
        .env("COMMONLY_AGENT_INSTANCE_ID", "cody")
        .env("COMMONLY_POD_ID", "69f841a9063269526de0437c")
        .env("COMMONLY_ADAPTER", "codex")
        .env("COMMONLY_API_URL", "http://backend:5000")
        .env("COMMONLY_AGENT_TOKEN", token)
        .env("GEN_AGENTS_MODEL_KEY_ENV", "LITELLM_API_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "started cody\n");
    assert!(
        stderr.contains("LITELLM_API_KEY is empty"),
        "the missing key is announced: {stderr}"
    );

    let config = codex_home.join("config.toml");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "model = \"m\"\n");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&config).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let tokens: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.join(".commonly/tokens/cody.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(tokens["runtimeToken"], "cm_agent_\"x\"$(id)`y`");
    assert_eq!(tokens["agentName"], "codex");
    assert_eq!(tokens["podId"], "69f841a9063269526de0437c");
    assert_eq!(tokens["instanceUrl"], "http://backend:5000");
    let config_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.join(".commonly/config.json")).unwrap())
            .unwrap();
    assert_eq!(
        config_json["instances"]["dev"]["agentTokens"]["cody"],
        "cm_agent_\"x\"$(id)`y`"
    );
}

/// A runtime that reads its key from a Secret file (Claude Code) gets the same warning when
/// the file is missing, and starts all the same.
#[test]
fn boot_warns_when_the_key_file_is_missing() {
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("state");
    let o = Command::new("bash")
        .arg(root().join("chart/agent-fleet/files/boot.sh"))
        .args(["true"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("GEN_AGENTS_RUNTIME_DIR", work.path())
        .env("GEN_AGENTS_RUNTIME_FILES", "[]")
        .env("COMMONLY_AGENT_NAME", "planner")
        .env("COMMONLY_REGISTRY_AGENT_NAME", "claude-code")
        .env("COMMONLY_AGENT_INSTANCE_ID", "planner")
        .env("COMMONLY_POD_ID", "p")
        .env("COMMONLY_ADAPTER", "claude-code")
        .env("COMMONLY_API_URL", "http://backend:5000")
        .env("COMMONLY_AGENT_TOKEN", "t")
        .env("GEN_AGENTS_MODEL_KEY_FILE", work.path().join("no-such-key"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("no-such-key is missing or empty"),
        "{stderr}"
    );
}
