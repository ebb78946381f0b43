//! Semantic rules: what a JSON Schema cannot say. One rule, one function, one id; each is
//! tested below with an input that makes it fire and its valid neighbour.
//!
//! Rules here look at one document at a time (its typed spec plus the YAML tree for
//! positions). Rules that need the layered result (defaults applied) live in `resolve`.

use std::collections::BTreeMap;
use std::sync::Arc;

use std::fmt::Write as _;

use crate::diag::{Diagnostic, Diagnostics, Location, Pos};
use crate::load::yaml::Value as YamlValue;
use crate::load::Node;
use crate::rules::Rule;
use crate::spec::{AgentSpec, EnvValue};

/// What every document rule sees.
pub struct Ctx<'a> {
    /// The file the document is in.
    pub file: &'a Arc<str>,
    /// The document's YAML tree, for positions.
    pub root: &'a Node,
}

impl Ctx<'_> {
    fn at(&self, pointer: &str) -> Location {
        Location::at(self.file, self.root.locate(pointer))
    }

    /// The position of a value itself (not its key).
    fn value_at(&self, pointer: &str) -> Location {
        Location::at(
            self.file,
            self.root.find(pointer).map_or(self.root.pos, |n| n.pos),
        )
    }
}

/// Runs every single-document rule on an agent's name.
pub fn check_agent_name(ctx: &Ctx<'_>, name: &str, diags: &mut Diagnostics) {
    if let Err(why) = dns_label(name) {
        diags.push(
            Diagnostic::error(
                Rule::AgentName,
                ctx.value_at("/metadata/name"),
                format!("agent name `{name}` is not a DNS-1123 label: {why}"),
            )
            .with_help("use lowercase letters, digits and `-`, starting and ending with a letter or digit, e.g. `cody` or `review-bot-2`"),
        );
    }
}

/// Rules `label-reserved` (not the keys gen-agents sets itself: `app`, `agent`: the
/// Deployment selector must never change; `gen-agents.dev/...`: the runtime ConfigMaps'
/// `gen-agents.dev/agent` finds an agent's config versions) and `label` (keys and values the
/// API server accepts).
pub fn check_labels(ctx: &Ctx<'_>, labels: &BTreeMap<String, String>, diags: &mut Diagnostics) {
    for (key, value) in labels {
        let pointer = format!("/metadata/labels/{}", escape(key));
        if key == "app" || key == "agent" || key.starts_with("gen-agents.dev/") {
            let why = if key.contains('/') {
                "it finds the agent's runtime ConfigMaps"
            } else {
                "it selects the agent's pods"
            };
            diags.push(
                Diagnostic::error(
                    Rule::LabelReserved,
                    ctx.at(&pointer),
                    format!("label `{key}` is set by gen-agents ({why})"),
                )
                .with_help("use another key, e.g. `team`"),
            );
        } else if let Err(why) = label_key(key) {
            diags.push(
                Diagnostic::error(
                    Rule::Label,
                    ctx.at(&pointer),
                    format!("`{}` is not a valid label key: {why}", clip(key)),
                )
                .with_help("use `name` or `prefix/name`, e.g. `team` or `example.com/team`"),
            );
        } else if !is_label_value(value) {
            diags.push(
                Diagnostic::error(Rule::Label, ctx.value_at(&pointer), format!("`{}` is not a valid label value", clip(value)))
                    .with_help("use at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"),
            );
        }
    }
}

fn label_key(key: &str) -> Result<(), &'static str> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        dns_subdomain(p)?;
    }
    if name.is_empty() || !is_label_value(name) {
        return Err("the name part must be 1-63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit");
    }
    Ok(())
}

fn is_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
}

/// Runs every single-document rule on a spec (of an Agent or a Defaults document).
pub fn check_spec(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    check_replicas(ctx, spec, diags);
    check_quantities(ctx, spec, diags);
    check_version_pins(ctx, spec, diags);
    check_urls(ctx, spec, diags);
    check_git_ref(ctx, spec, diags);
    check_mcp_env_names(ctx, spec, diags);
    check_env_names(ctx, spec, diags);
    check_secret_names(ctx, spec, diags);
    check_key_durations(ctx, spec, diags);
    check_key_metadata(ctx, spec, diags);
}

