//! Where users meet the binary besides validate and render: `init`, shell completions in a
//! real bash, the man page and `--format sarif`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_gen-agents")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn init_then_validate_and_render_check_pass_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["init", "fleet"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let fleet = dir.path().join("fleet");
    let o = run(&fleet, &["validate", "agents/"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("ok: 4 agent(s) in 5 file(s)"));
    let o = run(
        &fleet,
        &["render", "agents/", "--check", "deploy/generated"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&fleet, &["render", "agents/"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for runtime in ["codex", "claude-code", "gemini-cli", "openclaw"] {
        assert!(
            text(&o.stdout).contains(&format!("runtime: {runtime}")),
            "{runtime}"
        );
    }
    // The schema the modelines point at is the one this version publishes.
    let written = std::fs::read_to_string(fleet.join("schema/gen-agents.schema.json")).unwrap();
    let published = std::fs::read_to_string(root().join("schema/gen-agents.schema.json")).unwrap();
    assert_eq!(written, published);
}

#[test]
fn init_refuses_to_overwrite_with_exit_1_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("agents")).unwrap();
    std::fs::write(dir.path().join("agents/codex.yaml"), "mine\n").unwrap();
    let o = run(dir.path(), &["init"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("already exists"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("agents/codex.yaml")).unwrap(),
        "mine\n"
    );
    assert!(!dir.path().join("agents/defaults.yaml").exists());
    assert!(!dir.path().join("deploy").exists());
}

/// Completes `words` (the last one is being typed) with the real bash: sources the
/// generated script, then calls the function it registered with `complete -F` as bash does
/// on TAB.
fn complete(words: &[&str]) -> Vec<String> {
    let script = run(&root(), &["completions", "bash"]);
    assert!(script.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gen-agents.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    let line = words.join(" ");
    let driver = format!(
        r#"source "$1"
COMP_WORDS=({line})
COMP_CWORD={cword}
COMP_LINE="{line}"
COMP_POINT=${{#COMP_LINE}}
spec=$(complete -p gen-agents) || exit 3
fn=${{spec#*-F }}
fn=${{fn%% *}}
"$fn" gen-agents "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        cword = words.len() - 1,
    );
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &driver, "bash"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn bash_completes_a_subcommand_and_a_flag() {
    assert_eq!(complete(&["gen-agents", "val"]), ["validate"]);
    assert_eq!(complete(&["gen-agents", "render", "--out-"]), ["--out-dir"]);
    assert_eq!(complete(&["gen-agents", "validate", "--for"]), ["--format"]);
    let formats = complete(&["gen-agents", "validate", "--format", ""]);
    assert!(formats.contains(&"sarif".to_owned()), "{formats:?}");
}

#[test]
fn zsh_fish_completions_and_the_man_page_are_printed() {
    for shell in ["zsh", "fish"] {
        let o = run(&root(), &["completions", shell]);
        assert!(o.status.success());
        assert!(text(&o.stdout).contains("validate"), "{shell}");
    }
    let o = run(&root(), &["man"]);
    assert!(o.status.success());
    let page = text(&o.stdout);
    assert!(page.starts_with(".ie"), "{page}");
    assert!(page.contains(".TH gen-agents 1"), "{page}");
    assert!(page.contains("completions"), "{page}");
}

#[test]
fn sarif_results_are_located_and_fingerprinted_without_lines() {
    let o = run(
        &root(),
        &[
            "validate",
            "tests/cases/err_type_errors.yaml",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1, "{r}");
        assert!(region["startColumn"].as_u64().unwrap() >= 1, "{r}");
        assert!(r["partialFingerprints"]["genAgents/v1"].is_string(), "{r}");
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        let rule = &log["runs"][0]["tool"]["driver"]["rules"][index];
        assert_eq!(rule["id"], id);
        let doc = gen_agents::rules::Rule::from_id(id).unwrap().doc();
        assert_eq!(rule["shortDescription"]["text"], doc.summary, "{rule}");
        assert_eq!(rule["fullDescription"]["text"], doc.why, "{rule}");
    }
}

#[test]
fn sarif_fingerprint_survives_a_moved_line() {
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string(root().join("tests/cases/err_type_errors.yaml")).unwrap();
    std::fs::write(dir.path().join("a.yaml"), &spec).unwrap();
    let before = run(dir.path(), &["validate", "a.yaml", "--format", "sarif"]);
    std::fs::write(
        dir.path().join("a.yaml"),
        format!("# a new comment\n{spec}"),
    )
    .unwrap();
    let after = run(dir.path(), &["validate", "a.yaml", "--format", "sarif"]);
    let prints = |o: &Output| -> Vec<(String, u64)> {
        let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["genAgents/v1"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect()
    };
    let (b, a) = (prints(&before), prints(&after));
    assert_eq!(b.len(), a.len());
    for ((fb, lb), (fa, la)) in b.iter().zip(&a) {
        assert_eq!(fb, fa);
        assert_eq!(lb + 1, *la);
    }
}
