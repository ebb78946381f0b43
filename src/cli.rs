//! The command line, as clap definitions only. Behaviour lives in the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use gen_agents::diag::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (valid input; output written or up to date)
  1  invalid input (every problem is reported, nothing is written), or --check found stale files
  2  usage or I/O error, or an internal error";

/// Turns declarative AI-agent specs into complete Helm values, one runtime-config ConfigMap
/// per agent, and Secret stubs.
#[derive(Debug, Parser)]
#[command(name = "gen-agents", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check specs against the schema and every rule; report all problems with file:line:column.
    #[command(after_help = EXIT_CODES)]
    Validate(ValidateArgs),
    /// Render Helm values (stdout), or all four artifacts into --out-dir, or compare with --check.
    #[command(after_help = EXIT_CODES)]
    Render(RenderArgs),
    /// Print a JSON Schema derived from the spec types.
    Schema(SchemaArgs),
    /// Scaffold a fleet repository in DIR: agents/, the schema, a pre-commit config, a CI
    /// workflow and the rendered deploy/generated; never overwrites a file.
    #[command(after_help = EXIT_CODES)]
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh or fish) on stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout.
    Man,
    /// Explain a rule: its summary, why it exists, and a bad example with its fix.
    #[command(
        after_help = "Exit codes:\n  0  the rule was printed\n  2  no rule has that id (the closest one is suggested)"
    )]
    Explain(ExplainArgs),
    /// List every rule id with its summary.
    Rules(RulesArgs),
    /// The fleet's LiteLLM virtual keys against a live proxy: plan, apply, rotate.
    #[command(subcommand)]
    Keys(KeysCommand),
}

const KEYS_EXIT_CODES: &str = "\
Exit codes:
  0  success (plan: computed; with --detailed-exitcode: the proxy matches the fleet)
  1  invalid input (every problem is reported; the proxy is not contacted)
  2  usage or I/O error (e.g. no master key, --secrets-out exists); nothing was changed
  3  the proxy refused or failed (unreachable, 401, 403, 404, no database, an alias held by
     a key not this fleet's); what was changed before is listed
  4  plan --detailed-exitcode: changes pending (create, update, orphan or conflict)";

/// `gen-agents keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Compare the fleet's keys (keys.yaml) with the proxy's and print the changes, never a
    /// key value. Changes nothing.
    #[command(after_help = KEYS_EXIT_CODES)]
    Plan(KeysPlanArgs),
    /// Create missing keys (/key/generate), update drifted ones (/key/update), report orphans
    /// (--prune deletes them). Minted values go only into --secrets-out.
    #[command(after_help = KEYS_EXIT_CODES)]
    Apply(KeysApplyArgs),
    /// Give agents' keys new values (into --secrets-out); the old values stop working.
    #[command(after_help = KEYS_EXIT_CODES)]
    Rotate(KeysRotateArgs),
}

/// How to reach the proxy.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The LiteLLM proxy's root URL, http:// or https:// (no /v1), e.g. http://litellm:4000.
    #[arg(long, value_name = "URL")]
    pub proxy: String,
    /// The environment variable holding the proxy's master key (never a flag value, so it
    /// stays out of shell history and process lists).
    #[arg(long, value_name = "NAME", default_value = "LITELLM_MASTER_KEY")]
    pub master_key_env: String,
    /// PEM file of CA certificates to trust for an https proxy, besides the public web roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Seconds each request may take, connecting included.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
}

/// `gen-agents keys plan`.
#[derive(Debug, Args)]
pub struct KeysPlanArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
    /// The proxy.
    #[command(flatten)]
    pub proxy: ProxyArgs,
    /// Plan a key with a wanted alias that is not this fleet's as taken over (an update).
    #[arg(long)]
    pub adopt: bool,
    /// Exit 4 when there are changes (0 only when the proxy matches the fleet).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// `gen-agents keys apply`.
#[derive(Debug, Args)]
pub struct KeysApplyArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
    /// The proxy.
    #[command(flatten)]
    pub proxy: ProxyArgs,
    /// Where minted key values go: a new file (mode 0600) of Secret manifests named and keyed
    /// as the chart reads them. Required when a key is minted; must not exist.
    #[arg(long, value_name = "FILE")]
    pub secrets_out: Option<PathBuf>,
    /// Delete this fleet's keys whose agents are gone.
    #[arg(long)]
    pub prune: bool,
    /// Take over keys with a wanted alias that are not this fleet's (unmanaged, or another
    /// fleet's), instead of stopping.
    #[arg(long)]
    pub adopt: bool,
}

