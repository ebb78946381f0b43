//! Generated from the published schema: every string field of a spec document, set to `""`
//! and to `"  "` in an otherwise valid spec, is a located error at that field, or, for the
//! documented exceptions (where empty means something), validates.
//!
//! The walk follows `$ref`s, properties, map values, list items and every `anyOf`/`oneOf`
//! branch, and it fails when a string schema of the document schema is never reached, or when
//! the base spec below lacks a field the schema has: no field is skipped silently.

use std::collections::BTreeSet;

use gen_agents::diag::{Diagnostics, Severity};
use serde_json::{json, Value};

/// Fields where an empty or blank value is allowed on purpose (see `spec::NON_BLANK`), and
/// what each of `""` and `"  "` must give: `None` validates, `Some(rule)` is a located error.
const EXCEPTIONS: &[(&str, Option<&str>, Option<&str>)] = &[
    // An empty argument is an argument (`grep -e ""`).
    ("/spec/mcpServers/*/args/*", None, None),
    // An empty variable is a value; `"  "` is literal text too.
    ("/spec/env/*", None, None),
    // Kubernetes allows an empty label value; a blank one is not a label value.
    ("/metadata/labels/*", None, Some("label")),
    // A key's own metadata is free text stored on the key as written; it names nothing.
    ("/spec/litellm/key/metadata/*", None, None),
];

/// One valid spec that has every field of the schema, so the walk can set each of them.
/// Runtime sections are added by [`runtime_section`] (one runtime per agent).
fn base(kind: &str) -> Value {
    let spec = json!({
        "runtime": "codex",
        "model": "codex-cli/gpt-5.4",
        "replicas": 1,
        "storage": "1Gi",
        "image": "node:22-bookworm-slim",
        "litellm": {
            "baseUrl": "http://litellm:4000/v1",
            "keySecret": "walk-litellm-key",
            "key": {
                "models": ["codex-cli/gpt-5.4"],
                "maxBudget": 10.5,
                "budgetDuration": "30d",
                "rpmLimit": 60,
                "tpmLimit": 100000,
                "maxParallelRequests": 2,
                "duration": "90d",
                "metadata": {"owner": "walk"},
                "team": "platform",
            },
        },
        "mcpServers": {"commonly": {
            "command": "/tools/bin/commonly-mcp",
            "args": ["--stdio"],
            "env": ["GITHUB_TOKEN"],
        }},
        "registryAgentName": "codex",
        "agentInstanceId": "walk",
        "podId": "69f841a9063269526de0437c",
        "apiUrl": "http://backend:5000",
        "adapter": "codex",
        "commonlyMcpVersion": "0.1.9",
        "commonlyCliRef": "main",
        "tokenSecret": "walk-token",
        "resources": {
            "requests": {"cpu": "50m", "memory": "256Mi"},
            "limits": {"cpu": "500m", "memory": "2Gi"},
        },
        "env": {
            "GITHUB_TOKEN": {"secretKeyRef": {"name": "api-keys", "key": "GITHUB_PAT", "optional": true}},
            "LOG_LEVEL": "info",
        },
    });
    match kind {
        "Agent" => json!({
            "apiVersion": "gen-agents/v1",
            "kind": "Agent",
            "metadata": {"name": "walk", "labels": {"team": "platform"}},
            "spec": spec,
        }),
        _ => json!({
            "apiVersion": "gen-agents/v1",
            "kind": "Defaults",
            "metadata": {"name": "fleet"},
            "spec": spec,
        }),
    }
}

/// The runtime and the valid section a pointer under `/spec/<section>` needs.
fn runtime_section(section: &str) -> Option<(&'static str, Value)> {
    Some(match section {
        "codex" => (
            "codex",
            json!({"version": "0.169.0", "sandboxMode": "danger-full-access",
                   "approvalPolicy": "never", "reasoningEffort": "low"}),
        ),
        "claudeCode" => (
            "claude-code",
            json!({"version": "2.1.331", "permissionMode": "bypassPermissions",
                   "smallFastModel": "codex-cli/gpt-5.4"}),
        ),
        "geminiCli" => ("gemini-cli", json!({"version": "0.61.0"})),
        "openclaw" => (
            "openclaw",
            json!({"version": "2026.9.6", "api": "openai-completions"}),
        ),
        _ => return None,
    })
}

/// The base document of `kind` with the runtime section the pointer needs.
fn base_for(kind: &str, pointer: &str) -> Value {
    let mut doc = base(kind);
    let section = pointer
        .strip_prefix("/spec/")
        .and_then(|p| p.split('/').next());
    if let Some((runtime, value)) = section.and_then(runtime_section) {
        let name = section.unwrap_or_default();
        doc["spec"]["runtime"] = json!(runtime);
        doc["spec"]["adapter"] = json!(runtime);
        doc["spec"]["registryAgentName"] = json!(runtime);
        doc["spec"][name] = value;
    }
    doc
}

