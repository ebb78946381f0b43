//! Criterion benchmarks of the library pipeline on generated fleets of all four runtimes: validate (load,
//! schema, rules, resolve) and render (all three artifacts, parsed back). Run with
//! `cargo bench`; `benches/run.sh` measures the binary's wall time and peak memory.

use std::fmt::Write as _;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gen_agents::diag::Diagnostics;
use gen_agents::render::{SecretsMode, Templates};

/// The runtimes a generated fleet cycles through, with a model alias for each.
const RUNTIMES: [(&str, &str); 4] = [
    ("codex", "codex-cli/gpt-5.4"),
    ("claude-code", "claude-sonnet"),
    ("gemini-cli", "gemini-pro"),
    ("openclaw", "gpt-4o-mini"),
];

/// Writes a fleet of `n` agents of all four runtimes (one Defaults document and one file of
/// agents) into `dir`.
pub fn write_fleet(dir: &Path, n: usize) {
    let defaults = "apiVersion: gen-agents/v1\nkind: Defaults\nspec:\n  apiUrl: http://backend:5000\n  mcpServers:\n    commonly:\n      command: /tools/bin/commonly-mcp\n      args: []\n      env: [COMMONLY_API_URL, COMMONLY_AGENT_TOKEN]\n";
    std::fs::write(dir.join("defaults.yaml"), defaults).unwrap();
    let mut agents = String::new();
    for i in 0..n {
        let (runtime, model) = RUNTIMES[i % RUNTIMES.len()];
        let _ = write!(
            agents,
            "---\napiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: agent-{i:05}\n  labels:\n    team: t{}\nspec:\n  runtime: {runtime}\n  model: {model}\n  replicas: {}\n  storage: 1Gi\n  podId: pod{i:08x}\n  mcpServers:\n    github:\n      command: /tools/bin/github-mcp-server\n      args: [stdio]\n      env: [GITHUB_TOKEN]\n  env:\n    GITHUB_TOKEN:\n      secretKeyRef: {{name: api-keys, key: GITHUB_PAT, optional: true}}\n",
            i % 7,
            i % 2
        );
    }
    std::fs::write(dir.join("agents.yaml"), agents).unwrap();
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("fleet");
    group.sample_size(10);
    for n in [100, 1000] {
        let dir = tempfile::tempdir().unwrap();
        write_fleet(dir.path(), n);
        let input = vec![dir.path().to_string_lossy().into_owned()];
        group.bench_with_input(BenchmarkId::new("validate", n), &input, |b, input| {
            b.iter(|| {
                let mut d = Diagnostics::default();
                let fleet = gen_agents::load_fleet(input, &[], &mut d).unwrap();
                assert_eq!(gen_agents::check_fleet(&fleet, &mut d), n);
            });
        });
        group.bench_with_input(BenchmarkId::new("render", n), &input, |b, input| {
            b.iter(|| {
                let mut d = Diagnostics::default();
                let fleet = gen_agents::load_fleet(input, &[], &mut d).unwrap();
                let templates = Templates::load(None, &mut d);
                gen_agents::render_fleet(fleet, &templates, &SecretsMode::Stubs, &mut d).unwrap()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
