#!/usr/bin/env bash
# Prove `gen-agents keys plan|apply|rotate` against the real LiteLLM proxy (PyPI litellm[proxy]
# $LITELLM_VERSION, tool-versions.sh) with a real PostgreSQL behind it, offline, in a
# loopback-only network namespace (.ci/keys_check.py):
#   fields    keys.yaml's field names are fields of the pinned litellm's GenerateKeyRequest and
#             UpdateKeyRequest (LiteLLM drops unknown ones silently); break-check: `modelz`
#   a..i      plan on an empty proxy, apply (secrets file 0600), each minted key gets 200 on its
#             model and 403 on another, idempotent re-apply, update, orphan/--prune, rotate,
#             conflict/--adopt, a wrong master key / unreachable port / --no-db proxy exit 3
#   secrecy   no output of any command holds the master key or a minted value (break-checked)
# A missing tool (the harness, unshare, the binary) is a FAIL, never a skip.
# Usage: .ci/keys.sh
# Env:   GEN_AGENTS_BIN     the gen-agents binary (default: `cargo build` into CARGO_TARGET_DIR)
#        GEN_AGENTS_TOOLS   tools cache (install-tools.sh), LITELLM_HARNESS_HOME (its litellm-harness)
#        GEN_AGENTS_SHARED  the dir holding litellm/ (default ../shared beside the repo)
#        KEYS_CHECK_KEEP    if set, keep the work dir (command and proxy logs)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=tool-versions.sh source-path=SCRIPTDIR
. "$here/tool-versions.sh"
TOOLS="${GEN_AGENTS_TOOLS:-$HOME/.cache/gen-agents-tools}"
SHARED="${GEN_AGENTS_SHARED:-$repo/../shared}"
export LITELLM_HARNESS_HOME="${LITELLM_HARNESS_HOME:-$TOOLS/litellm-harness}"
start=$SECONDS

# Only this script's own failures are counted here; keys_check.py prints its own tally.
fail() {
  printf 'FAIL %s\n' "$*"
  printf 'keys: 0 passed, 1 failed\n'
  exit 1
}

# --- tools --------------------------------------------------------------------------
# The harness venv (litellm-proxy.sh setup, via install-tools.sh) is named after the pin.
PY="$(ls -d "$LITELLM_HARNESS_HOME/venv-$LITELLM_VERSION"-*/bin/python 2>/dev/null | head -1 || true)"
[[ -n "$PY" && -x "$PY" ]] \
  || fail "tools: no LiteLLM $LITELLM_VERSION harness venv in $LITELLM_HARNESS_HOME; run .ci/install-tools.sh"
[[ -x "$SHARED/litellm/litellm-proxy.sh" && -f "$SHARED/litellm/fake_upstream.py" ]] \
  || fail "tools: no LiteLLM harness at $SHARED/litellm (CI has ../shared beside the repo; or set GEN_AGENTS_SHARED)"
[[ "$(id -u)" == 0 ]] && command -v unshare >/dev/null && command -v ip >/dev/null \
  && unshare --net --mount true 2>/dev/null \
  || fail "tools: cannot create a loopback-only network namespace (needs root, unshare, ip)"

# --- the binary ---------------------------------------------------------------------------
# The dev profile, like integrations.sh: cargo test just built it in CARGO_TARGET_DIR.
if [[ -n "${GEN_AGENTS_BIN:-}" ]]; then
  GA="$GEN_AGENTS_BIN"
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
  log="$(mktemp)"
  (cd "$repo" && cargo build --locked --quiet --bin gen-agents) >"$log" 2>&1 \
    || { sed 's/^/    /' "$log"; rm -f "$log"; fail "build: cargo build --bin gen-agents"; }
  rm -f "$log"
  GA="$CARGO_TARGET_DIR/debug/gen-agents"
fi
[[ -x "$GA" ]] || fail "tools: gen-agents binary $GA is not executable"

args=(--bin "$GA" --shared "$SHARED" --litellm-home "$LITELLM_HARNESS_HOME")
[[ -z "${KEYS_CHECK_KEEP:-}" ]] || args+=(--keep)
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
rc=0
unshare --net --mount --propagation private "$PY" "$here/keys_check.py" "${args[@]}" 2>&1 | tee "$out" || rc=$?
# A checker that died before its tally (a crash) is a failure of its own.
if ! grep -q '^keys: [0-9]* passed, [0-9]* failed$' "$out"; then
  fail "keys_check.py exited $rc without its tally ($((SECONDS - start)) s)"
fi
exit "$rc"