/// Rule `key-duration`: LiteLLM parses a key's durations only when it mints the key, so a
/// malformed one fails far from the spec (or, as `30days`, is read as `30d` by a loose
/// regex). Accepted: what LiteLLM's `duration_in_seconds` understands, strictly.
fn check_key_durations(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let Some(key) = spec.litellm.as_ref().and_then(|l| l.key.as_ref()) else {
        return;
    };
    for (field, value) in [
        ("budgetDuration", &key.budget_duration),
        ("duration", &key.duration),
    ] {
        let Some(v) = value else { continue };
        if !is_litellm_duration(v) {
            diags.push(
                Diagnostic::error(
                    Rule::KeyDuration,
                    ctx.value_at(&format!("/spec/litellm/key/{field}")),
                    format!("`{}` is not a LiteLLM duration", clip(v)),
                )
                .with_help("write a positive whole number and a unit: `s`, `m` (minutes), `h`, `d`, `w` or `mo` (months), e.g. `30d`"),
            );
        }
    }
}

/// `<digits><unit>`, the number positive, the unit one of LiteLLM's.
pub fn is_litellm_duration(v: &str) -> bool {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = v.split_at(digits);
    !number.is_empty()
        && number.bytes().any(|b| b != b'0')
        && ["s", "m", "h", "d", "w", "mo"].contains(&unit)
}

/// Rule `key-metadata-reserved`: the metadata gen-agents sets on a key says which fleet
/// manages it; a spec may not set those entries.
fn check_key_metadata(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let Some(meta) = spec
        .litellm
        .as_ref()
        .and_then(|l| l.key.as_ref())
        .and_then(|k| k.metadata.as_ref())
    else {
        return;
    };
    for name in meta
        .keys()
        .filter(|k| crate::render::keys::RESERVED_METADATA.contains(&k.as_str()))
    {
        diags.push(
            Diagnostic::error(
                Rule::KeyMetadataReserved,
                ctx.at(&format!("/spec/litellm/key/metadata/{}", escape(name))),
                format!("key metadata `{name}` is set by gen-agents itself"),
            )
            .with_help("use another name; gen-agents sets `managed-by`, `fleet`, `agents`, `runtimes`, `policy-hash`, `duration` and `rotated-out`"),
        );
    }
}

/// Rule `replicas`: a Deployment cannot have a negative number of pods.
fn check_replicas(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    if let Some(r) = spec.replicas {
        if !(0..=1000).contains(&r) {
            diags.push(
                Diagnostic::error(
                    Rule::Replicas,
                    ctx.value_at("/spec/replicas"),
                    format!("replicas is {r}; it must be between 0 and 1000"),
                )
                .with_help("use 0 to park the agent, 1 to run it"),
            );
        }
    }
}

/// Rule `quantity`: storage and resources must be Kubernetes quantities, or the API server
/// rejects the manifest at deploy time.
fn check_quantities(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let mut fields: Vec<(String, &str)> = Vec::new();
    if let Some(s) = &spec.storage {
        fields.push(("/spec/storage".into(), s));
    }
    if let Some(r) = &spec.resources {
        for (which, list) in [("requests", &r.requests), ("limits", &r.limits)] {
            let Some(list) = list else { continue };
            for (res, v) in [("cpu", &list.cpu), ("memory", &list.memory)] {
                if let Some(v) = v {
                    fields.push((format!("/spec/resources/{which}/{res}"), v));
                }
            }
        }
    }
    for (pointer, value) in fields {
        if let Err(why) = parse_quantity(value) {
            diags.push(
                Diagnostic::error(
                    Rule::Quantity,
                    ctx.value_at(&pointer),
                    format!("`{value}` is not a Kubernetes quantity: {why}"),
                )
                .with_help(
                    "write a number with an optional suffix, e.g. `1Gi`, `512Mi`, `500m`, `2`",
                ),
            );
        }
    }
}

/// Rule `version-pin`: pins are exact semantic versions. A typo or a range installs
/// something else, and `helm lint` accepts any string (see incident 3 in the README).
fn check_version_pins(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let platform = spec
        .commonly_mcp_version
        .as_ref()
        .map(|v| ("/spec/commonlyMcpVersion".to_owned(), v));
    for (pointer, v) in platform
        .into_iter()
        .chain(crate::runtime::section_versions(spec))
    {
        if let Err(e) = semver::Version::parse(v) {
            diags.push(
                Diagnostic::error(Rule::VersionPin, ctx.value_at(&pointer), format!("`{v}` is not an exact semantic version: {e}"))
                    .with_help("pin an exact published version such as `0.169.0` (no `v`, no ranges); check it exists with `npm view <package>@<version>`"),
            );
        }
    }
}

