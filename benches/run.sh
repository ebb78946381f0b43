#!/usr/bin/env bash
# Wall time and peak memory of the release binary on generated fleets (the figures in the
# README's Performance section), on fleets that cycle through all four runtimes.
# Usage: benches/run.sh [SIZES...]   (default: 1 1000 10000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet
bin=target/release/gen-agents
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sizes=("$@")
((${#sizes[@]})) || sizes=(1 1000 10000)
printf '%-8s %-9s %10s %10s %12s\n' agents command "wall (s)" "cpu (s)" "peak (MiB)"
for n in "${sizes[@]}"; do
  python3 - "$work/f$n" "$n" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
open(f"{d}/defaults.yaml", "w").write("apiVersion: gen-agents/v1\nkind: Defaults\nspec:\n  apiUrl: http://backend:5000\n  mcpServers:\n    commonly:\n      command: /tools/bin/commonly-mcp\n      args: []\n      env: [COMMONLY_API_URL, COMMONLY_AGENT_TOKEN]\n")
runtimes = [("codex", "codex-cli/gpt-5.4"), ("claude-code", "claude-sonnet"), ("gemini-cli", "gemini-pro"), ("openclaw", "gpt-4o-mini")]
with open(f"{d}/agents.yaml", "w") as f:
    for i in range(n):
        rt, model = runtimes[i % 4]
        f.write(f"---\napiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: agent-{i:05d}\n  labels:\n    team: t{i % 7}\nspec:\n  runtime: {rt}\n  model: {model}\n  replicas: {i % 2}\n  storage: 1Gi\n  podId: pod{i:08x}\n  mcpServers:\n    github:\n      command: /tools/bin/github-mcp-server\n      args: [stdio]\n      env: [GITHUB_TOKEN]\n  env:\n    GITHUB_TOKEN:\n      secretKeyRef: {{name: api-keys, key: GITHUB_PAT, optional: true}}\n")
PY
  for cmd in validate render; do
    extra=()
    [[ $cmd == render ]] && extra=(--out-dir "$work/out$n")
    best=""
    for _ in 1 2 3; do
      line="$(/usr/bin/time -f '%e %U %S %M' "$bin" "$cmd" "$work/f$n" "${extra[@]}" 2>&1 >/dev/null | tail -n1)"
      read -r wall user sys kb <<<"$line"
      if [[ -z "$best" ]] || awk "BEGIN{exit !($wall < ${best%% *})}"; then best="$wall $user $sys $kb"; fi
    done
    read -r wall user sys kb <<<"$best"
    printf '%-8s %-9s %10s %10.2f %12.1f\n' "$n" "$cmd" "$wall" "$(awk "BEGIN{print $user+$sys}")" "$(awk "BEGIN{print $kb/1024}")"
  done
done
