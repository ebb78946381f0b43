//! Keys: reconcile the fleet's LiteLLM virtual keys (the requests of `keys.yaml`, from
//! [`crate::render::keys`]) with a live proxy. The last stage of the pipeline: it reads the
//! rendered requests and never reaches back into specs.
//!
//! [`plan`] is pure: desired keys and live keys in, one [`Change`] per alias out. Its
//! comparison is field by field over what the proxy shows of a key; the one field a live key
//! does not show, `duration` (LiteLLM keeps only the expiry time), is read from the key's
//! `metadata.duration`, which gen-agents writes. [`apply`] carries a plan out through
//! [`proxy::Proxy`], and delivers minted values only into a Secret manifest file.

pub mod apply;
pub mod proxy;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::render::keys::KeyRequest;
use proxy::LiveKey;

/// What gen-agents writes into `metadata.managed-by`.
pub const MANAGED_BY: &str = "gen-agents";

/// Metadata entries LiteLLM itself writes from request fields (`model_rpm_limit`, `tags`, …):
/// not part of a key's policy as gen-agents sees it, so never drift.
const LITELLM_METADATA: &[&str] = &[
    "model_rpm_limit",
    "model_tpm_limit",
    "model_itpm_limit",
    "model_otpm_limit",
    "default_estimated_output_tokens",
    "default_estimated_output_tokens_per_model",
    "mcp_rpm_limit",
    "tag_rpm_limit",
    "rpm_limit_type",
    "tpm_limit_type",
    "disable_global_guardrails",
    "guardrails",
    "policies",
    "tags",
    "team_member_key_duration",
    "prompts",
    "logging",
    "secret_manager_settings",
    "allowed_passthrough_routes",
    "denied_passthrough_routes",
    "service_account_id",
];

/// What a key needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// No key has the alias: mint one.
    Create,
    /// The fleet's key drifted (or an adopted key): change the listed fields.
    Update,
    /// Nothing to do.
    Unchanged,
    /// A key of this fleet whose agents are gone.
    Orphan,
    /// The old key of a rotation with `--grace`, until it expires: not pruned, not pending.
    Retiring,
    /// A key with the alias exists, but it is not this fleet's: `--adopt` takes it over.
    Conflict,
}

impl Action {
    fn sign(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Unchanged => "=",
            Action::Orphan => "-",
            Action::Retiring => ".",
            Action::Conflict => "!",
        }
    }
}

/// One field that differs: LiteLLM's name, the live value and the desired one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// LiteLLM's field name.
    pub field: &'static str,
    /// What the proxy has (`unset` when none).
    pub live: String,
    /// What the spec wants.
    pub desired: String,
}

/// One alias of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The key alias (the key Secret's name).
    pub alias: String,
    /// What it needs.
    pub action: Action,
    /// The agents using it (from the spec, or for an orphan from its metadata).
    pub agents: Vec<String>,
    /// The drifted fields of an update.
    pub fields: Vec<&'static str>,
    /// Each drifted field's values.
    pub detail: Vec<Drift>,
    /// Who owns the key of a conflict (`unmanaged`, or `fleet <name>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The live key's hash (never printed in the human format).
    #[serde(skip)]
    pub token: Option<String>,
    /// The desired key (not for an orphan).
    #[serde(skip)]
    pub desired: Option<KeyRequest>,
}

/// The whole plan, sorted by alias.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The fleet (`--fleet`).
    pub fleet: String,
    /// Every alias the fleet wants or owns.
    pub changes: Vec<Change>,
    /// How many of each action.
    pub summary: BTreeMap<Action, usize>,
}

impl Plan {
    /// How many changes have `action`.
    pub fn count(&self, action: Action) -> usize {
        self.summary.get(&action).copied().unwrap_or(0)
    }

    /// True when the proxy already matches the fleet (a retiring key is no change: it
    /// expires by itself).
    pub fn in_sync(&self) -> bool {
        self.changes
            .iter()
            .all(|c| matches!(c.action, Action::Unchanged | Action::Retiring))
    }

