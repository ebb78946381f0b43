//! Diagnostics: every problem found in a run, located as `file:line:column`, rendered for
//! people (`human`), machines (`json`), GitHub Actions annotations (`github`) or SARIF 2.1.0
//! for code scanning (`sarif`).
//!
//! Stages never stop at the first problem: they push [`Diagnostic`]s into a [`Diagnostics`]
//! list and the caller decides, once the stage is done, whether anything may be written.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde::Serialize;

use crate::rules::Rule;

pub mod sarif;

/// A position in a source file: 1-based line and 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

/// Where a diagnostic points: a file and, when known, a position in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file as the user named it (`-` is standard input).
    pub file: Arc<str>,
    /// The position, if the problem is inside the file's text.
    pub pos: Option<Pos>,
}

impl Location {
    /// A location inside `file` at `pos`.
    pub fn at(file: &Arc<str>, pos: Pos) -> Self {
        Location {
            file: Arc::clone(file),
            pos: Some(pos),
        }
    }

    /// A location naming a whole file (I/O errors, size limits).
    pub fn file(file: &Arc<str>) -> Self {
        Location {
            file: Arc::clone(file),
            pos: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}", self.file, p.line, p.column),
            None => write!(f, "{}", self.file),
        }
    }
}

/// How bad a diagnostic is. Only errors make a run fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input is invalid; nothing is written and the exit code is 1.
    Error,
    /// Worth a look; the run still succeeds.
    Warning,
}

/// One problem, located, with the rule that found it and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// Error or warning.
    pub severity: Severity,
    /// The rule that fired; outputs print its stable id ([`Rule::id`]), e.g. `schema-unknown-key`.
    pub rule: Rule,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The JSON pointer of the offending value inside its document (`/spec/replicas`), when
    /// the stage that found it knows one; SARIF fingerprints use it so they survive edits
    /// that only move lines.
    pub pointer: Option<String>,
}

impl Diagnostic {
    /// An error found by `rule` at `location`.
    pub fn error(rule: Rule, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            location,
            severity: Severity::Error,
            rule,
            message: message.into(),
            help: None,
            pointer: None,
        }
    }

    /// A warning found by `rule` at `location`.
    pub fn warning(rule: Rule, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(rule, location, message)
        }
    }

    /// Adds the line that tells the user how to fix the problem.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Records the JSON pointer of the offending value.
    #[must_use]
    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    fn sort_key(&self) -> (&str, Pos, Severity, &'static str, &str) {
        (
            &self.location.file,
            self.location.pos.unwrap_or_default(),
            self.severity,
            self.rule.id(),
            &self.message,
        )
    }
}

/// All diagnostics of a run, in the order they were found until [`Diagnostics::sorted`].
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Records one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Moves every diagnostic of `other` into `self`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// How many diagnostics were recorded so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Sets `pointer` on every diagnostic recorded since [`Diagnostics::len`] was `start`
    /// that has none yet.
    pub fn point_since(&mut self, start: usize, pointer: &str) {
        for d in self.0.iter_mut().skip(start) {
            if d.pointer.is_none() {
                d.pointer = Some(pointer.to_owned());
            }
        }
    }

    /// True when there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics sorted by file, position, severity and rule, without exact duplicates.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.0.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.0.dedup();
        self.0
    }
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `file:line:col: error[rule]: message` plus an indented `help:` line.
    Human,
    /// One JSON array of objects with file, line, column, severity, rule, message, help.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
    /// One SARIF 2.1.0 log (GitHub code scanning), see [`sarif`].
    Sarif,
}

/// Renders `diags` (already sorted) in `format`, ending with a newline when not empty.
pub fn render(diags: &[Diagnostic], format: Format) -> String {
    match format {
        Format::Human => render_human(diags),
        Format::Json => render_json(diags),
        Format::Github => render_github(diags),
        Format::Sarif => sarif::render(diags),
    }
}

fn render_human(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{}: {sev}[{}]: {}", d.location, d.rule.id(), d.message);
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  help: {help}");
        }
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    if !diags.is_empty() {
        let _ = writeln!(out, "{errors} error(s), {warnings} warning(s)");
    }
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    severity: Severity,
    rule: &'a str,
    message: &'a str,
    help: Option<&'a str>,
}

fn render_json(diags: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diags
        .iter()
        .map(|d| JsonDiagnostic {
            file: &d.location.file,
            line: d.location.pos.map(|p| p.line),
            column: d.location.pos.map(|p| p.column),
            severity: d.severity,
            rule: d.rule.id(),
            message: &d.message,
            help: d.help.as_deref(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}

/// Escapes a workflow-command property or message as the GitHub runner expects.
fn github_escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

fn render_github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = format!("file={}", github_escape(&d.location.file, true));
        if let Some(p) = d.location.pos {
            let _ = write!(props, ",line={},col={}", p.line, p.column);
        }
        let _ = write!(props, ",title={}", github_escape(d.rule.id(), true));
        let mut msg = d.message.clone();
        if let Some(help) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(help);
        }
        let _ = writeln!(out, "::{cmd} {props}::{}", github_escape(&msg, false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(file: &str, line: u32, rule: Rule) -> Diagnostic {
        let f: Arc<str> = Arc::from(file);
        Diagnostic::error(rule, Location::at(&f, Pos { line, column: 3 }), "bad")
            .with_help("fix it")
    }

    #[test]
    fn sorted_by_file_then_position_and_deduplicated() {
        let mut ds = Diagnostics::default();
        ds.push(diag("b.yaml", 1, Rule::Url));
        ds.push(diag("a.yaml", 9, Rule::Url));
        ds.push(diag("a.yaml", 2, Rule::Url));
        ds.push(diag("a.yaml", 2, Rule::Url));
        let got: Vec<String> = ds.sorted().iter().map(|d| d.location.to_string()).collect();
        assert_eq!(got, ["a.yaml:2:3", "a.yaml:9:3", "b.yaml:1:3"]);
    }

    #[test]
    fn human_format_has_location_rule_and_help() {
        let s = render(&[diag("a.yaml", 2, Rule::GitRef)], Format::Human);
        assert_eq!(
            s,
            "a.yaml:2:3: error[git-ref]: bad\n  help: fix it\n1 error(s), 0 warning(s)\n"
        );
    }

    #[test]
    fn github_format_escapes_newlines_and_property_separators() {
        let s = render(&[diag("dir,x/a:b.yaml", 2, Rule::GitRef)], Format::Github);
        assert_eq!(
            s,
            "::error file=dir%2Cx/a%3Ab.yaml,line=2,col=3,title=git-ref::bad%0Ahelp: fix it\n"
        );
    }

    #[test]
    fn json_format_is_parseable() {
        let s = render(&[diag("a.yaml", 2, Rule::GitRef)], Format::Json);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v[0]["line"], 2);
        assert_eq!(v[0]["rule"], "git-ref");
    }
}
