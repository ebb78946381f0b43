#!/usr/bin/env bash
# Prove where users meet gen-agents, with the real pinned tools (tool-versions.sh):
#   wheel         maturin builds the bindings=bin wheel (once, reusing target/); it installs
#                 into a clean venv and runs with no cargo on PATH
#   pre-commit    the hooks of this repository, as a fleet repository's config uses them
#                 (repo: a local clone, rev: a commit): passes on the examples, fails with
#                 the located error, validates the whole folder when one file changed
#   editors       yaml-language-server over stdio LSP locates a typo'd key, a wrong type
#                 and a bad enum through the modeline
#   sarif         --format sarif validates against the official SARIF 2.1.0 schema
#   actionlint    action.yml (through a workflow using it), every workflow, and the
#                 workflow `gen-agents init` writes
#   init          the scaffold's own pre-commit config runs
# Each has a break-check that must fail. A missing tool is a FAIL, never a skip.
# Usage: .ci/integrations.sh     Env: GEN_AGENTS_TOOLS (cache), CARGO_TARGET_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=tool-versions.sh source-path=SCRIPTDIR
. "$here/tool-versions.sh"
TOOLS="${GEN_AGENTS_TOOLS:-$HOME/.cache/gen-agents-tools}"
INT="$TOOLS/integrations"
start=$SECONDS

passed=0 failed=0
pass() { printf 'PASS %s\n' "$*"; passed=$((passed + 1)); }
fail() { printf 'FAIL %s\n' "$*"; failed=$((failed + 1)); }
show() { sed 's/^/    /' "$1"; }
finish() {
  printf 'integrations: %d passed, %d failed (%d s)\n' "$passed" "$failed" "$((SECONDS - start))"
  ((failed == 0))
}
log() { printf 'integrations: %s\n' "$*" >&2; }

