//! Carrying a [`Plan`] out, and rotating keys, with nothing left half-done and unseen.
//!
//! Order, and why:
//! 1. Everything that can be refused without the proxy is refused first (a conflict without
//!    `--adopt`, minting without `--secrets-out`, a secrets file that already exists); the
//!    secrets file is reserved (created empty, mode 0600, in its directory) before any key
//!    is minted, so a minted value always has a place to go.
//! 2. Updates, then mints. A failure stops the run; what was done is reported.
//! 3. Minted values are written to the secrets file in one atomic step (temporary file,
//!    fsync, link without replacing, fsync of the directory). If that fails, the keys just
//!    minted are deleted again, or, if even that fails, reported with the command that
//!    deletes them.
//! 4. Only then are orphans pruned and rotated-out keys revoked.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::proxy::{KeyValue, Minted, Proxy, ProxyError, Regenerated};
use super::{generate_body, update_body, Action, Change, Plan};
use crate::render::keys::KeyRequest;

/// Why a run stopped.
#[derive(Debug)]
pub enum Failure {
    /// Refused before anything was changed: a usage problem (exit 2).
    Usage {
        /// What.
        message: String,
        /// How to fix it.
        help: String,
    },
    /// The proxy's state or answer stopped the run (exit 3); `done` lists what was changed
    /// before, so nothing goes unseen.
    Proxy {
        /// The error.
        error: ProxyError,
        /// What had been done.
        done: Vec<String>,
    },
}

impl Failure {
    fn usage(message: impl Into<String>, help: impl Into<String>) -> Failure {
        Failure::Usage {
            message: message.into(),
            help: help.into(),
        }
    }
}

/// What a run changed, one line each (for stderr).
#[derive(Debug, Default)]
pub struct Outcome {
    /// One line per change made.
    pub done: Vec<String>,
    /// Orphans left in place (without `--prune`).
    pub kept_orphans: Vec<String>,
    /// The secrets file written, if any.
    pub secrets: Option<PathBuf>,
}

/// A minted value on its way into the secrets file.
struct Delivery {
    secret: String,
    agents: Vec<String>,
    value: KeyValue,
    /// The new key's hash (to delete it again if the file cannot be written).
    token: String,
}

