//! Load: turn the paths on the command line into named texts, then into YAML documents.
//!
//! Accepts files, directories (every `*.yaml`/`*.yml` below them, sorted), glob patterns and
//! `-` for standard input. The order of sources never changes the output (render sorts agents
//! by name), but it is kept stable so diagnostics come out in a predictable order.

pub mod yaml;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Location, Pos};
use crate::rules::Rule;

pub use yaml::{Document, Node};

/// Files larger than this are refused: a fleet of 10,000 agents is about 8 MiB.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A text to read specs from, with the name diagnostics use for it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as given (or as found under a given directory); `-` for stdin.
    pub name: Arc<str>,
    /// The whole text.
    pub text: Arc<str>,
}

/// A run of whole YAML documents inside a source: the unit of parallel work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Byte range in the source text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// How many lines precede the chunk in the source.
    pub line_offset: u32,
}

/// Cuts `text` before every document-start marker line (`---` at column 1), so the
/// documents of a large fleet file can be parsed in parallel. YAML forbids such a line
/// inside a scalar, so no document is cut in two; a stream with directives (`%YAML`) is
/// left whole.
pub fn split_documents(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let (mut start, mut start_line, mut line) = (0usize, 0u32, 0u32);
    let mut offset = 0usize;
    for l in text.split_inclusive('\n') {
        if l.starts_with('%') {
            return vec![Chunk {
                start: 0,
                end: text.len(),
                line_offset: 0,
            }];
        }
        let marker = l
            .strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']));
        if marker && offset > start {
            chunks.push(Chunk {
                start,
                end: offset,
                line_offset: start_line,
            });
            start = offset;
            start_line = line;
        }
        offset += l.len();
        line += yaml_line_breaks(l);
    }
    if offset > start || chunks.is_empty() {
        chunks.push(Chunk {
            start,
            end: text.len(),
            line_offset: start_line,
        });
    }
    chunks
}

/// How many line breaks YAML sees in `text`: CR LF, LF and a lone CR each end a line, so
/// positions after a chunk boundary count lines as saphyr does inside a chunk (a lone CR
/// once shifted every later document by a line; found by fuzzing).
fn yaml_line_breaks(text: &str) -> u32 {
    let lf = text.matches('\n').count();
    let lone_cr = text.matches('\r').count() - text.matches("\r\n").count();
    u32::try_from(lf + lone_cr).unwrap_or(u32::MAX)
}

/// A problem that stops the run before any input is judged (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A path that does not exist or cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A glob pattern that is not valid or matches nothing.
    #[error("{0}")]
    Pattern(String),
    /// A bug in gen-agents (its own schema does not compile).
    #[error("{0}")]
    Internal(String),
}

/// Expands `inputs` into sources. Unreadable paths are errors (exit 2); content problems
/// (too large, not UTF-8) are diagnostics, so they are reported with every other finding.
pub fn load_sources(inputs: &[String], diags: &mut Diagnostics) -> Result<Vec<Source>, LoadError> {
    let mut sources = Vec::new();
    for input in inputs {
        if input == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| LoadError::Io {
                    path: "-".into(),
                    source,
                })?;
            push_source(&mut sources, Arc::from("-"), bytes, diags);
            continue;
        }
        for path in expand(input)? {
            let bytes = read_limited(&path)?;
            push_source(&mut sources, Arc::from(display(&path)), bytes, diags);
        }
    }
    Ok(sources)
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn push_source(sources: &mut Vec<Source>, name: Arc<str>, bytes: Vec<u8>, diags: &mut Diagnostics) {
    push_source_limited(sources, name, bytes, MAX_FILE_BYTES, diags);
}

