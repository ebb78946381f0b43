//! `keys.yaml`: the LiteLLM virtual key each agent needs, as the body of LiteLLM's
//! `/key/generate` request (no key values: LiteLLM mints those).
//!
//! Unlike the other artifacts it has no template: it is a machine interface, and every
//! field name in it must be a field of LiteLLM's `GenerateKeyRequest` and
//! `UpdateKeyRequest`, because LiteLLM drops an unknown field silently (a `modelz` mints a
//! key for every model). `.ci/keys_fields_check.py` checks that against the pinned
//! `litellm`; a custom template could break it unseen. So the file is serialized from the
//! typed [`KeyRequest`] by the YAML emitter the templates use ([`super::yaml`]).
//!
//! One key per key Secret: `key_alias` is the Secret's name (unique per namespace, and
//! LiteLLM's `key_alias` is unique per proxy). Agents may share a key Secret only with the
//! same policy (rule `key-secret-shared`).

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::Artifact;
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::resolve::{Agent, Key};
use crate::rules::Rule;
use crate::spec::Runtime;

/// The fleet name used when none is given (`--fleet`).
pub const DEFAULT_FLEET: &str = "default";

/// The metadata keys gen-agents sets on every key (a spec's `metadata` may not use them).
pub const RESERVED_METADATA: [&str; 7] = [
    "managed-by",
    "fleet",
    "agents",
    "runtimes",
    "policy-hash",
    "duration",
    "rotated-out",
];

/// One agent's key, and which document it came from (for `key-secret-shared`).
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The agent.
    pub agent: String,
    /// Its runtime.
    pub runtime: Runtime,
    /// The key Secret's name.
    pub secret: String,
    /// The policy.
    pub key: Key,
    /// The agent's document among the fleet's. A location is found from it only when a rule
    /// fires: finding one reads the document's YAML again, which would double the cost of a
    /// large fleet if it were done for every agent.
    pub index: usize,
}

impl KeyEntry {
    /// The entry of a resolved agent, the `index`-th document of the fleet.
    pub fn of(agent: &Agent, index: usize) -> KeyEntry {
        KeyEntry {
            agent: agent.name.clone(),
            runtime: agent.runtime(),
            secret: agent.litellm_key_secret.clone(),
            key: agent.key.clone(),
            index,
        }
    }
}

/// The policy part of a request: what the `policy-hash` covers and what agents sharing a
/// key Secret must agree on. Field names are LiteLLM's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// Allowed model aliases, never empty.
    pub models: Vec<String>,
    /// USD ceiling per `budget_duration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_budget: Option<f64>,
    /// Budget reset period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_duration: Option<String>,
    /// Requests per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpm_limit: Option<u64>,
    /// Tokens per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm_limit: Option<u64>,
    /// Concurrent requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_parallel_requests: Option<u64>,
    /// Expiry after minting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// LiteLLM team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The spec's own metadata (merged under gen-agents' keys in [`Metadata`]).
    #[serde(skip)]
    pub user_metadata: BTreeMap<String, String>,
}

impl Policy {
    /// The policy of a resolved key.
    pub fn of(key: &Key) -> Policy {
        Policy {
            models: key.models.clone(),
            max_budget: key.max_budget,
            budget_duration: key.budget_duration.clone(),
            rpm_limit: key.rpm_limit,
            tpm_limit: key.tpm_limit,
            max_parallel_requests: key.max_parallel_requests,
            duration: key.duration.clone(),
            team_id: key.team.clone(),
            user_metadata: key.metadata.clone(),
        }
    }

    /// `sha256:<hex>` over the policy as JSON (the spec's metadata included), so a later
    /// `keys plan` can tell a changed policy from a live key's own history.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        // Serialized straight into the hash: no JSON text is kept.
        let _ = serde_json::to_writer(Feed(&mut h), self);
        h.update([0]);
        let _ = serde_json::to_writer(Feed(&mut h), &self.user_metadata);
        super::model::sha256_tag(h)
    }
}