    /// The plan for people: one line per alias, then the totals.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            out.push_str(&format!(
                "{} {:<9} {}",
                c.action.sign(),
                format!("{:?}", c.action).to_lowercase(),
                c.alias
            ));
            if !c.agents.is_empty() {
                out.push_str(&format!(" ({})", c.agents.join(", ")));
            }
            match c.action {
                Action::Create => {
                    if let Some(d) = &c.desired {
                        out.push_str(&format!(": models {}", d.policy.models.join(", ")));
                    }
                }
                Action::Update => {
                    let parts: Vec<String> = c
                        .detail
                        .iter()
                        .map(|d| format!("{} {} -> {}", d.field, d.live, d.desired))
                        .collect();
                    out.push_str(&format!(": {}", parts.join("; ")));
                }
                Action::Orphan => out.push_str(
                    ": its agents are gone; `gen-agents keys apply --prune` deletes it",
                ),
                Action::Conflict => out.push_str(&format!(
                    ": the proxy already has a key with this alias ({}); `gen-agents keys apply --adopt` takes it over",
                    c.owner.as_deref().unwrap_or("unmanaged")
                )),
                Action::Retiring => out.push_str(&format!(
                    ": the old key of {} after a rotation, valid until {}; expires by itself, not pruned",
                    c.owner.as_deref().unwrap_or("?"),
                    c.detail.first().map_or("?", |d| d.live.as_str())
                )),
                Action::Unchanged => {}
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "Plan for fleet `{}`: {} to create, {} to update, {} unchanged, {} orphan(s), {} conflict(s){}.\n",
            self.fleet,
            self.count(Action::Create),
            self.count(Action::Update),
            self.count(Action::Unchanged),
            self.count(Action::Orphan),
            self.count(Action::Conflict),
            match self.count(Action::Retiring) {
                0 => String::new(),
                n => format!(", {n} retiring"),
            },
        ));
        out
    }

    /// The plan as one JSON document (no key values, no hashes).
    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Who holds a live key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    /// This fleet.
    Us,
    /// gen-agents, another fleet.
    Fleet(String),
    /// Not gen-agents.
    Unmanaged,
}

impl Owner {
    fn of(key: &LiveKey, fleet: &str) -> Owner {
        let meta = key.metadata.as_ref();
        let get = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
        match (get("managed-by"), get("fleet")) {
            (Some(MANAGED_BY), Some(f)) if f == fleet => Owner::Us,
            (Some(MANAGED_BY), Some(f)) => Owner::Fleet(f.to_owned()),
            _ => Owner::Unmanaged,
        }
    }

    fn describe(&self) -> String {
        match self {
            Owner::Us => "this fleet".into(),
            Owner::Fleet(f) => format!("managed by gen-agents for fleet `{f}`"),
            Owner::Unmanaged => "not managed by gen-agents".into(),
        }
    }
}

/// Compares the fleet's keys with the proxy's. `adopt`: a key with a wanted alias that is
/// not this fleet's is planned as an update (taken over) instead of a conflict. `now`: Unix
/// seconds, to tell a rotated-out key still in its grace period from a dead one.
pub fn plan(
    fleet: &str,
    desired: Vec<KeyRequest>,
    live: &[LiveKey],
    adopt: bool,
    now: i64,
) -> Plan {
    let by_alias: BTreeMap<&str, &LiveKey> = live
        .iter()
        .filter_map(|k| k.key_alias.as_deref().map(|a| (a, k)))
        .collect();
    let wanted: BTreeSet<String> = desired.iter().map(|d| d.key_alias.clone()).collect();
    let mut changes: Vec<Change> = desired
        .into_iter()
        .map(|d| {
            let l = by_alias.get(d.key_alias.as_str()).copied();
            compare(fleet, d, l, adopt)
        })
        .collect();
    changes.extend(
        live.iter()
            .filter(|k| Owner::of(k, fleet) == Owner::Us)
            .filter(|k| k.key_alias.as_ref().is_none_or(|a| !wanted.contains(a)))
            .map(|k| orphan(k, now)),
    );
    changes.sort_by(|a, b| a.alias.cmp(&b.alias));
    let mut summary = BTreeMap::new();
    for c in &changes {
        *summary.entry(c.action).or_insert(0) += 1;
    }
    Plan {
        fleet: fleet.to_owned(),
        changes,
        summary,
    }
}

fn compare(fleet: &str, d: KeyRequest, live: Option<&LiveKey>, adopt: bool) -> Change {
    let mut change = Change {
        alias: d.key_alias.clone(),
        action: Action::Create,
        agents: d.metadata.agents.clone(),
        fields: Vec::new(),
        detail: Vec::new(),
        owner: None,
        token: None,
        desired: None,
    };
    if let Some(l) = live {
        change.token = Some(l.token.clone());
        let owner = Owner::of(l, fleet);
        change.detail = drift(&d, l);
        change.action = if owner != Owner::Us && !adopt {
            change.owner = Some(owner.describe());
            Action::Conflict
        } else if change.detail.is_empty() {
            Action::Unchanged
        } else {
            Action::Update
        };
        change.fields = change.detail.iter().map(|x| x.field).collect();
    }
    change.desired = Some(d);
    change
}