/// A base document with every runtime section, only for the walk to find their fields.
fn walk_base(kind: &str) -> Value {
    let mut doc = base(kind);
    for s in ["codex", "claudeCode", "geminiCli", "openclaw"] {
        if let Some((_, v)) = runtime_section(s) {
            doc["spec"][s] = v;
        }
    }
    doc
}

/// A string field found by the walk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Field {
    pointer: String,
    /// Only fixed values (an enum or a const): any located error will do.
    fixed: bool,
}

struct Walk<'s> {
    root: &'s Value,
    fields: BTreeSet<Field>,
    /// Schema locations of the string schemas reached.
    reached: BTreeSet<String>,
    missing: Vec<String>,
}

impl Walk<'_> {
    fn walk(&mut self, schema: &Value, at: &str, instance: &Value, pointer: &str) {
        let (schema, at) = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let target = r.trim_start_matches('#');
                (
                    self.root.pointer(target).expect("$ref resolves"),
                    target.to_owned(),
                )
            }
            None => (schema, at.to_owned()),
        };
        for key in ["anyOf", "oneOf", "allOf"] {
            for (i, branch) in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if fits(branch, self.root, instance) {
                    self.walk(branch, &format!("{at}/{key}/{i}"), instance, pointer);
                }
            }
        }
        if is_string(schema) {
            self.reached.insert(at.clone());
            self.fields.insert(Field {
                pointer: pointer.to_owned(),
                fixed: schema.get("enum").is_some() || schema.get("const").is_some(),
            });
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                let p = format!("{pointer}/{name}");
                match instance.get(name) {
                    Some(v) => self.walk(sub, &format!("{at}/properties/{name}"), v, &p),
                    None => self.missing.push(p),
                }
            }
        }
        if let Some(sub) = schema.get("additionalProperties").filter(|s| s.is_object()) {
            let map = instance.as_object().filter(|m| !m.is_empty());
            match map {
                Some(m) => {
                    for (k, v) in m {
                        self.walk(
                            sub,
                            &format!("{at}/additionalProperties"),
                            v,
                            &format!("{pointer}/{k}"),
                        );
                    }
                }
                None => self.missing.push(format!("{pointer}/<key>")),
            }
        }
        if let Some(sub) = schema.get("items") {
            match instance.as_array().and_then(|a| a.first()) {
                Some(v) => self.walk(sub, &format!("{at}/items"), v, &format!("{pointer}/0")),
                None => self.missing.push(format!("{pointer}/0")),
            }
        }
    }
}

fn is_string(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// Whether a branch can describe `instance` (by type), so the walk descends where the base
/// document has a value of that shape.
fn fits(branch: &Value, root: &Value, instance: &Value) -> bool {
    let branch = match branch.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).unwrap_or(branch),
        None => branch,
    };
    match branch.get("type").and_then(Value::as_str) {
        Some("string") => instance.is_string(),
        Some("object") => instance.is_object(),
        Some("array") => instance.is_array(),
        _ => true,
    }
}

