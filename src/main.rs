//! The `gen-agents` binary: parse the command line, call the library, map outcomes to
//! exit codes (0 ok, 1 invalid input or stale, 2 usage/I/O/internal).

mod cli;

/// jemalloc: a large render is mostly allocating and freeing small strings and nodes on two
/// threads; jemalloc does that about 30% faster than the system allocator and, with two
/// arenas, at a lower peak (README, Performance).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's build-time options (read by jemalloc at start): one arena per core this tool
/// uses instead of four per core, which keeps fragmentation, and so peak memory, down; and
/// freed pages go back to the system at once instead of after 10 s, since a run is one
/// pass whose early allocations (the specs) are dead by the time the artifacts peak
/// (10,000 mixed agents: 107 MiB instead of 130 MiB, about 4 % slower).
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8; 44] = b"narenas:2,dirty_decay_ms:0,muzzy_decay_ms:0\0";

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use gen_agents::diag::{self, Diagnostics, Format};
use gen_agents::render::{SecretsMode, Templates};
use gen_agents::rules::Rule;

use cli::{
    Cli, Command, InputArgs, KeysCommand, ProxyArgs, RenderArgs, SecretsKind, Shell, StoreKind,
};

const INVALID: u8 = 1;
const FAILURE: u8 = 2;
/// `keys`: the proxy refused or failed.
const PROXY: u8 = 3;
/// `keys plan --detailed-exitcode`: changes pending.
const PENDING: u8 = 4;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { FAILURE } else { 0 });
        }
    };
    match cli.command {
        Command::Validate(args) => validate(&args.input),
        Command::Render(args) => render(&args),
        Command::Schema(args) => schema(args.helm_values),
        Command::Init(args) => init(&args.dir),
        Command::Completions(args) => completions(args.shell),
        Command::Man => man(),
        Command::Explain(args) => explain(&args.rule),
        Command::Rules(args) => rules(args.markdown),
        Command::Keys(cmd) => keys(&cmd),
    }
}

/// `keys plan|apply|rotate`: the fleet's keys from the specs, the proxy's from `/key/list`,
/// then the plan, carried out by `apply` and `rotate`.
fn keys(cmd: &KeysCommand) -> ExitCode {
    let (input, proxy_args, adopt) = match cmd {
        KeysCommand::Plan(a) => (&a.input, &a.proxy, a.adopt),
        KeysCommand::Apply(a) => (&a.input, &a.proxy, a.adopt),
        KeysCommand::Rotate(a) => (&a.input, &a.proxy, false),
    };
    let format = format_of(input);
    let mut diags = Diagnostics::default();
    let fleet = match load(input, &mut diags) {
        Ok(f) => f,
        Err(e) => return io_error(&e),
    };
    let desired = gen_agents::key_requests(&fleet, &mut diags);
    let failed = diags.has_errors();
    report(diags, format, false);
    let Some(desired) = desired.filter(|_| !failed) else {
        return ExitCode::from(INVALID);
    };
    let mut proxy = match connect(proxy_args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let live = match proxy.list_keys() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}\nnothing was changed");
            return ExitCode::from(PROXY);
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let plan = gen_agents::keys::plan(gen_agents::fleet_name(&fleet), desired, &live, adopt, now);
    let outcome = match cmd {
        KeysCommand::Plan(a) => {
            let text = if format == Format::Json {
                plan.json()
            } else {
                plan.human()
            };
            print!("{text}");
            let pending = a.detailed_exitcode && !plan.in_sync();
            return ExitCode::from(if pending { PENDING } else { 0 });
        }
        KeysCommand::Apply(a) => {
            gen_agents::keys::apply::apply(&mut proxy, &plan, a.prune, a.secrets_out.as_deref())
        }
        KeysCommand::Rotate(a) => {
            let agents = (!a.all).then_some(a.agents.as_slice());
            gen_agents::keys::apply::rotate(
                &mut proxy,
                &plan,
                agents,
                a.grace.as_deref(),
                &a.secrets_out,
            )
        }
    };
    finish(outcome, &proxy)
}

/// The proxy client, with the master key from its environment variable.
fn connect(args: &ProxyArgs) -> Result<gen_agents::keys::proxy::Proxy, ExitCode> {
    let env = &args.master_key_env;
    let master = match std::env::var(env) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => {
            eprintln!("error: ${env} is not set (or empty): the proxy's master key is read from it\n  help: `export {env}=…` (the key is never a flag value), or name another variable with --master-key-env");
            return Err(ExitCode::from(FAILURE));
        }
    };
    let timeout = std::time::Duration::from_secs(args.timeout.max(1));
    gen_agents::keys::proxy::Proxy::new(&args.proxy, master, env, args.ca_file.as_deref(), timeout)
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(FAILURE)
        })
}