/// [`push_source`] with the size limit as a parameter, so tests can exercise the real check
/// with a small limit instead of writing 64 MiB.
fn push_source_limited(
    sources: &mut Vec<Source>,
    name: Arc<str>,
    bytes: Vec<u8>,
    limit: u64,
    diags: &mut Diagnostics,
) {
    if bytes.len() as u64 > limit {
        diags.push(
            Diagnostic::error(
                Rule::InputTooLarge,
                Location::file(&name),
                format!("the file is larger than {}", size_text(limit)),
            )
            .with_help("split the fleet into several files"),
        );
        return;
    }
    match String::from_utf8(bytes) {
        Ok(text) => sources.push(Source {
            name,
            text: Arc::from(text),
        }),
        Err(e) => diags.push(encoding_error(&name, e.as_bytes(), e.utf8_error())),
    }
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / 1024 / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Locates an invalid UTF-8 sequence at its first byte: the line, and the column counted in
/// characters of the valid text before it on that line (as every other diagnostic counts).
fn encoding_error(name: &Arc<str>, bytes: &[u8], e: std::str::Utf8Error) -> Diagnostic {
    let at = e.valid_up_to();
    let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let line_start = valid.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let pos = Pos {
        line: yaml_line_breaks(valid).saturating_add(1),
        column: u32::try_from(valid[line_start..].chars().count() + 1).unwrap_or(u32::MAX),
    };
    let byte = bytes.get(at).copied().unwrap_or_default();
    let what = match e.error_len() {
        Some(_) => format!("byte 0x{byte:02X} is not valid UTF-8"),
        None => format!("the file ends inside a UTF-8 sequence (byte 0x{byte:02X} starts it)"),
    };
    let help = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        "the file starts with a UTF-16 byte-order mark: save it as UTF-8"
    } else {
        "save the file as UTF-8 (this byte looks like Latin-1 or another legacy encoding)"
    };
    Diagnostic::error(
        Rule::InputEncoding,
        Location::at(name, pos),
        format!("the file is not UTF-8 text: {what}"),
    )
    .with_help(help)
}

fn read_limited(path: &Path) -> Result<Vec<u8>, LoadError> {
    read_at_most(path, MAX_FILE_BYTES)
}