/// `gen-agents keys rotate`.
#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
    /// The proxy.
    #[command(flatten)]
    pub proxy: ProxyArgs,
    /// An agent whose key gets a new value (repeatable).
    #[arg(long = "agent", value_name = "NAME", required_unless_present = "all")]
    pub agents: Vec<String>,
    /// Every key of the fleet.
    #[arg(long, conflicts_with = "agents")]
    pub all: bool,
    /// Where the new values go: a new file (mode 0600) of Secret manifests.
    #[arg(long, value_name = "FILE")]
    pub secrets_out: PathBuf,
    /// Keep the old values working this long (a LiteLLM duration such as `1h`), for pods that
    /// still hold them until the new Secret is applied. Default: they stop at once.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub grace: Option<String>,
}

/// `gen-agents explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id, as shown in brackets in a diagnostic (e.g. `env-reserved`).
    #[arg(value_name = "RULE")]
    pub rule: String,
}

/// `gen-agents rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the README's rule table (Markdown) instead of the plain list.
    #[arg(long)]
    pub markdown: bool,
}

/// `gen-agents init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository to scaffold (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// `gen-agents completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// `source <(gen-agents completions bash)`.
    Bash,
    /// Into a file on `$fpath` named `_gen-agents`.
    Zsh,
    /// Into `~/.config/fish/completions/gen-agents.fish`.
    Fish,
}

/// How to print problems (the library's `diag::Format`, as a command-line value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// `file:line:col: error[rule]: message` plus an indented `help:` line.
    Human,
    /// One JSON array of objects with file, line, column, severity, rule, message, help.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
    /// One SARIF 2.1.0 log, for GitHub code scanning (`upload-sarif`).
    Sarif,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Github => Format::Github,
            FormatArg::Sarif => Format::Sarif,
        }
    }
}

/// Inputs shared by validate and render.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Spec files, directories (every *.yaml/*.yml below, sorted), glob patterns, or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// A file of `kind: Defaults` documents layered over the built-in defaults (repeatable; later wins).
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    pub values: Vec<String>,
    /// A LiteLLM proxy config.yaml: every agent's model must be one of its `model_name`s,
    /// mapped to a target that fits the runtime's wire API (rules `model-alias`, `model-wire-api`).
    #[arg(long, value_name = "FILE")]
    pub litellm_config: Option<String>,
    /// The fleet these agents form: recorded as `fleet` in the metadata of every key of
    /// keys.yaml, so one LiteLLM proxy can serve several fleets and a key whose agent is
    /// gone can be told apart from another fleet's. A DNS-1123 label.
    #[arg(long, value_name = "NAME", default_value = "default", value_parser = fleet_name)]
    pub fleet: String,
    /// Accept inputs with no agent (an empty fleet renders `agents: {}`, and `helm upgrade`
    /// with it deletes every agent, so without this flag that is an error).
    #[arg(long)]
    pub allow_empty: bool,
    /// How to print problems. Default: github when GITHUB_ACTIONS=true, else human.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
}

/// `gen-agents validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `gen-agents render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
    /// Write values.yaml, configmaps.yaml, secrets.yaml and keys.yaml into DIR (atomically).
    #[arg(long, value_name = "DIR", conflicts_with = "check")]
    pub out_dir: Option<PathBuf>,
    /// Compare with the files in DIR: exit 0 when identical, 1 with a diff on stderr when stale.
    #[arg(long, value_name = "DIR")]
    pub check: Option<PathBuf>,
    /// A directory of templates replacing the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// What secrets.yaml holds.
    #[arg(long, value_enum, default_value_t = SecretsKind::Stubs)]
    pub secrets: SecretsKind,
    /// The SecretStore the ExternalSecrets read from (with --secrets external-secrets).
    #[arg(
        long,
        value_name = "NAME",
        required_if_eq("secrets", "external-secrets")
    )]
    pub secret_store: Option<String>,
    /// The kind of that store.
    #[arg(long, value_enum, default_value_t = StoreKind::SecretStore)]
    pub secret_store_kind: StoreKind,
}

/// What secrets.yaml holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecretsKind {
    /// Plain Secret stubs: no data keys, the keys and how to fill them as annotations.
    Stubs,
    /// External Secrets Operator ExternalSecrets.
    ExternalSecrets,
}

/// SecretStore kinds of the External Secrets Operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// A namespaced SecretStore.
    #[value(name = "SecretStore")]
    SecretStore,
    /// A ClusterSecretStore.
    #[value(name = "ClusterSecretStore")]
    ClusterSecretStore,
}

/// `gen-agents schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the schema of the Helm values `render` emits (the chart's values.schema.json).
    #[arg(long)]
    pub helm_values: bool,
}

/// `--fleet`: a DNS-1123 label, so it reads the same in every tool that shows key metadata.
fn fleet_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("use a DNS-1123 label: lowercase letters, digits and `-`, e.g. `prod`".into())
    }
}

/// `--grace`: a LiteLLM duration.
fn duration(s: &str) -> Result<String, String> {
    if gen_agents::validate::rules::is_litellm_duration(s) {
        Ok(s.to_owned())
    } else {
        Err("use a positive whole number and `s`, `m`, `h`, `d`, `w` or `mo`, e.g. `1h`".into())
    }
}
