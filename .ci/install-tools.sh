#!/usr/bin/env bash
# Install the real consumers of gen-agents' output, pinned, into a cache dir:
#   - Helm v4's engine (PyPI helm-python-sdk, bundling libhelm_c) and
#     kubernetes-validate, in a venv at $TOOLS/venv
#   - the codex CLI (npm @openai/codex), at $TOOLS/codex
# Nothing is assumed pre-installed except python3 (>= 3.10, with venv) and
# node/npm. Only the package registries (PyPI, npm) are contacted.
#
# Idempotent and fast when cached: each part records what it installed in a
# stamp file, written last, and is skipped while the stamp matches the pins.
# A changed pin (or a half-finished install, which has no stamp) reinstalls.
#
# Usage: .ci/install-tools.sh        (prints the tools dir on stdout)
# Env:   GEN_AGENTS_TOOLS   cache dir (default ~/.cache/gen-agents-tools)
#        GEN_AGENTS_PYTHON  interpreter for the venv (default python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tool-versions.sh source-path=SCRIPTDIR
. "$here/tool-versions.sh"

TOOLS="${GEN_AGENTS_TOOLS:-$HOME/.cache/gen-agents-tools}"
PYTHON="${GEN_AGENTS_PYTHON:-python3}"

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

install_python
install_codex
printf '%s\n' "$TOOLS"
