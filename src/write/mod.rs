//! Write: put the artifacts into `--out-dir` all at once, or compare them with it (`--check`).
//!
//! Everything is rendered and verified before this stage runs. The artifacts belong together
//! (values.yaml carries the `checksum/config` of configmaps.yaml), so they must change
//! together: after a crash at any point `DIR` holds the complete old set or the complete new
//! set, never a mix.
//!
//! # Key design decision: replace the directory, not the files
//!
//! Renaming files one by one cannot be atomic for a set: a crash between two renames leaves
//! a new values.yaml next to an old configmaps.yaml. Linux can atomically swap two directory
//! entries (`renameat2(RENAME_EXCHANGE)`), so [`write_atomic`]:
//!
//! 1. locks the parent directory (`flock`), so two renders into one `DIR` run one after the
//!    other, and removes what an interrupted earlier render left beside `DIR`;
//! 2. stages the new set in a fresh sibling `.DIR.gen-agents-new.PID`: every entry of `DIR`
//!    that gen-agents does not write (a README, `.gitkeep`, a kustomization, subfolders) is
//!    hard-linked into it (copied where a link is refused), then each artifact is written,
//!    made 0644 and fsynced, then the staged directory itself is fsynced;
//! 3. swaps the staged directory with `DIR` in one `RENAME_EXCHANGE` (a plain rename when
//!    `DIR` does not exist yet) and fsyncs the parent, which makes the swap durable;
//! 4. moves into the new `DIR` any entry someone created in the old one while we staged, and
//!    removes the old set.
//!
//! A failure before the swap removes the staged directory and leaves `DIR` as it was (disk
//! full included); a crash before the swap leaves only the hidden sibling, which the next
//! render removes. The price: `DIR` becomes a new directory (inode), so a shell whose working
//! directory is `DIR` keeps seeing the old one, and writing needs write access to `DIR`'s
//! parent; a symlinked `DIR` is resolved and its target replaced, so the link stays.
//!
//! On a filesystem without `RENAME_EXCHANGE` (some network filesystems), the swap falls back
//! to two renames (`DIR` aside to `.DIR.gen-agents-old.PID`, then the staged set to `DIR`).
//! A crash between them leaves no `DIR` at all, never a torn one: both sets are complete
//! siblings, [`check`] refuses to compare and names the previous output, and the next render
//! puts the old set back (it holds the user's entries), says so, and writes the new set.
//!
//! [`check`] opens `DIR` once and reads every file relative to that handle, so a render
//! swapping `DIR` meanwhile cannot make it compare a mix of two sets.

use std::fs::File;
use std::io::{self, Write as _};
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, Mode, OFlags, RenameFlags};

use crate::render::{Artifact, Artifacts};

/// Marks the hidden siblings a render stages in; the full name is
/// `.<DIR name>.gen-agents-<new|old>.<pid>`.
const SIBLING_TAG: &str = "gen-agents-";

/// What a successful write wants the user to know (all on stderr, none is an error).
#[derive(Debug, Default)]
pub struct Written {
    /// Leftovers of an interrupted render that were removed, or an old set that could not
    /// be removed (the next render removes it).
    pub notes: Vec<String>,
}

/// Why `--out-dir` failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Nothing in `DIR` changed.
    #[error("{0} (nothing was changed)")]
    NotWritten(io::Error),
    /// The new set is in place, but the parent directory could not be fsynced, so it may not
    /// survive a power loss.
    #[error("the new files are in place, but syncing the directory failed: {0}")]
    Unsynced(io::Error),
}

