//! A small YAML emitter for values the templates place: every scalar is written so that a
//! YAML 1.1 or 1.2 parser (Helm's included) reads back exactly the same value.
//!
//! Strings are written plain only when they cannot be read as anything else; otherwise they
//! are double-quoted with JSON escapes (a JSON string is a valid YAML double-quoted scalar).
//! Multi-line text in block context becomes a literal block (`|`), so config files stay
//! readable in the ConfigMap. Quotes, newlines, `${…}`, backticks and `{{ }}` therefore come
//! out as inert text.

use serde_json::Value;

/// The inline form of a scalar (or a flow form of a collection), safe in any YAML context.
pub fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_inline(s),
        // JSON is valid YAML flow syntax.
        Value::Array(_) | Value::Object(_) => serde_json::to_string(value).unwrap_or_default(),
    }
}

/// A mapping or sequence in block style, every line indented by `indent` spaces, with no
/// trailing newline (the template supplies line breaks). Scalars come out inline.
pub fn block(value: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_block(&mut out, value, indent);
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

fn write_block(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                out.push_str(&pad);
                out.push_str(&string_inline(k));
                out.push(':');
                write_child(out, v, indent);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                match item {
                    // A mapping as a list item starts on the dash line: `- name: x`.
                    Value::Object(map) if !map.is_empty() => {
                        let mut inner = String::new();
                        write_block(&mut inner, item, indent + 2);
                        out.push(' ');
                        out.push_str(&inner[indent + 2..]);
                    }
                    _ => write_child(out, item, indent),
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

/// Writes what follows `key:` or `-`.
fn write_child(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_block(out, value, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_block(out, value, indent + 2);
        }
        Value::String(s) if literal_block_ok(s) => {
            out.push_str(&literal_block(s, indent + 2));
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

/// Whether `s` can be a literal block scalar and read back identically.
fn literal_block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && s.chars().all(|c| {
            c == '\n'
                || (!c.is_control()
                    && !matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'))
        })
}

/// ` |-`, ` |` or ` |+` (by trailing newlines) and the lines indented by `indent`.
fn literal_block(s: &str, indent: usize) -> String {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent);
    let mut out = format!(" |{chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    out
}

/// A string as a plain scalar when unambiguous, else JSON-quoted.
pub fn string_inline(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// Plain only for `[A-Za-z_/][A-Za-z0-9_./@-]*` that no YAML 1.1 or 1.2 resolver reads as a
/// boolean or null: no `:` `#` `,` `{` or leading digit, so context and version never matter.
fn is_plain_safe(s: &str) -> bool {
    const RESERVED: [&str; 22] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    ];
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_' || first == '/')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_./@-".contains(c))
        && !RESERVED.contains(&s)
        && !matches!(s, "null" | "Null" | "NULL")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_back(yaml: &str) -> Value {
        let file: std::sync::Arc<str> = std::sync::Arc::from("t");
        let mut d = crate::diag::Diagnostics::default();
        let docs = crate::load::yaml::read_documents(&file, yaml, &mut d);
        assert!(d.is_empty(), "{yaml}\n{d:?}");
        docs[0].root.to_json()
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "yes",
            "on",
            "null",
            "1.0",
            "0755",
            "",
            " x",
            "a: b",
            "#x",
            "-x",
            "${X}",
            "{{ x }}",
            "`id`",
            "x\"y",
            "@scope/pkg",
        ] {
            assert!(string_inline(s).starts_with('"'), "{s}");
        }
        for s in [
            "cody",
            "codex-cli/gpt-5.4",
            "node",
            "/tools/bin/commonly-mcp",
            "user@host",
        ] {
            assert_eq!(string_inline(s), s);
        }
    }

    #[test]
    fn block_output_reads_back_identically() {
        let v = json!({
            "a": {"b": [1, "two", {"c": "d", "e": []}], "f": {}},
            "toml": "model = \"x\"\n\n[t]\nk = 'v'\n",
            "no_newline": "a\nb",
            "many": "a\n\n\n",
            "tab": "a\tb\nc",
            "yes": "yes",
            "list": [[1, 2], {"k": "v", "w": [3]}],
        });
        let yaml = format!("root:\n{}\n", block(&v, 2));
        assert_eq!(read_back(&yaml)["root"], v, "{yaml}");
    }

    #[test]
    fn literal_blocks_are_used_for_multiline_text() {
        let yaml = block(&json!({"config.toml": "a = 1\nb = 2\n"}), 0);
        assert_eq!(yaml, "config.toml: |\n  a = 1\n  b = 2");
    }
}
