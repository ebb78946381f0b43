//! The invariants the fuzz targets assert, as plain functions, so both targets and a
//! reproduction share them. A broken invariant panics, and libFuzzer reports the input.
//!
//! Each run models one command of the binary through the library (`src/main.rs` maps the
//! same outcomes to exit codes): `Err` from loading would be exit 2, errors in the
//! diagnostics exit 1, anything else exit 0. A panic is the only way to another code (101),
//! and a panic is a crash here. `.ci/fuzz.sh` then runs the real binary on the corpus.
//!
//! Invariants:
//! - loading a readable file never fails with `Err`: content problems are diagnostics;
//! - every diagnostic is located in the input, with a line and column inside its text
//!   (`no-agents` alone names the inputs as a whole);
//! - the built-in templates never fail (`template`) and their output always parses back
//!   (`render-verify`): either would be a gen-agents bug, not a user error;
//! - `render` fails exactly when `validate` fails, with the same errors;
//! - `render --out-dir` leaves the directory as it was on error, and writes exactly the
//!   three artifacts (keeping the user's files) on success;
//! - the same input gives byte-identical diagnostics and artifacts twice.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gen_agents::diag::{self, Diagnostic, Diagnostics, Format};
use gen_agents::render::{Artifacts, SecretsMode, Templates};
use gen_agents::rules::Rule;

/// What one modelled command produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The exit code the binary would return (0, 1 or 2).
    pub code: u8,
    /// The diagnostics, sorted, as the human and the JSON format print them.
    pub report: String,
    /// The error diagnostics (for comparing `validate` with `render`).
    pub errors: Vec<Diagnostic>,
    /// The artifacts, when the command succeeded and rendered.
    pub artifacts: Option<Artifacts>,
}

/// This process's scratch directory (under `$TMPDIR`; `.ci/fuzz.sh` points that at tmpfs
/// and removes it afterwards, since libFuzzer exits without running destructors).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("gen-agents-fuzz.")
            .tempdir()
            .expect("scratch directory")
            .keep()
    })
}

/// Writes the fuzz input as the spec file every run reads; returns its path as given on a
/// command line.
pub fn write_input(data: &[u8]) -> String {
    let path = scratch().join("spec.yaml");
    fs::write(&path, data).expect("write the input file");
    path.to_string_lossy().into_owned()
}

/// `gen-agents validate INPUT`.
pub fn validate(input: &str, text: &[u8]) -> Outcome {
    let mut diags = Diagnostics::default();
    let fleet = load(input, &mut diags);
    gen_agents::check_fleet(&fleet, &mut diags);
    finish(input, text, diags, None)
}

/// `gen-agents render INPUT [--secrets external-secrets --secret-store fuzz]`.
pub fn render(input: &str, text: &[u8], mode: &SecretsMode) -> Outcome {
    let mut diags = Diagnostics::default();
    let fleet = load(input, &mut diags);
    let templates = Templates::load(None, &mut diags);
    let artifacts = gen_agents::render_fleet(fleet, &templates, mode, &mut diags);
    let failed = diags.has_errors();
    for d in diags.clone().sorted() {
        assert!(
            d.rule != Rule::Template && d.rule != Rule::RenderVerify,
            "gen-agents bug: the built-in templates failed on a validated input:\n{}",
            diag::render(std::slice::from_ref(&d), Format::Human)
        );
    }
    finish(input, text, diags, artifacts.filter(|_| !failed))
}

fn load(input: &str, diags: &mut Diagnostics) -> gen_agents::Fleet {
    let inputs = [input.to_owned()];
    let fleet = gen_agents::load_fleet(&inputs, &[], diags)
        .unwrap_or_else(|e| panic!("loading a readable file failed (exit 2): {e}"));
    fleet.require_agents(&inputs, diags);
    fleet
}

