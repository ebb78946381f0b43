//! Write: put the artifacts into `--out-dir` atomically, or compare them with it (`--check`).
//!
//! Everything is rendered and verified before this stage runs; here every file is first
//! written to a temporary file in the target directory and only then renamed over its
//! target, so an error leaves the directory as it was.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::render::Artifacts;

/// Writes the artifacts into `dir` (created if missing). On error no target file changed.
pub fn write_atomic(dir: &Path, artifacts: &Artifacts) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut staged = Vec::new();
    for (name, content) in artifacts.files() {
        // 0644 like any generated file (temporary files start as 0600).
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .permissions(std::fs::Permissions::from_mode(0o644))
            .tempfile_in(dir)?;
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        content.write_to(&mut w)?;
        w.flush()?;
        drop(w);
        tmp.as_file().sync_all()?;
        staged.push((tmp, dir.join(name)));
    }
    // Renames within one directory are atomic; all content is already on disk.
    for (tmp, target) in staged {
        tmp.persist(&target).map_err(|e| e.error)?;
    }
    Ok(())
}

/// A file in `dir` that differs from what would be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// File name.
    pub name: &'static str,
    /// Unified diff from the file on disk to the fresh rendering.
    pub diff: String,
}

/// Compares the artifacts with the files in `dir`; a missing file counts as empty.
pub fn check(dir: &Path, artifacts: &Artifacts) -> std::io::Result<Vec<Stale>> {
    let mut stale = Vec::new();
    for (name, fresh) in artifacts.files() {
        let path = dir.join(name);
        let current = match std::fs::read(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        if !fresh.matches(&current) {
            let shown = path.to_string_lossy();
            let current = String::from_utf8_lossy(&current);
            let fresh = fresh.text();
            let diff = similar::TextDiff::from_lines(current.as_ref(), fresh.as_str())
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{shown} (on disk)"),
                    &format!("{shown} (rendered)"),
                )
                .to_string();
            stale.push(Stale { name, diff });
        }
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifacts(v: &str) -> Artifacts {
        Artifacts {
            values: v.into(),
            configmaps: "c\n".into(),
            secrets: "s\n".into(),
        }
    }

    #[test]
    fn write_then_check_is_clean_and_a_change_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), &artifacts("a\n")).unwrap();
        assert!(check(dir.path(), &artifacts("a\n")).unwrap().is_empty());
        let stale = check(dir.path(), &artifacts("b\n")).unwrap();
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].name, "values.yaml");
        assert!(stale[0].diff.contains("-a\n+b\n"), "{}", stale[0].diff);
    }

    #[test]
    fn no_temporary_files_are_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), &artifacts("a\n")).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["configmaps.yaml", "secrets.yaml", "values.yaml"]);
    }

    #[test]
    fn files_are_world_readable() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), &artifacts("a\n")).unwrap();
        let mode = std::fs::metadata(dir.path().join("values.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn a_missing_file_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check(dir.path(), &artifacts("a\n")).unwrap().len(), 3);
    }
}
