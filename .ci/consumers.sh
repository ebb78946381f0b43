#!/usr/bin/env bash
# Prove gen-agents' rendered output against its real consumers, offline:
#   helm lint --strict + helm template    chart/agent-fleet with OUT_DIR/values.yaml
#                                         (Helm v4's engine via helm-python-sdk)
#   kubernetes-validate --strict          every rendered document, configmaps.yaml
#                                         and secrets.yaml, per pinned k8s version
#   kubelet refs                          rendered pods find their ConfigMaps,
#                                         Secret keys and PVCs
#   runtimes                              every agent Deployment, with its real
#                                         pinned CLI (codex, claude, gemini,
#                                         openclaw) through the real LiteLLM proxy
#                                         (+ PostgreSQL, one virtual key per agent),
#                                         in a loopback-only network namespace
#                                         (.ci/runtimes_check.py)
#
# Usage: .ci/consumers.sh OUT_DIR
#   OUT_DIR holds `gen-agents render` output: values.yaml, configmaps.yaml,
#   secrets.yaml (multi-document YAML).
# Env:   GEN_AGENTS_TOOLS  tools cache (see install-tools.sh; run that first)
#        CI                when set, a missing tool FAILS instead of skipping
#        KEEP_RENDERED     if set, a path to copy the rendered manifests to
#        GEN_AGENTS_RUNTIME_BREAKS  space-separated `runtimes_check.py --break`
#                          self-tests to run after the real checks (base-url
#                          unknown-key undeclared-var key-leak, or all; default none)
#        GEN_AGENTS_SHARED the dir holding litellm/ (default ../shared beside the repo)
#        GEN_AGENTS_RUNTIMES  `skip` leaves the runtimes out (for a test of another
#                          check, which need not start LiteLLM); reported as SKIP
#
# Prints one PASS/FAIL (or SKIP) line per check and a closing
# "consumers: N passed, N failed" line; exits 1 if anything failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=tool-versions.sh source-path=SCRIPTDIR
. "$here/tool-versions.sh"

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR   (OUT_DIR holds values.yaml, configmaps.yaml, secrets.yaml)" >&2
  exit 2
fi
out_dir="$1"
chart="$repo/chart/agent-fleet"
TOOLS="${GEN_AGENTS_TOOLS:-$HOME/.cache/gen-agents-tools}"
PY="$TOOLS/venv/bin/python"
KV="$TOOLS/venv/bin/kubernetes-validate"
SHARED="${GEN_AGENTS_SHARED:-$repo/../shared}"
export LITELLM_HARNESS_HOME="${LITELLM_HARNESS_HOME:-$TOOLS/litellm-harness}"

