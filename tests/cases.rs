//! Tests as data, in the style of minijinja: every `tests/cases/<name>.yaml` must validate
//! and render, and its three artifacts are snapshotted; every `tests/cases/err_<name>.yaml`
//! must fail, and its diagnostics are snapshotted. Adding a case is adding a file.
//! Snapshots live in the top-level `snapshots/` folder; review changes with
//! `cargo insta review`.

use std::path::Path;

use gen_agents::diag::{self, Diagnostics, Format};
use gen_agents::render::{SecretsMode, Templates};

fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The three artifacts of `inputs`, as one text with a header per file.
pub fn render_all(inputs: &[String]) -> Result<String, String> {
    let mut diags = Diagnostics::default();
    let fleet = gen_agents::load_fleet(inputs, &[], &mut diags).map_err(|e| e.to_string())?;
    let templates = Templates::load(None, &mut diags);
    let artifacts = gen_agents::render_fleet(fleet, &templates, &SecretsMode::Stubs, &mut diags);
    if diags.has_errors() {
        return Err(diag::render(&diags.sorted(), Format::Human));
    }
    let artifacts = artifacts.ok_or("no artifacts")?;
    Ok(artifacts
        .files()
        .iter()
        .map(|(name, text)| format!("### {name}\n{}", text.text()))
        .collect::<Vec<_>>()
        .join("\n"))
}

#[test]
fn cases() {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::glob!("cases/*.yaml", |path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let input = relative(path);
            if name.starts_with("err_") {
                let mut diags = Diagnostics::default();
                let fleet = gen_agents::load_fleet(std::slice::from_ref(&input), &[], &mut diags).unwrap();
                gen_agents::check_fleet(&fleet, &mut diags);
                assert!(diags.has_errors(), "{input} must be invalid, but it validated");
                let text = diag::render(&diags.sorted(), Format::Human);
                for line in text.lines().filter(|l| l.contains(": error[")) {
                    assert!(line.starts_with(&format!("{input}:")), "diagnostic without location: {line}");
                }
                insta::assert_snapshot!(text);
            } else {
                let text = render_all(std::slice::from_ref(&input)).unwrap_or_else(|e| panic!("{input} must render:\n{e}"));
                insta::assert_snapshot!(text);
            }
        });
    });
}

#[test]
fn examples() {
    let text = render_all(&["examples".to_owned()]).expect("examples render");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("examples", text);
    });
}

#[test]
fn there_are_at_least_a_hundred_error_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let errs = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("err_")
        })
        .count();
    assert!(errs >= 100, "{errs} error cases");
}