/// Rule `url`: the platform API and LiteLLM base URLs are http(s) URLs with a host.
fn check_urls(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let litellm = spec.litellm.as_ref().and_then(|l| l.base_url.as_ref());
    for (pointer, value) in [
        ("/spec/apiUrl", spec.api_url.as_ref()),
        ("/spec/litellm/baseUrl", litellm),
    ] {
        let Some(v) = value else { continue };
        if let Err(why) = check_http_url(v) {
            diags.push(
                Diagnostic::error(
                    Rule::Url,
                    ctx.value_at(pointer),
                    format!("`{v}` is not a usable URL: {why}"),
                )
                .with_help(
                    "write an http:// or https:// URL with a host, e.g. `http://litellm:4000/v1`",
                ),
            );
        }
    }
}

/// Rule `git-ref`: the platform CLI ref is handed to `git clone --branch`; refuse anything
/// git would read as an option or that is not a plain ref name.
fn check_git_ref(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let Some(r) = &spec.commonly_cli_ref else {
        return;
    };
    let ok = !r.is_empty()
        && !r.starts_with(['-', '/', '.'])
        && !r.ends_with(['/', '.'])
        && !r.contains("..")
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    if !ok {
        diags.push(
            Diagnostic::error(Rule::GitRef, ctx.value_at("/spec/commonlyCliRef"), format!("`{r}` is not a plain git branch or tag name"))
                .with_help("use a branch or tag such as `main` or `v1.4.0` (letters, digits, `.`, `_`, `/`, `-`)"),
        );
    }
}

/// Rule `mcp-env-name`: an MCP server's `env` lists variable NAMES. A `NAME=value`, a
/// `$VAR` or a secret there would be written into the ConfigMap.
fn check_mcp_env_names(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let Some(servers) = &spec.mcp_servers else {
        return;
    };
    for (id, server) in servers {
        if !is_mcp_id(id) {
            diags.push(
                Diagnostic::error(Rule::McpServerId, ctx.at(&format!("/spec/mcpServers/{}", escape(id))), format!("MCP server id `{id}` is not a plain identifier"))
                    .with_help("use letters, digits, `_` and `-` (the id becomes the tool namespace and a TOML table name)"),
            );
        }
        for (i, name) in server.env.iter().enumerate() {
            if !is_env_name(name) {
                diags.push(
                    Diagnostic::error(
                        Rule::McpEnvName,
                        ctx.value_at(&format!("/spec/mcpServers/{}/env/{i}", escape(id))),
                        format!("MCP server `{id}` env entry `{}` is not an environment variable name", clip(name)),
                    )
                    .with_help("list NAMES only (e.g. `COMMONLY_AGENT_TOKEN`); the value comes from the pod env, set it under `spec.env` or from a Secret"),
                );
            }
        }
    }
}

/// Rules `env-name` (environment variable names Kubernetes and shells accept) and
/// `env-chart-prefix` (not the chart's `GEN_AGENTS_` prefix).
fn check_env_names(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let Some(env) = &spec.env else { return };
    for name in env.keys() {
        let at = ctx.at(&format!("/spec/env/{}", escape(name)));
        if !is_env_name(name) {
            diags.push(
                Diagnostic::error(
                    Rule::EnvName,
                    at,
                    format!("`{}` is not an environment variable name", clip(name)),
                )
                .with_help("use letters, digits and `_`, not starting with a digit"),
            );
        } else if name.starts_with("GEN_AGENTS_") {
            // The chart's boot step reads its own inputs from GEN_AGENTS_* variables.
            diags.push(
                Diagnostic::error(Rule::EnvChartPrefix, at, format!("`{name}` uses the `GEN_AGENTS_` prefix, which the chart reserves for its boot step"))
                    .with_help("rename the variable"),
            );
        }
    }
}