/// Prints what `apply`/`rotate` did (stdout) or why they stopped (stderr), every text
/// redacted once more.
fn finish(
    outcome: Result<gen_agents::keys::apply::Outcome, gen_agents::keys::apply::Failure>,
    proxy: &gen_agents::keys::proxy::Proxy,
) -> ExitCode {
    use gen_agents::keys::apply::Failure;
    let r = |t: &str| proxy.redactor.redact(t);
    match outcome {
        Ok(out) => {
            for line in &out.done {
                println!("{}", r(line));
            }
            for alias in &out.kept_orphans {
                println!(
                    "- kept orphan {} (its agents are gone; --prune deletes it)",
                    r(alias)
                );
            }
            if out.done.is_empty() {
                println!("nothing to change");
            }
            if let Some(path) = &out.secrets {
                println!(
                    "key values written to {} (mode 0600): `kubectl apply -f {}`, then delete it",
                    path.display(),
                    path.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Usage { message, help }) => {
            eprintln!("error: {}\n  help: {}", r(&message), r(&help));
            ExitCode::from(FAILURE)
        }
        Err(Failure::Proxy { error, done }) => {
            eprintln!("error: {}", r(&error.to_string()));
            if done.is_empty() {
                eprintln!("nothing was changed");
            } else {
                eprintln!("changed before the error:");
                for line in &done {
                    eprintln!("  {}", r(line));
                }
            }
            ExitCode::from(PROXY)
        }
    }
}

fn explain(id: &str) -> ExitCode {
    match Rule::lookup(id) {
        Ok(rule) => {
            print!("{}", rule.explain());
            ExitCode::SUCCESS
        }
        Err(close) => {
            eprintln!("error: no rule has the id `{id}`");
            match close {
                Some(c) => eprintln!("  help: did you mean `{c}`?"),
                None => eprintln!("  help: `gen-agents rules` lists every rule"),
            }
            ExitCode::from(FAILURE)
        }
    }
}

fn rules(markdown: bool) -> ExitCode {
    if markdown {
        print!("{}", gen_agents::rules::markdown_table());
    } else {
        print!("{}", gen_agents::rules::list());
    }
    ExitCode::SUCCESS
}

fn format_of(input: &InputArgs) -> Format {
    input.format.map(Format::from).unwrap_or_else(|| {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            Format::Github
        } else {
            Format::Human
        }
    })
}

/// Prints diagnostics: JSON and GitHub annotations on stdout for `validate` (where tools
/// read them), everything on stderr for `render` (stdout carries the values).
fn report(diags: Diagnostics, format: Format, stdout_ok: bool) {
    let text = diag::render(&diags.sorted(), format);
    if text.is_empty() {
        return;
    }
    if stdout_ok && format != Format::Human {
        let _ = std::io::stdout().write_all(text.as_bytes());
    } else {
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

/// Loads and validates the inputs, with the LiteLLM model list when one is given.
fn load(
    input: &InputArgs,
    diags: &mut Diagnostics,
) -> Result<gen_agents::Fleet, gen_agents::load::LoadError> {
    let mut fleet = gen_agents::load_fleet(&input.paths, &input.values, diags)?;
    fleet.set_name(&input.fleet);
    if !input.allow_empty {
        fleet.require_agents(&input.paths, diags);
    }
    if let Some(path) = &input.litellm_config {
        if let Some(models) = gen_agents::resolve::litellm::load(path, diags)? {
            fleet.check_models_against(models);
        }
    }
    Ok(fleet)
}

fn validate(input: &InputArgs) -> ExitCode {
    let format = format_of(input);
    let mut diags = Diagnostics::default();
    let fleet = match load(input, &mut diags) {
        Ok(f) => f,
        Err(e) => return io_error(&e),
    };
    let agents = gen_agents::check_fleet(&fleet, &mut diags);
    let failed = diags.has_errors();
    report(diags, format, true);
    if failed {
        return ExitCode::from(INVALID);
    }
    if format == Format::Human {
        eprintln!("ok: {agents} agent(s) in {} file(s)", fleet.files);
    }
    ExitCode::SUCCESS
}

fn render(args: &RenderArgs) -> ExitCode {
    let format = format_of(&args.input);
    let mut diags = Diagnostics::default();
    let fleet = match load(&args.input, &mut diags) {
        Ok(f) => f,
        Err(e) => return io_error(&e),
    };
    let templates = Templates::load(args.templates.as_deref(), &mut diags);
    if diags.has_errors() {
        report(diags, format, false);
        return ExitCode::from(INVALID);
    }
    let mode = match (args.secrets, &args.secret_store) {
        (SecretsKind::ExternalSecrets, Some(store)) => SecretsMode::ExternalSecrets {
            store: store.clone(),
            kind: match args.secret_store_kind {
                StoreKind::SecretStore => "SecretStore".into(),
                StoreKind::ClusterSecretStore => "ClusterSecretStore".into(),
            },
        },
        _ => SecretsMode::Stubs,
    };
    // Printing values alone renders values alone, when nothing else could report a problem.
    let scope = if args.check.is_none() && args.out_dir.is_none() {
        templates.values_scope(&mode)
    } else {
        gen_agents::render::Scope::All
    };
    let artifacts = gen_agents::render_fleet_scoped(fleet, &templates, &mode, scope, &mut diags);
    let failed = diags.has_errors();
    report(diags, format, false);
    let Some(artifacts) = artifacts.filter(|_| !failed) else {
        return ExitCode::from(INVALID);
    };
    if let Some(dir) = &args.check {
        return match gen_agents::write::check(dir, &artifacts) {
            Ok(stale) if stale.is_empty() => ExitCode::SUCCESS,
            Ok(stale) => {
                for s in &stale {
                    eprint!("{}", s.diff);
                }
                eprintln!("stale: {} file(s) in {} differ from the rendering; run `gen-agents render --out-dir {}` and commit", stale.len(), dir.display(), dir.display());
                ExitCode::from(INVALID)
            }
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                ExitCode::from(FAILURE)
            }
        };
    }
    if let Some(dir) = &args.out_dir {
        return match gen_agents::write::write_atomic(dir, &artifacts) {
            Ok(written) => {
                for note in &written.notes {
                    eprintln!("note: {}: {note}", dir.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                ExitCode::from(FAILURE)
            }
        };
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match artifacts
        .values
        .write_to(&mut out)
        .and_then(|()| out.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(FAILURE),
        Err(e) => {
            eprintln!("error: stdout: {e}");
            ExitCode::from(FAILURE)
        }
    }
}

fn schema(helm_values: bool) -> ExitCode {
    let schema = if helm_values {
        gen_agents::render::model::helm_values_schema()
    } else {
        gen_agents::spec::schema::document_schema()
    };
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("internal error: {e}");
            ExitCode::from(FAILURE)
        }
    }
}

/// Scaffolds DIR, then renders its agents into deploy/generated, so the new repository's CI
/// (`render --check`) passes from the first commit.
fn init(dir: &std::path::Path) -> ExitCode {
    let written = match gen_agents::init::scaffold(dir) {
        Ok(w) => w,
        Err(e @ gen_agents::init::InitError::Exists(_)) => {
            eprintln!("error: {e}");
            return ExitCode::from(INVALID);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(FAILURE);
        }
    };
    let agents = dir.join(gen_agents::init::AGENTS_DIR);
    let mut diags = Diagnostics::default();
    let fleet = match gen_agents::load_fleet(&[agents.display().to_string()], &[], &mut diags) {
        Ok(f) => f,
        Err(e) => return io_error(&e),
    };
    let artifacts = {
        let templates = Templates::load(None, &mut diags);
        gen_agents::render_fleet(fleet, &templates, &SecretsMode::Stubs, &mut diags)
    };
    let failed = diags.has_errors();
    report(diags, Format::Human, false);
    let Some(artifacts) = artifacts.filter(|_| !failed) else {
        eprintln!("internal error: the scaffold does not render");
        return ExitCode::from(FAILURE);
    };
    let out = dir.join(gen_agents::init::GENERATED_DIR);
    if let Err(e) = gen_agents::write::write_atomic(&out, &artifacts) {
        eprintln!("error: {}: {e}", out.display());
        return ExitCode::from(FAILURE);
    }
    for path in &written {
        eprintln!("created {}", path.display());
    }
    eprintln!("created {}/ (rendered)", out.display());
    ExitCode::SUCCESS
}

fn completions(shell: Shell) -> ExitCode {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "gen-agents", &mut std::io::stdout());
    ExitCode::SUCCESS
}

fn man() -> ExitCode {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    match clap_mangen::Man::new(cmd)
        .render(&mut out)
        .and_then(|()| std::io::stdout().write_all(&out))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: stdout: {e}");
            ExitCode::from(FAILURE)
        }
    }
}

fn io_error(e: &gen_agents::load::LoadError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(FAILURE)
}
