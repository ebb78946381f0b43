//! Proof against the real consumers: Helm v4's engine renders the chart with our values,
//! kubernetes-validate checks every manifest against pinned Kubernetes schemas, and each
//! runtime's real CLI (codex, Claude Code, Gemini CLI, OpenClaw) runs with exactly what its
//! pod would have and makes one call through the real LiteLLM proxy (all driven by
//! `.ci/consumers.sh`; the runtimes by `.ci/runtimes_check.py`).
//!
//! The tools are installed, pinned, by `.ci/install-tools.sh`. Every test here is
//! `#[ignore]`d with that reason, so a bare `cargo test` says it did not run them instead of
//! passing them silently; `.ci/test` installs the tools and runs them with
//! `cargo test -- --include-ignored`. A test that runs without the tools fails.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tools() -> PathBuf {
    std::env::var_os("GEN_AGENTS_TOOLS").map_or_else(
        || PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/gen-agents-tools"),
        PathBuf::from,
    )
}

fn python() -> PathBuf {
    tools().join("venv/bin/python")
}

/// The reason every test here is `#[ignore]`d: `cargo test` on a bare machine does not run
/// them, and `.ci/test` installs the tools and runs them with `--include-ignored`.
const NEEDS_TOOLS: &str = "needs the pinned consumer tools: bash .ci/install-tools.sh";

/// Fails the test when the pinned tools are missing: a test that runs must check something.
fn require_tools() {
    let codex = tools().join("codex/node_modules/.bin/codex");
    for tool in [python(), codex] {
        assert!(
            tool.exists(),
            "{} is missing: {NEEDS_TOOLS}",
            tool.display()
        );
    }
}

