//! The plan, without a proxy: desired keys against live keys as `/key/list` shows them.

use std::collections::BTreeMap;

use serde_json::json;

use super::proxy::LiveKey;
use super::*;
use crate::render::keys::{KeyRequest, Metadata, Policy};

/// 2026-12-02T00:00:00Z.
const NOW: i64 = 1_796_169_600;

fn desired(alias: &str, models: &[&str]) -> KeyRequest {
    let policy = Policy {
        models: models.iter().map(|m| (*m).to_owned()).collect(),
        max_budget: None,
        budget_duration: None,
        rpm_limit: Some(0),
        tpm_limit: None,
        max_parallel_requests: None,
        duration: None,
        team_id: None,
        user_metadata: BTreeMap::new(),
    };
    KeyRequest {
        key_alias: alias.into(),
        metadata: Metadata {
            managed_by: "gen-agents",
            fleet: "f".into(),
            agents: vec![alias.trim_end_matches("-key").into()],
            runtimes: vec!["codex"],
            policy_hash: policy.hash(),
            duration: None,
            user: BTreeMap::new(),
        },
        policy,
    }
}

/// The live key that applying `d` would have made.
fn live(d: &KeyRequest) -> LiveKey {
    let meta = serde_json::to_value(&d.metadata).unwrap();
    LiveKey {
        token: format!("hash-{}", d.key_alias),
        key_alias: Some(d.key_alias.clone()),
        models: d.policy.models.clone(),
        rpm_limit: d.policy.rpm_limit,
        metadata: meta.as_object().cloned(),
        ..LiveKey::default()
    }
}

fn actions(p: &Plan) -> Vec<(String, Action, Vec<&'static str>)> {
    p.changes
        .iter()
        .map(|c| (c.alias.clone(), c.action, c.fields.clone()))
        .collect()
}

#[test]
fn an_empty_proxy_needs_every_key_created() {
    let p = plan(
        "f",
        vec![desired("a-key", &["m"]), desired("b-key", &["m"])],
        &[],
        false,
        NOW,
    );
    assert_eq!(p.count(Action::Create), 2);
    assert!(!p.in_sync());
}

#[test]
fn an_applied_fleet_is_unchanged() {
    let d = desired("a-key", &["m", "n"]);
    let mut l = live(&d);
    l.models.reverse(); // order is not policy
    let p = plan("f", vec![d], &[l], false, NOW);
    assert_eq!(actions(&p), [("a-key".into(), Action::Unchanged, vec![])]);
    assert!(p.in_sync());
}

#[test]
fn a_model_added_is_an_update_of_models_and_metadata() {
    let old = desired("a-key", &["m"]);
    let new = desired("a-key", &["m", "n"]);
    let p = plan("f", vec![new], &[live(&old)], false, NOW);
    assert_eq!(
        actions(&p),
        [("a-key".into(), Action::Update, vec!["models", "metadata"])]
    );
    assert!(p.human().contains("models [m] -> [m, n]"), "{}", p.human());
}

#[test]
fn an_unset_limit_differs_from_zero() {
    let d = desired("a-key", &["m"]);
    let mut l = live(&d);
    l.rpm_limit = None;
    let p = plan("f", vec![d.clone()], &[l], false, NOW);
    assert_eq!(p.changes[0].fields, ["rpm_limit"]);
    let body = update_body("hash", &d, &p.changes[0].fields);
    assert_eq!(body["rpm_limit"], json!(0));
}

#[test]
fn a_removed_limit_is_sent_as_null() {
    let mut d = desired("a-key", &["m"]);
    let l = live(&d);
    d.policy.rpm_limit = None;
    let p = plan("f", vec![d.clone()], &[l], false, NOW);
    assert!(p.changes[0].fields.contains(&"rpm_limit"));
    let body = update_body("hash", &d, &p.changes[0].fields);
    assert_eq!(body["rpm_limit"], serde_json::Value::Null);
    assert_eq!(body["key"], json!("hash"));
}

