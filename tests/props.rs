//! Property: any text in any free-text field comes out inert. Whatever the user writes
//! (quotes, newlines, `${X}`, backticks, `{{ x }}`, YAML indicators), every artifact parses
//! back and holds exactly that text.

use gen_agents::diag::Diagnostics;
use gen_agents::render::{SecretsMode, Templates};
use gen_agents::runtime::codex::CodexConfig;
use gen_agents::validate::rules::secret_kind;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

fn hazard() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("${X}".to_owned()),
        Just("$(id)".to_owned()),
        Just("`rm -rf /`".to_owned()),
        Just("{{ x }}".to_owned()),
        Just("{% if %}".to_owned()),
        Just("{{- .Values.secret }}".to_owned()),
        Just(": ".to_owned()),
        Just("# ".to_owned()),
        Just("- ".to_owned()),
        Just("\\".to_owned()),
        Just("\t".to_owned()),
        Just("yes".to_owned()),
        Just("null".to_owned()),
        Just("0755".to_owned()),
        Just("'''".to_owned()),
        Just("\"\"\"".to_owned()),
        Just("[a]".to_owned()),
        Just("&x *x".to_owned()),
        Just(" ".to_owned()),
        "[a-z0-9]{1,4}",
        "\\PC{1,3}",
    ];
    prop::collection::vec(piece, 1..8)
        .prop_map(|v| v.concat())
        .prop_filter("not secret-looking", |s| secret_kind(s, true).is_none())
        // Blank text is refused (rule `empty-value`, tests/empty_values.rs).
        .prop_filter("not blank", |s| s.chars().any(|c| !c.is_whitespace()))
}

const RUNTIMES: [&str; 4] = ["codex", "claude-code", "gemini-cli", "openclaw"];

fn spec(runtime: &str, model: &str, pod: &str, arg: &str, value: &str, image: &str) -> Value {
    json!({
        "apiVersion": "gen-agents/v1",
        "kind": "Agent",
        "metadata": {"name": "prop"},
        "spec": {
            "runtime": runtime,
            "podId": pod,
            "apiUrl": "http://backend:5000",
            "model": model,
            "image": image,
            "agentInstanceId": pod,
            "mcpServers": {"m": {"command": arg, "args": [arg, value, ""], "env": ["FREE"]}},
            "env": {"FREE": value}
        }
    })
}

