//! Every rule id the source can emit fires somewhere: in a `tests/cases/err_*.yaml` case (its
//! snapshot shows `error[id]` or `warning[id]`) or in a test that names the id. The ids are
//! read from the source (`Diagnostic::error("id"`, `Diagnostic::warning("id"`,
//! `.fatal("id"`, `rule: "id"`), so a new rule without a test fails here.

use std::path::{Path, PathBuf};

/// Ids that no input can make fire, each with the reason: they report a gen-agents bug.
const UNREACHABLE: &[(&str, &str)] = &[(
    "internal",
    "resolve: the merge of layers that each passed the schema does not deserialize",
)];

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The string literal right after each `prefix` (whitespace between allowed).
fn ids_after(text: &str, prefix: &str, out: &mut Vec<String>) {
    for (at, _) in text.match_indices(prefix) {
        let rest = text[at + prefix.len()..].trim_start();
        let Some(rest) = rest.strip_prefix('"') else {
            continue;
        };
        let Some(end) = rest.find('"') else { continue };
        let id = &rest[..end];
        if !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            out.push(id.to_owned());
        }
    }
}

/// The code of a source file without its `#[cfg(test)]` module.
fn non_test(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

#[test]
fn every_rule_id_has_a_firing_case_or_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    files(&root.join("src"), "rs", &mut sources);
    let mut ids = Vec::new();
    let mut test_text = String::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).expect("utf-8 source");
        if path.ends_with("write/tests.rs") {
            test_text.push_str(&text);
            continue;
        }
        let code = non_test(&text);
        for prefix in [
            "Diagnostic::error(",
            "Diagnostic::warning(",
            ".fatal(",
            "rule: ",
        ] {
            ids_after(code, prefix, &mut ids);
        }
        test_text.push_str(&text[code.len()..]);
    }
    ids.sort();
    ids.dedup();
    assert!(
        ids.len() >= 30,
        "found only {} rule ids: {ids:?}",
        ids.len()
    );

    let mut tests = Vec::new();
    files(&root.join("tests"), "rs", &mut tests);
    for path in tests {
        test_text.push_str(&std::fs::read_to_string(path).expect("utf-8 test"));
    }
    let mut snapshots = String::new();
    for entry in std::fs::read_dir(root.join("snapshots"))
        .expect("snapshots")
        .flatten()
    {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("cases@err_")
        {
            snapshots.push_str(&std::fs::read_to_string(entry.path()).expect("snapshot"));
        }
    }
    let unfired: Vec<_> = ids
        .iter()
        .filter(|id| !UNREACHABLE.iter().any(|(u, _)| u == id))
        .filter(|id| {
            let shown = [format!("error[{id}]"), format!("warning[{id}]")];
            let named = [format!("\"{id}\""), format!("[{id}]")];
            !shown.iter().any(|s| snapshots.contains(s))
                && !named.iter().any(|s| test_text.contains(s))
        })
        .collect();
    assert!(
        unfired.is_empty(),
        "rule ids with no err_ case and no test: {unfired:?}; add tests/cases/err_<name>.yaml or a unit test"
    );
}
