//! The rule registry: every check gen-agents can report, as one typed list.
//!
//! A [`Diagnostic`](crate::diag::Diagnostic) names the [`Rule`] that found it; output formats
//! print [`Rule::id`], the stable kebab-case id users see in brackets, in SARIF fingerprints
//! and in their suppressions (never rename one; a new check gets a new id). Each entry also
//! carries its documentation, in the style of ruff's rule modules: a one-line summary, why
//! the rule exists (the incident behind it, where there is one, numbered as in
//! `../shared/context/commonly-chart.md`), a bad example with its fix, and where the tests
//! make it fire. `gen-agents explain RULE` prints one entry, `gen-agents rules` lists them,
//! and the README's rule table is [`markdown_table`] (a test fails when it is stale).

use std::fmt::Write as _;

/// A YAML example of a rule's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Example {
    /// Lines under `spec:` of an otherwise valid agent (`metadata.name: cody`, `podId: p1`,
    /// `apiUrl: http://backend:5000`); see [`Example::document`].
    Spec(&'static str),
    /// A whole input file.
    File(&'static str),
    /// Shown only: the rule needs command-line flags or files besides the spec (its test
    /// is named in [`Fires::Test`]), so the registry test cannot run it.
    Shown(&'static str),
}

impl Example {
    /// The input file this example stands for, when it is one (not [`Example::Shown`]).
    pub fn document(self) -> Option<String> {
        match self {
            Example::Spec(lines) => {
                let mut doc = String::from(SPEC_BASE);
                for line in lines.lines() {
                    let _ = writeln!(doc, "  {line}");
                }
                Some(doc)
            }
            Example::File(text) => Some(text.to_owned()),
            Example::Shown(_) => None,
        }
    }

    /// The example as `explain` prints it.
    pub fn shown(self) -> String {
        match self {
            Example::Spec(lines) => {
                let mut out = String::from("spec:\n");
                for line in lines.lines() {
                    let _ = writeln!(out, "  {line}");
                }
                out
            }
            Example::File(text) | Example::Shown(text) => {
                let mut out = text.to_owned();
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                out
            }
        }
    }
}

/// The valid agent an [`Example::Spec`] is inserted into.
const SPEC_BASE: &str = "apiVersion: gen-agents/v1
kind: Agent
metadata:
  name: cody
spec:
  podId: p1
  apiUrl: http://backend:5000
";

/// Where the tests make a rule fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fires {
    /// A `tests/cases/<name>.yaml` case (its snapshot shows `error[id]` or `warning[id]`).
    Case(&'static str),
    /// A test function (`fn name`) in a file of the repository, for rules that fire only
    /// from command-line flags or inputs a case cannot hold.
    Test {
        /// The file, relative to the repository root.
        file: &'static str,
        /// The test function.
        name: &'static str,
    },
    /// No input can make it fire: it reports a gen-agents bug. The text says why.
    Internal(&'static str),
}

/// The documentation of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDoc {
    /// The stable id.
    pub id: &'static str,
    /// What it catches, in one line.
    pub summary: &'static str,
    /// Why it is a rule: what goes wrong without it.
    pub why: &'static str,
    /// Input that breaks the rule.
    pub bad: Example,
    /// The same input, fixed.
    pub fix: Example,
    /// Where the tests make it fire.
    pub fires: Fires,
    /// A valid case under `tests/cases` near the rule, which must render without it.
    pub neighbour: &'static str,
}

macro_rules! rules {
    ($(
        $variant:ident {
            id: $id:literal,
            summary: $summary:literal,
            why: $why:literal,
            bad: $bad:expr,
            fix: $fix:expr,
            fires: $fires:expr,
            neighbour: $neighbour:literal $(,)?
        }
    ),* $(,)?) => {
        /// A rule: one check, one stable id ([`Rule::id`]), documented in [`Rule::doc`].
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule {
            $(
                #[doc = concat!("`", $id, "`: ", $summary)]
                $variant,
            )*
        }

        impl Rule {
            /// Every rule, in the order of the README's table.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The rule's documentation.
            pub fn doc(self) -> &'static RuleDoc {
                match self {
                    $(Rule::$variant => &RuleDoc {
                        id: $id,
                        summary: $summary,
                        why: $why,
                        bad: $bad,
                        fix: $fix,
                        fires: $fires,
                        neighbour: $neighbour,
                    },)*
                }
            }
        }
    };
}

impl Rule {
    /// The stable id, e.g. `schema-unknown-key`: what every output format prints.
    pub fn id(self) -> &'static str {
        self.doc().id
    }

    /// The rule whose id is `id`.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// The rule of `id`, or the closest id as a suggestion.
    pub fn lookup(id: &str) -> Result<Rule, Option<&'static str>> {
        Rule::from_id(id).ok_or_else(|| {
            crate::validate::schema::did_you_mean(id, Rule::ALL.iter().map(|r| r.id()))
        })
    }

    /// What `gen-agents explain` prints: id, summary, why, the bad example and its fix.
    pub fn explain(self) -> String {
        let d = self.doc();
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}\n", d.id, d.summary);
        let _ = writeln!(out, "Why: {}\n", d.why);
        let _ = writeln!(out, "Bad:\n{}", indent(&d.bad.shown()));
        let _ = write!(out, "Fix:\n{}", indent(&d.fix.shown()));
        out
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