/// One filesystem operation of a write, in the order they happen. Tests fail or kill the
/// process before each one (see the fault-injection tests below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Take the parent directory's lock.
    Lock,
    /// Create a directory (the parent of a new `DIR`, the staged set, a mirrored subfolder).
    MakeDir,
    /// Hard-link (or copy) an entry the user keeps in `DIR` into the staged set.
    Link,
    /// Create and fill a file.
    Write,
    /// fsync a file.
    SyncFile,
    /// fsync a directory.
    SyncDir,
    /// Swap the staged set with `DIR`.
    Exchange,
    /// Rename an entry (first-time creation, the fallback swap, carrying an entry over).
    Rename,
    /// Remove a directory tree (the old set, a leftover, a failed staging).
    Remove,
}

/// Called before every filesystem operation; an error fails that operation.
pub(crate) type Hook<'a> = &'a mut dyn FnMut(Step, &Path) -> io::Result<()>;

/// Writes the artifacts into `dir` (created if missing), replacing the previous set as a
/// whole. On error nothing in `dir` changed, unless the error says otherwise.
///
/// ```no_run
/// # fn f(artifacts: &gen_agents::render::Artifacts) -> Result<(), gen_agents::write::WriteError> {
/// let written = gen_agents::write::write_atomic("deploy/generated".as_ref(), artifacts)?;
/// for note in &written.notes {
///     eprintln!("note: {note}");
/// }
/// # Ok(()) }
/// ```
pub fn write_atomic(dir: &Path, artifacts: &Artifacts) -> Result<Written, WriteError> {
    write_with(dir, artifacts, &mut |_, _| Ok(()))
}

/// [`write_atomic`] with a hook before every filesystem operation.
pub(crate) fn write_with(
    dir: &Path,
    artifacts: &Artifacts,
    hook: Hook<'_>,
) -> Result<Written, WriteError> {
    let mut target = Target::resolve(dir, hook).map_err(WriteError::NotWritten)?;
    let parent = File::open(&target.parent).map_err(WriteError::NotWritten)?;
    hook(Step::Lock, &target.parent).map_err(WriteError::NotWritten)?;
    // Released when `parent` closes, also when the process dies.
    rustix::fs::flock(&parent, FlockOperation::LockExclusive)
        .map_err(|e| WriteError::NotWritten(e.into()))?;
    // Under the lock: another render may have created or replaced DIR while we waited.
    target.exists = target.live.is_dir();
    let mut written = Written {
        notes: target.sweep(hook).map_err(WriteError::NotWritten)?,
    };
    let staged = target.sibling("new");
    if let Err(e) = stage(&target, &staged, artifacts, hook) {
        remove_tree(&staged, hook).ok();
        return Err(WriteError::NotWritten(e));
    }
    let old = match target.swap(&parent, &staged, hook) {
        Ok(old) => old,
        Err(e) => {
            remove_tree(&staged, hook).ok();
            return Err(WriteError::NotWritten(e));
        }
    };
    let synced = hook(Step::SyncDir, &target.parent).and_then(|()| parent.sync_all());
    if let Some(old) = old {
        let kept = artifacts.files().map(|(name, _)| name);
        if let Err(e) = carry_over(&old, &target.live, &kept, hook) {
            written.notes.push(format!(
                "could not move entries created during the render from {} into {}: {e}",
                old.display(),
                target.live.display()
            ));
        } else if let Err(e) = remove_tree(&old, hook) {
            written.notes.push(format!(
                "could not remove the previous output {}: {e} (the next render removes it)",
                old.display()
            ));
        }
    }
    synced.map_err(WriteError::Unsynced)?;
    Ok(written)
}

/// `DIR` as a name in a parent directory that is never replaced.
struct Target {
    /// The real parent directory (symlinks resolved).
    parent: PathBuf,
    /// `DIR`'s name in it.
    name: String,
    /// `parent/name`.
    live: PathBuf,
    /// Whether `DIR` exists (checked again under the lock by [`Target::swap`]).
    exists: bool,
}