/// Rule `secret-name`: Secret names and keys the API server accepts.
fn check_secret_names(ctx: &Ctx<'_>, spec: &AgentSpec, diags: &mut Diagnostics) {
    let mut names: Vec<(String, &str)> = Vec::new();
    if let Some(s) = &spec.token_secret {
        names.push(("/spec/tokenSecret".into(), s));
    }
    if let Some(s) = spec.litellm.as_ref().and_then(|l| l.key_secret.as_ref()) {
        names.push(("/spec/litellm/keySecret".into(), s));
    }
    let empty = BTreeMap::new();
    for (var, value) in spec.env.as_ref().unwrap_or(&empty) {
        if let EnvValue::Secret(s) = value {
            let base = format!("/spec/env/{}/secretKeyRef", escape(var));
            names.push((format!("{base}/name"), &s.secret_key_ref.name));
            if !is_secret_key(&s.secret_key_ref.key) {
                diags.push(
                    Diagnostic::error(
                        Rule::SecretName,
                        ctx.value_at(&format!("{base}/key")),
                        format!(
                            "`{}` is not a valid Secret key",
                            clip(&s.secret_key_ref.key)
                        ),
                    )
                    .with_help("use letters, digits, `-`, `_` and `.`"),
                );
            }
        }
    }
    for (pointer, name) in names {
        if let Err(why) = dns_subdomain(name) {
            diags.push(
                Diagnostic::error(
                    Rule::SecretName,
                    ctx.value_at(&pointer),
                    format!("`{}` is not a valid Secret name: {why}", clip(name)),
                )
                .with_help("use lowercase letters, digits, `-` and `.`, at most 253 characters"),
            );
        }
    }
}

/// Rule `secret-literal`: a value that looks like a credential anywhere in a spec. Specs are
/// committed and their values land in Helm values and ConfigMaps; secrets belong in Secrets.
pub fn check_secret_literals(ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    let mut pointer = String::new();
    walk_strings(ctx.root, &mut pointer, &mut |pointer, text, pos| {
        if let Some(kind) = secret_kind(text, pointer.starts_with("/spec/env/")) {
            diags.push(
                Diagnostic::error(Rule::SecretLiteral, Location::at(ctx.file, pos), format!("this value looks like a {kind}; secrets must not be written in specs"))
                    .with_help("use a Secret reference: `env: {NAME: {secretKeyRef: {name: <secret>, key: <key>}}}` and create the Secret from the stub `gen-agents render` emits"),
            );
        }
    });
}

/// Calls `f` with the JSON pointer, text and position of every string and key under `node`.
/// One pointer buffer is reused for the whole walk: this runs on every document.
fn walk_strings(node: &Node, pointer: &mut String, f: &mut dyn FnMut(&str, &str, Pos)) {
    let len = pointer.len();
    match &node.value {
        YamlValue::Str(s) => f(pointer, s, node.pos),
        YamlValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let _ = write!(pointer, "/{i}");
                walk_strings(item, pointer, f);
                pointer.truncate(len);
            }
        }
        YamlValue::Map(entries) => {
            for e in entries {
                pointer.push('/');
                pointer.push_str(&escape(&e.key));
                f(pointer, &e.key, e.key_pos);
                walk_strings(&e.value, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Recognizes credentials by their published prefixes, and (in env values) long random text.
pub fn secret_kind(text: &str, is_env_value: bool) -> Option<&'static str> {
    const PREFIXES: [(&str, &str); 9] = [
        ("sk-", "LiteLLM/OpenAI API key (`sk-…`)"),
        ("cm_agent_", "platform runtime token (`cm_agent_…`)"),
        ("ghp_", "GitHub token (`ghp_…`)"),
        ("gho_", "GitHub token (`gho_…`)"),
        ("ghs_", "GitHub token (`ghs_…`)"),
        ("github_pat_", "GitHub token (`github_pat_…`)"),
        ("xoxb-", "Slack token (`xoxb-…`)"),
        ("xoxp-", "Slack token (`xoxp-…`)"),
        ("AKIA", "AWS access key (`AKIA…`)"),
    ];
    let t = text.trim();
    if t.contains("-----BEGIN") && t.contains("PRIVATE KEY") {
        return Some("PEM private key");
    }
    for (prefix, kind) in PREFIXES {
        if let Some(rest) = t.strip_prefix(prefix) {
            if rest.len() >= 8
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            {
                return Some(kind);
            }
        }
    }
    (is_env_value && looks_random(t)).then_some("high-entropy secret")
}

/// A long token with no spaces and high character entropy (≥ 4 bits per char over ≥ 24 chars).
fn looks_random(t: &str) -> bool {
    if t.len() < 24 || t.contains(char::is_whitespace) || t.contains("://") || t.starts_with('/') {
        return false;
    }
    let mut counts = BTreeMap::new();
    for c in t.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = t.chars().count() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    let classes = [
        t.chars().any(|c| c.is_ascii_lowercase()),
        t.chars().any(|c| c.is_ascii_uppercase()),
        t.chars().any(|c| c.is_ascii_digit()),
    ];
    entropy >= 4.0 && classes.iter().filter(|b| **b).count() >= 2
}

/// Escapes a key for a JSON pointer.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out.replace('\n', "\\n")
}

/// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, 1 to 63 characters.
pub fn dns_label(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("it is empty");
    }
    if s.len() > 63 {
        return Err("it is longer than 63 characters");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("only lowercase letters, digits and `-` are allowed");
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("it must start and end with a letter or digit");
    }
    Ok(())
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn dns_subdomain(s: &str) -> Result<(), &'static str> {
    if s.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    s.split('.').try_for_each(dns_label)
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_mcp_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_secret_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn check_http_url(s: &str) -> Result<(), &'static str> {
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or("it must start with http:// or https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err("it has no host");
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || "\"'`{}<>\\^|".contains(c))
    {
        return Err("it contains spaces, quotes or other characters URLs do not allow");
    }
    Ok(())
}