/// Reads at most `limit + 1` bytes, so a larger file is noticed without reading all of it.
fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    let io = |source| LoadError::Io {
        path: display(path),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// One command-line input as a sorted list of files.
fn expand(input: &str) -> Result<Vec<PathBuf>, LoadError> {
    let path = Path::new(input);
    if path.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files)?;
        files.sort();
        return Ok(files);
    }
    if !path.exists() && input.contains(['*', '?', '[']) {
        let paths = glob::glob(input).map_err(|e| LoadError::Pattern(format!("{input}: {e}")))?;
        let mut files: Vec<PathBuf> = paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        if files.is_empty() {
            return Err(LoadError::Pattern(format!(
                "{input}: the pattern matches no file"
            )));
        }
        files.sort();
        return Ok(files);
    }
    Ok(vec![path.to_path_buf()])
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: display(dir),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_recursively_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for f in ["b.yaml", "a.yml", "sub/c.yaml", "notes.txt"] {
            std::fs::write(dir.path().join(f), "x: 1\n").unwrap();
        }
        let files = expand(dir.path().to_str().unwrap()).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| {
                p.strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.yml", "b.yaml", "sub/c.yaml"]);
    }

    #[test]
    fn chunk_offsets_count_a_lone_cr_as_a_line_break_as_yaml_does() {
        let chunks = split_documents("a: 1 # x\ry\r\n---\nb: 2\n");
        assert_eq!(chunks[1].line_offset, 2);
        assert_eq!(yaml_line_breaks("a\r\nb\rc\n"), 3);
    }

    #[test]
    fn documents_are_split_at_markers_only() {
        let text = "a: 1\n---\nb: |\n  ---x\n--- # c\nc: 3\n";
        let chunks = split_documents(text);
        let parts: Vec<_> = chunks
            .iter()
            .map(|c| (&text[c.start..c.end], c.line_offset))
            .collect();
        assert_eq!(
            parts,
            [
                ("a: 1\n", 0),
                ("---\nb: |\n  ---x\n", 1),
                ("--- # c\nc: 3\n", 4)
            ]
        );
        assert_eq!(
            split_documents("%YAML 1.2\n---\na: 1\n---\nb: 2\n").len(),
            1
        );
        assert_eq!(split_documents("").len(), 1);
    }

    #[test]
    fn positions_in_a_chunk_count_from_the_top_of_the_file() {
        let text = "a: 1\n---\nb: [\n";
        let file: Arc<str> = Arc::from("f");
        let mut d = Diagnostics::default();
        let c = split_documents(text)[1];
        yaml::read_documents_at(&file, &text[c.start..c.end], c.line_offset, &mut d);
        assert_eq!(d.sorted()[0].location.pos.unwrap().line, 4);
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let mut d = Diagnostics::default();
        let err = load_sources(&["/nonexistent/x.yaml".into()], &mut d).unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/x.yaml: "));
    }

    #[test]
    fn a_glob_that_matches_nothing_is_an_error() {
        assert!(matches!(
            expand("/nonexistent/*.yaml"),
            Err(LoadError::Pattern(_))
        ));
    }

    fn encoding_diag(bytes: &[u8]) -> Diagnostic {
        let mut d = Diagnostics::default();
        let mut s = Vec::new();
        push_source(&mut s, Arc::from("x"), bytes.to_vec(), &mut d);
        assert!(s.is_empty());
        d.sorted().remove(0)
    }

    #[test]
    fn non_utf8_is_a_diagnostic() {
        let d = encoding_diag(&[0xff, 0xfe]);
        assert_eq!(d.rule, Rule::InputEncoding);
        assert_eq!(d.location.pos, Some(Pos { line: 1, column: 1 }));
        assert!(d.message.contains("0xFF"), "{}", d.message);
        assert!(d.help.as_deref().unwrap_or("").contains("UTF-16"), "{d:?}");
    }

    #[test]
    fn an_encoding_error_is_located_at_its_first_invalid_byte() {
        // Line 3; the valid prefix of that line is `é: "`, four characters (five bytes).
        let d = encoding_diag(
            "a: 1\nb: 2\né: \""
                .bytes()
                .chain(*b"\xe9t\xe9\"\n")
                .collect::<Vec<_>>()
                .as_slice(),
        );
        assert_eq!(d.location.pos, Some(Pos { line: 3, column: 5 }));
        assert!(
            d.message.contains("byte 0xE9 is not valid UTF-8"),
            "{}",
            d.message
        );
        assert!(d.help.as_deref().unwrap_or("").contains("Latin-1"), "{d:?}");
    }

    #[test]
    fn a_file_that_ends_inside_a_sequence_says_so() {
        let d = encoding_diag(b"a: \xe2\x82");
        assert_eq!(d.location.pos, Some(Pos { line: 1, column: 4 }));
        assert!(
            d.message
                .contains("ends inside a UTF-8 sequence (byte 0xE2"),
            "{}",
            d.message
        );
    }

    #[test]
    fn valid_utf8_is_a_source() {
        let mut d = Diagnostics::default();
        let mut s = Vec::new();
        push_source(&mut s, Arc::from("x"), "é: 1\n".into(), &mut d);
        assert_eq!(s.len(), 1);
        assert!(!d.has_errors());
    }

    #[test]
    fn a_file_over_the_limit_is_refused_and_one_at_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        for (size, refused) in [(16, false), (17, true), (4096, true)] {
            std::fs::write(&path, "#".repeat(size)).unwrap();
            let bytes = read_at_most(&path, 16).unwrap();
            assert!(bytes.len() <= 17, "read {} bytes", bytes.len());
            let mut d = Diagnostics::default();
            let mut s = Vec::new();
            push_source_limited(&mut s, Arc::from("big.yaml"), bytes, 16, &mut d);
            let found = d.sorted();
            let rules: Vec<_> = found.iter().map(|d| d.rule).collect();
            if refused {
                assert_eq!(rules, [Rule::InputTooLarge], "size {size}");
                assert!(s.is_empty());
                assert_eq!(found[0].message, "the file is larger than 16 bytes");
            } else {
                assert!(rules.is_empty(), "size {size}: {rules:?}");
                assert_eq!(s.len(), 1);
            }
        }
    }

    #[test]
    fn the_real_limit_is_64_mib() {
        assert_eq!(size_text(MAX_FILE_BYTES), "64 MiB");
    }
}
