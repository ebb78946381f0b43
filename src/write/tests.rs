//! Tests of `--out-dir` and `--check`, with fault injection: every filesystem step of a write
//! is failed (an error from that operation) and, in a child process, killed (SIGKILL just
//! before it), and each time the directory must hold the complete old set or the complete
//! new set, and the next render must clean up and write the new set.

use std::collections::BTreeMap;
use std::process::Command;

use super::*;

fn artifacts(tag: &str) -> Artifacts {
    Artifacts {
        values: format!("values {tag}\n").as_str().into(),
        configmaps: format!("configmaps {tag}\n").as_str().into(),
        secrets: format!("secrets {tag}\n").as_str().into(),
        keys: format!("keys {tag}\n").as_str().into(),
    }
}

/// Every entry below `dir` (files with content, symlinks with target), or None if missing.
type Tree = BTreeMap<String, String>;

fn tree(dir: &Path) -> Option<Tree> {
    fn walk(base: &Path, dir: &Path, out: &mut Tree) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_symlink() {
                out.insert(
                    rel,
                    format!("-> {}", std::fs::read_link(&path).unwrap().display()),
                );
            } else if meta.is_dir() {
                out.insert(format!("{rel}/"), format!("{:o}", meta.mode() & 0o777));
                walk(base, &path, out);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(rel, format!("{:o} {text}", meta.mode() & 0o777));
            }
        }
    }
    let mut out = Tree::new();
    std::fs::symlink_metadata(dir).ok()?;
    walk(dir, dir, &mut out);
    Some(out)
}

/// Entries of `dir`'s parent other than `dir` itself: staging leftovers.
fn leftovers(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap();
    std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != name)
        .map(|n| n.to_string_lossy().into_owned())
        .collect()
}

#[derive(Debug, Clone, Copy)]
struct Scenario {
    /// DIR exists with an old set and entries of the user's.
    existing: bool,
    /// The filesystem refuses RENAME_EXCHANGE (EINVAL), so the fallback swap runs.
    no_exchange: bool,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        existing: false,
        no_exchange: false,
    },
    Scenario {
        existing: true,
        no_exchange: false,
    },
    Scenario {
        existing: true,
        no_exchange: true,
    },
];

/// Creates `root/out` for the scenario and returns it.
fn setup(root: &Path, s: Scenario) -> PathBuf {
    let dir = root.join("out");
    if s.existing {
        write_atomic(&dir, &artifacts("old")).unwrap();
        std::fs::write(dir.join("README.md"), "mine\n").unwrap();
        std::fs::write(dir.join(".gitkeep"), "").unwrap();
        std::fs::create_dir(dir.join("kustomize")).unwrap();
        std::fs::write(dir.join("kustomize/kustomization.yaml"), "resources: []\n").unwrap();
        std::os::unix::fs::symlink("README.md", dir.join("link")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
    }
    dir
}

/// The tree before and after an undisturbed write of the new set.
fn expected(s: Scenario) -> (Option<Tree>, Tree) {
    let root = tempfile::tempdir().unwrap();
    let dir = setup(root.path(), s);
    let old = tree(&dir);
    write_atomic(&dir, &artifacts("new")).unwrap();
    (old, tree(&dir).unwrap())
}

/// A hook that counts steps, calls `at_n` at step `n`, and refuses the exchange when the
/// scenario says so.
fn counting<'a>(
    s: Scenario,
    n: usize,
    steps: &'a mut Vec<(Step, PathBuf)>,
    at_n: &'a dyn Fn() -> io::Result<()>,
) -> impl FnMut(Step, &Path) -> io::Result<()> + 'a {
    move |step, path| {
        steps.push((step, path.to_path_buf()));
        if steps.len() - 1 == n {
            return at_n();
        }
        if s.no_exchange && step == Step::Exchange {
            return Err(io::Error::from_raw_os_error(
                rustix::io::Errno::INVAL.raw_os_error(),
            ));
        }
        Ok(())
    }
}

fn record(s: Scenario) -> Vec<(Step, PathBuf)> {
    let root = tempfile::tempdir().unwrap();
    let dir = setup(root.path(), s);
    let mut steps = Vec::new();
    let ok = || Ok(());
    write_with(
        &dir,
        &artifacts("new"),
        &mut counting(s, usize::MAX, &mut steps, &ok),
    )
    .unwrap();
    steps
}

/// After recovery, the next render writes the new set and leaves nothing beside it.
fn assert_recovers(dir: &Path, new: &Tree) -> Written {
    let written = write_atomic(dir, &artifacts("new")).unwrap();
    assert_eq!(tree(dir).as_ref(), Some(new));
    assert_eq!(leftovers(dir), Vec::<String>::new());
    written
}

