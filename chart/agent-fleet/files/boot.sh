#!/bin/bash
# Boot step of the `agent` container of every agent-fleet Deployment: put the
# runtime files in place, seed the platform CLI's token files, then exec the
# agent's command (passed as arguments: the container's `args`).
#
# Static text: the chart ships it verbatim in one shared ConfigMap (templates/scripts.yaml). Every input is an env var:
#   GEN_AGENTS_RUNTIME_DIR    where the agent's ConfigMap is mounted (read-only)
#   GEN_AGENTS_RUNTIME_FILES  JSON list of {"key", "path"}: copy ConfigMap key
#                             to path (runtimes write next to their config,
#                             so each gets a writable copy, refreshed on
#                             every boot)
#   HOME, COMMONLY_*          from the agent's env (see values `env`)
#   GEN_AGENTS_MODEL_KEY_ENV  name of the variable holding the LiteLLM key, or
#   GEN_AGENTS_MODEL_KEY_FILE the Secret file holding it (runtimes that must
#                             not see it in their environment); optional
#                             Secret key, empty means model calls will fail
#   GITHUB_PAT                optional; seeds git's credential store
# JSON files are built with JSON.stringify, never with shell text (a heredoc
# once leaked the whole environment into a config file on the PVC).
set -euo pipefail

log() { printf '[gen-agents-boot] %s\n' "$*" >&2; }

[ "$#" -gt 0 ] || { log "ERROR: no command to exec (container args are empty)"; exit 1; }
: "${HOME:?HOME must be set}"
: "${GEN_AGENTS_RUNTIME_DIR:?GEN_AGENTS_RUNTIME_DIR must be set}"
: "${GEN_AGENTS_RUNTIME_FILES:?GEN_AGENTS_RUNTIME_FILES must be set}"
export PATH="/tools/bin:${PATH}"

# Git and CA certificates for the agent's own git/gh work, as the seed did
# (the slim node image has neither). Best effort: the agent still starts
# without them, it just cannot clone.
if ! command -v git >/dev/null 2>&1 || [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then
  log "installing git and ca-certificates"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
      --no-install-recommends git ca-certificates; } >/dev/null 2>&1 \
    || log "WARNING: could not install git/ca-certificates"
fi

# 1. Runtime files: ConfigMap key -> writable copy at path. Written to a temp
#    name and renamed, so the runtime never reads a half-written file.
node -e '
  const fs = require("fs"), path = require("path");
  const dir = process.env.GEN_AGENTS_RUNTIME_DIR;
  const files = JSON.parse(process.env.GEN_AGENTS_RUNTIME_FILES);
  if (!Array.isArray(files)) throw new Error("GEN_AGENTS_RUNTIME_FILES must be a JSON list");
  for (const f of files) {
    if (typeof f.key !== "string" || !/^[-._a-zA-Z0-9]+$/.test(f.key) || f.key === "." || f.key === "..") {
      throw new Error("bad ConfigMap key " + JSON.stringify(f.key));
    }
    if (typeof f.path !== "string" || !path.isAbsolute(f.path)) {
      throw new Error("path for " + f.key + " must be absolute, got " + JSON.stringify(f.path));
    }
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    const tmp = f.path + ".gen-agents-tmp";
    fs.copyFileSync(path.join(dir, f.key), tmp);
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, f.path);
    console.error("[gen-agents-boot] " + f.key + " -> " + f.path);
  }
'

# 2. The model key is an optional Secret so the pod can start before the
#    operator mints it; say loudly that calls will fail until then.
if [ -n "${GEN_AGENTS_MODEL_KEY_ENV:-}" ]; then
  if [ -z "$(printenv "$GEN_AGENTS_MODEL_KEY_ENV" || true)" ]; then
    log "WARNING: $GEN_AGENTS_MODEL_KEY_ENV is empty: model calls will 401 at LiteLLM until the agent's LiteLLM key Secret is filled"
  fi
elif [ -n "${GEN_AGENTS_MODEL_KEY_FILE:-}" ]; then
  if [ ! -s "$GEN_AGENTS_MODEL_KEY_FILE" ]; then
    log "WARNING: $GEN_AGENTS_MODEL_KEY_FILE is missing or empty: model calls will 401 at LiteLLM until the agent's LiteLLM key Secret is filled"
  fi
fi

# 3. Platform CLI identity, rewritten on every boot so a rotated token or a
#    moved API URL takes effect: ~/.commonly/tokens/<name>.json (what
#    `commonly agent run <name>` loads) and ~/.commonly/config.json (the
#    active instance), both mode 600.
node -e '
  const fs = require("fs"), path = require("path");
  const env = process.env;
  const need = (n) => {
    if (env[n] === undefined || env[n] === "") throw new Error(n + " must be set");
    return env[n];
  };
  const name = need("COMMONLY_AGENT_NAME");
  if (!/^[A-Za-z0-9][-._A-Za-z0-9]*$/.test(name)) {
    throw new Error("COMMONLY_AGENT_NAME is not a safe file name: " + JSON.stringify(name));
  }
  // A token pasted with a trailing newline would break the Authorization header.
  const token = need("COMMONLY_AGENT_TOKEN").replace(/[\r\n]+$/, "");
  const url = need("COMMONLY_API_URL");
  const dir = path.join(need("HOME"), ".commonly");
  const write = (file, obj) => {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = file + ".gen-agents-tmp";
    fs.writeFileSync(tmp, JSON.stringify(obj, null, 2) + "\n", { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  };
  write(path.join(dir, "tokens", name + ".json"), {
    agentName: need("COMMONLY_REGISTRY_AGENT_NAME"),
    instanceId: need("COMMONLY_AGENT_INSTANCE_ID"),
    podId: need("COMMONLY_POD_ID"),
    instanceUrl: url,
    runtimeToken: token,
    adapter: need("COMMONLY_ADAPTER"),
    savedAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  });
  write(path.join(dir, "config.json"), {
    instances: { dev: { url: url, token: "", agentTokens: { [name]: token } } },
    active: "dev",
  });
'

# 4. GitHub PAT -> git credential store on the PVC (as the seed did), so the
#    agent can clone and push; gh reads GH_TOKEN itself.
if [ -n "${GITHUB_PAT:-}" ] && command -v git >/dev/null 2>&1; then
  pat="$(printf '%s' "$GITHUB_PAT" | tr -d '\r\n')"
  (umask 077 && printf 'https://x-access-token:%s@github.com\n' "$pat" >"$HOME/.git-credentials")
  git config --global credential.helper "store --file=$HOME/.git-credentials"
  git config --global user.name "${GIT_AUTHOR_NAME:-$COMMONLY_AGENT_NAME}"
  git config --global user.email "${GIT_AUTHOR_EMAIL:-$COMMONLY_AGENT_NAME@commonly.me}"
  log "git credentials seeded from GITHUB_PAT"
fi

log "starting: $*"
exec "$@"