# --- install (cached, stamped like install-tools.sh) -------------------------------
install() {
  mkdir -p "$INT"
  exec 8>"$INT/.lock"
  flock 8
  local want stamp="$INT/.gen-agents-stamp"
  want="$(python3 -c 'import sys; print("python", sys.version.split()[0])')"
  want+=$'\n'"$(printf '%s\n' "${INTEGRATION_REQUIREMENTS[@]}" "setuptools==$SETUPTOOLS_VERSION" \
    "yaml-language-server@$YAML_LANGUAGE_SERVER_VERSION" "$SARIF_SCHEMA_PACKAGE")"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  log "installing pinned tools into $INT"
  rm -rf "$INT/venv" "$INT/wheelhouse" "$INT/yls" "$INT/sarif"
  python3 -m venv "$INT/venv"
  "$INT/venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
    --no-deps --only-binary=:all: "${INTEGRATION_REQUIREMENTS[@]}"
  "$INT/venv/bin/python" -m pip check --disable-pip-version-check >&2
  "$INT/venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: -d "$INT/wheelhouse" "setuptools==$SETUPTOOLS_VERSION"
  mkdir -p "$INT/yls" "$INT/sarif"
  npm install --prefix "$INT/yls" --no-audit --no-fund --no-save --ignore-scripts \
    --loglevel=error "yaml-language-server@$YAML_LANGUAGE_SERVER_VERSION" >&2
  (cd "$INT/sarif" && npm pack --silent "$SARIF_SCHEMA_PACKAGE" >/dev/null && tar xzf ./*.tgz)
  printf '%s\n' "$want" >"$stamp"
}
if ! install; then
  fail "install: the pinned integration tools could not be installed"
  finish
fi
exec 8>&-
V="$INT/venv/bin"
YLS="$INT/yls/node_modules/yaml-language-server/bin/yaml-language-server"
SARIF_SCHEMA="$INT/sarif/package/lib/schemas/sarif-2.1.0-rtm.5.json"
for tool in "$V/pre-commit" "$V/maturin" "$V/actionlint" "$YLS" "$SARIF_SCHEMA"; do
  [[ -e "$tool" ]] || fail "install: $tool is missing"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)"

# --- wheel ----------------------------------------------------------------------------
# The dev profile: cargo test just built every crate of it in CARGO_TARGET_DIR, so this
# links one binary instead of a release build (a release runs `maturin build --release`).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
if (cd "$repo/wheel" && "$V/maturin" build --quiet --locked --profile dev --out "$work/dist") \
  >"$work/maturin.log" 2>&1; then
  pass "wheel: maturin built $(basename "$work"/dist/*.whl)"
else
  fail "wheel: maturin build"; show "$work/maturin.log"
fi
grep -q "\"gen-agents==$version\"" "$repo/pyproject.toml" \
  && grep -q "default: \"$version\"" "$repo/action.yml" \
  && pass "wheel: pyproject.toml and action.yml pin gen-agents $version" \
  || fail "wheel: pyproject.toml or action.yml does not pin gen-agents $version (Cargo.toml)"
rm -f "$INT/wheelhouse"/gen_agents-*.whl; cp "$work"/dist/*.whl "$INT/wheelhouse/" 2>/dev/null || true

# No cargo, no rustc, nothing from ~/.cargo: what a Python-only machine has.
nocargo_path="$V:/usr/local/bin:/usr/bin:/bin"
python3 -m venv "$work/clean"
if "$work/clean/bin/pip" install --quiet --disable-pip-version-check --no-index \
  "$work"/dist/*.whl >"$work/pip.log" 2>&1 \
  && PATH="$work/clean/bin:$nocargo_path" bash -c '! command -v cargo && gen-agents validate "$1/examples"' _ "$repo" >"$work/run.log" 2>&1; then
  pass "wheel: installed in a clean venv, validates the examples with no cargo on PATH"
else
  fail "wheel: clean-venv install or run"; show "$work/pip.log"; show "$work/run.log"
fi
GA="$work/clean/bin/gen-agents"

# --- pre-commit -------------------------------------------------------------------------
# The hook repository: this work tree (committed or not) as one commit of a local clone.
hookrepo() { # DIR [SED-EXPR for .pre-commit-hooks.yaml]
  mkdir -p "$1"
  (cd "$repo" && git ls-files -co --exclude-standard -z | xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$1"
  if [[ -n "${2:-}" ]]; then sed -i "$2" "$1/.pre-commit-hooks.yaml"; fi
  git -C "$1" init -q && git -C "$1" add -A \
    && git -C "$1" -c user.name=ci -c user.email=ci@example.invalid commit -qm hooks
  git -C "$1" rev-parse HEAD
}
fleet() { # DIR HOOKREPO REV
  mkdir -p "$1/agents"
  cp "$repo"/examples/*.yaml "$1/agents/"
  cat >"$1/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $2
    rev: $3
    hooks: [{id: gen-agents-validate, args: [agents/], files: ^agents/}]
YAML
  git -C "$1" init -q && git -C "$1" add -A \
    && git -C "$1" -c user.name=ci -c user.email=ci@example.invalid commit -qm fleet
}
# pre-commit as a user runs it, Python only: the wheel (and the shim's build backend) come
# from the wheelhouse, where a user's come from PyPI.
pc() { # DIR ARGS...
  local dir="$1"; shift
  (cd "$dir" && PATH="$nocargo_path" PRE_COMMIT_HOME="$work/pc-home" PIP_NO_INDEX=1 \
    PIP_FIND_LINKS="$INT/wheelhouse" "$V/pre-commit" run --color never "$@")
}
rev="$(hookrepo "$work/hooks")"
fleet "$work/fleet" "$work/hooks" "$rev"
if pc "$work/fleet" --all-files >"$work/pc.log" 2>&1; then
  pass "pre-commit: the python hook passes on the examples (no cargo on PATH)"
else
  fail "pre-commit: the python hook on the examples"; show "$work/pc.log"
fi
sed -i 's/^  model:/  modle:/' "$work/fleet/agents/planner.yaml"
if ! pc "$work/fleet" --all-files >"$work/pc.log" 2>&1 \
  && grep -q 'agents/planner.yaml:[0-9]*:[0-9]*: error\[schema-unknown-key\]: unknown field `modle`' "$work/pc.log"; then
  pass "pre-commit: a broken spec fails the hook with its file:line:column"
else
  fail "pre-commit: a broken spec did not fail with a located error"; show "$work/pc.log"
fi
git -C "$work/fleet" checkout -q -- agents/planner.yaml
# Only fleet.yaml (the Defaults) is staged; the agents that lose apiUrl are in other files.
sed -i '/^  apiUrl:/d' "$work/fleet/agents/fleet.yaml"
git -C "$work/fleet" add agents/fleet.yaml
if ! pc "$work/fleet" >"$work/pc.log" 2>&1 \
  && grep -q 'agents/planner.yaml:.*apiUrl' "$work/pc.log"; then
  pass "pre-commit: one changed file validates the whole folder (planner.yaml loses its apiUrl)"
else
  fail "pre-commit: a change to fleet.yaml alone did not report planner.yaml"; show "$work/pc.log"
fi
git -C "$work/fleet" reset -q --hard
"$V/pre-commit" validate-manifest "$repo/.pre-commit-hooks.yaml" >"$work/pc.log" 2>&1 \
  && grep -q 'id: gen-agents-validate-src' "$repo/.pre-commit-hooks.yaml" \
  && pass "pre-commit: .pre-commit-hooks.yaml is a valid manifest with both hooks" \
  || { fail "pre-commit: manifest"; show "$work/pc.log"; }
# Break: a hook whose entry is wrong must fail, or the checks above prove nothing.
rev="$(hookrepo "$work/hooks-broken" 's/entry: gen-agents validate$/entry: gen-agents validat/')"
fleet "$work/fleet-broken" "$work/hooks-broken" "$rev"
if pc "$work/fleet-broken" --all-files >"$work/pc.log" 2>&1; then
  fail "pre-commit break-check: a hook with a wrong entry passed"; show "$work/pc.log"
else
  pass "pre-commit break-check: a hook with a wrong entry fails"
fi

# --- editors ----------------------------------------------------------------------------
mkdir -p "$work/editor/agents" "$work/editor/schema"
cp "$repo/schema/gen-agents.schema.json" "$work/editor/schema/"
cat >"$work/editor/agents/typo.yaml" <<'YAML'
# yaml-language-server: $schema=../schema/gen-agents.schema.json
apiVersion: gen-agents/v1
kind: Agent
metadata:
  name: typo
spec:
  runtime: codex
  podId: 0123456789abcdef00000001
  replicsa: 1
  replicas: many
  codex:
    sandboxMode: yolo
YAML
expects=(9:replicsa 10:integer 12:read-only)
if "$V/python" "$here/lsp_check.py" "$YLS" "$work/editor/agents/typo.yaml" "${expects[@]}" >"$work/lsp.log" 2>&1; then
  while read -r _ line; do pass "editors: $line"; done < <(grep '^PASS' "$work/lsp.log")
else
  fail "editors: yaml-language-server diagnostics"; show "$work/lsp.log"
fi
# Break: the modeline's target is gone; the same expectations must not be met.
rm "$work/editor/schema/gen-agents.schema.json"
if "$V/python" "$here/lsp_check.py" "$YLS" "$work/editor/agents/typo.yaml" "${expects[@]}" >"$work/lsp.log" 2>&1; then
  fail "editors break-check: diagnostics without the modeline's schema"; show "$work/lsp.log"
else
  pass "editors break-check: without the modeline's schema the diagnostics are missing"
fi

# --- sarif ------------------------------------------------------------------------------
sarif_valid() { "$V/python" - "$SARIF_SCHEMA" "$1" <<'PY'
import json, sys, jsonschema
schema, log = (json.load(open(p)) for p in sys.argv[1:])
jsonschema.validators.validator_for(schema)(schema).validate(log)
assert log["runs"][0]["results"] or "empty" in sys.argv[2], "no results"
PY
}
(cd "$repo" && "$GA" validate tests/cases/err_*.yaml --format sarif) >"$work/errors.sarif" || true
(cd "$repo" && "$GA" validate examples --format sarif) >"$work/empty.sarif" || true
if sarif_valid "$work/errors.sarif" >"$work/sarif.log" 2>&1 && sarif_valid "$work/empty.sarif" >>"$work/sarif.log" 2>&1; then
  pass "sarif: every err_* case and the clean examples validate against SARIF 2.1.0 ($(grep -c '"ruleId"' "$work/errors.sarif") results)"
else
  fail "sarif: schema validation"; show "$work/sarif.log"
fi
sed 's/"startLine": [0-9]*/"startLine": 0/' "$work/errors.sarif" >"$work/broken.sarif"
if sarif_valid "$work/broken.sarif" >/dev/null 2>&1; then
  fail "sarif break-check: a 0-based line passed the SARIF schema"
else
  pass "sarif break-check: a 0-based line fails the SARIF schema"
fi

# --- init + actionlint --------------------------------------------------------------------
"$GA" init "$work/new" >"$work/init.log" 2>&1 || { fail "init"; show "$work/init.log"; }
mkdir -p "$work/lint/.github/workflows"
cp "$repo/action.yml" "$work/lint/"
cat >"$work/lint/.github/workflows/use-action.yml" <<'YAML'
name: use-action
on: [pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./
        with: {paths: agents/, generated: deploy/generated}
YAML
git -C "$work/lint" init -q
git -C "$work/new" init -q
lint() { (cd "$1" && "$V/actionlint" -shellcheck= -pyflakes= "${@:2}"); }
workflows=("$repo"/.github/workflows/*.y*ml)
[[ -e "${workflows[0]}" ]] || workflows=()
if lint "$work/lint" >"$work/al.log" 2>&1 && lint "$work/new" >>"$work/al.log" 2>&1 \
  && { ((${#workflows[@]} == 0)) || lint "$repo" "${workflows[@]}" >>"$work/al.log" 2>&1; }; then
  pass "actionlint: action.yml (used by a workflow), the init workflow and ${#workflows[@]} repository workflow(s)"
else
  fail "actionlint"; show "$work/al.log"
fi
sed -i 's/generated: deploy/generatd: deploy/' "$work/lint/.github/workflows/use-action.yml"
if lint "$work/lint" >"$work/al.log" 2>&1; then
  fail "actionlint break-check: an unknown input of action.yml passed"
else
  pass "actionlint break-check: an unknown input of action.yml fails"
fi
git -C "$work/new" add -A
if pc "$work/new" --all-files >"$work/pc.log" 2>&1; then
  pass "init: the scaffold's pre-commit config runs its hook and passes"
else
  fail "init: the scaffold's pre-commit hook"; show "$work/pc.log"
fi
finish
