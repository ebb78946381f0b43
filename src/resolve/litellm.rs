//! The LiteLLM proxy's model list, read from its `config.yaml`, to cross-check every
//! agent's model alias before a pod calls it (incident 5 in the README: an alias that
//! exists but does not fit the runtime's wire API fails only at request time, upstream).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::load::yaml::{read_documents, Value};
use crate::load::{LoadError, Source};
use crate::rules::Rule;

/// `model_list[].model_name` → `litellm_params.model`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelList {
    /// The config file, for messages.
    pub file: Arc<str>,
    /// Alias → provider model.
    pub models: BTreeMap<String, String>,
}

/// Reads the model list of a LiteLLM proxy config. Problems with the file's shape are
/// diagnostics; an unreadable path is an error.
pub fn load(path: &str, diags: &mut Diagnostics) -> Result<Option<ModelList>, LoadError> {
    let sources = crate::load::load_sources(&[path.to_owned()], diags)?;
    Ok(sources.first().and_then(|s| parse(s, diags)))
}

fn parse(source: &Source, diags: &mut Diagnostics) -> Option<ModelList> {
    let file = &source.name;
    let docs = read_documents(file, &source.text, diags);
    let root = docs.first().map(|d| &d.root)?;
    let bad = |pos, what: &str| {
        Diagnostic::error(Rule::LitellmConfig, Location::at(file, pos), format!("not a LiteLLM proxy config: {what}"))
            .with_help("pass the proxy's config.yaml, with `model_list: [{model_name: ..., litellm_params: {model: ...}}]`")
    };
    let Some(Value::Seq(entries)) = root.get("model_list").map(|n| &n.value) else {
        diags.push(bad(root.pos, "it has no `model_list` list"));
        return None;
    };
    let mut models = BTreeMap::new();
    for e in entries {
        let name = e.get("model_name").and_then(|n| n.as_str());
        let target = e
            .get("litellm_params")
            .and_then(|p| p.get("model"))
            .and_then(|n| n.as_str());
        match (name, target) {
            (Some(n), Some(t)) => {
                models.insert(n.to_owned(), t.to_owned());
            }
            _ => diags.push(bad(
                e.pos,
                "an entry lacks `model_name` or `litellm_params.model`",
            )),
        }
    }
    Some(ModelList {
        file: Arc::clone(file),
        models,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Option<ModelList>, Diagnostics) {
        let mut d = Diagnostics::default();
        let s = Source {
            name: Arc::from("litellm.yaml"),
            text: Arc::from(text),
        };
        (parse(&s, &mut d), d)
    }

    #[test]
    fn reads_aliases_and_their_targets() {
        let (list, d) = read("model_list:\n  - model_name: codex-cli/gpt-5.4\n    litellm_params: {model: chatgpt/gpt-5.4}\n");
        assert!(d.is_empty());
        assert_eq!(list.unwrap().models["codex-cli/gpt-5.4"], "chatgpt/gpt-5.4");
    }

    #[test]
    fn a_file_without_model_list_is_reported() {
        let (list, d) = read("general_settings: {}\n");
        assert!(list.is_none());
        assert_eq!(d.sorted()[0].rule, Rule::LitellmConfig);
    }
}