#[test]
fn a_key_of_this_fleet_without_agents_is_an_orphan_and_other_fleets_are_left_alone() {
    let gone = live(&desired("gone-key", &["m"]));
    let mut other = live(&desired("other-key", &["m"]));
    other.metadata.as_mut().unwrap()["fleet"] = json!("prod");
    let unmanaged = LiveKey {
        token: "t".into(),
        key_alias: Some("hand-made".into()),
        ..LiveKey::default()
    };
    let p = plan("f", vec![], &[gone, other, unmanaged], false, NOW);
    assert_eq!(actions(&p), [("gone-key".into(), Action::Orphan, vec![])]);
    assert_eq!(p.changes[0].agents, ["gone"]);
}

#[test]
fn an_unmanaged_key_with_a_wanted_alias_is_a_conflict_unless_adopted() {
    let d = desired("a-key", &["m"]);
    let hand = LiveKey {
        token: "t".into(),
        key_alias: Some("a-key".into()),
        models: vec!["m".into()],
        ..LiveKey::default()
    };
    let p = plan(
        "f",
        vec![d.clone()],
        std::slice::from_ref(&hand),
        false,
        NOW,
    );
    assert_eq!(p.changes[0].action, Action::Conflict);
    assert_eq!(
        p.changes[0].owner.as_deref(),
        Some("not managed by gen-agents")
    );
    let p = plan("f", vec![d], &[hand], true, NOW);
    assert_eq!(p.changes[0].action, Action::Update);
    assert!(p.changes[0].fields.contains(&"metadata"));
}

#[test]
fn a_changed_duration_is_read_from_metadata() {
    let mut d = desired("a-key", &["m"]);
    d.policy.duration = Some("30d".into());
    d.metadata.duration = Some("30d".into());
    let mut l = live(&d);
    l.expires = Some("2027-01-01T00:00:00Z".into());
    assert!(plan("f", vec![d.clone()], std::slice::from_ref(&l), false, NOW).in_sync());
    let mut longer = d.clone();
    longer.policy.duration = Some("90d".into());
    longer.metadata.duration = Some("90d".into());
    let p = plan("f", vec![longer.clone()], &[l], false, NOW);
    assert_eq!(p.changes[0].fields, ["duration"]);
    assert_eq!(
        update_body("h", &longer, &p.changes[0].fields)["duration"],
        json!("90d")
    );
}

#[test]
fn litellm_metadata_entries_are_not_drift() {
    let d = desired("a-key", &["m"]);
    let mut l = live(&d);
    l.metadata
        .as_mut()
        .unwrap()
        .insert("tags".into(), json!(["x"]));
    assert!(plan("f", vec![d], &[l], false, NOW).in_sync());
}

#[test]
fn the_plan_json_has_no_hashes() {
    let d = desired("a-key", &["m"]);
    let p = plan("f", vec![d.clone()], &[live(&d)], false, NOW);
    let j = p.json();
    assert!(!j.contains("hash-a-key"), "{j}");
    assert!(j.contains("\"unchanged\""), "{j}");
}

#[test]
fn utc_times_are_read_as_litellm_writes_them() {
    assert_eq!(parse_utc("2026-12-02T00:00:00Z"), Some(NOW));
    assert_eq!(parse_utc("2026-12-02T00:00:01.447000Z"), Some(NOW + 1));
    assert_eq!(parse_utc("2026-12-02T01:00:00+00:00"), Some(NOW + 3600));
    assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_utc("2026-12-02T00:00:00+02:00"), None);
    assert_eq!(parse_utc("soon"), None);
}

#[test]
fn a_rotated_out_key_is_retiring_until_it_expires_then_an_orphan() {
    let mut old = live(&desired("a-key", &["m"]));
    old.key_alias = Some("a-key--rotated-1".into());
    old.metadata
        .as_mut()
        .unwrap()
        .insert(ROTATED_OUT.into(), json!("a-key"));
    old.expires = Some("2026-12-02T01:00:00Z".into());
    let d = desired("a-key", &["m"]);
    let p = plan("f", vec![d.clone()], &[live(&d), old.clone()], false, NOW);
    assert_eq!(p.changes[1].action, Action::Retiring);
    assert!(p.in_sync(), "{}", p.human());
    assert!(p.human().contains("the old key of a-key"), "{}", p.human());
    let later = plan("f", vec![d.clone()], &[live(&d), old], false, NOW + 7200);
    assert_eq!(later.changes[1].action, Action::Orphan);
}