fn indent(text: &str) -> String {
    text.lines().fold(String::new(), |mut out, line| {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "    {line}");
        }
        out
    })
}

/// What `gen-agents rules` prints: every id with its summary, one a line.
pub fn list() -> String {
    let width = Rule::ALL.iter().map(|r| r.id().len()).max().unwrap_or(0);
    Rule::ALL.iter().fold(String::new(), |mut out, r| {
        let _ = writeln!(out, "{:width$}  {}", r.id(), r.doc().summary);
        out
    })
}

/// The README's rule table (`gen-agents rules --markdown`), between its
/// `<!-- rules:begin -->` and `<!-- rules:end -->` markers.
pub fn markdown_table() -> String {
    let mut out = String::from("| id | what it catches |\n|---|---|\n");
    for r in Rule::ALL {
        let _ = writeln!(
            out,
            "| `{}` | {} |",
            r.id(),
            r.doc().summary.replace('|', "\\|")
        );
    }
    out
}

rules! {
    YamlSyntax {
        id: "yaml-syntax",
        summary: "malformed YAML: bad indentation, an unclosed quote or bracket, an alias to an unknown anchor",
        why: "nothing else can be checked in a document that does not parse; the error is located where the parser gave up",
        bad: Example::Spec("storage: \"1Gi"),
        fix: Example::Spec("storage: \"1Gi\""),
        fires: Fires::Case("err_yaml_syntax"),
        neighbour: "minimal",
    },
    YamlKey {
        id: "yaml-key",
        summary: "a mapping key that is a sequence or a mapping instead of text",
        why: "specs become JSON (schema check) and Kubernetes objects, whose keys are strings",
        bad: Example::Spec("? [a, b]\n: x"),
        fix: Example::Spec("storage: 1Gi"),
        fires: Fires::Case("err_yaml_complex_key"),
        neighbour: "minimal",
    },
    YamlDuplicateKey {
        id: "yaml-duplicate-key",
        summary: "a key twice in one mapping (both places are named)",
        why: "YAML readers disagree on which value wins (first, last, or an error), so Helm could see another spec than gen-agents",
        bad: Example::Spec("replicas: 1\nreplicas: 0"),
        fix: Example::Spec("replicas: 0"),
        fires: Fires::Case("err_yaml_duplicate_key"),
        neighbour: "minimal",
    },
    YamlLimits {
        id: "yaml-limits",
        summary: "nesting deeper than 64 levels (block or flow)",
        why: "deep nesting can exhaust the stack of every reader after gen-agents; agent specs need only a few levels (past 255 open flow levels saphyr-parser's own limit reports it, with the same message)",
        bad: Example::Spec("env: {A: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"),
        fix: Example::Spec("env: {A: x}"),
        fires: Fires::Case("err_yaml_deep"),
        neighbour: "defaults_layering",
    },
    YamlAliasLimit {
        id: "yaml-alias-limit",
        summary: "alias expansion over 10,000 nodes in one file (billion laughs)",
        why: "a few lines of anchors can expand to gigabytes; the limit is enforced while reading, before anything is built",
        bad: Example::Shown("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]"),
        fix: Example::Shown("# write the repeated part out once, or share settings through a `kind: Defaults` document"),
        fires: Fires::Case("err_yaml_bomb"),
        neighbour: "defaults_layering",
    },
    YamlTag {
        id: "yaml-tag",
        summary: "a custom or explicit YAML tag (`!!python/object`, `!!int`, `!local`)",
        why: "tags make readers construct objects or reinterpret text; other YAML readers (Helm's among them) would resolve them differently or run code",
        bad: Example::Spec("replicas: !!int \"1\""),
        fix: Example::Spec("replicas: 1"),
        fires: Fires::Case("err_yaml_tag"),
        neighbour: "minimal",
    },
    YamlMergeKey {
        id: "yaml-merge-key",
        summary: "a YAML 1.1 merge key `<<`",
        why: "merge keys are not YAML 1.2, and readers disagree on them; a `kind: Defaults` document shares settings instead",
        bad: Example::Spec("<<: {replicas: 0}"),
        fix: Example::Spec("replicas: 0"),
        fires: Fires::Case("err_yaml_merge_key"),
        neighbour: "defaults_layering",
    },
    YamlAmbiguousNumber {
        id: "yaml-ambiguous-number",
        summary: "a number with a leading zero such as `0755` (octal in YAML 1.1, decimal in 1.2)",
        why: "gen-agents reads YAML 1.2 and Helm reads YAML 1.1: the same text would be two different values",
        bad: Example::Spec("agentInstanceId: 0755"),
        fix: Example::Spec("agentInstanceId: \"0755\""),
        fires: Fires::Case("err_yaml_octal"),
        neighbour: "yaml11_strings",
    },
    InputEncoding {
        id: "input-encoding",
        summary: "a file that is not UTF-8 (located at the first invalid byte, which is named)",
        why: "specs are text that ends up in UTF-8 Kubernetes objects; guessing an encoding would change names and values silently",
        bad: Example::Shown("# a comment saved as Latin-1: caf\\xe9 (the byte E9 is not UTF-8)"),
        fix: Example::Shown("# the same comment saved as UTF-8: café"),
        fires: Fires::Case("err_not_utf8"),
        neighbour: "quoting_hazards",
    },
    InputTooLarge {
        id: "input-too-large",
        summary: "an input file over 64 MiB",
        why: "no fleet needs a spec file that large; the limit bounds memory before the file is read",
        bad: Example::Shown("agents/huge.yaml   # 65 MiB"),
        fix: Example::Shown("agents/part-1.yaml, agents/part-2.yaml, …   # split the fleet into several files"),
        fires: Fires::Test { file: "tests/load_limits.rs", name: "a_file_over_64_mib_is_refused_as_input_too_large" },
        neighbour: "minimal",
    },
    DocumentShape {
        id: "document-shape",
        summary: "a document that is not a mapping (a list or a scalar)",
        why: "every gen-agents document is a Kubernetes-style object with `apiVersion`, `kind`, `metadata` and `spec`",
        bad: Example::File("- apiVersion: gen-agents/v1\n  kind: Agent\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: cody\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fires: Fires::Case("err_document_shape"),
        neighbour: "minimal",
    },
    UnknownKind {
        id: "unknown-kind",
        summary: "an unknown `kind` (with did-you-mean)",
        why: "only `Agent` and `Defaults` documents exist; anything else would be skipped, and the agent would silently not be deployed",
        bad: Example::File("apiVersion: gen-agents/v1\nkind: Agnet\nmetadata:\n  name: cody\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: cody\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fires: Fires::Case("err_unknown_kind"),
        neighbour: "defaults_layering",
    },
    SchemaUnknownKey {
        id: "schema-unknown-key",
        summary: "an unknown field, with did-you-mean",
        why: "a typo'd field would be ignored and its default used instead, so the agent would run with settings nobody wrote",
        bad: Example::Spec("replica: 0"),
        fix: Example::Spec("replicas: 0"),
        fires: Fires::Case("err_unknown_key"),
        neighbour: "minimal",
    },
    EmptyValue {
        id: "empty-value",
        summary: "an empty or whitespace-only string where a name is expected (model, command, image, URL, id, Secret name or key, MCP env name, version, ref, every runtime-section field)",
        why: "an empty name renders manifests that deploy and then fail at runtime (an image `\"\"`, a Secret key `\" \"`); the schema says so too (`minLength: 1`, `pattern: \\S`). Empty stays allowed where it means something: an MCP `args` item, a literal `env` value, a label value",
        bad: Example::Spec("image: \"\""),
        fix: Example::Spec("image: node:22-bookworm-slim"),
        fires: Fires::Case("err_empty_image"),
        neighbour: "minimal",
    },
    SchemaRequired {
        id: "schema-required",
        summary: "a field the schema requires is missing (`kind`, `metadata.name`, an MCP server's `env`, …)",
        why: "required fields have no sensible default: an MCP server without its `env` list starts without the variables it needs (incident 2)",
        bad: Example::Spec("mcpServers:\n  commonly:\n    command: /tools/bin/commonly-mcp\n    args: []"),
        fix: Example::Spec("mcpServers:\n  commonly:\n    command: /tools/bin/commonly-mcp\n    args: []\n    env: [COMMONLY_API_URL]"),
        fires: Fires::Case("err_mcp_env_required"),
        neighbour: "defaults_layering",
    },
    SchemaType {
        id: "schema-type",
        summary: "a value of the wrong type, with the YAML reading explained (`1.10` is the number 1.1: quote it)",
        why: "YAML silently turns unquoted text into numbers, booleans and nulls; nothing is coerced back, so the spec says exactly what it means",
        bad: Example::Spec("commonlyCliRef: 1.10"),
        fix: Example::Spec("commonlyCliRef: \"1.10\""),
        fires: Fires::Case("err_type_errors"),
        neighbour: "yaml11_strings",
    },
    SchemaEnum {
        id: "schema-enum",
        summary: "a value outside the allowed set (a runtime, a sandbox mode, the `apiVersion`)",
        why: "each allowed value is one gen-agents renders and CI proves against the real runtime; anything else would be passed through untested",
        bad: Example::Spec("runtime: codx"),
        fix: Example::Spec("runtime: codex"),
        fires: Fires::Case("err_enum_values"),
        neighbour: "minimal",
    },
    Schema {
        id: "schema",
        summary: "any other JSON Schema violation (a fallback for schema keywords without a dedicated message)",
        why: "the schema is derived from gen-agents' types; every keyword it uses today has its own rule above, so this only fires if the schema gains a new kind of constraint before its message",
        bad: Example::Shown("# no spec triggers it with today's schema"),
        fix: Example::Shown("# follow the message: it quotes the schema's constraint"),
        fires: Fires::Internal("every keyword of today's schema is reported by a dedicated rule (schema-type, schema-enum, schema-required, schema-unknown-key, empty-value); this is the fallback for a new keyword"),
        neighbour: "minimal",
    },
    AgentName {
        id: "agent-name",
        summary: "an agent name that is not a DNS-1123 label",
        why: "the name becomes Deployment, PVC, ConfigMap and Secret names and label values, which Kubernetes restricts to lowercase letters, digits and `-`",
        bad: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: Review_Bot\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: review-bot\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fires: Fires::Case("err_agent_name_invalid"),
        neighbour: "minimal",
    },
    AgentNameLength {
        id: "agent-name-length",
        summary: "an agent name whose longest derived resource name (`<prefix>-<name>-litellm-key`) exceeds 63 characters",
        why: "Kubernetes names and label values are limited to 63 characters; a long name passes the DNS-1123 check and then fails at deploy time",
        bad: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: a-very-long-agent-name-that-goes-on-and-on\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: a-long-agent-name\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fires: Fires::Case("err_agent_name_too_long"),
        neighbour: "minimal",
    },
    Label {
        id: "label",
        summary: "a label key or value the API server rejects",
        why: "labels are copied onto every resource and pod; an invalid one fails the whole release at deploy time",
        bad: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: cody\n  labels: {team: a team}\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: cody\n  labels: {team: a-team}\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fires: Fires::Case("err_label"),
        neighbour: "quoting_hazards",
    },
    LabelReserved {
        id: "label-reserved",
        summary: "a label gen-agents sets itself (`app`, `agent`, `gen-agents.dev/…`)",
        why: "`app` and `agent` select the agent's pods (a Deployment selector must never change), and `gen-agents.dev/agent` finds an agent's runtime ConfigMap versions",
        bad: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: cody\n  labels: {app: reviewer}\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: cody\n  labels: {team: reviewer}\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fires: Fires::Case("err_label_reserved"),
        neighbour: "quoting_hazards",
    },
    DuplicateAgentName {
        id: "duplicate-agent-name",
        summary: "the same agent name twice across all inputs",
        why: "both would render to the same resources, and one agent would silently replace the other",
        bad: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: cody}\nspec: {podId: p1, apiUrl: http://backend:5000}\n---\napiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: cody}\nspec: {podId: p2, apiUrl: http://backend:5000}\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: cody}\nspec: {podId: p1, apiUrl: http://backend:5000}\n---\napiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: cody-2}\nspec: {podId: p2, apiUrl: http://backend:5000}\n"),
        fires: Fires::Case("err_duplicate_agent_name"),
        neighbour: "defaults_layering",
    },
    SecretLiteral {
        id: "secret-literal",
        summary: "a credential written into a spec: `sk-…`, `cm_agent_…`, `ghp_…`/`github_pat_…`, Slack and AWS keys, PEM private keys anywhere; long high-entropy env values",
        why: "specs are committed and their values land in Helm values and ConfigMaps, which anyone who can read the namespace reads (incident 1: a GitHub token ended up in config.toml on a PVC); secrets belong in Secrets",
        bad: Example::Spec("env:\n  GITHUB_TOKEN: ghp_0123456789abcdefghijABCDEFGHIJ012345"),
        fix: Example::Spec("env:\n  GITHUB_TOKEN: {secretKeyRef: {name: api-keys, key: GITHUB_PAT}}"),
        fires: Fires::Case("err_secret_literal_env"),
        neighbour: "external_names",
    },
    McpServerId {
        id: "mcp-server-id",
        summary: "an MCP server id that is not a plain identifier (letters, digits, `_`, `-`)",
        why: "the id becomes the tool namespace the model sees and a TOML table name in codex's config.toml",
        bad: Example::Spec("mcpServers:\n  \"my server\": {command: /tools/bin/lint-mcp, args: [], env: []}"),
        fix: Example::Spec("mcpServers:\n  my-server: {command: /tools/bin/lint-mcp, args: [], env: []}"),
        fires: Fires::Case("err_mcp_server_id"),
        neighbour: "quoting_hazards",
    },
    McpEnvName {
        id: "mcp-env-name",
        summary: "an MCP `env` entry that is not a variable name (`NAME=value`, `$VAR`)",
        why: "an MCP server's `env` lists NAMES taken from the pod's environment; a value there would be written into the ConfigMap",
        bad: Example::Spec("mcpServers:\n  commonly:\n    command: /tools/bin/commonly-mcp\n    args: []\n    env: [COMMONLY_API_URL=http://backend:5000]"),
        fix: Example::Spec("mcpServers:\n  commonly:\n    command: /tools/bin/commonly-mcp\n    args: []\n    env: [COMMONLY_API_URL]"),
        fires: Fires::Case("err_mcp_env_value"),
        neighbour: "defaults_layering",
    },
    McpEnvMissing {
        id: "mcp-env-missing",
        summary: "an MCP server forwarding a variable the pod does not have",
        why: "incident 2: codex does not pass its environment to MCP children; a server without its variable died with \"COMMONLY_API_URL is required\" and the model saw no tools, and weeks went into bisecting codex versions",
        bad: Example::Spec("mcpServers:\n  sentry:\n    command: /tools/bin/sentry-mcp\n    args: []\n    env: [SENTRY_TOKEN]"),
        fix: Example::Spec("mcpServers:\n  sentry:\n    command: /tools/bin/sentry-mcp\n    args: []\n    env: [SENTRY_TOKEN]\nenv:\n  SENTRY_TOKEN: {secretKeyRef: {name: sentry, key: token}}"),
        fires: Fires::Case("err_mcp_env_missing"),
        neighbour: "quoting_hazards",
    },
    EnvName {
        id: "env-name",
        summary: "an environment variable name Kubernetes or a shell rejects",
        why: "the pod would be refused at deploy time, or the boot step's shell could not read the variable",
        bad: Example::Spec("env:\n  MY-VAR: x"),
        fix: Example::Spec("env:\n  MY_VAR: x"),
        fires: Fires::Case("err_env_name"),
        neighbour: "quoting_hazards",
    },
    EnvReserved {
        id: "env-reserved",
        summary: "a variable in `spec.env` that the runtime already sets (`HOME`, the LiteLLM key, the platform's)",
        why: "a second definition would silently win or lose against the runtime's own (Kubernetes keeps the last), breaking the key, the token or the home directory; each has a dedicated field",
        bad: Example::Spec("env:\n  LITELLM_API_KEY: {secretKeyRef: {name: my-key, key: key}}"),
        fix: Example::Spec("litellm:\n  keySecret: my-key"),
        fires: Fires::Case("err_env_reserved"),
        neighbour: "external_names",
    },
    EnvChartPrefix {
        id: "env-chart-prefix",
        summary: "a variable in `spec.env` with the `GEN_AGENTS_` prefix, which the chart reserves",
        why: "the chart's boot step reads its own inputs from `GEN_AGENTS_*` variables; an agent's variable of that name would change how its pod boots",
        bad: Example::Spec("env:\n  GEN_AGENTS_DEBUG: \"1\""),
        fix: Example::Spec("env:\n  AGENT_DEBUG: \"1\""),
        fires: Fires::Case("err_env_chart_prefix"),
        neighbour: "quoting_hazards",
    },
    Replicas {
        id: "replicas",
        summary: "a replica count outside 0–1000",
        why: "a Deployment cannot have a negative number of pods; `replicas: 0` is the supported way to park an agent (incident 6: scaling to 0 by hand was reverted by the next deploy)",
        bad: Example::Spec("replicas: -1"),
        fix: Example::Spec("replicas: 0"),
        fires: Fires::Case("err_replicas_negative"),
        neighbour: "defaults_layering",
    },
    Quantity {
        id: "quantity",
        summary: "storage or a resource that is not a Kubernetes quantity",
        why: "the API server rejects the manifest at deploy time, after `helm lint` passed it",
        bad: Example::Spec("storage: 1 GB"),
        fix: Example::Spec("storage: 1Gi"),
        fires: Fires::Case("err_quantity"),
        neighbour: "defaults_layering",
    },
    Url {
        id: "url",
        summary: "a platform API or LiteLLM base URL that is not an http(s) URL with a host",
        why: "the runtime would fail its first call, after the pod started and looked healthy",
        bad: Example::Spec("litellm:\n  baseUrl: litellm:4000/v1"),
        fix: Example::Spec("litellm:\n  baseUrl: http://litellm:4000/v1"),
        fires: Fires::Case("err_url"),
        neighbour: "external_names",
    },
    GitRef {
        id: "git-ref",
        summary: "a platform CLI ref that is not a plain git branch or tag name",
        why: "the ref is handed to `git clone --branch`; a ref starting with `-` would be read as an option",
        bad: Example::Spec("commonlyCliRef: --upload-pack=touch"),
        fix: Example::Spec("commonlyCliRef: main"),
        fires: Fires::Case("err_git_ref"),
        neighbour: "quoting_hazards",
    },
    SecretName {
        id: "secret-name",
        summary: "a Secret name or key the API server rejects",
        why: "the pod would wait in `CreateContainerConfigError`, and `kubectl create secret` would refuse the name its stub prints",
        bad: Example::Spec("tokenSecret: Cody_Token"),
        fix: Example::Spec("tokenSecret: cody-token"),
        fires: Fires::Case("err_secret_name"),
        neighbour: "external_names",
    },
    VersionPin {
        id: "version-pin",
        summary: "a version pin that is not an exact semantic version",
        why: "incident 3: a pin bumped before `npm publish` ran made the init container fail with ETARGET and the agent crash-loop for 28 hours, and `helm lint` passed it; a range or typo installs something nobody tested",
        bad: Example::Spec("commonlyMcpVersion: ^0.1.9"),
        fix: Example::Spec("commonlyMcpVersion: 0.1.9"),
        fires: Fires::Case("err_version_pin"),
        neighbour: "minimal",
    },
    RegistryName {
        id: "registry-name",
        summary: "a registry agent name that is not a platform agent type of the runtime",
        why: "incident 4: `registryAgentName: cloud-codex` is not a platform agent type, so a cleanup job marked the installation stale and messages stopped reaching it",
        bad: Example::Spec("registryAgentName: cloud-codex"),
        fix: Example::Spec("registryAgentName: codex"),
        fires: Fires::Case("err_registry_name"),
        neighbour: "minimal",
    },
    ModelAlias {
        id: "model-alias",
        summary: "with `--litellm-config`: a model alias the agent calls (its model, Claude Code's `smallFastModel`) or its key allows (`litellm.key.models`) that is not a `model_name` of the proxy",
        why: "LiteLLM refuses an unknown alias on every call; the pod starts and looks healthy, and no request succeeds",
        bad: Example::Shown("# config.yaml: model_list: [{model_name: codex-cli/gpt-5.4, litellm_params: {model: chatgpt/gpt-5.4}}]\nspec:\n  model: codex-cli/gpt5.4"),
        fix: Example::Shown("spec:\n  model: codex-cli/gpt-5.4"),
        fires: Fires::Test { file: "tests/cli.rs", name: "model_aliases_are_cross_checked_against_the_litellm_config" },
        neighbour: "minimal",
    },
    ModelWireApi {
        id: "model-wire-api",
        summary: "with `--litellm-config`: an alias whose `litellm_params.model` does not suit the runtime's wire API (`responses/` on `/v1/responses`; a `chatgpt/` target without it on the chat routes)",
        why: "incident 5: codex calls `/v1/responses`, where the `responses/` prefix of `chatgpt/responses/gpt-5.4` leaks upstream and gets 400 \"model not supported\", and LiteLLM silently fell back to another model; on the routes LiteLLM serves through chat completions (`/v1/chat/completions`, Claude Code's `/v1/messages`, Gemini's `generateContent`) a `chatgpt/` target needs that prefix",
        bad: Example::Shown("# config.yaml: model_list: [{model_name: gpt-5.4, litellm_params: {model: chatgpt/responses/gpt-5.4}}]\nspec:\n  runtime: codex\n  model: gpt-5.4"),
        fix: Example::Shown("# config.yaml: model_list: [{model_name: codex-cli/gpt-5.4, litellm_params: {model: chatgpt/gpt-5.4}}]\nspec:\n  runtime: codex\n  model: codex-cli/gpt-5.4"),
        fires: Fires::Test { file: "tests/cli.rs", name: "model_aliases_are_cross_checked_against_the_litellm_config" },
        neighbour: "minimal",
    },
    LitellmConfig {
        id: "litellm-config",
        summary: "a `--litellm-config` file that is not a LiteLLM proxy config (no `model_list` of `model_name` and `litellm_params.model`)",
        why: "the model cross-check would otherwise pass vacuously against a wrong file",
        bad: Example::Shown("# --litellm-config values.yaml\nlitellm:\n  image: ghcr.io/berriai/litellm"),
        fix: Example::Shown("# --litellm-config config.yaml\nmodel_list:\n  - model_name: codex-cli/gpt-5.4\n    litellm_params: {model: chatgpt/gpt-5.4}"),
        fires: Fires::Test { file: "src/resolve/litellm.rs", name: "a_file_without_model_list_is_reported" },
        neighbour: "minimal",
    },
    KeyModelsEmpty {
        id: "key-models-empty",
        summary: "an empty key allowlist, `litellm.key.models: []`",
        why: "LiteLLM reads `models: []` as \"every model\": the key would call any model of the proxy; leave `models` unset to allow exactly the aliases the runtime calls",
        bad: Example::Spec("litellm:\n  key:\n    models: []"),
        fix: Example::Spec("litellm:\n  key:\n    models: [codex-cli/gpt-5.4]"),
        fires: Fires::Case("err_key_models_empty"),
        neighbour: "key_policy",
    },
    KeyModelsMissing {
        id: "key-models-missing",
        summary: "a key allowlist without an alias the agent's runtime calls (its model, Claude Code's `smallFastModel`)",
        why: "LiteLLM answers every call to a model outside the key's allowlist with 403 `key_model_access_denied`: the pod starts and looks healthy, and its requests fail (the seed's operator forgot to widen a key when an agent's model changed)",
        bad: Example::Spec("model: codex-cli/gpt-5.4\nlitellm:\n  key:\n    models: [codex-cli/gpt-5.3]"),
        fix: Example::Spec("model: codex-cli/gpt-5.4\nlitellm:\n  key:\n    models: [codex-cli/gpt-5.4, codex-cli/gpt-5.3]"),
        fires: Fires::Case("err_key_models_missing"),
        neighbour: "key_policy",
    },
    KeyLimit {
        id: "key-limit",
        summary: "a negative key limit (`maxBudget`, `rpmLimit`, `tpmLimit`, `maxParallelRequests`)",
        why: "a negative budget or rate makes no sense to LiteLLM, which would store it and refuse or allow calls in ways nobody intended; an unset limit is no limit, `0` blocks",
        bad: Example::Spec("litellm:\n  key:\n    rpmLimit: -1"),
        fix: Example::Spec("litellm:\n  key:\n    rpmLimit: 60"),
        fires: Fires::Case("err_key_limit"),
        neighbour: "key_policy",
    },
    KeyDuration {
        id: "key-duration",
        summary: "a key `budgetDuration` or `duration` that is not a LiteLLM duration (a positive whole number and `s`, `m`, `h`, `d`, `w` or `mo`)",
        why: "LiteLLM parses durations only when it needs one, so `/key/generate` with `30 days` fails (or `30days` is read as `30d`) at mint time, far from the spec",
        bad: Example::Spec("litellm:\n  key:\n    budgetDuration: 1 month"),
        fix: Example::Spec("litellm:\n  key:\n    budgetDuration: 1mo"),
        fires: Fires::Case("err_key_duration"),
        neighbour: "key_policy",
    },
    KeyMetadataReserved {
        id: "key-metadata-reserved",
        summary: "a key `metadata` entry named like one gen-agents sets (`managed-by`, `fleet`, `agents`, `runtimes`, `policy-hash`, `duration`, `rotated-out`)",
        why: "these entries say which keys gen-agents manages and for which fleet; a spec's own value would hide a key from its fleet, or make another fleet's key look like ours",
        bad: Example::Spec("litellm:\n  key:\n    metadata:\n      fleet: prod"),
        fix: Example::Spec("litellm:\n  key:\n    metadata:\n      cost-center: prod"),
        fires: Fires::Case("err_key_metadata_reserved"),
        neighbour: "key_policy",
    },
    KeySecretShared {
        id: "key-secret-shared",
        summary: "agents sharing a LiteLLM key Secret with different key policies",
        why: "a Secret holds one LiteLLM key and `key_alias` (the Secret's name) is unique per proxy, so one of the two policies would silently win",
        bad: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: ann}\nspec: {podId: p1, apiUrl: \"http://backend:5000\", litellm: {keySecret: team-key, key: {rpmLimit: 10}}}\n---\napiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: bob}\nspec: {podId: p1, apiUrl: \"http://backend:5000\", litellm: {keySecret: team-key}}\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: ann}\nspec: {podId: p1, apiUrl: \"http://backend:5000\", litellm: {keySecret: team-key, key: {rpmLimit: 10}}}\n---\napiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: bob}\nspec: {podId: p1, apiUrl: \"http://backend:5000\", litellm: {keySecret: team-key, key: {rpmLimit: 10}}}\n"),
        fires: Fires::Case("err_key_secret_shared"),
        neighbour: "key_policy",
    },
    FieldMoved {
        id: "field-moved",
        summary: "a flat codex field of an older spec (`codexVersion`, `sandboxMode`, `approvalPolicy`, `reasoningEffort`), with its new place",
        why: "each runtime's own settings moved into its section (`spec.codex`); an old spec gets a located error naming the new place instead of an unknown-field error",
        bad: Example::Spec("codexVersion: 0.169.0"),
        fix: Example::Spec("codex:\n  version: 0.169.0"),
        fires: Fires::Case("err_field_moved"),
        neighbour: "defaults_layering",
    },
    RuntimeSection {
        id: "runtime-section",
        summary: "a runtime's section (`spec.claudeCode`, …) on an agent of another runtime",
        why: "the settings would be ignored: the agent's runtime reads only its own section (a `kind: Defaults` document may carry every runtime's)",
        bad: Example::Spec("claudeCode:\n  permissionMode: plan"),
        fix: Example::Spec("runtime: claude-code\nmodel: claude-sonnet\nclaudeCode:\n  permissionMode: plan"),
        fires: Fires::Case("err_runtime_section"),
        neighbour: "defaults_layering",
    },
    LitellmBaseUrl {
        id: "litellm-base-url",
        summary: "a LiteLLM base URL that does not end in `/v1`, for a runtime that calls LiteLLM's root with its own route (Claude Code, Gemini CLI)",
        why: "gen-agents derives the root URL by removing `/v1`; without it the runtime's own route would be appended to the wrong path",
        bad: Example::Spec("runtime: gemini-cli\nmodel: gemini-pro\nlitellm:\n  baseUrl: http://litellm:4000"),
        fix: Example::Spec("runtime: gemini-cli\nmodel: gemini-pro\nlitellm:\n  baseUrl: http://litellm:4000/v1"),
        fires: Fires::Case("err_litellm_base_url"),
        neighbour: "external_names",
    },
    McpCommand {
        id: "mcp-command",
        summary: "(Claude Code) an MCP command containing `=`",
        why: "Claude Code starts each MCP server through `env -i NAME=… command`, which would read the command as one more assignment",
        bad: Example::Spec("runtime: claude-code\nmodel: claude-sonnet\nmcpServers:\n  odd: {command: /tools/bin/a=b, args: [], env: []}"),
        fix: Example::Spec("runtime: claude-code\nmodel: claude-sonnet\nmcpServers:\n  odd: {command: /tools/bin/a-b, args: [], env: []}"),
        fires: Fires::Case("err_mcp_command"),
        neighbour: "defaults_layering",
    },
    RequiredField {
        id: "required-field",
        summary: "a field no layer sets (`podId`, `apiUrl`, a model for runtimes without a default)",
        why: "these have no safe default: a dev-cluster `apiUrl` as a default would send production agents to dev, and a model alias is a fact of your LiteLLM config",
        bad: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: cody\nspec:\n  podId: p1\n"),
        fix: Example::File("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: cody\nspec:\n  podId: p1\n  apiUrl: http://backend:5000\n"),
        fires: Fires::Case("err_required_after_defaults"),
        neighbour: "defaults_layering",
    },
    ValuesKind {
        id: "values-kind",
        summary: "an `Agent` inside a `--values` file",
        why: "`--values` files layer defaults, Helm-style; an agent there would be dropped silently",
        bad: Example::Shown("# --values prod.yaml\napiVersion: gen-agents/v1\nkind: Agent\nmetadata: {name: cody}\nspec: {replicas: 2}"),
        fix: Example::Shown("# --values prod.yaml\napiVersion: gen-agents/v1\nkind: Defaults\nspec: {replicas: 2}"),
        fires: Fires::Test { file: "tests/cli.rs", name: "values_files_layer_over_the_built_in_defaults_later_wins" },
        neighbour: "defaults_layering",
    },
    NoAgents {
        id: "no-agents",
        summary: "inputs with no agent at all (`--allow-empty` accepts them)",
        why: "a wrong path would render `agents: {}`, and `helm upgrade` with it removes the whole fleet",
        bad: Example::Shown("gen-agents render agent/        # the specs are in agents/"),
        fix: Example::Shown("gen-agents render agents/"),
        fires: Fires::Test { file: "tests/cli.rs", name: "inputs_without_agents_are_refused_unless_allowed" },
        neighbour: "minimal",
    },
    Template {
        id: "template",
        summary: "a template that cannot be read or fails (undefined field, syntax), named with its file and line",
        why: "a custom `--templates` file must produce complete artifacts or none; nothing is written after a template error",
        bad: Example::Shown("{# --templates DIR: values.yaml.j2 #}\n{% macro item(x) %}{{ x.valuez }}{% endmacro %}"),
        fix: Example::Shown("{% macro item(x) %}{{ x.values | toyaml(4) }}{% endmacro %}"),
        fires: Fires::Test { file: "tests/cli.rs", name: "custom_templates_replace_builtin_ones_and_errors_name_template_and_line" },
        neighbour: "minimal",
    },
    RenderVerify {
        id: "render-verify",
        summary: "rendered output of a custom template that does not parse back, or a Secret stub that carries data",
        why: "every piece a custom template renders, and every whole file it joins, is read back before anything is written, so a custom template cannot emit broken YAML or Secret stubs with data; the built-in templates are verified by construction (tests/props.rs)",
        bad: Example::Shown("{# --templates DIR: values.yaml.j2 #}\n{% macro item(x) %}  {{ x.name }}: [{% endmacro %}"),
        fix: Example::Shown("{% macro item(x) %}  {{ x.name }}: {{ x.values | toyaml(4) }}{% endmacro %}"),
        fires: Fires::Test { file: "tests/cli.rs", name: "a_template_that_breaks_yaml_is_refused_not_printed" },
        neighbour: "minimal",
    },
    Internal {
        id: "internal",
        summary: "a gen-agents bug: its own schema or a layered spec that passed it fails to load",
        why: "the schema is generated from gen-agents' own types, so every layer that passed it deserializes; this reports the bug instead of crashing",
        bad: Example::Shown("# no input triggers it"),
        fix: Example::Shown("# report the bug with the input that caused it"),
        fires: Fires::Internal("resolve: the merge of layers that each passed the schema always deserializes; validate: the embedded schemas compile"),
        neighbour: "minimal",
    },
}