fn gen_agents(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_gen-agents"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "gen-agents {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn render_examples() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    gen_agents(&[
        "render",
        "examples/",
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    dir
}

/// Runs `.ci/consumers.sh` on `out` with `env`; Helm's manifests are kept in
/// `out/manifests.yaml`.
fn consumers(out: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let o = Command::new("bash")
        .arg(root().join(".ci/consumers.sh"))
        .arg(out)
        .envs(env.iter().copied())
        .env("CI", "true")
        .env("GEN_AGENTS_TOOLS", tools())
        .env("KEEP_RENDERED", out.join("manifests.yaml"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The runtimes of the examples, one agent each, as the harness labels them.
const RUNTIME_AGENTS: [&str; 4] = [
    "cody/codex",
    "planner/claude-code",
    "researcher/gemini-cli",
    "claw/openclaw",
];

fn passes(text: &str, check: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("PASS ") && l.contains(check))
}

/// Every agent of the examples through every consumer, each runtime's real CLI making one
/// call through the real LiteLLM proxy; then each break self-test of the runtimes harness
/// (wrong base URL, unknown settings key, undeclared MCP variable, the key leaking into an
/// MCP child) must be caught, for every runtime.
#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn the_examples_pass_every_consumer() {
    require_tools();
    let out = render_examples();
    let (ok, text) = consumers(out.path(), &[("GEN_AGENTS_RUNTIME_BREAKS", "all")]);
    // The logged requests, for the record (keys appear only as hashes).
    for l in text
        .lines()
        .filter(|l| l.contains("proxy ") || l.contains("upstream:"))
    {
        eprintln!("{l}");
    }
    assert!(ok, "{text}");
    for check in [
        "helm lint --strict",
        "helm template",
        "kubernetes-validate --strict",
        "kubelet refs",
        "[cody/codex] codex exec --strict-config",
        "[planner/claude-code] claude doctor",
        "[planner/claude-code] claude init event",
        "[researcher/gemini-cli] gemini settings unchanged",
        "[claw/openclaw] openclaw config validate --json",
        "[claw/openclaw] openclaw mcp doctor --json",
        "[claw/openclaw] openclaw agent exec --json",
    ] {
        assert!(passes(&text, check), "no PASS for {check}:\n{text}");
    }
    for agent in RUNTIME_AGENTS {
        for check in [
            "proxy route",
            "proxy key",
            "proxy model",
            "upstream",
            "declared env: arrived",
            "LiteLLM key: never arrived",
            "runtime token",
        ] {
            let ok = text.lines().any(|l| {
                l.starts_with("PASS ") && l.contains(&format!("[{agent}] ")) && l.contains(check)
            });
            assert!(ok, "no PASS for [{agent}] {check}:\n{text}");
        }
        for kind in ["base-url", "unknown-key", "undeclared-var", "key-leak"] {
            let check = format!("break {kind} [{agent}]");
            assert!(passes(&text, &check), "no PASS for {check}:\n{text}");
        }
    }
    // (A break's own FAIL lines are indented under it as `expected: FAIL …`.)
    let bad = |l: &&str| l.starts_with("FAIL ") || l.starts_with("SKIP ");
    assert!(!text.lines().any(|l| bad(&l)), "{text}");
}

#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn the_readme_pipe_renders_deployments_for_the_fleet() {
    require_tools();
    let values = gen_agents(&["render", "examples/"]).stdout;
    let mut helm = Command::new(python())
        .current_dir(root())
        .args([
            ".ci/helm.py",
            "template",
            "fleet",
            "chart/agent-fleet",
            "-f",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    helm.stdin.take().unwrap().write_all(&values).unwrap();
    let o = helm.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifests = String::from_utf8(o.stdout).unwrap();
    let docs: Vec<&str> = manifests.split("\n---").collect();
    let deployment_of = |resource: &str| {
        docs.iter()
            .find(|d| {
                d.contains("kind: Deployment") && d.contains(&format!("name: \"{resource}\""))
            })
            .copied()
            .unwrap_or_else(|| panic!("no Deployment {resource}:\n{manifests}"))
    };
    let deployment = |name: &str| deployment_of(&format!("cloud-codex-{name}"));
    assert_eq!(
        docs.iter()
            .filter(|d| d.contains("kind: Deployment"))
            .count(),
        7,
        "one Deployment per agent of the examples"
    );
    // Each runtime's image, files and env, from the same Deployment shape.
    let planner = deployment_of("cloud-claude-planner");
    assert!(
        planner.contains("\"node:22-bookworm-slim\"")
            && planner
                .contains("\"name\":\"ANTHROPIC_BASE_URL\",\"value\":\"http://litellm:4000\"")
            && planner.contains("settings.json")
            && planner.contains("/state/workspace/.mcp.json")
            && planner.contains("name: secret-files")
            && !planner.contains("LITELLM_API_KEY")
            && !planner.contains("ANTHROPIC_API_KEY")
            && !planner.contains("ANTHROPIC_AUTH_TOKEN"),
        "{planner}"
    );
    let researcher = deployment_of("cloud-gemini-researcher");
    assert!(
        researcher.contains("name: \"GEMINI_API_KEY\"")
            && researcher.contains("\"GOOGLE_GEMINI_BASE_URL\",\"value\":\"http://litellm:4000\"")
            && researcher.contains("/state/.gemini-system/settings.json"),
        "{researcher}"
    );
    let claw = deployment_of("cloud-openclaw-claw");
    assert!(
        claw.contains("\"node:24-bookworm-slim\"")
            && claw.contains("openclaw@2026.9.6")
            && claw.contains("/state/.openclaw/openclaw.json"),
        "{claw}"
    );
    assert!(deployment("cody").contains("replicas: 0"), "cody is parked");
    assert!(deployment("reviewer").contains("replicas: 1"));
    for name in ["cody", "reviewer", "triage", "docs-writer"] {
        let d = deployment(name);
        assert!(
            d.contains("type: Recreate")
                && d.contains("checksum/config:")
                && d.contains("LITELLM_API_KEY"),
            "{d}"
        );
    }
    // The reviewer's runtime config, which the Deployment mounts, has two MCP servers.
    let out = render_examples();
    let cms = std::fs::read_to_string(out.path().join("configmaps.yaml")).unwrap();
    let reviewer = cms
        .split("\n---")
        .find(|d| d.contains("name: cloud-codex-reviewer-config-"))
        .unwrap();
    assert!(
        reviewer.contains("[mcp_servers.commonly]") && reviewer.contains("[mcp_servers.github]"),
        "{reviewer}"
    );
}

/// Breaks one rendered file with `from` → `to` and asserts the consumer checks fail with a
/// FAIL line that starts with `fail`, followed (on that line or in the tool output indented
/// under it) by `mentions`: the consumer's own reason, so a check that fails for another
/// reason does not count.
/// The runtimes are left out (their own breaks are proven in
/// `the_examples_pass_every_consumer`), so the test does not start LiteLLM.
fn assert_break_is_caught(file: &str, from: &str, to: &str, fail: &str, mentions: &str) {
    require_tools();
    let out = render_examples();
    edit(&out.path().join(file), from, to);
    let (ok, text) = consumers(out.path(), &[("GEN_AGENTS_RUNTIMES", "skip")]);
    assert!(!ok, "{text}");
    assert!(!mentions.is_empty(), "name what the consumer must say");
    let caught = text.lines().enumerate().any(|(i, l)| {
        l.starts_with(fail)
            && text
                .lines()
                .skip(i)
                .take_while(|m| *m == l || m.starts_with(char::is_whitespace))
                .any(|m| m.contains(mentions))
    });
    assert!(caught, "no {fail:?} mentioning {mentions:?} in:\n{text}");
}

#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn a_manifest_the_kubernetes_schema_rejects_fails_the_check() {
    assert_break_is_caught(
        "secrets.yaml",
        "type: Opaque",
        "tpye: Opaque",
        "FAIL kubernetes-validate",
        "secrets.yaml",
    );
}

#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn values_that_drift_from_the_chart_fail_the_check() {
    assert_break_is_caught(
        "values.yaml",
        "    resourceName:",
        "    resourcename:",
        "FAIL helm",
        "missing property 'resourceName'",
    );
}

#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn quoting_hazards_come_out_of_helm_and_codex_unchanged() {
    require_tools();
    let out = tempfile::tempdir().unwrap();
    // The case's MCP command is itself a hazard, which no MCP server could be started as;
    // here it is a real path (where the harness puts its stand-in) and the hazardous
    // arguments stay. (That the command text round-trips is tests/props.rs's.)
    let spec = out.path().join("hazards.yaml");
    let case = std::fs::read_to_string(root().join("tests/cases/quoting_hazards.yaml")).unwrap();
    let case = case.replacen(
        "command: \"/bin/sh -c 'echo \\\"hi\\\"'\"",
        "command: /tools/bin/hazard-mcp",
        1,
    );
    assert!(case.contains("/tools/bin/hazard-mcp"), "{case}");
    std::fs::write(&spec, case).unwrap();
    gen_agents(&[
        "render",
        spec.to_str().unwrap(),
        "--out-dir",
        out.path().to_str().unwrap(),
    ]);
    let (ok, text) = consumers(out.path(), &[]);
    assert!(ok, "{text}");
    // What Helm rendered, read back: the pod gets exactly the spec's text.
    let manifests = std::fs::read_to_string(out.path().join("manifests.yaml")).unwrap();
    let file: std::sync::Arc<str> = std::sync::Arc::from("manifests.yaml");
    let mut d = gen_agents::diag::Diagnostics::default();
    let docs = gen_agents::load::yaml::read_documents(&file, &manifests, &mut d);
    assert!(d.is_empty(), "{d:?}");
    let deployment = docs
        .iter()
        .map(|d| d.root.to_json())
        .find(|d| d["kind"] == "Deployment")
        .unwrap();
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .clone();
    let value = |name: &str| env.iter().find(|e| e["name"] == name).unwrap()["value"].clone();
    assert_eq!(
        value("HAZARD_VAR"),
        "{{ include \"x\" . }} $(whoami) \\ \t tab"
    );
    assert_eq!(value("COMMONLY_POD_ID"), "p'1\"\n${HOME}");
    assert_eq!(value("MULTI"), "line one: with colon\n- dash\n\"quoted\"\n");
    // codex loaded the config and sent the hazardous model name verbatim through LiteLLM.
    assert!(
        text.contains("proxy model: gpt \"quoted\" ${MODEL} `id` {{ x }} (agent's alias)"),
        "{text}"
    );
}