#[test]
fn a_failure_at_every_step_leaves_the_old_set_or_the_new_one() {
    for s in SCENARIOS {
        let (old, new) = expected(s);
        let count = record(s).len();
        assert!(count >= 10, "{s:?}: only {count} steps");
        let mut outcomes = (0, 0);
        for n in 0..=count {
            let root = tempfile::tempdir().unwrap();
            let dir = setup(root.path(), s);
            let mut steps = Vec::new();
            // ENOSPC: a full disk at any step.
            let full = || {
                Err(io::Error::from_raw_os_error(
                    rustix::io::Errno::NOSPC.raw_os_error(),
                ))
            };
            let result = write_with(
                &dir,
                &artifacts("new"),
                &mut counting(s, n, &mut steps, &full),
            );
            let at = steps
                .get(n)
                .map(|(step, path)| format!("{step:?} {}", path.display()));
            let state = tree(&dir);
            match &result {
                Err(WriteError::NotWritten(_)) => {
                    assert_eq!(state, old, "{s:?} failing {at:?}");
                    assert_eq!(
                        leftovers(&dir),
                        Vec::<String>::new(),
                        "{s:?} failing {at:?}"
                    );
                }
                Err(WriteError::Unsynced(_)) => {
                    assert_eq!(state.as_ref(), Some(&new), "{s:?} failing {at:?}")
                }
                Ok(written) => {
                    assert_eq!(state.as_ref(), Some(&new), "{s:?} failing {at:?}");
                    if written.notes.is_empty() {
                        assert_eq!(
                            leftovers(&dir),
                            Vec::<String>::new(),
                            "{s:?} failing {at:?}"
                        );
                    }
                }
            }
            assert!(
                n < count || result.is_ok(),
                "{s:?}: the undisturbed run failed"
            );
            if matches!(result, Ok(_) | Err(WriteError::Unsynced(_))) {
                outcomes.1 += 1;
            } else {
                outcomes.0 += 1;
            }
            assert_recovers(&dir, &new);
        }
        // Both outcomes happen: failures before the swap keep the old set, after it the new one.
        assert!(outcomes.0 > 5 && outcomes.1 >= 2, "{s:?}: {outcomes:?}");
    }
}

const CRASH_AT: &str = "GEN_AGENTS_TEST_CRASH_AT";
const CRASH_DIR: &str = "GEN_AGENTS_TEST_CRASH_DIR";
const CRASH_NO_EXCHANGE: &str = "GEN_AGENTS_TEST_CRASH_NO_EXCHANGE";

/// The child of [`a_kill_at_every_step_leaves_the_old_set_or_the_new_one`]: writes the new
/// set and kills itself with SIGKILL just before step `CRASH_AT` (no destructor, no cleanup).
#[test]
#[ignore = "a child process of a_kill_at_every_step_leaves_the_old_set_or_the_new_one"]
fn crash_child() {
    let (Ok(n), Ok(dir)) = (std::env::var(CRASH_AT), std::env::var(CRASH_DIR)) else {
        return;
    };
    let s = Scenario {
        existing: true,
        no_exchange: std::env::var(CRASH_NO_EXCHANGE).is_ok(),
    };
    let kill = || -> io::Result<()> {
        rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL)?;
        unreachable!("SIGKILL returned")
    };
    let mut steps = Vec::new();
    let n = n.parse().unwrap();
    write_with(
        Path::new(&dir),
        &artifacts("new"),
        &mut counting(s, n, &mut steps, &kill),
    )
    .unwrap();
}

