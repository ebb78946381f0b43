//! SARIF 2.1.0, the log format GitHub code scanning uploads (`--format sarif`).
//!
//! One run, one result per diagnostic. What code scanning needs from us:
//! - `ruleId`: the diagnostic's rule id, the same stable id the other formats print;
//! - locations 1-based, columns counted in Unicode code points (`columnKind`), as ours are;
//! - `partialFingerprints` that survive edits which only move lines, so an alert is not
//!   closed and reopened when someone adds a comment above it: a hash of the file, the rule
//!   and the JSON pointer of the offending value, or the message where the stage that found
//!   the problem knows no pointer (then rewording the message opens a new alert).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{Diagnostic, Severity};
use crate::rules::Rule;

/// The key of our fingerprint in `partialFingerprints` (versioned: a change of what it
/// hashes must change the key, or code scanning would match unrelated alerts).
pub const FINGERPRINT_KEY: &str = "genAgents/v1";

/// The SARIF log of `diags`, pretty-printed, ending with a newline. An empty list is a run
/// with no results (code scanning closes the previous alerts).
pub fn render(diags: &[Diagnostic]) -> String {
    let mut s = serde_json::to_string_pretty(&log(diags)).unwrap_or_default();
    s.push('\n');
    s
}

/// The SARIF log of `diags` as JSON.
pub fn log(diags: &[Diagnostic]) -> Value {
    let mut rules: BTreeMap<&str, (Rule, usize)> = BTreeMap::new();
    for d in diags {
        rules.entry(d.rule.id()).or_insert((d.rule, 0));
    }
    for (i, (_, index)) in rules.values_mut().enumerate() {
        *index = i;
    }
    let results: Vec<Value> = diags
        .iter()
        .map(|d| result(d, rules.get(d.rule.id()).map_or(0, |(_, i)| *i)))
        .collect();
    let rule_objects: Vec<Value> = rules.values().map(|(rule, _)| descriptor(*rule)).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gen-agents",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_objects,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A `reportingDescriptor` of `rules[]`: the id, the summary as `shortDescription`, the
/// why as `fullDescription`, and how to read more as `help`.
fn descriptor(rule: Rule) -> Value {
    let doc = rule.doc();
    json!({
        "id": doc.id,
        "name": doc.id,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.why},
        "help": {"text": format!("gen-agents explain {} prints the rule with a bad example and its fix", doc.id)},
    })
}

fn result(d: &Diagnostic, rule_index: usize) -> Value {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut physical = json!({"artifactLocation": {"uri": uri(&d.location.file)}});
    if let Some(p) = d.location.pos {
        physical["region"] = json!({"startLine": p.line, "startColumn": p.column});
    }
    json!({
        "ruleId": d.rule.id(),
        "ruleIndex": rule_index,
        "level": match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(d)},
    })
}

/// SHA-256 of file, rule and pointer (or message), NUL-separated; never the position.
pub fn fingerprint(d: &Diagnostic) -> String {
    let mut h = Sha256::new();
    h.update(d.location.file.as_bytes());
    h.update([0]);
    h.update(d.rule.id().as_bytes());
    h.update([0]);
    match &d.pointer {
        Some(p) => {
            h.update(b"pointer:");
            h.update(p.as_bytes());
        }
        None => {
            h.update(b"message:");
            h.update(d.message.as_bytes());
        }
    }
    h.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A file name as a relative URI reference: `/` separators kept, everything outside the
/// unreserved set and `/` percent-encoded (spaces, `#`, `?`, `%`, non-ASCII).
fn uri(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diag::{Location, Pos};

    fn at(line: u32, message: &str) -> Diagnostic {
        let f: Arc<str> = Arc::from("agents/a b.yaml");
        Diagnostic::error(
            Rule::SchemaType,
            Location::at(&f, Pos { line, column: 4 }),
            message,
        )
    }

    #[test]
    fn fingerprint_ignores_the_line_and_follows_the_pointer() {
        let moved = fingerprint(&at(3, "x").with_pointer("/spec/replicas"));
        assert_eq!(
            moved,
            fingerprint(&at(9, "x").with_pointer("/spec/replicas"))
        );
        assert_eq!(
            moved,
            fingerprint(&at(9, "reworded").with_pointer("/spec/replicas"))
        );
        assert_ne!(
            moved,
            fingerprint(&at(3, "x").with_pointer("/spec/storage"))
        );
        assert_eq!(fingerprint(&at(3, "x")), fingerprint(&at(7, "x")));
        assert_ne!(fingerprint(&at(3, "x")), fingerprint(&at(3, "y")));
    }

    #[test]
    fn result_is_located_one_based_with_an_encoded_uri() {
        let log = log(&[at(3, "bad").with_help("fix")]);
        let r = &log["runs"][0]["results"][0];
        assert_eq!(r["ruleId"], "schema-type");
        assert_eq!(r["ruleIndex"], 0);
        assert_eq!(r["message"]["text"], "bad\nhelp: fix");
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "agents/a%20b.yaml");
        assert_eq!(loc["region"]["startLine"], 3);
        assert_eq!(loc["region"]["startColumn"], 4);
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][0]["id"],
            "schema-type"
        );
    }

    #[test]
    fn empty_run_has_no_results() {
        let log = log(&[]);
        assert_eq!(log["runs"][0]["results"], json!([]));
    }
}