impl Target {
    fn resolve(dir: &Path, hook: Hook<'_>) -> io::Result<Target> {
        let (parent, name) = match std::fs::symlink_metadata(dir) {
            Ok(_) => {
                let real = std::fs::canonicalize(dir)?;
                if !real.is_dir() {
                    return Err(io::Error::new(
                        io::ErrorKind::NotADirectory,
                        "exists and is not a directory",
                    ));
                }
                let parent = real.parent().map(Path::to_path_buf);
                let name = real.file_name().map(|n| n.to_owned());
                match (parent, name) {
                    (Some(p), Some(n)) => (p, n),
                    _ => return Err(io::Error::other("the root directory cannot be replaced")),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let name = dir
                    .file_name()
                    .ok_or_else(|| io::Error::other("the path does not name a directory"))?
                    .to_owned();
                let parent = match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                if !parent.is_dir() {
                    hook(Step::MakeDir, parent)?;
                    std::fs::create_dir_all(parent)?;
                }
                (std::fs::canonicalize(parent)?, name)
            }
            Err(e) => return Err(e),
        };
        let name = name
            .into_string()
            .map_err(|_| io::Error::other("the directory name is not UTF-8"))?;
        let live = parent.join(&name);
        let exists = live.is_dir();
        Ok(Target {
            parent,
            name,
            live,
            exists,
        })
    }

    fn sibling_prefix(&self) -> String {
        format!(".{}.{SIBLING_TAG}", self.name)
    }

    fn sibling(&self, kind: &str) -> PathBuf {
        let name = format!("{}{kind}.{}", self.sibling_prefix(), std::process::id());
        self.parent.join(name)
    }

    /// Hidden siblings an interrupted render left, as (path, true when it is a set moved
    /// aside by the fallback swap).
    fn leftovers(&self) -> Vec<(PathBuf, bool)> {
        let prefix = self.sibling_prefix();
        let Ok(entries) = std::fs::read_dir(&self.parent) else {
            return Vec::new();
        };
        let mut found: Vec<_> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let rest = name.strip_prefix(&prefix)?;
                Some((e.path(), rest.starts_with("old.")))
            })
            .collect();
        found.sort();
        found
    }

    /// Undoes or removes what interrupted renders left (safe: we hold the lock) and says
    /// what was found: a set moved aside by the fallback swap while `DIR` is missing is the
    /// complete old `DIR`, with the user's entries, so it is put back before anything else.
    fn sweep(&mut self, hook: Hook<'_>) -> io::Result<Vec<String>> {
        let mut notes = Vec::new();
        for (path, aside) in self.leftovers() {
            if aside && !self.exists {
                hook(Step::Rename, &self.live)
                    .and_then(|()| std::fs::rename(&path, &self.live))
                    .map_err(|e| {
                        io::Error::new(e.kind(), format!(
                            "a previous render was interrupted while replacing the directory; its previous output is in {} and could not be put back: {e}",
                            path.display()
                        ))
                    })?;
                self.exists = true;
                notes.push(format!(
                    "a previous render was interrupted while replacing it; its previous output was put back from {} before writing",
                    path.display()
                ));
                continue;
            }
            if let Err(e) = remove_tree(&path, hook) {
                notes.push(format!(
                    "could not remove {} left by an interrupted render: {e}",
                    path.display()
                ));
            }
        }
        Ok(notes)
    }

    /// Puts `staged` in `DIR`'s place; returns where the old set went, if there was one.
    fn swap(&self, parent: &File, staged: &Path, hook: Hook<'_>) -> io::Result<Option<PathBuf>> {
        let staged_name = file_name(staged)?;
        if !self.live.is_dir() {
            hook(Step::Rename, &self.live)?;
            let name = self.name.as_str();
            match rustix::fs::renameat_with(
                parent,
                staged_name,
                parent,
                name,
                RenameFlags::NOREPLACE,
            ) {
                Err(e) if exchange_unsupported(&e.into()) => {
                    rustix::fs::renameat(parent, staged_name, parent, name)?;
                }
                done => done?,
            }
            return Ok(None);
        }
        let exchanged = hook(Step::Exchange, &self.live).and_then(|()| {
            rustix::fs::renameat_with(
                parent,
                staged_name,
                parent,
                self.name.as_str(),
                RenameFlags::EXCHANGE,
            )
            .map_err(io::Error::from)
        });
        match exchanged {
            Ok(()) => Ok(Some(staged.to_path_buf())),
            Err(e) if exchange_unsupported(&e) => self.swap_by_renames(parent, staged_name, hook),
            Err(e) => Err(e),
        }
    }

    /// The fallback swap: `DIR` aside, then the staged set in; a crash between the two leaves
    /// no `DIR` (detected by [`check`] and the next render), never a torn one.
    fn swap_by_renames(
        &self,
        parent: &File,
        staged_name: &str,
        hook: Hook<'_>,
    ) -> io::Result<Option<PathBuf>> {
        let aside = self.sibling("old");
        let aside_name = file_name(&aside)?;
        hook(Step::Rename, &aside)?;
        rustix::fs::rename(self.live.as_path(), aside.as_path())?;
        // Durable before the second rename, so a power loss cannot undo the first one alone.
        let moved = hook(Step::SyncDir, &self.parent)
            .and_then(|()| parent.sync_all())
            .and_then(|()| hook(Step::Rename, &self.live))
            .and_then(|()| {
                rustix::fs::renameat(parent, staged_name, parent, self.name.as_str())
                    .map_err(io::Error::from)
            });
        if let Err(e) = moved {
            // Put the old set back; if even that fails, the next render says where it is.
            rustix::fs::renameat(parent, aside_name, parent, self.name.as_str()).ok();
            return Err(e);
        }
        Ok(Some(aside))
    }
}