#[test]
fn a_kill_at_every_step_leaves_the_old_set_or_the_new_one() {
    let exe = std::env::current_exe().unwrap();
    for s in SCENARIOS {
        let (old, new) = expected(s);
        let steps = record(s);
        let mut missing = 0;
        for n in 0..=steps.len() {
            let root = tempfile::tempdir().unwrap();
            let dir = setup(root.path(), s);
            let mut child = Command::new(&exe);
            child
                .args([
                    "write::tests::crash_child",
                    "--exact",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(CRASH_AT, n.to_string())
                .env(CRASH_DIR, &dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            if s.no_exchange {
                child.env(CRASH_NO_EXCHANGE, "1");
            }
            let status = child.status().unwrap();
            let at = steps
                .get(n)
                .map(|(step, path)| format!("{step:?} {}", path.display()));
            use std::os::unix::process::ExitStatusExt as _;
            if n < steps.len() {
                assert_eq!(
                    status.signal(),
                    Some(9),
                    "{s:?} killed before {at:?}: {status}"
                );
            } else {
                assert!(
                    status.success(),
                    "{s:?}: the undisturbed child failed: {status}"
                );
            }
            let state = tree(&dir);
            let torn_free = state == old || state.as_ref() == Some(&new);
            if s.no_exchange && s.existing && state.is_none() {
                // The fallback swap's one window: no DIR, both sets complete beside it.
                let err = check(&dir, &artifacts("new")).unwrap_err().to_string();
                assert!(err.contains("interrupted while replacing it"), "{err}");
                let written = assert_recovers(&dir, &new);
                assert!(
                    written.notes.iter().any(|n| n.contains("was put back")),
                    "{written:?}"
                );
                missing += 1;
                continue;
            }
            assert!(torn_free, "{s:?} killed before {at:?}: {state:#?}");
            assert_recovers(&dir, &new);
        }
        // Not vacuous: the fallback's window (kill before its fsync or its second rename) was hit.
        assert_eq!(missing, if s.no_exchange { 2 } else { 0 }, "{s:?}");
    }
}

#[test]
fn every_file_and_directory_is_synced_before_the_swap_and_the_swap_before_cleanup() {
    for s in SCENARIOS {
        let steps = record(s);
        let swap = steps
            .iter()
            .rposition(|(step, path)| {
                matches!(step, Step::Exchange | Step::Rename) && path.ends_with("out")
            })
            .unwrap_or_else(|| panic!("{s:?}: no swap in {steps:?}"));
        for (i, (step, path)) in steps.iter().enumerate() {
            if *step == Step::Write {
                assert_eq!(steps[i + 1], (Step::SyncFile, path.clone()), "{s:?}");
                assert!(i < swap, "{s:?}");
            }
        }
        let staged = &steps
            .iter()
            .find(|(step, _)| *step == Step::MakeDir)
            .unwrap()
            .1;
        let staged_synced = steps
            .iter()
            .position(|st| *st == (Step::SyncDir, staged.clone()));
        assert!(staged_synced.is_some_and(|i| i < swap), "{s:?}: {steps:?}");
        let parent = staged.parent().unwrap().to_path_buf();
        let parent_synced = steps[swap..]
            .iter()
            .position(|st| *st == (Step::SyncDir, parent.clone()));
        let removed = steps[swap..]
            .iter()
            .position(|(step, _)| *step == Step::Remove);
        assert!(parent_synced.is_some(), "{s:?}: {steps:?}");
        if s.existing {
            assert!(parent_synced < removed, "{s:?}: {steps:?}");
        }
    }
}

#[test]
fn entries_of_the_users_survive_a_render() {
    let s = SCENARIOS[1];
    let (old, new) = expected(s);
    let old = old.unwrap();
    for (path, value) in &old {
        if !path.ends_with("s.yaml") {
            assert_eq!(new.get(path), Some(value), "{path}");
        }
    }
    assert_eq!(new["values.yaml"], "644 values new\n");
    assert_eq!(new["link"], "-> README.md");
    assert_eq!(new["kustomize/kustomization.yaml"], "644 resources: []\n");
}

#[test]
fn the_directory_mode_is_kept() {
    let root = tempfile::tempdir().unwrap();
    let dir = setup(root.path(), SCENARIOS[1]);
    write_atomic(&dir, &artifacts("new")).unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o750);
}

#[test]
fn a_symlinked_out_dir_stays_a_symlink() {
    let root = tempfile::tempdir().unwrap();
    let real = root.path().join("real");
    write_atomic(&real, &artifacts("old")).unwrap();
    let link = root.path().join("link");
    std::os::unix::fs::symlink("real", &link).unwrap();
    write_atomic(&link, &artifacts("new")).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(
        std::fs::read_to_string(real.join("values.yaml")).unwrap(),
        "values new\n"
    );
}

#[test]
fn an_entry_created_during_the_render_is_carried_over() {
    let root = tempfile::tempdir().unwrap();
    let dir = setup(root.path(), SCENARIOS[1]);
    let late = dir.join("late.txt");
    let mut hook = |step, _: &Path| {
        if step == Step::Exchange {
            std::fs::write(&late, "late\n")?;
        }
        Ok(())
    };
    write_with(&dir, &artifacts("new"), &mut hook).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("late.txt")).unwrap(),
        "late\n"
    );
    assert_eq!(leftovers(&dir), Vec::<String>::new());
}

#[test]
fn write_then_check_is_clean_and_a_change_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    write_atomic(&out, &artifacts("a")).unwrap();
    assert!(check(&out, &artifacts("a")).unwrap().is_empty());
    let mut changed = artifacts("a");
    changed.values = "values b\n".into();
    let stale = check(&out, &changed).unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].name, "values.yaml");
    assert!(
        stale[0].diff.contains("-values a\n+values b\n"),
        "{}",
        stale[0].diff
    );
}

#[test]
fn no_temporary_files_are_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    write_atomic(&out, &artifacts("a")).unwrap();
    write_atomic(&out, &artifacts("b")).unwrap();
    let mut names: Vec<_> = tree(&out).unwrap().into_keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "configmaps.yaml",
            "keys.yaml",
            "secrets.yaml",
            "values.yaml"
        ]
    );
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

#[test]
fn files_are_world_readable() {
    let dir = tempfile::tempdir().unwrap();
    write_atomic(dir.path(), &artifacts("a")).unwrap();
    let mode = std::fs::metadata(dir.path().join("values.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

#[test]
fn a_missing_file_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(check(dir.path(), &artifacts("a")).unwrap().len(), 4);
    assert_eq!(
        check(&dir.path().join("nope"), &artifacts("a"))
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn a_file_in_the_way_is_an_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::write(&out, "x").unwrap();
    let err = write_atomic(&out, &artifacts("a")).unwrap_err();
    assert!(matches!(err, WriteError::NotWritten(_)), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "x");
    assert_eq!(leftovers(&out), Vec::<String>::new());
}
