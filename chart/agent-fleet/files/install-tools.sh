#!/bin/bash
# Init container `tools-installer` of every agent-fleet Deployment, whatever
# the runtime. Installs the agent's npm tools (its runtime's CLI, the platform
# MCP server) globally into
# the shared `tools` volume and the platform CLI from git, so the main
# container finds them under /tools/bin.
#
# Static text: the chart ships it verbatim in one shared ConfigMap (templates/scripts.yaml). Every input is an env var:
#   NPM_CONFIG_PREFIX             /tools: `npm install --global` lands there
#   GEN_AGENTS_NPM_PACKAGES       JSON list of exact npm specs (name@version)
#   GEN_AGENTS_COMMONLY_CLI_REPO  git URL of the platform repository
#   GEN_AGENTS_COMMONLY_CLI_REF   branch or tag to clone (its cli/ dir is used)
set -euo pipefail

log() { printf '[tools-installer] %s\n' "$*" >&2; }

: "${NPM_CONFIG_PREFIX:?NPM_CONFIG_PREFIX must be set}"
: "${GEN_AGENTS_NPM_PACKAGES:?GEN_AGENTS_NPM_PACKAGES must be set}"
: "${GEN_AGENTS_COMMONLY_CLI_REPO:?GEN_AGENTS_COMMONLY_CLI_REPO must be set}"
: "${GEN_AGENTS_COMMONLY_CLI_REF:?GEN_AGENTS_COMMONLY_CLI_REF must be set}"

# The slim node image has neither git nor CA certificates (git clone over
# https needs both; npm brings its own CA bundle).
if ! command -v git >/dev/null 2>&1 || [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then
  log "installing git and ca-certificates"
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    git ca-certificates >/dev/null
fi

# Decode the JSON list with node (no jq in the image), NUL-separated so no
# spec is ever word-split or glob-expanded. A temp file, not a process
# substitution, so a decoding error stops the script.
pkgs_file="$(mktemp)"
node -e '
  const specs = JSON.parse(process.env.GEN_AGENTS_NPM_PACKAGES);
  if (!Array.isArray(specs) || specs.length === 0 ||
      !specs.every((s) => typeof s === "string" && s !== "" && !s.startsWith("-"))) {
    throw new Error("GEN_AGENTS_NPM_PACKAGES must be a non-empty JSON list of npm specs");
  }
  process.stdout.write(specs.join("\0") + "\0");
' >"$pkgs_file"
mapfile -d '' -t pkgs <"$pkgs_file"
rm -f "$pkgs_file"

# No `|| true`: an unpublished pin (ETARGET) must fail the pod visibly.
log "npm install --global ${pkgs[*]}"
npm install --global --no-audit --no-fund "${pkgs[@]}"

# The init container reruns on pod restarts with the same emptyDir: start clean.
src=/tmp/commonly-src
cli="$NPM_CONFIG_PREFIX/lib/commonly-cli"
rm -rf "$src" "$cli"
log "cloning $GEN_AGENTS_COMMONLY_CLI_REPO at $GEN_AGENTS_COMMONLY_CLI_REF"
git clone --quiet --depth 1 --branch="$GEN_AGENTS_COMMONLY_CLI_REF" \
  -- "$GEN_AGENTS_COMMONLY_CLI_REPO" "$src"
mkdir -p "$NPM_CONFIG_PREFIX/lib" "$NPM_CONFIG_PREFIX/bin"
cp -r "$src/cli" "$cli"
rm -rf "$src"
npm install --prefix "$cli" --omit=dev --no-audit --no-fund
chmod +x "$cli/src/index.js"
ln -sf "$cli/src/index.js" "$NPM_CONFIG_PREFIX/bin/commonly"

npm ls --global --depth=0 >&2 || log "WARNING: npm ls failed"
"$NPM_CONFIG_PREFIX/bin/commonly" --version || log "WARNING: commonly --version failed"
