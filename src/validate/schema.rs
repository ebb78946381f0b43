//! The schema check: every document against the schemars-derived JSON Schema of its kind,
//! with each `jsonschema` error turned into a located diagnostic that says how to fix it.

use std::sync::Arc;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::ValidationError;
use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::load::yaml::Value as YamlValue;
use crate::load::Node;
use crate::rules::Rule;
use crate::spec::schema::{kind_schema, DocKind};
use crate::spec::NON_BLANK;

/// A compiled validator for one document kind and the schema it was built from (kept to look
/// up the known field names for did-you-mean help).
pub struct KindValidator {
    schema: Value,
    validator: jsonschema::Validator,
}

impl KindValidator {
    /// Compiles the schema of `kind`. The schema is generated from our own types, so a failure
    /// here is a bug in gen-agents, not in the input.
    ///
    /// The published schema is draft 2020-12 (for editors and Helm); the validator reads it
    /// as draft-07, which builds in a third fewer instructions (jsonschema validates every
    /// schema against its draft's meta-schema first, and 2020-12's is the costly one; that
    /// is most of a one-file pre-commit run). The two drafts agree on every keyword the
    /// schema uses; the one difference that could matter, keywords beside a `$ref` (ignored
    /// by draft-07), is ruled out by `no_ref_has_constraint_siblings`.
    pub fn new(kind: DocKind) -> Result<Self, String> {
        let schema = kind_schema(kind);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&schema)
            .map_err(|e| format!("internal error: the built-in schema does not compile: {e}"))?;
        Ok(KindValidator { schema, validator })
    }

    /// Checks `json` (read from `root` in `file`); returns true when it is valid.
    pub fn check(
        &self,
        file: &Arc<str>,
        root: &Node,
        json: &Value,
        diags: &mut Diagnostics,
    ) -> bool {
        if self.validator.is_valid(json) {
            return true;
        }
        for error in self.validator.iter_errors(json) {
            let start = diags.len();
            self.report(file, root, &error, diags);
            diags.point_since(start, error.instance_path().as_str());
        }
        false
    }

    fn report(
        &self,
        file: &Arc<str>,
        root: &Node,
        error: &ValidationError<'_>,
        diags: &mut Diagnostics,
    ) {
        let pointer = error.instance_path().as_str();
        let at = |p: &str| Location::at(file, root.locate(p));
        let field = pretty_path(pointer);
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known = self.known_properties(error.schema_path().as_str());
                for key in unexpected {
                    let key_ptr =
                        format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                    if let Some(new) = (pointer == "/spec")
                        .then(|| crate::runtime::moved_field(key))
                        .flatten()
                    {
                        diags.push(field_moved(at(&key_ptr), key, new).with_pointer(&key_ptr));
                        continue;
                    }
                    diags.push(
                        Diagnostic::error(
                            Rule::SchemaUnknownKey,
                            at(&key_ptr),
                            format!("unknown field `{key}` in {}", describe_parent(&field)),
                        )
                        .with_help(unknown_key_help(key, &known))
                        .with_pointer(&key_ptr),
                    );
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                diags.push(
                    Diagnostic::error(
                        Rule::SchemaRequired,
                        at(pointer),
                        format!(
                            "missing required field `{name}` in {}",
                            describe_parent(&field)
                        ),
                    )
                    .with_help(required_help(pointer, name))
                    .with_pointer(format!("{pointer}/{name}")),
                );
            }
            ValidationErrorKind::Type { kind } => {
                report_wrong_type(file, root, pointer, &expected_types(kind), diags)
            }
            ValidationErrorKind::Enum { options } => {
                let allowed: Vec<String> = options
                    .as_array()
                    .map(|a| a.iter().map(value_text).collect())
                    .unwrap_or_default();
                report_not_allowed(file, root, pointer, error.instance(), &allowed, diags);
            }
            ValidationErrorKind::Constant { expected_value } => {
                report_not_allowed(
                    file,
                    root,
                    pointer,
                    error.instance(),
                    &[value_text(expected_value)],
                    diags,
                );
            }
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => {
                if let Some(allowed) = all_consts(context) {
                    report_not_allowed(file, root, pointer, error.instance(), &allowed, diags);
                    return;
                }
                if let Some(expected) = all_wrong_type(context, pointer) {
                    report_wrong_type(file, root, pointer, &expected, diags);
                    return;
                }
                match best_branch(context, pointer) {
                    Some(branch) => {
                        for e in branch {
                            self.report(file, root, e, diags);
                        }
                    }
                    None => diags.push(Diagnostic::error(
                        Rule::Schema,
                        Location::at(file, root.locate(pointer)),
                        format!("`{field}`: {error}"),
                    )),
                }
            }
            ValidationErrorKind::MinLength { limit: 1 } => {
                report_empty(file, root, pointer, error.instance(), diags)
            }
            // `""` also fails `minLength`, which reports it: one problem, one diagnostic.
            ValidationErrorKind::Pattern { pattern }
                if pattern == NON_BLANK && error.instance().as_str() != Some("") =>
            {
                report_empty(file, root, pointer, error.instance(), diags)
            }
            ValidationErrorKind::Pattern { pattern } if pattern == NON_BLANK => {}
            ValidationErrorKind::MinItems { .. } if pointer.ends_with("/litellm/key/models") => {
                diags.push(
                    Diagnostic::error(
                        Rule::KeyModelsEmpty,
                        Location::at(file, root.find(pointer).map_or(root.pos, |n| n.pos)),
                        format!("`{field}` is empty, and LiteLLM reads an empty allowlist as \"every model\""),
                    )
                    .with_help("list the aliases the key may call, or leave `models` unset to allow exactly the aliases the runtime calls"),
                )
            }
            ValidationErrorKind::Minimum { .. } if pointer.contains("/litellm/key/") => diags
                .push(
                    Diagnostic::error(
                        Rule::KeyLimit,
                        Location::at(file, root.find(pointer).map_or(root.pos, |n| n.pos)),
                        format!("`{field}` is {}; a key limit must be 0 or more", error.instance()),
                    )
                    .with_help("leave the field unset for no limit; `0` blocks"),
                ),
            _ => diags.push(Diagnostic::error(
                Rule::Schema,
                Location::at(file, root.find(pointer).map_or(root.pos, |n| n.pos)),
                format!("`{field}`: {error}"),
            )),
        }
    }

    /// The property names the schema at `schema_path` (ending in `/additionalProperties`) knows.
    fn known_properties(&self, schema_path: &str) -> Vec<String> {
        let base = schema_path
            .strip_suffix("/additionalProperties")
            .unwrap_or(schema_path);
        let mut node = &self.schema;
        let mut pointer = String::new();
        for segment in base.split('/').skip(1) {
            if segment == "$ref" {
                let target = node.get("$ref").and_then(Value::as_str).unwrap_or_default();
                node = self
                    .schema
                    .pointer(target.trim_start_matches('#'))
                    .unwrap_or(&Value::Null);
                pointer.clear();
                continue;
            }
            pointer.push('/');
            pointer.push_str(segment);
            node = node
                .get(segment.replace("~1", "/").replace("~0", "~"))
                .unwrap_or(&Value::Null);
        }
        node.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Rule `field-moved`: a flat field of an older spec that now lives in its runtime's section.
fn field_moved(at: Location, key: &str, new: &str) -> Diagnostic {
    let (section, field) = new
        .strip_prefix("spec.")
        .and_then(|p| p.split_once('.'))
        .unwrap_or(("", new));
    Diagnostic::error(
        Rule::FieldMoved,
        at,
        format!(
            "`spec.{key}` moved to `{new}`: each runtime's own settings now sit in its section"
        ),
    )
    .with_help(format!(
        "write it as `{section}: {{{field}: …}}` under `spec`"
    ))
}

fn report_wrong_type(
    file: &Arc<str>,
    root: &Node,
    pointer: &str,
    expected: &str,
    diags: &mut Diagnostics,
) {
    let node = root.find(pointer);
    let found = node.map_or_else(|| "something else".to_owned(), describe_node);
    diags.push(
        Diagnostic::error(
            Rule::SchemaType,
            Location::at(file, node.map_or(root.pos, |n| n.pos)),
            format!(
                "`{}` must be {expected}, found {found}",
                pretty_path(pointer)
            ),
        )
        .with_help(type_help(node, expected)),
    );
}

/// Rule `empty-value`: a string that names something (a model, a command, a Secret, ...) is
/// empty or only whitespace. Such a value passed before and crashed the agent at start
/// (`model = ""` in config.toml), so it is refused with the field named.
fn report_empty(
    file: &Arc<str>,
    root: &Node,
    pointer: &str,
    instance: &Value,
    diags: &mut Diagnostics,
) {
    let field = pretty_path(pointer);
    let message = match instance.as_str() {
        Some("") | None => format!("`{field}` is empty"),
        Some(_) => format!("`{field}` is blank: it holds only whitespace"),
    };
    diags.push(
        Diagnostic::error(
            Rule::EmptyValue,
            Location::at(file, root.find(pointer).map_or(root.pos, |n| n.pos)),
            message,
        )
        .with_help(empty_help(pointer)),
    );
}

fn empty_help(pointer: &str) -> String {
    let mut segments = pointer.rsplit('/');
    let last = segments.next().unwrap_or_default();
    let parent = segments.next().unwrap_or_default();
    match (parent, last) {
        ("metadata", "name") if pointer == "/metadata/name" => {
            "write the agent's name, a DNS-1123 label such as `cody`".to_owned()
        }
        (_, "command") => {
            "write the server's executable, e.g. `/tools/bin/commonly-mcp`".to_owned()
        }
        ("env", _) => "write the NAME of a pod environment variable, or remove the item".to_owned(),
        ("secretKeyRef", "name") => {
            "write the name of the Secret to read, e.g. `api-keys`".to_owned()
        }
        ("secretKeyRef", "key") => "write the key inside the Secret, e.g. `GITHUB_PAT`".to_owned(),
        _ => "write a value, or remove the line to take it from the defaults layers".to_owned(),
    }
}

fn report_not_allowed(
    file: &Arc<str>,
    root: &Node,
    pointer: &str,
    instance: &Value,
    allowed: &[String],
    diags: &mut Diagnostics,
) {
    let got = value_text(instance);
    let node = root.find(pointer);
    let listed = allowed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut help = format!("use one of: {listed}");
    if let Some(s) = did_you_mean(&got, allowed.iter().map(String::as_str)) {
        help = format!("did you mean `{s}`? ({help})");
    }
    if got == "untrusted" || got == "on-failure" {
        help.push_str("; current codex refuses `untrusted` and deprecates `on-failure`");
    }
    diags.push(
        Diagnostic::error(
            Rule::SchemaEnum,
            Location::at(file, node.map_or(root.pos, |n| n.pos)),
            format!(
                "`{}` is `{got}`, which is not allowed",
                pretty_path(pointer)
            ),
        )
        .with_help(help),
    );
}

/// The allowed values when every branch is a `const` (how schemars writes documented enums).
fn all_consts(context: &[Vec<ValidationError<'_>>]) -> Option<Vec<String>> {
    context
        .iter()
        .map(|branch| match branch.as_slice() {
            [e] => match e.kind() {
                ValidationErrorKind::Constant { expected_value } => {
                    Some(value_text(expected_value))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// "a string or a mapping" when every branch only complains about the type at `pointer`.
fn all_wrong_type(context: &[Vec<ValidationError<'_>>], pointer: &str) -> Option<String> {
    let kinds: Option<Vec<String>> = context
        .iter()
        .map(|branch| match branch.as_slice() {
            [e] if e.instance_path().as_str() == pointer => match e.kind() {
                ValidationErrorKind::Type { kind } => Some(expected_types(kind)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    kinds.map(|k| k.join(" or "))
}

/// Among the branches of an `anyOf`/`oneOf` at `pointer`, the one the user most likely
/// meant: not a branch whose only complaint is the wrong type at `pointer` itself (the user
/// wrote a mapping, so the "must be a string" branch is not the interesting one), and among
/// the rest the one with the fewest errors.
fn best_branch<'a, 'e>(
    context: &'a [Vec<ValidationError<'e>>],
    pointer: &str,
) -> Option<&'a Vec<ValidationError<'e>>> {
    let wrong_type_only = |branch: &Vec<ValidationError<'e>>| {
        branch.len() == 1
            && matches!(branch[0].kind(), ValidationErrorKind::Type { .. })
            && branch[0].instance_path().as_str() == pointer
    };
    context
        .iter()
        .filter(|b| !wrong_type_only(b))
        .min_by_key(|b| b.len())
}

/// `/spec/mcpServers/x/args/1` as `spec.mcpServers.x.args[1]`.
pub fn pretty_path(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        if seg.parse::<usize>().is_ok() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

fn describe_parent(field: &str) -> String {
    if field.is_empty() {
        "the document".to_owned()
    } else {
        format!("`{field}`")
    }
}

fn unknown_key_help(key: &str, known: &[String]) -> String {
    if key == "<<" {
        return "YAML merge keys are not supported; use a `kind: Defaults` document".to_owned();
    }
    match did_you_mean(key, known.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None if known.is_empty() => "remove it".to_owned(),
        None => format!("remove it; the known fields are: {}", known.join(", ")),
    }
}

fn required_help(pointer: &str, name: &str) -> String {
    match (pointer.rsplit('/').nth(1), name) {
        (Some("mcpServers"), "env") => "list the NAMES of the pod environment variables the server needs, e.g. `env: [COMMONLY_API_URL]`, or `env: []` if it needs none (codex passes no environment to MCP servers)".to_owned(),
        (_, "apiVersion") => "add `apiVersion: gen-agents/v1`".to_owned(),
        (_, "kind") => "add `kind: Agent` or `kind: Defaults`".to_owned(),
        _ => format!("add `{name}`"),
    }
}

fn type_help(node: Option<&Node>, expected: &str) -> String {
    if node.is_some_and(|n| matches!(n.value, YamlValue::Null)) {
        // `~`, `null` or nothing: quoting `~` would make it the text "~", never what was meant.
        return "YAML reads this as null; write a value, or remove the line to use the default"
            .to_owned();
    }
    match node.and_then(|n| n.plain.as_deref()) {
        Some(plain) if expected.contains("string") => format!(
            "YAML reads the unquoted `{plain}` as {}; quote it to keep it as text: \"{plain}\"",
            node.map_or_else(String::new, describe_node)
        ),
        _ => format!("write {expected} here"),
    }
}

fn expected_types(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        "string" => "a string".to_owned(),
        "integer" => "an integer".to_owned(),
        "number" => "a number".to_owned(),
        "boolean" => "true or false".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(ts) => ts.iter().map(|t| name(&t)).collect::<Vec<_>>().join(" or "),
    }
}

fn describe_node(node: &Node) -> String {
    match &node.value {
        YamlValue::Null => "null".to_owned(),
        YamlValue::Bool(b) => format!("the boolean {b}"),
        YamlValue::Int(i) => format!("the integer {i}"),
        YamlValue::Float(f) => format!("the number {f}"),
        YamlValue::Str(s) => format!(
            "the string {}",
            serde_json::to_string(s).unwrap_or_default()
        ),
        YamlValue::Seq(_) => "a list".to_owned(),
        YamlValue::Map(_) => "a mapping".to_owned(),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The closest of `candidates` to `got`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(got: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| {
            (
                strsim::jaro_winkler(&got.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_paths_read_like_yaml() {
        assert_eq!(
            pretty_path("/spec/mcpServers/a~1b/args/1"),
            "spec.mcpServers.a/b.args[1]"
        );
        assert_eq!(pretty_path(""), "");
    }

    /// Draft-07 ignores keywords next to a `$ref`; the validator reads the schema as
    /// draft-07 (see [`KindValidator::new`]), so none may carry a constraint.
    #[test]
    fn no_ref_has_constraint_siblings() {
        fn walk(v: &Value, path: &str) {
            match v {
                Value::Object(m) => {
                    if m.contains_key("$ref") {
                        let extra: Vec<&String> = m
                            .keys()
                            .filter(|k| {
                                // Annotations, and the root's `$schema`/`$defs` (the
                                // definitions the pointer resolves into), constrain nothing.
                                ![
                                    "$ref",
                                    "description",
                                    "default",
                                    "title",
                                    "$schema",
                                    "$defs",
                                ]
                                .contains(&k.as_str())
                            })
                            .collect();
                        assert!(extra.is_empty(), "{path}: $ref beside {extra:?}");
                    }
                    for (k, v) in m {
                        walk(v, &format!("{path}/{k}"));
                    }
                }
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .for_each(|(i, v)| walk(v, &format!("{path}/{i}"))),
                _ => {}
            }
        }
        for (_, kind) in DocKind::ALL {
            walk(&kind_schema(kind), "");
        }
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        let known = ["command", "args", "env"];
        assert_eq!(did_you_mean("comand", known.into_iter()), Some("command"));
        assert_eq!(did_you_mean("zzz", known.into_iter()), None);
    }
}
