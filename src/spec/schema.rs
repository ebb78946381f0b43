//! The JSON Schemas derived from the Rust types with schemars.
//!
//! One document schema is published (`gen-agents schema`, committed as
//! `schema/gen-agents.schema.json`) for editors; the validator compiles one schema per
//! document kind from the same definitions so its messages name the right fields.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::{json, Value};

use super::{AgentDocument, DefaultsDocument};

/// Where the published schema is committed, relative to the repository root.
pub const PUBLISHED_PATH: &str = "schema/gen-agents.schema.json";

/// The schema of one gen-agents YAML document (`kind: Agent` or `kind: Defaults`).
pub fn document_schema() -> Value {
    let (agent, defaults, defs) = definitions();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gen-agents.dev/schema/v1/gen-agents.schema.json",
        "title": "gen-agents document",
        "description": "An agent spec (`kind: Agent`) or fleet-wide defaults (`kind: Defaults`), apiVersion gen-agents/v1.",
        "oneOf": [agent, defaults],
        "$defs": defs,
    })
}

/// The published schema as committed, embedded. A run reads its kind schemas from here
/// instead of generating them from the types: generating took about a quarter of a one-file
/// `validate` (the pre-commit case). `tests/cli.rs` keeps the file equal to what the types
/// generate (`committed_spec_schema_is_current`), and a test below the two kind schemas.
const PUBLISHED: &str = include_str!("../../schema/gen-agents.schema.json");

/// The schema the validator uses for a document whose `kind` is `kind`: that kind's branch
/// of the published schema, with the definitions.
pub fn kind_schema(kind: DocKind) -> Value {
    match serde_json::from_str::<Value>(PUBLISHED) {
        Ok(published) => kind_branch(published, kind),
        // Unreachable with the committed file (the tests parse it); generate rather than fail.
        Err(_) => generated_kind_schema(kind),
    }
}

/// `oneOf[kind]` of a document schema, with its `$schema` and `$defs`.
fn kind_branch(mut document: Value, kind: DocKind) -> Value {
    let index = match kind {
        DocKind::Agent => 0,
        DocKind::Defaults => 1,
    };
    let mut root = document["oneOf"][index].take();
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$defs"] = document["$defs"].take();
    root
}

/// The kind schema generated from the types (what [`PUBLISHED`] must equal).
fn generated_kind_schema(kind: DocKind) -> Value {
    kind_branch(document_schema(), kind)
}

/// The two document kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// `kind: Agent`.
    Agent,
    /// `kind: Defaults`.
    Defaults,
}

impl DocKind {
    /// All kinds, with the names used in YAML.
    pub const ALL: [(&'static str, DocKind); 2] =
        [("Agent", DocKind::Agent), ("Defaults", DocKind::Defaults)];
}

fn definitions() -> (Value, Value, serde_json::Map<String, Value>) {
    let mut generator = settings().into_generator();
    let agent = generator.subschema_for::<AgentDocument>().to_value();
    let defaults = generator.subschema_for::<DefaultsDocument>().to_value();
    let defs = generator.take_definitions(true);
    (agent, defaults, defs)
}

/// Draft 2020-12, with `Option` fields that may be left out but never written as `null`:
/// a `null` in a spec is almost always a half-deleted line, and Helm-style layering would
/// otherwise have to guess what it means.
pub fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().with_transform(RecursiveTransform(strip_null))
}

/// The schema of `T` with the project's settings, as a root schema.
pub fn root_schema_for<T: JsonSchema>() -> Value {
    settings()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

fn strip_null(schema: &mut Schema) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            obj.insert("type".into(), only);
        }
    }
    let is_null = |v: &Value| v.get("type").is_some_and(|t| t == "null");
    let Some(Value::Array(branches)) = obj.get("anyOf") else {
        return;
    };
    if !branches.iter().any(is_null) {
        return;
    }
    let kept: Vec<Value> = branches.iter().filter(|b| !is_null(b)).cloned().collect();
    obj.remove("anyOf");
    if let [Value::Object(only)] = kept.as_slice() {
        // Inline the one remaining branch so validation errors point inside it rather than
        // at an "is not valid under any of the schemas" on the parent.
        for (k, v) in only {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
    } else {
        obj.insert("anyOf".into(), Value::Array(kept));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_fields_do_not_accept_null() {
        let s = document_schema().to_string();
        assert!(!s.contains("\"null\""), "{s}");
    }

    /// Every subschema of `v`, with its JSON pointer.
    fn walk<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
        out.push((at.clone(), v));
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, c)| walk(c, format!("{at}/{k}"), out)),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, c)| walk(c, format!("{at}/{i}"), out)),
            _ => {}
        }
    }

    #[test]
    fn published_schema_is_self_contained() {
        let s = document_schema();
        let mut all = Vec::new();
        walk(&s, String::new(), &mut all);
        let refs: Vec<&str> = all
            .iter()
            .filter_map(|(_, v)| v.get("$ref").and_then(Value::as_str))
            .collect();
        assert!(!refs.is_empty());
        for r in refs {
            let target = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("remote $ref {r}"));
            assert!(s.pointer(target).is_some(), "dangling $ref {r}");
        }
    }

    #[test]
    fn every_property_has_a_description() {
        let s = document_schema();
        let mut all = Vec::new();
        walk(&s, String::new(), &mut all);
        let mut missing = Vec::new();
        for (at, v) in all {
            for (name, prop) in v
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let described = prop.get("description").and_then(Value::as_str);
                if described.is_none_or(|d| d.trim().is_empty()) {
                    missing.push(format!("{at}/properties/{name}"));
                }
            }
        }
        assert!(missing.is_empty(), "no description: {missing:?}");
    }

    #[test]
    fn runtime_enum_lists_exactly_the_runtimes_this_version_renders() {
        let s = document_schema();
        let listed: Vec<&str> = s["$defs"]["Runtime"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["const"].as_str().unwrap())
            .collect();
        let rendered: Vec<&str> = crate::spec::Runtime::ALL
            .iter()
            .map(|r| r.as_str())
            .collect();
        assert_eq!(listed, rendered);
        for r in crate::spec::Runtime::ALL {
            assert_eq!(crate::runtime::descriptor(r).runtime, r, "{}", r.as_str());
        }
    }

    #[test]
    fn published_schema_is_a_valid_2020_12_schema() {
        let s = document_schema();
        assert!(jsonschema::meta::is_valid(&s));
        for (_, k) in DocKind::ALL {
            assert!(jsonschema::meta::is_valid(&kind_schema(k)));
        }
    }

    /// The validator reads the committed schema; it must be what the types generate.
    #[test]
    fn kind_schemas_read_from_the_committed_file_are_the_generated_ones() {
        // Parsed here, not through `kind_schema`, whose fallback would make this pass.
        let published: Value =
            serde_json::from_str(PUBLISHED).expect("the committed schema is JSON");
        for (_, k) in DocKind::ALL {
            assert_eq!(
                kind_branch(published.clone(), k),
                generated_kind_schema(k),
                "run `gen-agents schema > {PUBLISHED_PATH}`"
            );
        }
    }
}