fn finish(input: &str, text: &[u8], diags: Diagnostics, artifacts: Option<Artifacts>) -> Outcome {
    let code = u8::from(diags.has_errors());
    let sorted = diags.sorted();
    for d in &sorted {
        assert_located(d, input, text);
    }
    let mut report = diag::render(&sorted, Format::Human);
    report.push_str(&diag::render(&sorted, Format::Json));
    Outcome {
        code,
        report,
        errors: sorted
            .into_iter()
            .filter(|d| d.severity == diag::Severity::Error)
            .collect(),
        artifacts,
    }
}

/// Every diagnostic points into the input at a line and column its text has (the line may
/// be one past a final line break, where an unfinished document ends).
fn assert_located(d: &Diagnostic, input: &str, text: &[u8]) {
    let shown = || diag::render(std::slice::from_ref(d), Format::Human);
    assert_eq!(
        &*d.location.file,
        input,
        "diagnostic in another file:\n{}",
        shown()
    );
    let Some(pos) = d.location.pos else {
        assert_eq!(
            d.rule,
            Rule::NoAgents,
            "diagnostic without a position:\n{}",
            shown()
        );
        return;
    };
    // Lines end as YAML ends them: CR LF, LF or a lone CR.
    let text = String::from_utf8_lossy(text).replace("\r\n", "\n");
    let lines: Vec<&str> = text.split(['\n', '\r']).collect();
    let line = usize::try_from(pos.line).unwrap_or(usize::MAX);
    assert!(
        (1..=lines.len()).contains(&line),
        "diagnostic past the last line ({} lines):\n{}",
        lines.len(),
        shown()
    );
    let chars = lines[line - 1].chars().count();
    let column = usize::try_from(pos.column).unwrap_or(usize::MAX);
    assert!(
        (1..=chars + 1).contains(&column),
        "diagnostic past the end of line {line} ({chars} characters):\n{}",
        shown()
    );
}

/// The `--out-dir` a render writes to, holding a previous set and a file of the user's.
pub fn prepare_out_dir() -> PathBuf {
    let dir = scratch().join("out");
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("clear the out dir");
    }
    fs::create_dir(&dir).expect("create the out dir");
    for name in ["values.yaml", "configmaps.yaml", "secrets.yaml"] {
        fs::write(dir.join(name), format!("# previous {name}\n")).expect("seed the out dir");
    }
    fs::write(dir.join("README.md"), "kept\n").expect("seed the out dir");
    dir
}

/// Every file below `dir`'s parent (the scratch dir, where staging siblings would be).
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let parent = dir.parent().expect("out dir has a parent");
    collect(parent, &mut files);
    files.remove(&parent.join("spec.yaml"));
    files
}

fn collect(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in fs::read_dir(dir).expect("read the scratch dir") {
        let path = entry.expect("read the scratch dir").path();
        if path.is_dir() {
            files.insert(path.clone(), Vec::new());
            collect(&path, files);
        } else {
            files.insert(path.clone(), fs::read(&path).expect("read a scratch file"));
        }
    }
}

/// `render INPUT --out-dir DIR` as `main.rs` runs it: write only after a clean render;
/// then DIR holds the new set and the user's file, and nothing else changed.
pub fn assert_out_dir(outcome: &Outcome) {
    let dir = prepare_out_dir();
    let before = tree(&dir);
    match &outcome.artifacts {
        None => assert_eq!(tree(&dir), before, "the out dir changed after an error"),
        Some(artifacts) => {
            gen_agents::write::write_atomic(&dir, artifacts)
                .unwrap_or_else(|e| panic!("writing a clean render failed: {e}"));
            let mut want = before;
            for (name, artifact) in artifacts.files() {
                want.insert(dir.join(name), artifact.text().into_bytes());
            }
            assert_eq!(
                tree(&dir),
                want,
                "the out dir does not hold exactly the new set"
            );
            let stale = gen_agents::write::check(&dir, artifacts).expect("--check reads the dir");
            assert!(stale.is_empty(), "--check finds the fresh set stale");
        }
    }
}
