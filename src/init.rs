//! `gen-agents init`: the files of a new fleet repository, written without overwriting.
//!
//! The scaffold is data (`scaffold/`, embedded): one `kind: Defaults` document and one
//! commented agent per runtime, a pre-commit config and a CI workflow. The schema is
//! written into the new repository too, at the same relative place as here, so every
//! spec's `$schema=../schema/gen-agents.schema.json` modeline works offline and matches
//! the gen-agents version that scaffolded it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Where the scaffold puts the specs.
pub const AGENTS_DIR: &str = "agents";
/// Where the scaffold's CI expects the rendered artifacts (`render --check`).
pub const GENERATED_DIR: &str = "deploy/generated";

const VERSION_MARK: &str = "@VERSION@";

/// The scaffold's files: path in the new repository, contents (before `@VERSION@` is set).
const FILES: [(&str, &str); 8] = [
    (
        "agents/defaults.yaml",
        include_str!("../scaffold/agents/defaults.yaml"),
    ),
    (
        "agents/codex.yaml",
        include_str!("../scaffold/agents/codex.yaml"),
    ),
    (
        "agents/claude-code.yaml",
        include_str!("../scaffold/agents/claude-code.yaml"),
    ),
    (
        "agents/gemini-cli.yaml",
        include_str!("../scaffold/agents/gemini-cli.yaml"),
    ),
    (
        "agents/openclaw.yaml",
        include_str!("../scaffold/agents/openclaw.yaml"),
    ),
    (
        ".pre-commit-config.yaml",
        include_str!("../scaffold/.pre-commit-config.yaml"),
    ),
    (
        ".github/workflows/gen-agents.yml",
        include_str!("../scaffold/.github/workflows/gen-agents.yml"),
    ),
    (crate::spec::schema::PUBLISHED_PATH, ""),
];

/// Why `init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A file (or the rendered output directory) the scaffold would write already exists.
    #[error("{0} already exists; init never overwrites (nothing was written)")]
    Exists(PathBuf),
    /// Creating a directory or writing a file failed.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// Writes the scaffold into `dir` (created if missing) and returns the files written. Checks
/// every target first: when any exists, nothing is written.
pub fn scaffold(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    let targets: Vec<PathBuf> = FILES.iter().map(|(p, _)| dir.join(p)).collect();
    let generated = dir.join(GENERATED_DIR);
    if let Some(existing) = targets
        .iter()
        .chain([&generated])
        .find(|p| p.symlink_metadata().is_ok())
    {
        return Err(InitError::Exists(existing.clone()));
    }
    for ((path, text), target) in FILES.iter().zip(&targets) {
        let contents = if *path == crate::spec::schema::PUBLISHED_PATH {
            schema_text()
        } else {
            text.replace(VERSION_MARK, env!("CARGO_PKG_VERSION"))
        };
        write_new(target, &contents)?;
    }
    Ok(targets)
}

fn schema_text() -> String {
    let mut s =
        serde_json::to_string_pretty(&crate::spec::schema::document_schema()).unwrap_or_default();
    s.push('\n');
    s
}

/// Creates `path` (and its parents); fails rather than replace a file that appeared since
/// the check.
fn write_new(path: &Path, contents: &str) -> Result<(), InitError> {
    let io = |e| InitError::Io(path.to_path_buf(), e);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => InitError::Exists(path.to_path_buf()),
            _ => io(e),
        })?;
    f.write_all(contents.as_bytes()).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_carries_the_modeline_and_the_version_is_set() {
        for (path, text) in FILES {
            if path.starts_with("agents/") {
                assert!(
                    text.starts_with(
                        "# yaml-language-server: $schema=../schema/gen-agents.schema.json\n"
                    ),
                    "{path}"
                );
            }
        }
        let dir = tempfile::tempdir().unwrap();
        scaffold(dir.path()).unwrap();
        let ci =
            std::fs::read_to_string(dir.path().join(".github/workflows/gen-agents.yml")).unwrap();
        assert!(ci.contains(concat!("gen-agents==", env!("CARGO_PKG_VERSION"))));
        assert!(!ci.contains(VERSION_MARK));
    }

    #[test]
    fn refuses_to_overwrite_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::write(dir.path().join(".github/workflows/gen-agents.yml"), "mine").unwrap();
        let err = scaffold(dir.path()).unwrap_err();
        assert!(matches!(err, InitError::Exists(_)), "{err}");
        assert!(!dir.path().join("agents").exists());
    }
}
