//! The rule registry (`src/rules.rs`) is the list of rules; this proves each entry true:
//! - its firing case's snapshot shows `error[id]` or `warning[id]`, or its named test
//!   exists and names the rule; only rules documented as internal have neither;
//! - its valid neighbour case under `tests/cases` renders without it;
//! - its bad example fires exactly that rule and its fix validates cleanly;
//! - the README's rule table is the registry's.

use std::path::{Path, PathBuf};

use gen_agents::diag::{self, Diagnostics, Format};
use gen_agents::rules::{markdown_table, Example, Fires, Rule};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Validates `inputs` as `gen-agents validate` does (every stage, `no-agents` included).
fn validate(inputs: &[String]) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let fleet = gen_agents::load_fleet(inputs, &[], &mut diags).expect("readable inputs");
    gen_agents::check_fleet(&fleet, &mut diags);
    fleet.require_agents(inputs, &mut diags);
    diags
}

/// The text of `fn name` in `text`, up to the next top-level or test item.
fn function<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text.find(&format!("fn {name}("))?;
    let rest = &text[start..];
    let end = rest[1..]
        .find("\n    #[test]")
        .or_else(|| rest[1..].find("\n#[test]"));
    Some(end.map_or(rest, |e| &rest[..=e]))
}

#[test]
fn every_rule_fires_somewhere_and_has_a_passing_neighbour() {
    let mut problems = Vec::new();
    for &rule in Rule::ALL {
        let doc = rule.doc();
        let id = doc.id;
        match doc.fires {
            Fires::Case(case) => {
                let input = root().join(format!("tests/cases/{case}.yaml"));
                let snap = root().join(format!("snapshots/cases@{case}.yaml.snap"));
                if !case.starts_with("err_") || !input.exists() {
                    problems.push(format!(
                        "{id}: no case tests/cases/{case}.yaml (an err_ case)"
                    ));
                } else if !snap.exists() {
                    problems.push(format!("{id}: no snapshot for {case}"));
                } else {
                    let text = read(&snap);
                    if !text.contains(&format!("error[{id}]"))
                        && !text.contains(&format!("warning[{id}]"))
                    {
                        problems.push(format!("{id}: {case}'s snapshot does not show it"));
                    }
                }
            }
            Fires::Test { file, name } => match function(&read(&root().join(file)), name) {
                None => problems.push(format!("{id}: no fn {name} in {file}")),
                Some(body) => {
                    let named = [
                        format!("[{id}]"),
                        format!("\"{id}\""),
                        format!("Rule::{rule:?}"),
                    ];
                    if !named.iter().any(|n| body.contains(n.as_str())) {
                        problems.push(format!("{id}: fn {name} in {file} does not name the rule"));
                    }
                }
            },
            Fires::Internal(why) => assert!(!why.is_empty(), "{id}: say why nothing fires it"),
        }
        let neighbour = doc.neighbour;
        let path = format!("tests/cases/{neighbour}.yaml");
        if neighbour.starts_with("err_") || !root().join(&path).exists() {
            problems.push(format!("{id}: the neighbour {path} is not a valid case"));
            continue;
        }
        let input = root().join(&path).to_string_lossy().into_owned();
        let diags = validate(&[input]).sorted();
        if diags.iter().any(|d| d.rule == rule) {
            problems.push(format!("{id}: fires on its neighbour {path}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn only_documented_internal_rules_have_no_firing_input() {
    let internal: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| matches!(r.doc().fires, Fires::Internal(_)))
        .map(|r| r.id())
        .collect();
    assert_eq!(internal, ["schema", "internal"]);
}

fn example_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rule-examples");
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn bad_examples_fire_exactly_their_rule_and_fixes_validate() {
    let dir = example_dir();
    let mut problems = Vec::new();
    let mut checked = 0;
    for &rule in Rule::ALL {
        let doc = rule.doc();
        for (which, example) in [("bad", doc.bad), ("fix", doc.fix)] {
            let Some(text) = example.document() else {
                continue;
            };
            let path = dir.join(format!("{}-{which}.yaml", doc.id));
            std::fs::write(&path, &text).expect("write example");
            let diags = validate(&[path.to_string_lossy().into_owned()]).sorted();
            let ok = match which {
                "bad" => !diags.is_empty() && diags.iter().all(|d| d.rule == rule),
                _ => diags.is_empty(),
            };
            if !ok {
                problems.push(format!(
                    "{} {which} example:\n{text}gave:\n{}",
                    doc.id,
                    diag::render(&diags, Format::Human)
                ));
            }
            checked += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let shown = Rule::ALL
        .iter()
        .filter(|r| matches!(r.doc().bad, Example::Shown(_)))
        .count();
    assert_eq!(
        checked,
        2 * (Rule::ALL.len() - shown),
        "a rule mixes a shown and a checked example"
    );
}

#[test]
fn ids_are_unique_kebab_case_and_documented() {
    let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    for (r, id) in Rule::ALL.iter().zip(&ids) {
        assert_eq!(Rule::from_id(id), Some(*r));
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{id}"
        );
        let doc = r.doc();
        assert!(!doc.summary.is_empty() && !doc.why.is_empty(), "{id}");
        assert!(!doc.summary.contains('\n'), "{id}: the summary is one line");
    }
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate rule ids");
}

#[test]
fn readme_rule_table_is_the_registry() {
    let readme = read(&root().join("README.md"));
    let begin = "<!-- rules:begin -->\n";
    let end = "<!-- rules:end -->";
    let start = readme.find(begin).expect("README has <!-- rules:begin -->") + begin.len();
    let stop = readme[start..]
        .find(end)
        .expect("README has <!-- rules:end -->")
        + start;
    assert!(
        readme[start..stop] == markdown_table(),
        "the README's rule table is stale: replace it with `gen-agents rules --markdown`"
    );
}