fn file_name(path: &Path) -> io::Result<&str> {
    path.file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::other("staging path without a UTF-8 name"))
}

fn exchange_unsupported(e: &io::Error) -> bool {
    let code = e.raw_os_error();
    [
        rustix::io::Errno::INVAL,
        rustix::io::Errno::NOSYS,
        rustix::io::Errno::OPNOTSUPP,
    ]
    .iter()
    .any(|errno| code == Some(errno.raw_os_error()))
}

/// Builds the complete new `DIR` at `staged`: the user's entries, then the artifacts.
fn stage(target: &Target, staged: &Path, artifacts: &Artifacts, hook: Hook<'_>) -> io::Result<()> {
    hook(Step::MakeDir, staged)?;
    // Mode 0777 less the umask, as `mkdir` would give a new DIR.
    std::fs::DirBuilder::new().mode(0o777).create(staged)?;
    if target.exists {
        let kept = artifacts.files().map(|(name, _)| name);
        copy_dir_meta(&target.live, staged)?;
        mirror(&target.live, staged, &kept, hook)?;
    }
    for (name, content) in artifacts.files() {
        write_file(&staged.join(name), content, hook)?;
    }
    sync_dir(staged, hook)
}

/// The new `DIR` keeps the old one's mode and, where permitted, its owner (a root render
/// into a user's folder must not take the folder away from the user).
fn copy_dir_meta(from: &Path, to: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(from)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    let now = std::fs::metadata(to)?;
    if (now.uid(), now.gid()) != (meta.uid(), meta.gid()) {
        // Only root may give a folder away; anyone else made a folder they own, as before.
        std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid())).ok();
    }
    Ok(())
}

