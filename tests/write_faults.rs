//! `render --out-dir` from real processes: two renders racing into one directory always end
//! with one complete set, and nothing is left beside it. (Failing and killing every single
//! step of a write is tested in `src/write/tests.rs`, through the library's step hook.)

use std::path::Path;
use std::process::{Child, Command};

const FILES: [&str; 3] = ["values.yaml", "configmaps.yaml", "secrets.yaml"];

fn render(input: &str, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gen-agents"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["render", input, "--out-dir"])
        .arg(out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn set(dir: &Path) -> Vec<String> {
    FILES
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap_or_default())
        .collect()
}

fn finish(child: Child) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
}

#[test]
fn two_renders_racing_into_one_directory_leave_one_complete_set() {
    let root = tempfile::tempdir().unwrap();
    let inputs = [
        "tests/cases/minimal.yaml",
        "tests/cases/external_names.yaml",
    ];
    let sets: Vec<Vec<String>> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let dir = root.path().join(format!("ref{i}"));
            finish(render(input, &dir));
            set(&dir)
        })
        .collect();
    assert_ne!(sets[0], sets[1]);
    let race = root.path().join("race");
    std::fs::create_dir(&race).unwrap();
    let out = race.join("out");
    for round in 0..25 {
        let (a, b) = if round % 2 == 0 { (0, 1) } else { (1, 0) };
        let first = render(inputs[a], &out);
        let second = render(inputs[b], &out);
        finish(first);
        finish(second);
        let got = set(&out);
        assert!(
            got == sets[0] || got == sets[1],
            "round {round}: a torn set"
        );
        let beside: Vec<_> = std::fs::read_dir(&race)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(beside, ["out"], "round {round}");
    }
}