/// Feeds what is written into a hash.
struct Feed<'a>(&'a mut Sha256);

impl std::io::Write for Feed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// LiteLLM `metadata` of a managed key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    /// Always `gen-agents`: what `keys plan` looks for.
    #[serde(rename = "managed-by")]
    pub managed_by: &'static str,
    /// The fleet (`--fleet`): orphans are the managed keys of this fleet with no agent.
    pub fleet: String,
    /// The agents using the key (one, unless agents share a key Secret), sorted.
    pub agents: Vec<String>,
    /// Their runtimes, sorted and unique.
    pub runtimes: Vec<&'static str>,
    /// [`Policy::hash`].
    #[serde(rename = "policy-hash")]
    pub policy_hash: String,
    /// The policy's `duration`, when it has one: a live key shows only its expiry time, so
    /// `keys plan` reads the duration it was minted with here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// The spec's own metadata.
    #[serde(flatten)]
    pub user: BTreeMap<String, String>,
}

/// One desired key: a `/key/generate` request body without the key value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyRequest {
    /// The key Secret's name.
    pub key_alias: String,
    /// Models and limits.
    #[serde(flatten)]
    pub policy: Policy,
    /// Ownership and the policy hash.
    pub metadata: Metadata,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyList<'a> {
    api_version: &'static str,
    kind: &'static str,
    fleet: &'a str,
    keys: Vec<KeyRequest>,
}

/// The keys of `entries` (one per key Secret, sorted by alias). Rule `key-secret-shared`:
/// agents sharing a key Secret with different policies are reported at the later agent,
/// where `locate` says its `litellm.keySecret` is set.
pub fn requests(
    fleet: &str,
    mut entries: Vec<KeyEntry>,
    diags: &mut Diagnostics,
    locate: &dyn Fn(&KeyEntry) -> Location,
) -> Vec<KeyRequest> {
    entries.sort_by(|a, b| (&a.secret, &a.agent).cmp(&(&b.secret, &b.agent)));
    let mut out: Vec<(KeyRequest, String)> = Vec::new();
    for e in entries {
        let policy = Policy::of(&e.key);
        if let Some((prev, first)) = out.last_mut().filter(|(r, _)| r.key_alias == e.secret) {
            if prev.policy == policy {
                prev.metadata.agents.push(e.agent);
                if !prev.metadata.runtimes.contains(&e.runtime.as_str()) {
                    prev.metadata.runtimes.push(e.runtime.as_str());
                    prev.metadata.runtimes.sort_unstable();
                }
            } else {
                diags.push(
                    Diagnostic::error(
                        Rule::KeySecretShared,
                        locate(&e),
                        format!("agent `{}` shares the key Secret `{}` with agent `{first}`, but their key policies differ ({}); one Secret holds one LiteLLM key, with one policy", e.agent, e.secret, differences(&prev.policy, &policy)),
                    )
                    .with_help("give the agents the same `litellm.key`, or give this agent its own `litellm.keySecret`"),
                );
            }
            continue;
        }
        let hash = policy.hash();
        out.push((
            KeyRequest {
                key_alias: e.secret,
                metadata: Metadata {
                    managed_by: "gen-agents",
                    fleet: fleet.to_owned(),
                    agents: vec![e.agent.clone()],
                    runtimes: vec![e.runtime.as_str()],
                    policy_hash: hash,
                    duration: policy.duration.clone(),
                    user: policy.user_metadata.clone(),
                },
                policy,
            },
            e.agent,
        ));
    }
    out.into_iter().map(|(r, _)| r).collect()
}