/// Links every entry of `from` except `skip` into `to`, recreating subfolders.
fn mirror(from: &Path, to: &Path, skip: &[&str], hook: Hook<'_>) -> io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            hook(Step::MakeDir, &dst)?;
            std::fs::create_dir(&dst)?;
            copy_dir_meta(&src, &dst)?;
            mirror(&src, &dst, &[], hook)?;
            sync_dir(&dst, hook)?;
        } else {
            hook(Step::Link, &dst)?;
            link_or_copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// A hard link keeps the entry itself (symlinks stay symlinks); where links are refused
/// (another user's file under `protected_hardlinks`, a filesystem without them) regular
/// files and symlinks are copied.
fn link_or_copy(src: &Path, dst: &Path) -> io::Result<()> {
    let Err(e) = std::fs::hard_link(src, dst) else {
        return Ok(());
    };
    let kind = std::fs::symlink_metadata(src)?.file_type();
    if kind.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, dst)
    } else if kind.is_file() {
        std::fs::copy(src, dst)?;
        File::open(dst)?.sync_all()
    } else {
        Err(io::Error::new(
            e.kind(),
            format!("cannot keep {}: {e}", src.display()),
        ))
    }
}

fn write_file(path: &Path, content: &Artifact, hook: Hook<'_>) -> io::Result<()> {
    hook(Step::Write, path)?;
    let file = File::options().write(true).create_new(true).open(path)?;
    // 0644 like any generated file, whatever the umask.
    file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    let mut w = io::BufWriter::new(&file);
    content.write_to(&mut w)?;
    w.flush()?;
    drop(w);
    hook(Step::SyncFile, path)?;
    file.sync_all()
}

fn sync_dir(path: &Path, hook: Hook<'_>) -> io::Result<()> {
    hook(Step::SyncDir, path)?;
    File::open(path)?.sync_all()
}

/// Moves entries that exist in `old` but not in `new` (created while the render staged)
/// into `new`, skipping `skip` at the top.
fn carry_over(old: &Path, new: &Path, skip: &[&str], hook: Hook<'_>) -> io::Result<()> {
    for entry in std::fs::read_dir(old)? {
        let entry = entry?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (entry.path(), new.join(&name));
        match std::fs::symlink_metadata(&dst) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                hook(Step::Rename, &dst)?;
                std::fs::rename(&src, &dst)?;
            }
            Ok(m) if m.is_dir() && entry.file_type()?.is_dir() => {
                carry_over(&src, &dst, &[], hook)?;
            }
            Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn remove_tree(path: &Path, hook: Hook<'_>) -> io::Result<()> {
    hook(Step::Remove, path)?;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// A file in `dir` that differs from what would be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// File name.
    pub name: &'static str,
    /// Unified diff from the file on disk to the fresh rendering.
    pub diff: String,
}

/// Compares the artifacts with the files in `dir`; a missing file counts as empty. All files
/// are read from one handle on `dir`, so they come from one set even while a render swaps it.
/// A `dir` that an interrupted fallback swap left missing is an error naming the old output.
pub fn check(dir: &Path, artifacts: &Artifacts) -> io::Result<Vec<Stale>> {
    let handle = match File::open(dir) {
        Ok(h) => Some(h),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            interrupted(dir)?;
            None
        }
        Err(e) => return Err(e),
    };
    let mut stale = Vec::new();
    for (name, fresh) in artifacts.files() {
        let current = match &handle {
            Some(h) => read_at(h, name)?,
            None => Vec::new(),
        };
        if !fresh.matches(&current) {
            let path = dir.join(name);
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

/// Reads `name` in the directory `dir`; a missing file is empty.
fn read_at(dir: &File, name: &str) -> io::Result<Vec<u8>> {
    let fd = match rustix::fs::openat(
        dir.as_fd(),
        name,
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut File::from(fd), &mut bytes)?;
    Ok(bytes)
}

/// Fails when `dir` is missing because a fallback swap was interrupted between its renames.
fn interrupted(dir: &Path) -> io::Result<()> {
    let Ok(target) = Target::resolve(dir, &mut |_, _| Err(io::Error::other("read-only"))) else {
        return Ok(());
    };
    match target.leftovers().into_iter().find(|(_, aside)| *aside) {
        Some((old, _)) => Err(io::Error::other(format!(
            "the directory is missing: a render was interrupted while replacing it, and its previous output is in {}; run `gen-agents render --out-dir {}` again",
            old.display(),
            dir.display()
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