/// Parses a Kubernetes quantity (`<number><suffix>`), e.g. `1Gi`, `500m`, `1.5`, `1e3`.
pub fn parse_quantity(s: &str) -> Result<(), &'static str> {
    const SUFFIXES: [&str; 13] = [
        "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T",
    ];
    let body = s.strip_prefix('+').unwrap_or(s);
    if body.starts_with('-') {
        return Err("it is negative");
    }
    let number_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(number_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err("it does not start with a number");
    }
    let suffix_ok = suffix.is_empty()
        || SUFFIXES.contains(&suffix)
        || suffix == "P"
        || suffix == "E"
        || suffix
            .strip_prefix(['e', 'E'])
            .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
            .is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    if !suffix_ok {
        return Err("the unit is not one of Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::read_documents;

    fn run(yaml: &str, f: impl Fn(&Ctx<'_>, &AgentSpec, &mut Diagnostics)) -> Vec<&'static str> {
        let file: Arc<str> = Arc::from("t.yaml");
        let mut d = Diagnostics::default();
        let docs = read_documents(&file, yaml, &mut d);
        let root = &docs[0].root;
        let spec: AgentSpec = serde_json::from_value(root.get("spec").unwrap().to_json()).unwrap();
        let ctx = Ctx { file: &file, root };
        f(&ctx, &spec, &mut d);
        d.sorted().iter().map(|d| d.rule.id()).collect()
    }

    #[test]
    fn replicas_fires_on_negative_and_passes_zero() {
        assert_eq!(run("spec: {replicas: -1}", check_replicas), ["replicas"]);
        assert!(run("spec: {replicas: 0}", check_replicas).is_empty());
    }

    #[test]
    fn quantity_fires_on_bad_units_and_passes_good_ones() {
        assert_eq!(run("spec: {storage: 1GB}", check_quantities), ["quantity"]);
        assert_eq!(
            run("spec: {resources: {limits: {cpu: fast}}}", check_quantities),
            ["quantity"]
        );
        assert!(run(
            "spec: {storage: 1Gi, resources: {requests: {cpu: 50m, memory: '1e3'}}}",
            check_quantities
        )
        .is_empty());
    }

    #[test]
    fn version_pin_fires_on_ranges_and_passes_exact_versions() {
        assert_eq!(
            run("spec: {codex: {version: ^0.169}}", check_version_pins),
            ["version-pin"]
        );
        assert_eq!(
            run("spec: {commonlyMcpVersion: v0.1.9}", check_version_pins),
            ["version-pin"]
        );
        assert!(run(
            "spec: {codex: {version: 0.169.0}, openclaw: {version: 2026.9.6}, commonlyMcpVersion: 0.1.10-rc.1}",
            check_version_pins
        )
        .is_empty());
    }

    #[test]
    fn url_fires_without_scheme_and_passes_http() {
        assert_eq!(run("spec: {apiUrl: backend:5000}", check_urls), ["url"]);
        assert!(run(
            "spec: {apiUrl: 'http://backend:5000', litellm: {baseUrl: 'https://l/v1'}}",
            check_urls
        )
        .is_empty());
    }

    #[test]
    fn git_ref_fires_on_option_like_refs() {
        assert_eq!(
            run("spec: {commonlyCliRef: --upload-pack=x}", check_git_ref),
            ["git-ref"]
        );
        assert!(run("spec: {commonlyCliRef: release/v1.2}", check_git_ref).is_empty());
    }

    #[test]
    fn mcp_env_name_fires_on_assignments_and_passes_names() {
        let bad = "spec: {mcpServers: {c: {command: x, env: ['TOKEN=abc']}}}";
        assert_eq!(run(bad, check_mcp_env_names), ["mcp-env-name"]);
        assert!(run(
            "spec: {mcpServers: {c: {command: x, env: [COMMONLY_API_URL]}}}",
            check_mcp_env_names
        )
        .is_empty());
    }

    #[test]
    fn mcp_server_id_fires_on_dots() {
        assert_eq!(
            run(
                "spec: {mcpServers: {a.b: {command: x, env: []}}}",
                check_mcp_env_names
            ),
            ["mcp-server-id"]
        );
    }

    #[test]
    fn env_name_fires_on_dashes() {
        assert_eq!(
            run("spec: {env: {MY-VAR: x}}", check_env_names),
            ["env-name"]
        );
        assert!(run("spec: {env: {MY_VAR: x}}", check_env_names).is_empty());
    }

    #[test]
    fn secret_name_fires_on_uppercase() {
        assert_eq!(
            run("spec: {tokenSecret: Bad_Name}", check_secret_names),
            ["secret-name"]
        );
        assert!(run(
            "spec: {tokenSecret: cody-token, env: {A: {secretKeyRef: {name: s, key: K.x}}}}",
            check_secret_names
        )
        .is_empty());
    }

    #[test]
    fn secret_literals_are_recognized_by_prefix_and_entropy() {
        assert!(secret_kind("sk-1234567890abcdef", false).is_some());
        assert!(secret_kind("cm_agent_0123456789abcdef", false).is_some());
        assert!(secret_kind("-----BEGIN RSA PRIVATE KEY-----\nabc", false).is_some());
        assert!(secret_kind("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg", true).is_some());
        assert!(secret_kind("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg", false).is_none());
        assert!(secret_kind("codex-cli/gpt-5.4", true).is_none());
        assert!(secret_kind("sk-", false).is_none());
        assert!(secret_kind("http://backend.commonly-dev.svc.cluster.local:5000", true).is_none());
    }

    #[test]
    fn labels_fire_on_reserved_and_invalid_and_pass_plain() {
        let check = |yaml: &str| {
            let file: Arc<str> = Arc::from("t.yaml");
            let mut d = Diagnostics::default();
            let docs = read_documents(&file, yaml, &mut d);
            let labels: BTreeMap<String, String> =
                serde_json::from_value(docs[0].root.get("labels").unwrap().to_json()).unwrap();
            check_labels(
                &Ctx {
                    file: &file,
                    root: &docs[0].root,
                },
                &labels,
                &mut d,
            );
            d.sorted().len()
        };
        assert_eq!(check("labels: {app: x}"), 1);
        assert_eq!(check("labels: {gen-agents.dev/agent: x}"), 1);
        assert_eq!(check("labels: {gen-agents.dev.example/agent: x}"), 0);
        assert_eq!(check("labels: {team: 'a b'}"), 1);
        assert_eq!(check("labels: {'-bad': x}"), 1);
        assert_eq!(check("labels: {team: platform, example.com/tier: '1'}"), 0);
    }

    #[test]
    fn dns_names() {
        assert!(dns_label("cody-2").is_ok());
        assert!(dns_label("Cody").is_err());
        assert!(dns_label("-cody").is_err());
        assert!(dns_subdomain("api-keys.v1").is_ok());
    }
}
