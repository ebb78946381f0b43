//! The seed's agent (cody) renders to the configuration the seed's boot script wrote, with
//! one intended difference: the commonly MCP server forwards variable NAMES (`env_vars`)
//! instead of carrying their values (`env`), which put the runtime token in the file.

use gen_agents::diag::Diagnostics;
use gen_agents::runtime::codex;

/// What the seed's boot script wrote to /state/.codex/config.toml for cody (PR #369), with
/// the shell-interpolated values spelled out.
const SEED_CONFIG: &str = r#"
model = "codex-cli/gpt-5.4"
model_provider = "litellm"
sandbox_mode = "danger-full-access"
approval_policy = "never"

[model_providers.litellm]
name = "LiteLLM"
base_url = "http://litellm:4000/v1"
wire_api = "responses"
env_key = "LITELLM_API_KEY"

[mcp_servers.commonly]
command = "/tools/bin/commonly-mcp"
args = []
env = { COMMONLY_API_URL = "http://backend.commonly-dev.svc.cluster.local:5000", COMMONLY_AGENT_TOKEN = "cm_agent_not_a_real_token" }
"#;

fn cody_config() -> String {
    let mut diags = Diagnostics::default();
    let fleet = gen_agents::load_fleet(&["examples".into()], &[], &mut diags).unwrap();
    let agents = gen_agents::resolve_fleet(&fleet, &mut diags);
    assert!(!diags.has_errors());
    let (_, rt) = agents
        .iter()
        .find(|(a, _)| a.name == "cody")
        .expect("cody is in the examples");
    rt.config_files
        .iter()
        .find(|f| f.key == "config.toml")
        .unwrap()
        .content
        .clone()
}

#[test]
fn cody_matches_the_seed_except_env_vars_instead_of_secret_values() {
    let ours: toml::Table = toml::from_str(&cody_config()).unwrap();
    let mut seed: toml::Table = toml::from_str(SEED_CONFIG).unwrap();
    let server = seed["mcp_servers"]["commonly"].as_table().unwrap().clone();
    let names: Vec<toml::Value> = server["env"]
        .as_table()
        .unwrap()
        .keys()
        .map(|k| toml::Value::String(k.clone()))
        .collect();
    let commonly = seed["mcp_servers"].as_table_mut().unwrap()["commonly"]
        .as_table_mut()
        .unwrap();
    commonly.remove("env");
    commonly.insert("env_vars".into(), toml::Value::Array(names));
    // env_vars order is the spec's; the seed's table order is alphabetical after parsing.
    let sort = |t: &mut toml::Table| {
        if let Some(toml::Value::Array(a)) = t["mcp_servers"].as_table_mut().unwrap()["commonly"]
            .as_table_mut()
            .unwrap()
            .get_mut("env_vars")
        {
            a.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
        }
    };
    let mut ours = ours;
    sort(&mut ours);
    sort(&mut seed);
    assert_eq!(ours, seed);
}

#[test]
fn cody_config_holds_no_secret_and_no_refused_setting() {
    let text = cody_config();
    let parsed: codex::CodexConfig = toml::from_str(&text).expect("our own type reads it back");
    assert_eq!(parsed.model_providers["litellm"].wire_api, "responses");
    for forbidden in [
        "experimental_bearer_token",
        "cm_agent_",
        "sk-",
        "profile",
        "untrusted",
        "wire_api = \"chat\"",
    ] {
        assert!(!text.contains(forbidden), "{forbidden} in:\n{text}");
    }
}