/// `keys apply`: updates, mints (values into `secrets_out`), and with `prune` deletes orphans.
pub fn apply(
    proxy: &mut Proxy,
    plan: &Plan,
    prune: bool,
    secrets_out: Option<&Path>,
) -> Result<Outcome, Failure> {
    let conflicts: Vec<&Change> = of(plan, Action::Conflict).collect();
    if !conflicts.is_empty() {
        let list = conflicts
            .iter()
            .map(|c| {
                format!(
                    "`{}` ({})",
                    c.alias,
                    c.owner.as_deref().unwrap_or("unmanaged")
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Failure::Proxy {
            error: ProxyError {
                message: format!("the proxy already has keys with aliases this fleet needs, not this fleet's: {list}; nothing was changed"),
                help: "if these keys are the agents' own, take them over with `--adopt`; otherwise rename the agents' `litellm.keySecret`".into(),
                status: None,
            },
            done: Vec::new(),
        });
    }
    let creates: Vec<&Change> = of(plan, Action::Create).collect();
    let file = if creates.is_empty() {
        None
    } else {
        let Some(path) = secrets_out else {
            return Err(Failure::usage(
                format!("{} key(s) to mint, and their values need a place: no --secrets-out FILE", creates.len()),
                "add `--secrets-out FILE` (a new file, written with mode 0600); apply it with `kubectl apply -f FILE` and delete it",
            ));
        };
        Some(SecretsFile::reserve(path)?)
    };
    let mut out = Outcome::default();
    for c in of(plan, Action::Update) {
        let (Some(token), Some(d)) = (&c.token, &c.desired) else {
            continue;
        };
        proxy
            .update(&update_body(token, d, &c.fields))
            .map_err(|e| stopped(e, &out.done))?;
        out.done
            .push(format!("~ updated {}: {}", c.alias, c.fields.join(", ")));
    }
    let mut minted: Vec<Delivery> = Vec::new();
    let mut failed = None;
    for c in &creates {
        let Some(d) = &c.desired else { continue };
        match proxy.generate(&generate_body(d)) {
            Ok(m) => {
                out.done.push(format!("+ created {}", c.alias));
                minted.push(delivery(d, m));
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    if let Some(file) = file {
        out.secrets = deliver(proxy, file, &minted, &mut out.done)?;
    }
    if let Some(e) = failed {
        note_delivered(&mut out, minted.len());
        return Err(stopped(e, &out.done));
    }
    let orphans: Vec<&Change> = of(plan, Action::Orphan).collect();
    if prune {
        let tokens: Vec<String> = orphans.iter().filter_map(|c| c.token.clone()).collect();
        proxy.delete(&tokens).map_err(|e| stopped(e, &out.done))?;
        out.done.extend(
            orphans
                .iter()
                .map(|c| format!("- deleted orphan {}", c.alias)),
        );
    } else {
        out.kept_orphans = orphans.iter().map(|c| c.alias.clone()).collect();
    }
    Ok(out)
}

/// `keys rotate`: a new value for the keys of `agents` (all of the fleet's with `None`).
/// Where the proxy regenerates keys (LiteLLM Enterprise), the key keeps its identity and
/// spend and the old value stops at once, or after `grace`. Elsewhere: the old key is renamed
/// aside, a new key with the alias is minted, the values are written, and only then the old
/// key is deleted (with `grace`: set to expire after it).
pub fn rotate(
    proxy: &mut Proxy,
    plan: &Plan,
    agents: Option<&[String]>,
    grace: Option<&str>,
    secrets_out: &Path,
) -> Result<Outcome, Failure> {
    let chosen = choose(plan, agents)?;
    let file = SecretsFile::reserve(secrets_out)?;
    let mut out = Outcome::default();
    let mut minted: Vec<Delivery> = Vec::new();
    // Old keys renamed aside: (their hash, the alias they had).
    let mut aside: Vec<(String, String)> = Vec::new();
    let mut failed = None;
    for c in &chosen {
        let (Some(token), Some(d)) = (&c.token, &c.desired) else {
            continue;
        };
        match rotate_one(proxy, token, d, grace) {
            Ok((m, old)) => {
                out.done.push(match &old {
                    None => format!("* regenerated {}", c.alias),
                    Some(_) => format!("* minted a new key for {}", c.alias),
                });
                if let Some(old) = old {
                    aside.push((old, c.alias.clone()));
                }
                minted.push(delivery(d, m));
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    match deliver(proxy, file, &minted, &mut out.done) {
        Ok(path) => out.secrets = path,
        Err(f) => {
            // The new keys are gone again: put the old ones back under their aliases.
            for (token, alias) in &aside {
                if let Some(d) = chosen
                    .iter()
                    .find(|c| &c.alias == alias)
                    .and_then(|c| c.desired.as_ref())
                {
                    let _ = put_back(proxy, token, d);
                }
            }
            return Err(f);
        }
    }
    // The keys rotated before a failure are finished (their old keys revoked) first.
    let old: Vec<String> = aside.iter().map(|(t, _)| t.clone()).collect();
    let revoked = match grace {
        None => proxy.delete(&old),
        Some(g) => old
            .iter()
            .try_for_each(|t| proxy.update(&json!({"key": t, "duration": g}))),
    };
    revoked.map_err(|mut e| {
        e.help = format!("the old keys still work; `gen-agents keys apply --prune` deletes them (they are this fleet's orphans now). {}", e.help);
        stopped(e, &out.done)
    })?;
    for (_, alias) in &aside {
        out.done.push(match grace {
            None => format!("- deleted the old key of {alias}"),
            Some(g) => format!("- the old key of {alias} expires in {g}"),
        });
    }
    if let Some(e) = failed {
        note_delivered(&mut out, minted.len());
        return Err(stopped(e, &out.done));
    }
    Ok(out)
}

/// After a failure, says where the values minted before it went: they must still be applied.
fn note_delivered(out: &mut Outcome, n: usize) {
    if let Some(path) = &out.secrets {
        out.done.push(format!(
            "= the values of the {n} key(s) minted are in {} (mode 0600): `kubectl apply -f` it, then delete it",
            path.display()
        ));
    }
}

/// One key's rotation: the new value, and the hash of the old key when it was renamed aside
/// (no regeneration on this proxy) rather than regenerated.
fn rotate_one(
    proxy: &mut Proxy,
    token: &str,
    d: &KeyRequest,
    grace: Option<&str>,
) -> Result<(Minted, Option<String>), ProxyError> {
    if let Regenerated::Minted(m) = proxy.regenerate(token, grace)? {
        return Ok((m, None));
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let aside = format!("{}--rotated-{stamp}", d.key_alias);
    // Marked, so that `plan` shows it as retiring (not an orphan) while its grace lasts.
    let mut marked = serde_json::to_value(&d.metadata).unwrap_or_default();
    if let Some(m) = marked.as_object_mut() {
        m.insert(super::ROTATED_OUT.into(), json!(d.key_alias));
    }
    proxy.update(&json!({"key": token, "key_alias": aside, "metadata": marked}))?;
    match proxy.generate(&generate_body(d)) {
        Ok(m) => Ok((m, Some(token.to_owned()))),
        Err(e) => {
            let back = put_back(proxy, token, d);
            Err(match back {
                Ok(()) => e,
                Err(b) => ProxyError {
                    help: format!("the old key is still valid, renamed to `{aside}`: rename it back with /key/update (key_alias `{}`) or run `gen-agents keys rotate` again. {}", d.key_alias, b.help),
                    ..e
                },
            })
        }
    }
}

/// Undoes the rename of a rotation: the old key gets its alias and plain metadata back.
fn put_back(proxy: &Proxy, token: &str, d: &KeyRequest) -> Result<(), ProxyError> {
    let metadata = serde_json::to_value(&d.metadata).unwrap_or_default();
    proxy.update(&json!({"key": token, "key_alias": d.key_alias, "metadata": metadata}))
}

/// The fleet's existing keys of the named agents (every one with `None`).
fn choose<'p>(plan: &'p Plan, agents: Option<&[String]>) -> Result<Vec<&'p Change>, Failure> {
    let exists = |c: &&Change| matches!(c.action, Action::Unchanged | Action::Update);
    let Some(names) = agents else {
        return Ok(plan.changes.iter().filter(exists).collect());
    };
    let mut out: Vec<&Change> = Vec::new();
    for name in names {
        let Some(c) = plan
            .changes
            .iter()
            .find(|c| c.desired.is_some() && c.agents.contains(name))
        else {
            return Err(Failure::usage(
                format!("no agent `{name}` in the fleet"),
                "name an agent of the given specs (`metadata.name`), or use --all",
            ));
        };
        if !exists(&c) {
            return Err(Failure::usage(
                format!(
                    "the key of agent `{name}` (`{}`) cannot be rotated: the plan says {:?}",
                    c.alias, c.action
                )
                .to_lowercase(),
                "run `gen-agents keys apply` first, so the key exists and is this fleet's",
            ));
        }
        if !out.iter().any(|o| o.alias == c.alias) {
            out.push(c);
        }
    }
    Ok(out)
}

fn of(plan: &Plan, action: Action) -> impl Iterator<Item = &Change> {
    plan.changes.iter().filter(move |c| c.action == action)
}

fn delivery(d: &KeyRequest, m: Minted) -> Delivery {
    Delivery {
        secret: d.key_alias.clone(),
        agents: d.metadata.agents.clone(),
        value: m.value,
        token: m.token,
    }
}

fn stopped(error: ProxyError, done: &[String]) -> Failure {
    Failure::Proxy {
        error,
        done: done.to_vec(),
    }
}

/// Writes the minted values (nothing, and no file, when none was minted); when that fails,
/// deletes the keys just minted.
fn deliver(
    proxy: &mut Proxy,
    file: SecretsFile,
    minted: &[Delivery],
    done: &mut Vec<String>,
) -> Result<Option<PathBuf>, Failure> {
    if minted.is_empty() {
        return Ok(None);
    }
    let path = file.path.clone();
    let Err(e) = file.commit(minted) else {
        return Ok(Some(path));
    };
    let tokens: Vec<String> = minted.iter().map(|m| m.token.clone()).collect();
    let aliases: Vec<&str> = minted.iter().map(|m| m.secret.as_str()).collect();
    let (message, help) = match proxy.delete(&tokens) {
        Ok(()) => (
            format!("{}: {e}; the {} key(s) just minted were deleted again", path.display(), minted.len()),
            "fix the path (a new file in a writable directory) and run the command again".to_owned(),
        ),
        Err(d) => (
            format!("{}: {e}; the {} key(s) just minted ({}) could not be deleted again: {}", path.display(), minted.len(), aliases.join(", "), d.message),
            format!("their values are lost: delete them with `curl -X POST <proxy>/key/delete -H \"Authorization: Bearer $LITELLM_MASTER_KEY\" -d '{}'`, then run the command again", json!({"key_aliases": aliases})),
        ),
    };
    Err(Failure::Proxy {
        error: ProxyError {
            message,
            help,
            status: None,
        },
        done: std::mem::take(done),
    })
}

/// The `--secrets-out` file, reserved before any key is minted.
struct SecretsFile {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl SecretsFile {
    /// Refuses an existing file (it may hold values not yet applied) and creates the
    /// temporary file (mode 0600) in its directory, so writing cannot fail for want of a
    /// directory or of permission after keys were minted.
    fn reserve(path: &Path) -> Result<SecretsFile, Failure> {
        if path.symlink_metadata().is_ok() {
            return Err(Failure::usage(
                format!("--secrets-out {}: the file exists (it may hold key values not applied yet); nothing was changed", path.display()),
                "apply it (`kubectl apply -f FILE`) and delete it, or give a new path",
            ));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".gen-agents-secrets-")
            .tempfile_in(&dir)
            .map_err(|e| {
                Failure::usage(
                    format!(
                        "--secrets-out {}: cannot create a file in {}: {e}; nothing was changed",
                        path.display(),
                        dir.display()
                    ),
                    "give a path in an existing, writable directory",
                )
            })?;
        Ok(SecretsFile {
            path: path.to_path_buf(),
            tmp,
        })
    }

    fn commit(mut self, minted: &[Delivery]) -> std::io::Result<()> {
        self.tmp.write_all(manifest(minted).as_bytes())?;
        self.tmp.as_file().sync_all()?;
        self.tmp
            .persist_noclobber(&self.path)
            .map_err(|e| e.error)?;
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::File::open(dir)?.sync_all()
    }
}

/// One Secret per minted key, named and keyed as the chart reads it (`<keySecret>`, key
/// `key`). `stringData` sets only that key, so applying it over the stub keeps the rest.
fn manifest(minted: &[Delivery]) -> String {
    let mut out = String::from(
        "# LiteLLM virtual keys minted by gen-agents: apply with `kubectl apply -f <this file>`, then\n# delete this file. It is the only copy of these values.\n",
    );
    for m in minted {
        let doc: Value = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": m.secret,
                "annotations": {
                    "gen-agents.dev/used-by": m.agents.join(", "),
                    "gen-agents.dev/litellm-key-alias": m.secret,
                },
            },
            "type": "Opaque",
            "stringData": {"key": m.value.expose()},
        });
        out.push_str("---\n");
        out.push_str(&crate::render::yaml::block(&doc, 0));
        out.push('\n');
    }
    out
}