/// A key of this fleet that no agent wants: an orphan, or, when it is the old key of a
/// rotation (`metadata.rotated-out`) that has not expired yet, retiring.
fn orphan(k: &LiveKey, now: i64) -> Change {
    let of = k
        .metadata
        .as_ref()
        .and_then(|m| m.get(ROTATED_OUT))
        .and_then(Value::as_str);
    let until = k
        .expires
        .as_deref()
        .filter(|e| parse_utc(e).is_some_and(|t| t > now));
    let (action, owner, detail) = match (of, until) {
        (Some(alias), Some(until)) => (
            Action::Retiring,
            Some(alias.to_owned()),
            vec![Drift {
                field: "expires",
                live: until.to_owned(),
                desired: until.to_owned(),
            }],
        ),
        _ => (Action::Orphan, None, Vec::new()),
    };
    let agents = k
        .metadata
        .as_ref()
        .and_then(|m| m.get("agents"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Change {
        alias: k.key_alias.clone().unwrap_or_else(|| "(no alias)".into()),
        action,
        agents,
        fields: Vec::new(),
        detail,
        owner,
        token: Some(k.token.clone()),
        desired: None,
    }
}

/// The metadata entry `keys rotate` sets on an old key it renames aside: the alias it had.
pub const ROTATED_OUT: &str = "rotated-out";

/// Unix seconds of an RFC 3339 UTC time as LiteLLM writes it (`2027-03-02T01:32:23.447000Z`,
/// or with `+00:00`); `None` for anything else.
pub fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = s[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if !matches!(rest, "Z" | "+00:00" | "") || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3_600 + mm * 60 + ss)
}

/// Every field where the live key differs from the desired one.
fn drift(d: &KeyRequest, l: &LiveKey) -> Vec<Drift> {
    let p = &d.policy;
    let mut out = Vec::new();
    let mut check = |field: &'static str, live: String, desired: String| {
        if live != desired {
            out.push(Drift {
                field,
                live,
                desired,
            });
        }
    };
    let sorted = |m: &[String]| {
        let mut v = m.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let list = |m: Vec<String>| {
        if m.is_empty() {
            "[] (every model)".to_owned()
        } else {
            format!("[{}]", m.join(", "))
        }
    };
    check("models", list(sorted(&l.models)), list(sorted(&p.models)));
    let (lj, pj) = (
        serde_json::to_value(l).unwrap_or_default(),
        serde_json::to_value(p).unwrap_or_default(),
    );
    for field in crate::render::keys::LIMIT_FIELDS {
        check(field, shown_json(lj.get(field)), shown_json(pj.get(field)));
    }
    let live_meta = l.metadata.clone().unwrap_or_default();
    let live_duration = live_meta
        .get("duration")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // Without `metadata.duration` a key that expires was not minted with this policy's
    // duration (or was changed by hand): compare by whether it expires at all.
    let live_duration = match (&live_duration, &l.expires) {
        (None, Some(_)) => Some("(an expiry set outside gen-agents)".to_owned()),
        _ => live_duration,
    };
    check("duration", shown(&live_duration), shown(&p.duration));
    let desired_meta = policy_metadata(&serde_json::to_value(&d.metadata).unwrap_or_default());
    let live_meta = policy_metadata(&Value::Object(live_meta));
    if desired_meta != live_meta {
        // Only the entries that differ, by name: the rest is noise in a plan.
        let names: BTreeSet<&String> = desired_meta.keys().chain(live_meta.keys()).collect();
        let differing = |m: &Map<String, Value>| {
            let part: Map<String, Value> = names
                .iter()
                .filter(|k| desired_meta.get(**k) != live_meta.get(**k))
                .map(|k| ((*k).clone(), m.get(*k).cloned().unwrap_or(Value::Null)))
                .collect();
            Value::Object(part).to_string()
        };
        check("metadata", differing(&live_meta), differing(&desired_meta));
    }
    out
}

/// Metadata as compared: without the entries LiteLLM writes itself and without `duration`
/// (compared on its own).
fn policy_metadata(v: &Value) -> Map<String, Value> {
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.retain(|k, _| k != "duration" && !LITELLM_METADATA.contains(&k.as_str()));
    m
}

fn shown<T: Serialize>(v: &Option<T>) -> String {
    shown_json(serde_json::to_value(v).ok().as_ref())
}

/// A field's value for a plan line: `unset` for none or `null`, text as it is.
fn shown_json(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "unset".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The `/key/generate` body of a desired key.
pub fn generate_body(d: &KeyRequest) -> Value {
    serde_json::to_value(d).unwrap_or_default()
}

/// The `/key/update` body that makes the live key `token` match `d` in `fields` (an unset
/// field is sent as `null`, which LiteLLM reads as "remove"); metadata always goes along,
/// since the policy hash and the agents may change with any field.
pub fn update_body(token: &str, d: &KeyRequest, fields: &[&'static str]) -> Value {
    let full = generate_body(d);
    let mut body = Map::new();
    body.insert("key".into(), json!(token));
    body.insert("key_alias".into(), json!(d.key_alias));
    for f in fields {
        if *f != "metadata" {
            body.insert((*f).into(), full.get(*f).cloned().unwrap_or(Value::Null));
        }
    }
    body.insert(
        "metadata".into(),
        full.get("metadata").cloned().unwrap_or_default(),
    );
    Value::Object(body)
}

#[cfg(test)]
mod tests;