passed=0 failed=0 skipped=0
pass() { printf 'PASS %s\n' "$*"; passed=$((passed + 1)); }
fail() { printf 'FAIL %s\n' "$*"; failed=$((failed + 1)); }
# A missing tool: fatal under CI (a skipped check proves nothing there).
skip() {
  if [[ -n "${CI:-}" ]]; then fail "$*"; else printf 'SKIP %s\n' "$*"; skipped=$((skipped + 1)); fi
}
# Indent a command's captured output under its FAIL line.
show() { sed 's/^/    /' "$1"; }
# Re-print a helper's own PASS/FAIL lines and count them in this shell.
relay() {
  local line
  while IFS= read -r line; do
    case "$line" in
      PASS\ *) pass "${line#PASS }" ;;
      FAIL\ *) fail "${line#FAIL }" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done <"$1"
}
# A helper's exit status when it printed no FAIL line of its own (it crashed): a failure.
harness_failed() { # RC FILE LABEL
  if (($1 != 0)) && ! grep -q '^FAIL ' "$2"; then fail "$3: exited $1"; fi
}
finish() {
  printf 'consumers: %d passed, %d failed' "$passed" "$failed"
  if ((skipped)); then printf ', %d skipped' "$skipped"; fi
  printf '\n'
  ((failed == 0))
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- inputs -------------------------------------------------------------------
inputs_ok=1
for f in values.yaml configmaps.yaml secrets.yaml; do
  if [[ ! -s "$out_dir/$f" ]]; then
    fail "input: $out_dir/$f is missing or empty"
    inputs_ok=0
  fi
done
((inputs_ok)) || { finish; exit 1; }

# --- tools: present and at the pinned versions ---------------------------------
have_py=0
if [[ -x "$PY" ]] && "$PY" - "$HELM_PYTHON_SDK_VERSION" "$KUBERNETES_VALIDATE_VERSION" >"$work/tools.txt" 2>&1 <<'PY'
import sys
from importlib.metadata import version
want = {"helm-python-sdk": sys.argv[1], "kubernetes-validate": sys.argv[2]}
have = {name: version(name) for name in want}
bad = {n: v for n, v in have.items() if v != want[n]}
if bad:
    sys.exit(f"pinned {want}, installed {have}")
import helm_python
print(f"helm-python-sdk {have['helm-python-sdk']} (Helm {helm_python.helm_sdk_version()}),"
      f" kubernetes-validate {have['kubernetes-validate']}")
PY
then
  have_py=1
  pass "tools: $(cat "$work/tools.txt")"
else
  why="$(tail -n1 "$work/tools.txt" 2>/dev/null || true)"
  skip "tools: helm-python-sdk==$HELM_PYTHON_SDK_VERSION / kubernetes-validate==$KUBERNETES_VALIDATE_VERSION not in $TOOLS/venv${why:+ ($why)}; run .ci/install-tools.sh"
fi
# The runtimes run in their own network namespace (nothing can leave loopback),
# which needs root, unshare and ip. (Each CLI's presence and pin is checked by
# runtimes_check.py itself: a missing one is a FAIL there.)
have_netns=0
if [[ "$(id -u)" == 0 ]] && command -v unshare >/dev/null && command -v ip >/dev/null \
  && unshare --net --mount true 2>/dev/null; then
  have_netns=1
else
  skip "tools: cannot create a loopback-only network namespace (needs root, unshare, ip)"
fi

# --- Helm ----------------------------------------------------------------------
rendered="$work/rendered.yaml"
rendered_ok=0
# Lint against the newest pinned Kubernetes: API deprecations only grow.
newest_kube="v${KUBE_VERSIONS##* }"
if ((have_py)); then
  if "$PY" "$here/helm.py" lint "$chart" -f "$out_dir/values.yaml" --kube-version "$newest_kube" \
    >"$work/lint.txt" 2>&1; then
    pass "helm lint --strict --kube-version $newest_kube: chart/agent-fleet -f values.yaml ($(grep -c '^\[' "$work/lint.txt" || true) finding(s), none above INFO)"
  else
    fail "helm lint --strict --kube-version $newest_kube: chart/agent-fleet -f values.yaml"
    show "$work/lint.txt"
  fi
  if "$PY" "$here/helm.py" template gen-agents "$chart" -f "$out_dir/values.yaml" >"$rendered" 2>"$work/template.err"; then
    kinds="$(grep -E '^kind: ' "$rendered" | sort | uniq -c | awk '{printf "%s%d %s", sep, $1, $3; sep=", "}')"
    pass "helm template: chart/agent-fleet -f values.yaml (${kinds:-no documents})"
    rendered_ok=1
    if [[ -n "${KEEP_RENDERED:-}" ]]; then cp "$rendered" "$KEEP_RENDERED"; fi
  else
    fail "helm template: chart/agent-fleet -f values.yaml"
    show "$work/template.err"
    echo "    (so the rendered manifests and kubelet refs are not checked)"
  fi
else
  skip "helm lint --strict: no helm-python-sdk"
  skip "helm template: no helm-python-sdk"
fi

# --- kubernetes-validate ---------------------------------------------------------
# It only WARNs (exit 0) when it has no schema for a kind/apiVersion, so any
# WARN/ERROR/FATAL line is a failure here, as is a file with no documents.
if ((have_py)); then
  for kube in $KUBE_VERSIONS; do
    for pair in "rendered manifests:$rendered" "configmaps.yaml:$out_dir/configmaps.yaml" \
      "secrets.yaml:$out_dir/secrets.yaml"; do
      label="${pair%%:*}" file="${pair#*:}"
      # A failed render is already a FAIL; don't pile empty-file failures on it.
      [[ "$file" != "$rendered" ]] || ((rendered_ok)) || continue
      rc=0
      "$KV" --strict -k "$kube" "$file" >"$work/kv.txt" 2>&1 || rc=$?
      n="$(grep -c '^INFO .* passed for resource' "$work/kv.txt" || true)"
      if ((rc == 0)) && ! grep -qE '^(WARN|ERROR|FATAL)' "$work/kv.txt" && ((n > 0)); then
        pass "kubernetes-validate --strict $kube: $label ($n document(s))"
      else
        fail "kubernetes-validate --strict $kube: $label (exit $rc, $n document(s) passed)"
        { grep -vE '^INFO' "$work/kv.txt" || true; } | show /dev/stdin
      fi
    done
  done
  if ((rendered_ok)); then
    rc=0
    # The stubs declare their keys in annotations (they carry no data, so applying
    # one cannot erase a value): count the keys the operator is told to create.
    "$PY" "$here/refs_check.py" --declared-keys "$rendered" "$out_dir/configmaps.yaml" "$out_dir/secrets.yaml" \
      >"$work/refs.txt" 2>&1 || rc=$?
    relay "$work/refs.txt"
    harness_failed "$rc" "$work/refs.txt" "kubelet refs checker"
  fi
else
  skip "kubernetes-validate: not installed"
fi

# --- runtimes: every agent with its real CLI, through the real LiteLLM ---------------
if [[ "${GEN_AGENTS_RUNTIMES:-}" == skip ]]; then
  printf 'SKIP runtimes: GEN_AGENTS_RUNTIMES=skip\n'
  skipped=$((skipped + 1))
elif ((have_py && have_netns && rendered_ok)); then
  breaks=()
  for kind in ${GEN_AGENTS_RUNTIME_BREAKS:-}; do breaks+=(--break "$kind"); done
  rc=0
  unshare --net --mount "$PY" "$here/runtimes_check.py" --tools "$TOOLS" --shared "$SHARED" "${breaks[@]}" \
    "$rendered" "$out_dir/configmaps.yaml" "$out_dir/values.yaml" >"$work/runtimes.txt" 2>&1 || rc=$?
  # Its closing tally is ours to print; every PASS/FAIL line above it is relayed.
  sed -i '/^runtimes: [0-9]* passed, [0-9]* failed$/d' "$work/runtimes.txt"
  relay "$work/runtimes.txt"
  harness_failed "$rc" "$work/runtimes.txt" "runtimes checks harness"
elif ((have_py && have_netns)); then
  fail "runtimes: not checked, helm template failed"
else
  skip "runtimes (codex, claude, gemini, openclaw through LiteLLM): tools or network namespace missing"
fi

finish