/// Every string schema node in the document schema, by location.
fn all_string_schemas(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if is_string(v) {
                out.insert(at.to_owned());
            }
            for (k, sub) in m {
                all_string_schemas(sub, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, sub) in a.iter().enumerate() {
                all_string_schemas(sub, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Block YAML for `v` (every scalar JSON-quoted), and the 1-based line and column of the
/// value at `target`.
fn to_yaml(v: &Value, target: &str) -> (String, Option<(u32, u32)>) {
    fn scalar(v: &Value) -> String {
        match v {
            Value::Object(m) if m.is_empty() => "{}".to_owned(),
            Value::Array(a) if a.is_empty() => "[]".to_owned(),
            other => other.to_string(),
        }
    }
    fn go(
        v: &Value,
        indent: usize,
        pointer: &str,
        target: &str,
        out: &mut Vec<String>,
        found: &mut Option<(u32, u32)>,
    ) {
        let mut entry = |prefix: String, child: &Value, p: String, out: &mut Vec<String>| {
            let nested = matches!(child, Value::Object(m) if !m.is_empty())
                || matches!(child, Value::Array(a) if !a.is_empty());
            if p == target {
                *found = Some((out.len() as u32 + 1, prefix.chars().count() as u32 + 2));
            }
            if nested {
                out.push(prefix);
                go(child, indent + 2, &p, target, out, found);
            } else {
                out.push(format!("{prefix} {}", scalar(child)));
            }
        };
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    entry(
                        format!("{pad}{}:", Value::String(k.clone())),
                        child,
                        format!("{pointer}/{k}"),
                        out,
                    );
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    entry(format!("{pad}-"), child, format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut lines = Vec::new();
    let mut found = None;
    go(v, 0, "", target, &mut lines, &mut found);
    (lines.join("\n") + "\n", found)
}

fn matches_pattern(pattern: &str, pointer: &str) -> bool {
    let (p, q): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), pointer.split('/').collect());
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

/// Validates `text` as one file, with a valid agent after a Defaults document.
fn validate(kind: &str, text: &str) -> (String, Diagnostics) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("walk.yaml");
    let mut full = text.to_owned();
    if kind == "Defaults" {
        let (agent, _) = to_yaml(&base("Agent"), "");
        full = format!("{text}---\n{agent}");
    }
    std::fs::write(&path, full).expect("write");
    let file = path.to_string_lossy().into_owned();
    let mut diags = Diagnostics::default();
    let fleet = gen_agents::load_fleet(std::slice::from_ref(&file), &[], &mut diags).expect("load");
    gen_agents::check_fleet(&fleet, &mut diags);
    (file, diags)
}

#[test]
fn the_base_documents_validate() {
    for kind in ["Agent", "Defaults"] {
        for section in [
            "",
            "/spec/codex",
            "/spec/claudeCode",
            "/spec/geminiCli",
            "/spec/openclaw",
        ] {
            let (text, _) = to_yaml(&base_for(kind, section), "");
            let (_, diags) = validate(kind, &text);
            assert!(
                !diags.has_errors(),
                "{kind} {section}:\n{text}\n{:#?}",
                diags.sorted()
            );
        }
    }
}

#[test]
fn every_string_field_refuses_empty_and_blank_values() {
    let schema = gen_agents::spec::schema::document_schema();
    let mut walk = Walk {
        root: &schema,
        fields: BTreeSet::new(),
        reached: BTreeSet::new(),
        missing: Vec::new(),
    };
    let branches = schema["oneOf"]
        .as_array()
        .expect("oneOf of the kinds")
        .clone();
    let mut per_kind = Vec::new();
    for (i, kind) in ["Agent", "Defaults"].into_iter().enumerate() {
        walk.fields.clear();
        walk.walk(&branches[i], &format!("/oneOf/{i}"), &walk_base(kind), "");
        per_kind.push((kind, std::mem::take(&mut walk.fields)));
    }
    assert!(
        walk.missing.is_empty(),
        "the base spec lacks fields the schema has: {:?}",
        walk.missing
    );
    let mut every = BTreeSet::new();
    all_string_schemas(&schema, "", &mut every);
    let unreached: Vec<_> = every.difference(&walk.reached).collect();
    assert!(
        unreached.is_empty(),
        "string schemas the walk never reached: {unreached:?}"
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    for (kind, fields) in &per_kind {
        for field in fields {
            let exception = EXCEPTIONS
                .iter()
                .find(|(p, _, _)| matches_pattern(p, &field.pointer));
            for (n, value) in ["", "  "].into_iter().enumerate() {
                checked += 1;
                let mut doc = base_for(kind, &field.pointer);
                *doc.pointer_mut(&field.pointer).expect("the walk found it") = json!(value);
                let (text, at) = to_yaml(&doc, &field.pointer);
                let (line, column) = at.expect("the field is in the text");
                let (file, diags) = validate(kind, &text);
                let errors: Vec<_> = diags
                    .sorted()
                    .into_iter()
                    .filter(|d| d.severity == Severity::Error)
                    .collect();
                let expected = match exception {
                    Some((_, empty, blank)) => {
                        if n == 0 {
                            *empty
                        } else {
                            *blank
                        }
                    }
                    None if field.fixed => Some("*"),
                    None => Some("empty-value"),
                };
                let ok = match expected {
                    None => errors.is_empty(),
                    Some(rule) => errors.iter().any(|d| {
                        (rule == "*" || d.rule.id() == rule)
                            && *d.location.file == *file
                            && d.location
                                .pos
                                .is_some_and(|p| (p.line, p.column) == (line, column))
                    }),
                };
                if !ok {
                    failures.push(format!(
                        "{kind} {} = {value:?}: expected {} at {line}:{column}, got {:?}",
                        field.pointer,
                        expected.map_or("no error".to_owned(), |r| format!("`{r}`")),
                        errors
                            .iter()
                            .map(|d| format!("{}: {} {}", d.location, d.rule, d.message))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(
        checked > 80,
        "only {checked} checks: the walk found too few fields"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