/// The LiteLLM field names where two policies differ.
fn differences(a: &Policy, b: &Policy) -> String {
    let (ja, jb) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    // Every field either policy sets, in the struct's order: no second list of fields.
    let (ka, kb) = (
        ja.as_object().cloned().unwrap_or_default(),
        jb.as_object().cloned().unwrap_or_default(),
    );
    let mut fields: Vec<&str> = ka
        .keys()
        .chain(kb.keys().filter(|k| !ka.contains_key(*k)))
        .map(String::as_str)
        .filter(|f| ja.get(f) != jb.get(f))
        .collect();
    if a.user_metadata != b.user_metadata {
        fields.push("metadata");
    }
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The policy fields a live key shows under the same name and that compare as values
/// (`models` compares as a set, `duration` through the key's metadata).
pub const LIMIT_FIELDS: [&str; 6] = [
    "max_budget",
    "budget_duration",
    "rpm_limit",
    "tpm_limit",
    "max_parallel_requests",
    "team_id",
];

/// `keys.yaml` for `keys`.
pub fn artifact(fleet: &str, keys: Vec<KeyRequest>) -> Artifact {
    let list = KeyList {
        api_version: crate::spec::API_VERSION,
        kind: "KeyList",
        fleet,
        keys,
    };
    let mut a = Artifact::default();
    a.push(HEADER.to_owned());
    let json = serde_json::to_value(&list).unwrap_or_default();
    let mut body = super::yaml::block(&json, 0);
    body.push('\n');
    a.push(body);
    a
}

const HEADER: &str =
    "# LiteLLM virtual keys generated by gen-agents: one per key Secret, each the body of a
# /key/generate request (key_alias is the Secret's name). No key values: LiteLLM mints them,
# and they go only into the Secrets.
";

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn entry(agent: &str, secret: &str, rpm: Option<u64>) -> KeyEntry {
        KeyEntry {
            agent: agent.into(),
            runtime: Runtime::Codex,
            secret: secret.into(),
            key: Key {
                models: vec!["m".into()],
                models_set: false,
                max_budget: None,
                budget_duration: None,
                rpm_limit: rpm,
                tpm_limit: None,
                max_parallel_requests: None,
                duration: None,
                metadata: BTreeMap::new(),
                team: None,
            },
            index: 0,
        }
    }

    fn nowhere(e: &KeyEntry) -> Location {
        Location::file(&Arc::from(format!("{}.yaml", e.agent).as_str()))
    }

    #[test]
    fn agents_sharing_a_secret_with_one_policy_share_one_key() {
        let mut d = Diagnostics::default();
        let keys = requests(
            "f",
            vec![entry("b", "s", Some(1)), entry("a", "s", Some(1))],
            &mut d,
            &nowhere,
        );
        assert!(d.is_empty());
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].metadata.agents, ["a", "b"]);
    }

    #[test]
    fn agents_sharing_a_secret_with_different_policies_are_an_error() {
        let mut d = Diagnostics::default();
        let keys = requests(
            "f",
            vec![entry("a", "s", Some(1)), entry("b", "s", None)],
            &mut d,
            &nowhere,
        );
        let diags = d.sorted();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].rule, Rule::KeySecretShared);
        assert!(
            diags[0].message.contains("`rpm_limit`"),
            "{}",
            diags[0].message
        );
        assert_eq!(keys.len(), 1);
    }

    #[test]
    fn an_unset_limit_is_left_out_and_zero_is_kept() {
        let keys = requests(
            "f",
            vec![entry("a", "s", Some(0)), entry("b", "t", None)],
            &mut Diagnostics::default(),
            &nowhere,
        );
        let text = artifact("f", keys).text();
        assert_eq!(text.matches("rpm_limit: 0").count(), 1, "{text}");
        assert_eq!(text.matches("rpm_limit").count(), 1, "{text}");
    }

    #[test]
    fn the_policy_hash_covers_the_spec_metadata() {
        let a = Policy::of(&entry("a", "s", None).key);
        let mut b = a.clone();
        b.user_metadata.insert("owner".into(), "x".into());
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.hash(), Policy::of(&entry("z", "t", None).key).hash());
    }
}