/// The documents of `text` as read by our own reader, after checking that an independent
/// reader (serde_norway, on libyaml) reads exactly the same values: a misreading shared by our
/// emitter and our reader cannot pass.
fn read_yaml(text: &str) -> Vec<Value> {
    let file: std::sync::Arc<str> = std::sync::Arc::from("out");
    let mut d = Diagnostics::default();
    let docs = gen_agents::load::yaml::read_documents(&file, text, &mut d);
    assert!(d.is_empty(), "does not parse back: {d:?}\n{text}");
    let ours: Vec<Value> = docs
        .iter()
        .map(|d| d.root.to_json())
        .filter(|v| !v.is_null())
        .collect();
    let theirs: Vec<Value> = serde_norway::Deserializer::from_str(text)
        .map(|doc| {
            Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("libyaml cannot read it: {e}\n{text}"))
        })
        .filter(|v| !v.is_null())
        .collect();
    assert_eq!(ours, theirs, "the two YAML readers disagree on\n{text}");
    ours
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn free_text_round_trips_through_every_artifact(runtime in prop::sample::select(&RUNTIMES[..]), model in hazard(), pod in hazard(), arg in hazard(), value in hazard(), image in hazard()) {
        // Claude Code starts MCP servers through `env`, which refuses `=` in a command
        // (rule `mcp-command`, tested in tests/cases).
        prop_assume!(runtime != "claude-code" || !arg.contains('='));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spec.yaml");
        // JSON is YAML: the input is written by a serializer we do not test here.
        std::fs::write(&path, serde_json::to_string_pretty(&spec(runtime, &model, &pod, &arg, &value, &image)).unwrap()).unwrap();
        let mut diags = Diagnostics::default();
        let inputs = [path.to_string_lossy().into_owned()];
        // What the built-in templates must write: the typed values and ConfigMap data.
        let expected = {
            let fleet = gen_agents::load_fleet(&inputs, &[], &mut diags).unwrap();
            let resolved = gen_agents::resolve_fleet(&fleet, &mut diags);
            prop_assert_eq!(resolved.len(), 1, "{:?}", diags.sorted());
            let (agent, rt) = &resolved[0];
            let secrets = gen_agents::render::model::fleet_secrets(&[(agent.name.clone(), rt.secrets.as_slice())]);
            (gen_agents::render::model::agent_context(agent, rt), secrets)
        };
        let (expected, expected_secrets) = expected;
        let fleet = gen_agents::load_fleet(&inputs, &[], &mut diags).unwrap();
        prop_assert!(!diags.has_errors(), "{:?}", diags.sorted());
        let templates = Templates::load(None, &mut diags);
        let out = gen_agents::render_fleet(fleet, &templates, &SecretsMode::Stubs, &mut diags);
        prop_assert!(!diags.has_errors(), "{:?}", diags.sorted());
        let out = out.unwrap();

        let doc = &read_yaml(&out.values.text())[0];
        let values = &doc["agents"]["prop"];
        // Verification by construction: the built-in templates are not parsed back at
        // render time, so this is the proof that what they write reads back, with both
        // readers, as exactly the typed values, profile and ConfigMap data.
        let typed: gen_agents::render::model::AgentValues = serde_json::from_value(values.clone()).unwrap();
        prop_assert_eq!(&typed, &expected.values);
        let profile = &doc["profiles"][&expected.values.profile];
        let typed: gen_agents::render::model::Profile = serde_json::from_value(profile.clone()).unwrap();
        prop_assert_eq!(&typed, &expected.profile);
        // A variable's value: in the profile's env or specEnv, or the agent's own vars.
        let shared: Vec<Value> = ["env", "specEnv"].iter().flat_map(|k| profile[k].as_array().unwrap().clone()).collect();
        let env = |name: &str| shared.iter().find(|e| e["name"] == name).map_or_else(|| values["vars"][name].clone(), |e| e["value"].clone());
        prop_assert_eq!(env("FREE"), json!(value));
        prop_assert_eq!(env("COMMONLY_POD_ID"), json!(pod));
        prop_assert_eq!(env("COMMONLY_AGENT_INSTANCE_ID"), json!(pod));
        prop_assert_eq!(&profile["image"], &json!(image));

        let cms = read_yaml(&out.configmaps.text());
        let data = &cms[0]["data"];
        prop_assert_eq!(data, &json!(expected.config_map.data));
        prop_assert_eq!(&cms[0]["metadata"]["name"], &json!(expected.config_map.name));
        prop_assert_eq!(&cms[0]["metadata"]["labels"], &json!(expected.config_map.labels));
        let file = |key: &str| data[key].as_str().unwrap_or_else(|| panic!("no {key} in {data}")).to_owned();
        let json_file = |key: &str| serde_json::from_str::<Value>(&file(key)).unwrap();
        let args = json!([arg, value, ""]);
        match runtime {
            "codex" => {
                let config: CodexConfig = toml::from_str(&file("config.toml")).unwrap();
                prop_assert_eq!(&config.model, &model);
                prop_assert_eq!(&config.mcp_servers["m"].command, &arg);
                prop_assert_eq!(&config.mcp_servers["m"].args, &vec![arg.clone(), value.clone(), String::new()]);
            }
            "claude-code" => {
                prop_assert_eq!(&json_file("settings.json")["model"], &json!(model));
                let m = &json_file("mcp.json")["mcpServers"]["m"];
                // The wrapper script holds only names; the command and arguments follow it.
                prop_assert_eq!(&m["args"][2], &json!(arg));
                prop_assert_eq!(&m["args"].as_array().unwrap()[3..], args.as_array().unwrap().as_slice());
                prop_assert_eq!(env("ANTHROPIC_MODEL"), json!(model));
            }
            "gemini-cli" => {
                let settings = json_file("settings.json");
                prop_assert_eq!(&settings["model"]["name"], &json!(model));
                prop_assert_eq!(&settings["mcpServers"]["m"]["command"], &json!(arg));
                prop_assert_eq!(&settings["mcpServers"]["m"]["args"], &args);
            }
            _ => {
                let config = json_file("openclaw.json");
                prop_assert_eq!(&config["models"]["providers"]["litellm"]["models"][0]["id"], &json!(model));
                prop_assert_eq!(&config["agents"]["defaults"]["model"]["primary"], &json!(format!("litellm/{model}")));
                prop_assert_eq!(&config["mcp"]["servers"]["m"]["command"], &json!(arg));
                prop_assert_eq!(&config["mcp"]["servers"]["m"]["args"], &args);
            }
        }

        // The built-in stubs are not parsed back at render time either: each reads back as
        // exactly its Secret, with no data keys.
        let stubs = read_yaml(&out.secrets.text());
        prop_assert_eq!(stubs.len(), expected_secrets.len());
        for (s, want) in stubs.iter().zip(&expected_secrets) {
            prop_assert!(s.get("stringData").is_none() && s.get("data").is_none() && s.get("binaryData").is_none());
            prop_assert_eq!(&s["metadata"]["name"], &json!(want.name));
            let a = &s["metadata"]["annotations"];
            prop_assert_eq!(&a["gen-agents.dev/how-to-fill"], &json!(want.how_to_fill));
            prop_assert_eq!(&a["gen-agents.dev/create-command"], &json!(want.create_command));
            prop_assert_eq!(&a["gen-agents.dev/used-by"], &json!(want.agents.join(", ")));
            prop_assert_eq!(&a["gen-agents.dev/required-keys"], &json!(want.required_keys.join(",")));
            prop_assert_eq!(&a["gen-agents.dev/optional-keys"], &json!(want.optional_keys.join(",")));
            prop_assert_eq!(&a["gen-agents.dev/optional"], &json!(if want.optional { "true" } else { "false" }));
        }
    }
}

fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("apiVersion: gen-agents/v1\n".to_owned()),
        Just("kind: Agent\n".to_owned()),
        Just("kind: Defaults\n".to_owned()),
        Just("metadata:\n  name: a\n".to_owned()),
        Just("spec:\n".to_owned()),
        Just("  podId: p\n  apiUrl: http://x\n".to_owned()),
        Just("  mcpServers: {m: {command: c, env: [A]}}\n".to_owned()),
        Just("  env: {A: {secretKeyRef: {name: s, key: k}}}\n".to_owned()),
        Just("---\n".to_owned()),
        Just("&a [*a]\n".to_owned()),
        Just("- ".to_owned()),
        Just(": ".to_owned()),
        Just("{[".to_owned()),
        Just("]}".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("|\n".to_owned()),
        Just("!!str ".to_owned()),
        Just("<<: ".to_owned()),
        Just("\t".to_owned()),
        Just("  ".to_owned()),
        "\\PC{0,6}",
        "[a-z]{1,6}: [0-9a-z~]{0,4}\n",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No input makes gen-agents panic: it reports, or it renders.
    #[test]
    fn arbitrary_input_never_panics(text in yamlish()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.yaml");
        std::fs::write(&path, &text).unwrap();
        let mut diags = Diagnostics::default();
        let fleet = gen_agents::load_fleet(&[path.to_string_lossy().into_owned()], &[], &mut diags).unwrap();
        gen_agents::check_fleet(&fleet, &mut diags);
        let templates = Templates::load(None, &mut diags);
        let out = gen_agents::render_fleet(fleet, &templates, &SecretsMode::Stubs, &mut diags);
        prop_assert_eq!(out.is_none(), diags.has_errors());
        for d in diags.sorted() {
            prop_assert!(d.location.file.ends_with("x.yaml") && d.location.pos.is_some(), "{:?}", d);
        }
    }
}
