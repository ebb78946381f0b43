#!/usr/bin/env python3
"""Prove `gen-agents keys plan|apply|rotate` against the REAL LiteLLM proxy with a
real PostgreSQL behind it (../shared/litellm), inside a loopback-only network
namespace, and keys.yaml's field names against the pinned LiteLLM's own request
models.

    keys_check.py --bin GEN_AGENTS [--shared DIR] [--litellm-home DIR] [--keep]

Run with the LiteLLM harness venv's python (it imports the pinned `litellm`), as
root: when not already in a fresh network namespace the script re-executes itself
under `unshare --net --mount`; nothing can leave loopback there.

Checks, one PASS/FAIL line each:
  fields    every field of every key in `render examples/`'s keys.yaml is a field
            (or alias) of BOTH litellm.proxy._types.GenerateKeyRequest and
            UpdateKeyRequest (LiteLLM drops unknown fields silently: a typo such as
            `modelz` would mint a key for every model). Break-check: a doctored copy
            with `modelz` must fail the same check.
  proxy     the real proxy (PostgreSQL-backed) on a free loopback port, every alias of
            keys.yaml (+ `not-allowed-model` and cody's next model) -> openai/<alias>
            at ../shared/litellm/fake_upstream.py
  a..i      scenarios on a copy of examples/: plan on an empty proxy; apply mints into
            a new 0600 --secrets-out (refused without one, or onto an existing file);
            each key gets 200 on its model and 403 on another; a second apply changes
            nothing; a model change is an update in place; a removed agent is an
            orphan, kept without --prune, deleted with it; rotate (old value 401/403,
            new 200); rotate --grace (the old value works until the grace ends, then
            not, and neither plan nor --prune treats it as an orphan); an unmanaged key
            holding a wanted alias is a conflict (apply exits 3, changes nothing),
            --adopt takes it; a wrong master key, an unreachable port and a --no-db
            proxy exit 3 with a message saying why
  k         robustness: https through a TLS front (a CA made here, trusted with
            --ca-file; refused without it), a proxy that never answers (--timeout),
            503 and 429 (Retry-After) answered before the real proxy (retried, bounded:
            an always-503 front sees exactly 4 requests)
  l         a --secrets-out that cannot be written after keys were minted (a full
            tmpfs): exit 3, the minted keys deleted again, no file left
  secrecy   no output stream of any command above holds a master key or any key value
            minted during the run (break-checked); what LiteLLM echoes of a value (its
            sha256 token, `sk-...` + last 4) is reported as INFO
Status lines of the model calls are printed as INFO.

Closes with `keys: N passed, N failed`; exits 1 on any failure. A missing tool (the
harness, unshare, the binary, its `keys` command) is a FAIL, never a skip.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
UPSTREAM_KEY = "sk-fake-upstream-" + secrets.token_hex(8)
NOT_ALLOWED = "not-allowed-model"
# Scenario subjects (agents of examples/).
CODY = "cody"                       # codex: model change, rotate
CODY_NEXT_MODEL = "codex-cli/gpt-5.4-mini"
REMOVED_FILE = "claw.yaml"          # agent claw: orphan, prune
CONFLICT_AGENT = "researcher"       # its key is replaced by an unmanaged one
CMD_TIMEOUT = 180
GRACE_SHORT = 20                    # seconds of a rotate --grace that the run waits out


# --- reporting -----------------------------------------------------------------

class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def __call__(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"{'PASS' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    @staticmethod
    def info(text: str) -> None:
        print(f"INFO {text}", flush=True)


def isolated() -> bool:
    return sorted(name for _, name in socket.if_nameindex()) == ["lo"]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def short(text: str, n: int = 400) -> str:
    text = " | ".join(line for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= n else text[:n] + "..."


# --- 1. field names --------------------------------------------------------------

def request_fields() -> tuple[dict[str, set[str]], str]:
    """{model name: field names + aliases} of the pinned litellm's key request models."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no cost-map fetch
    import litellm  # noqa: F401
    from importlib.metadata import version
    from litellm.proxy._types import GenerateKeyRequest, UpdateKeyRequest
    out = {}
    for model in (GenerateKeyRequest, UpdateKeyRequest):
        names: set[str] = set()
        for name, field in model.model_fields.items():
            names.add(name)
            for alias in (field.alias, field.validation_alias, field.serialization_alias):
                if isinstance(alias, str):
                    names.add(alias)
        out[model.__name__] = names
    return out, version("litellm")


def unknown_fields(keys_doc: dict[str, Any], fields: dict[str, set[str]]) -> list[str]:
    """`alias.field (not in Model)` for every key field some request model lacks."""
    probs = []
    for k in keys_doc.get("keys") or []:
        for f in k:
            missing = [m for m, names in fields.items() if f not in names]
            if missing:
                probs.append(f"{k.get('key_alias', '?')}.{f} (not in {', '.join(missing)})")
    return probs


# --- the proxy -----------------------------------------------------------------

class Proxy:
    def __init__(self, shared: str, home: str, state: str, no_db: bool = False) -> None:
        self.script = os.path.join(shared, "litellm", "litellm-proxy.sh")
        self.home, self.state, self.no_db = home, state, no_db
        self.url = self.master = ""
        self.started = False

    def start(self, cfg_path: str) -> tuple[bool, str]:
        env = dict(os.environ, LITELLM_PORT=str(free_port()), FAKE_UPSTREAM_KEY=UPSTREAM_KEY,
                   LITELLM_HARNESS_HOME=self.home)
        log = self.state + ".start.log"
        t0 = time.monotonic()
        with open(log, "w") as fh:
            rc = subprocess.run([self.script, "start", *(["--no-db"] if self.no_db else []), self.state, cfg_path],
                                env=env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
        self.started = os.path.exists(os.path.join(self.state, "env"))
        text = open(log).read()
        if rc != 0:
            return False, f"exit {rc}: {text.strip()[-1500:]}"
        env_vals = dict(line.split("=", 1) for line in open(os.path.join(self.state, "env")).read().splitlines()
                        if "=" in line)
        self.url, self.master = env_vals["LITELLM_URL"], env_vals["LITELLM_MASTER_KEY"]
        return True, f"{time.monotonic() - t0:.1f}s"

    def stop(self) -> None:
        if self.started:
            subprocess.run([self.script, "stop", self.state], env=dict(os.environ, LITELLM_HARNESS_HOME=self.home),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            self.started = False

    # --- HTTP (the harness's own calls; their bodies are never printed whole) ---
    def call(self, method: str, path: str, key: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "authorization": f"Bearer {key}", "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def keys(self) -> dict[str, dict[str, Any]]:
        """key_alias -> LiteLLM's full key object (master key)."""
        out: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            status, body = self.call("GET", f"/key/list?return_full_object=true&size=100&page={page}", self.master)
            if status != 200 or not isinstance(body, dict):
                raise RuntimeError(f"/key/list answered {status}: {str(body)[:300]}")
            for k in body.get("keys") or []:
                if isinstance(k, dict):
                    out[k.get("key_alias") or f"<no alias {k.get('token', '')[:8]}>"] = k
            if page >= int(body.get("total_pages") or 1):
                return out
            page += 1

    def chat(self, key: str, model: str) -> tuple[int, str]:
        status, body = self.call("POST", "/v1/chat/completions", key, {
            "model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 5})
        if status == 200 and isinstance(body, dict):
            try:
                return status, str(body["choices"][0]["message"]["content"])
            except (KeyError, IndexError, TypeError):
                return status, str(body)[:120]
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            return status, f"{err.get('type') or err.get('code')}: {str(err.get('message'))[:140]}"
        return status, str(body)[:160]


# --- the binary ------------------------------------------------------------------

class GA:
    """Runs gen-agents; keeps every command's stdout+stderr for the secrecy check."""

    def __init__(self, binary: str, work: str) -> None:
        self.bin, self.work = binary, work
        self.outputs: list[tuple[str, str]] = []  # (command line, stdout + stderr)
        self.n = 0

    def run(self, args: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[int, str, str]:
        self.n += 1
        line = "gen-agents " + " ".join(args)
        try:
            p = subprocess.run([self.bin, *args], capture_output=True, text=True, timeout=CMD_TIMEOUT,
                               env=dict(os.environ, **(env or {})), cwd=cwd, stdin=subprocess.DEVNULL)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as exc:
            rc = -1
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            err = (exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")) + \
                f"\n[keys_check: timed out after {CMD_TIMEOUT}s]"
        self.outputs.append((line, out + "\n" + err))
        with open(os.path.join(self.work, f"cmd-{self.n:02d}.log"), "w") as fh:
            fh.write(f"$ {line}\nexit {rc}\n--- stdout\n{out}\n--- stderr\n{err}\n")
        return rc, out, err


def load_yaml_stream(path: str) -> list[Any]:
    import yaml
    with open(path, encoding="utf-8") as fh:
        return list(yaml.safe_load_all(fh))


def secrets_file(path: str) -> dict[str, str]:
    """metadata.name -> stringData.key of a --secrets-out file (ValueError if malformed)."""
    out = {}
    for d in load_yaml_stream(path):
        if d is None:
            continue
        if not (isinstance(d, dict) and d.get("apiVersion") == "v1" and d.get("kind") == "Secret"):
            raise ValueError(f"not a v1 Secret: {str(d)[:100]}")
        name = (d.get("metadata") or {}).get("name")
        val = (d.get("stringData") or {}).get("key")
        if not name or not isinstance(val, str) or not val:
            raise ValueError(f"Secret without metadata.name or stringData.key: {name!r}")
        if name in out:
            raise ValueError(f"two Secrets named {name}")
        out[name] = val
    return out


# --- the scenarios -----------------------------------------------------------------

class Run:
    def __init__(self, args: argparse.Namespace, rep: Report) -> None:
        self.args, self.rep = args, rep
        self.base = tempfile.mkdtemp(prefix="keys-check.")
        os.chmod(self.base, 0o755)  # Postgres runs as `postgres` under it
        self.work = os.path.join(self.base, "logs")
        os.makedirs(self.work)
        self.ga = GA(args.bin, self.work)
        self.proxy: Proxy | None = None
        self.nodb: Proxy | None = None
        self.upstream: subprocess.Popen | None = None
        self.values: dict[str, str] = {}       # every key value minted in this run: label -> value
        self.masters: dict[str, str] = {}
        self.fleet = os.path.join(self.base, "fleet")
        shutil.copytree(os.path.join(REPO, "examples"), self.fleet)
        self.timings: dict[str, float] = {}
        self.fronts: list[socket.socket] = []

    # helpers
    def keysyaml(self, paths: str | None = None) -> dict[str, Any]:
        out = tempfile.mkdtemp(dir=self.base, prefix="render.")
        rc, o, e = self.ga.run(["render", paths or self.fleet, "--out-dir", out])
        if rc != 0:
            raise RuntimeError(f"render exited {rc}: {short(o + e)}")
        docs = load_yaml_stream(os.path.join(out, "keys.yaml"))
        return next(d for d in docs if isinstance(d, dict) and d.get("kind") == "KeyList")

    def wanted(self) -> dict[str, dict[str, Any]]:
        return {k["key_alias"]: k for k in self.keysyaml().get("keys") or []}

    def env(self, master: str | None = None) -> dict[str, str]:
        return {"LITELLM_MASTER_KEY": master if master is not None else self.proxy.master}

    def keys(self, sub: str, *extra: str, proxy: str | None = None, master: str | None = None) -> tuple[int, str, str]:
        return self.ga.run(["keys", sub, self.fleet, "--proxy", proxy or self.proxy.url, *extra], env=self.env(master))

    def plan(self) -> tuple[int, dict[str, Any] | None, str]:
        rc, out, err = self.keys("plan", "--format", "json")
        try:
            return rc, json.loads(out), err
        except ValueError:
            return rc, None, f"stdout is not JSON: {short(out, 200)} stderr: {short(err, 300)}"

    @staticmethod
    def actions(plan: dict[str, Any] | None) -> dict[str, str]:
        return {c.get("alias"): c.get("action") for c in (plan or {}).get("changes") or []}

    def detailed(self) -> tuple[int, str]:
        rc, out, err = self.keys("plan", "--detailed-exitcode")
        return rc, short(out + err, 300)

    def agent_alias(self, agent: str) -> str:
        for alias, k in self.wanted().items():
            if agent in ((k.get("metadata") or {}).get("agents") or []):
                return alias
        raise KeyError(f"no key for agent {agent} in keys.yaml")

    def call_line(self, label: str, key: str, model: str, want: Callable[[int], bool], want_text: str) -> bool:
        status, text = self.proxy.chat(key, model)
        self.rep.info(f"{label}: POST /v1/chat/completions model={model} -> {status} ({text})")
        return self.rep(want(status), f"{label}: {model} -> {status}", f"expected {want_text}" if not want(status) else "")

    @staticmethod
    def matches(want: dict[str, Any], have: dict[str, Any]) -> list[str]:
        """Fields of a keys.yaml entry the proxy's key object does not carry."""
        probs = []
        for f, v in want.items():
            hv = have.get(f)
            if f == "metadata":
                hv = hv or {}
                bad = [m for m, mv in (v or {}).items() if hv.get(m) != mv]
                if bad:
                    probs.append(f"metadata {', '.join(f'{m}={hv.get(m)!r} (want {v[m]!r})' for m in bad)}")
            elif f == "models":
                if sorted(hv or []) != sorted(v or []):
                    probs.append(f"models {hv} (want {v})")
            elif hv != v:
                probs.append(f"{f}={hv!r} (want {v!r})")
        return probs

    def snapshot(self) -> dict[str, tuple]:
        return {a: (k.get("token"), tuple(sorted(k.get("models") or [])), json.dumps(k.get("metadata"), sort_keys=True),
                    k.get("expires")) for a, k in self.proxy.keys().items()}

    # --- 1 ---
    def check_fields(self) -> None:
        rep = self.rep
        try:
            fields, ver = request_fields()
        except Exception as exc:  # noqa: BLE001
            rep(False, "tools: litellm importable from the harness venv", f"{type(exc).__name__}: {exc}")
            return
        rep(True, "tools: litellm", f"{ver} (GenerateKeyRequest {len(fields['GenerateKeyRequest'])} fields, "
            f"UpdateKeyRequest {len(fields['UpdateKeyRequest'])})")
        # The examples, and the case that sets every field of a key policy (so every field
        # gen-agents can emit is checked, not only those the examples happen to use).
        for what, path in (("examples/", os.path.join(REPO, "examples")),
                           ("tests/cases/key_policy.yaml", os.path.join(REPO, "tests", "cases", "key_policy.yaml"))):
            d = self.keysyaml(path)
            keys = d.get("keys") or []
            used = sorted({f for k in keys for f in k})
            probs = unknown_fields(d, fields)
            rep(bool(keys) and not probs, f"fields: keys.yaml of {what} uses only LiteLLM request fields",
                f"{len(keys)} key(s), fields {', '.join(used)}; each in GenerateKeyRequest and UpdateKeyRequest"
                if keys and not probs else (f"unknown: {'; '.join(probs)}" if probs else "keys.yaml has no keys"))
        doc = self.keysyaml(os.path.join(REPO, "examples"))
        bad = copy.deepcopy(doc)
        if bad.get("keys"):
            first = bad["keys"][0]
            first["modelz"] = first.pop("models", [])
        probs = unknown_fields(bad, fields)
        rep(any(".modelz " in p for p in probs), "fields break-check: a key with `modelz` fails the same check",
            f"caught: {probs[0]}" if probs else "NOT caught")

    # --- 2 ---
    def start(self) -> bool:
        rep = self.rep
        for need in ("litellm-proxy.sh", "fake_upstream.py"):
            if not os.path.isfile(os.path.join(self.args.shared, "litellm", need)):
                rep(False, "proxy: start", f"no {need} in {self.args.shared}/litellm (GEN_AGENTS_SHARED / --shared)")
                return False
        import yaml
        aliases = sorted({m for k in self.wanted().values() for m in k.get("models") or []} | {NOT_ALLOWED, CODY_NEXT_MODEL})
        up_port = free_port()
        self.upstream = subprocess.Popen(
            [sys.executable, os.path.join(self.args.shared, "litellm", "fake_upstream.py"), str(up_port),
             os.path.join(self.work, "upstream.jsonl")],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.work, "upstream.err"), "w"))
        cfg = {"model_list": [{"model_name": a, "litellm_params": {
            "model": f"openai/{a}", "api_base": f"http://127.0.0.1:{up_port}/v1", "api_key": "os.environ/FAKE_UPSTREAM_KEY"}}
            for a in aliases]}
        cfg_path = os.path.join(self.base, "litellm-config.yaml")
        with open(cfg_path, "w") as fh:
            yaml.safe_dump(cfg, fh, sort_keys=False)
        self.proxy = Proxy(self.args.shared, self.args.litellm_home, os.path.join(self.base, "litellm"))
        ok, detail = self.proxy.start(cfg_path)
        if not ok:
            rep(False, "proxy: start (PostgreSQL-backed)", detail)
            return False
        self.masters["master key"] = self.proxy.master
        rep(True, "proxy: start", f"LiteLLM PostgreSQL-backed on {self.proxy.url} ({detail}), "
            f"{len(aliases)} alias(es) -> openai/<alias> at fake upstream 127.0.0.1:{up_port}: {', '.join(aliases)}")
        self.cfg_path = cfg_path
        return True

    # --- a ---
    def a_plan_empty(self) -> None:
        rep = self.rep
        want = self.wanted()
        rc, plan, err = self.plan()
        acts = self.actions(plan)
        summary = (plan or {}).get("summary") or {}
        ok = rc == 0 and plan is not None and acts == {a: "create" for a in want} \
            and summary.get("create") == len(want) and plan.get("fleet") == "default"
        rep(ok, "a. plan --format json on an empty proxy: every key is create",
            f"{len(want)} create, summary {summary}" if ok else
            f"exit {rc}, actions {acts}, summary {summary}, want create for {sorted(want)} {err if plan is None else ''}")
        rc, out, err = self.keys("plan")
        lines = [ln for ln in out.splitlines() if ln.strip()]
        missing = [a for a in want if not any(re.search(rf"^\+\s*create\s+{re.escape(a)}\b", ln) for ln in lines)]
        # The contract's example is `Plan: 1 to create, ...`; the fleet may be named in it.
        total = next((ln for ln in lines if re.match(rf"Plan\b[^:]*: {len(want)} to create\b", ln)), None)
        rep(rc == 0 and not missing and total is not None,
            f"a. plan (human): one `+ create ALIAS` line per key and a `Plan...: {len(want)} to create` line",
            total if rc == 0 and not missing and total else
            f"exit {rc}, missing create lines for {missing}, no Plan total line: {short(out + err)}")
        rc, detail = self.detailed()
        rep(rc == 4, "a. plan --detailed-exitcode with changes pending exits 4", f"exit {rc}" + ("" if rc == 4 else f": {detail}"))

    # --- b ---
    def b_apply(self) -> None:
        rep = self.rep
        want = self.wanted()
        # --secrets-out is required when something is minted, and must not exist yet.
        rc, out, err = self.keys("apply")
        n = len(self.proxy.keys())
        rep(rc == 2 and n == 0, "b. apply with keys to mint but no --secrets-out: exit 2, nothing minted",
            f"exit {rc}, {n} key(s) on the proxy: {short(out + err, 300)}")
        exists = os.path.join(self.base, "exists.yaml")
        with open(exists, "w") as fh:
            fh.write("# already here\n")
        rc, out, err = self.keys("apply", "--secrets-out", exists)
        n = len(self.proxy.keys())
        rep(rc == 2 and n == 0 and open(exists).read() == "# already here\n",
            "b. apply --secrets-out EXISTING: exit 2, nothing minted, the file untouched",
            f"exit {rc}, {n} key(s) on the proxy: {short(out + err, 300)}")
        s1 = os.path.join(self.base, "S1.yaml")
        rc, out, err = self.keys("apply", "--secrets-out", s1)
        if not rep(rc == 0 and os.path.exists(s1), "b. apply --secrets-out S1.yaml: exit 0", f"exit {rc}: {short(out + err)}"):
            if not os.path.exists(s1):
                raise RuntimeError("no S1.yaml")
        mode = stat.S_IMODE(os.stat(s1).st_mode)
        rep(mode == 0o600, "b. S1.yaml is mode 0600", f"mode {mode:04o}")
        try:
            vals = secrets_file(s1)
        except Exception as exc:  # noqa: BLE001
            rep(False, "b. S1.yaml is a stream of v1 Secrets with stringData.key", str(exc))
            raise
        self.s1 = vals
        self.values.update({f"S1 {a}": v for a, v in vals.items()})
        rep(set(vals) == set(want), "b. S1.yaml: one `kind: Secret` per key alias, metadata.name = alias, stringData.key",
            f"{len(vals)} Secret(s)" if set(vals) == set(want) else f"names {sorted(vals)}, want {sorted(want)}")
        have = self.proxy.keys()
        probs = {a: self.matches(k, have[a]) if a in have else ["missing"] for a, k in want.items()}
        probs = {a: p for a, p in probs.items() if p}
        rep(not probs, "b. /key/list shows every alias with keys.yaml's models and metadata",
            f"{len(want)} key(s): " + ", ".join(f"{a} {have[a].get('models')}" for a in sorted(want)) if not probs else
            "; ".join(f"{a}: {', '.join(p)}" for a, p in probs.items()))

    # --- c ---
    def c_calls(self) -> None:
        for alias, k in sorted(self.wanted().items()):
            key = self.s1.get(alias)
            if not key:
                self.rep(False, f"c. {alias}", "no minted value in S1.yaml")
                continue
            self.call_line(f"c. {alias}", key, k["models"][0], lambda s: s == 200, "200")
            self.call_line(f"c. {alias}", key, NOT_ALLOWED, lambda s: s == 403, "403")

    # --- d ---
    def d_again(self) -> None:
        before = self.snapshot()
        rc, out, err = self.keys("apply")
        after = self.snapshot()
        self.rep(rc == 0 and before == after, "d. a second apply (no --secrets-out): exit 0, nothing changed on the proxy",
                 f"exit {rc}: {short(out + err, 300)}" + ("" if before == after else
                 f"; changed: {sorted(a for a in set(before) | set(after) if before.get(a) != after.get(a))}"))
        self.in_sync("d.")

    def in_sync(self, tag: str, retiring: int = 0) -> None:
        """Every wanted key unchanged; `retiring` old keys of a rotation with --grace, which
        the plan lists as `retiring` (no change: they expire by themselves)."""
        rc, plan, err = self.plan()
        acts = self.actions(plan)
        wanted = {a: x for a, x in acts.items() if x != "retiring"}
        ok = rc == 0 and wanted and set(wanted.values()) == {"unchanged"} and len(acts) - len(wanted) == retiring
        what = "every key unchanged" + (f", {retiring} old key(s) retiring" if retiring else "")
        self.rep(ok, f"{tag} plan: {what}", f"{len(wanted)} unchanged, {len(acts) - len(wanted)} retiring" if ok else
                 f"exit {rc}, actions {acts} {err if plan is None else ''}")
        rc, detail = self.detailed()
        self.rep(rc == 0, f"{tag} plan --detailed-exitcode in sync exits 0", f"exit {rc}" + ("" if rc == 0 else f": {detail}"))

    # --- e ---
    def e_update(self) -> None:
        rep = self.rep
        path = os.path.join(self.fleet, f"{CODY}.yaml")
        text = open(path).read()
        new = re.sub(r"(?m)^  model: .*$", f"  model: {CODY_NEXT_MODEL}", text, count=1)
        if new == text:
            raise RuntimeError(f"no `  model:` line in {path}")
        old_model = re.search(r"(?m)^  model: (.*)$", text).group(1).strip()
        open(path, "w").write(new)
        alias = self.agent_alias(CODY)
        self.cody_alias = alias
        rc, plan, err = self.plan()
        ch = next((c for c in (plan or {}).get("changes") or [] if c.get("alias") == alias), {})
        others = {a: x for a, x in self.actions(plan).items() if a != alias and x != "unchanged"}
        ok = rc == 0 and ch.get("action") == "update" and "models" in (ch.get("fields") or []) and not others
        rep(ok, f"e. {CODY}'s model {old_model} -> {CODY_NEXT_MODEL}: plan shows update with `models` in fields",
            f"{alias}: {ch.get('action')} fields {ch.get('fields')}" if ok else
            f"exit {rc}, {alias}: {ch}, others {others} {err if plan is None else ''}")
        rc, out, err = self.keys("plan")
        rep(rc == 0 and re.search(rf"~\s*update\s+{re.escape(alias)}\b.*models", out) is not None,
            "e. plan (human): `~ update ALIAS: models`", short(out, 300) if rc == 0 else f"exit {rc}: {short(out + err)}")
        before = self.snapshot()
        rc, out, err = self.keys("apply")
        after = self.snapshot()
        have = self.proxy.keys().get(alias) or {}
        ok = rc == 0 and sorted(have.get("models") or []) == [CODY_NEXT_MODEL] and before[alias][0] == after[alias][0]
        rep(ok, "e. apply: exit 0, the key's models updated in place (same token)",
            f"models {have.get('models')}" if ok else f"exit {rc}, models {have.get('models')}, token "
            f"{'same' if before.get(alias, [None])[0] == after.get(alias, [None])[0] else 'CHANGED'}: {short(out + err, 300)}")
        changed = sorted(a for a in before if a != alias and before[a] != after.get(a))
        rep(not changed, "e. apply touched no other key", ", ".join(changed))
        key = self.s1.get(alias, "")
        self.call_line(f"e. {alias}", key, CODY_NEXT_MODEL, lambda s: s == 200, "200 (the new model)")
        self.call_line(f"e. {alias}", key, old_model, lambda s: s in (401, 403), "403 (the old model is no longer allowed)")
        self.in_sync("e.")

    # --- f ---
    def f_orphan(self) -> None:
        rep = self.rep
        alias = self.agent_alias("claw")
        self.orphan_alias = alias
        self.removed = os.path.join(self.base, REMOVED_FILE)
        shutil.move(os.path.join(self.fleet, REMOVED_FILE), self.removed)
        rc, plan, err = self.plan()
        acts = self.actions(plan)
        others = {a: x for a, x in acts.items() if a != alias and x != "unchanged"}
        rep(rc == 0 and acts.get(alias) == "orphan" and not others,
            f"f. {REMOVED_FILE} removed: plan shows orphan for {alias}",
            f"exit {rc}, {alias}: {acts.get(alias)}, others {others} {err if plan is None else ''}")
        rc, detail = self.detailed()
        rep(rc == 4, "f. plan --detailed-exitcode with an orphan exits 4", f"exit {rc}" + ("" if rc == 4 else f": {detail}"))
        rc, out, err = self.keys("apply")
        kept = alias in self.proxy.keys()
        rep(rc == 0 and kept and alias in out + err, "f. apply without --prune keeps the orphan and reports it",
            short(out + err, 300) if rc == 0 and kept and alias in out + err else
            f"exit {rc}, still on the proxy: {kept}, output: {short(out + err, 300)}")
        key = self.s1.get(alias, "")
        model = "gpt-4o-mini"
        self.call_line(f"f. kept {alias}", key, model, lambda s: s == 200, "200")
        rc, out, err = self.keys("apply", "--prune")
        have = self.proxy.keys()
        rep(rc == 0 and alias not in have and len(have) == len(self.wanted()),
            "f. apply --prune deletes the orphan (gone from /key/list) and nothing else",
            short(out + err, 300) if rc == 0 else f"exit {rc}: {short(out + err)}")
        self.call_line(f"f. pruned {alias}", key, model, lambda s: s in (401, 403), "401/403")
        self.in_sync("f.")

    # --- g ---
    def g_rotate(self) -> None:
        rep = self.rep
        alias = self.cody_alias
        s2 = os.path.join(self.base, "S2.yaml")
        before = self.snapshot()
        rc, out, err = self.keys("rotate", "--agent", CODY, "--secrets-out", s2)
        if not rep(rc == 0 and os.path.exists(s2), f"g. rotate --agent {CODY} --secrets-out S2.yaml: exit 0",
                   f"exit {rc}: {short(out + err)}"):
            return
        mode = stat.S_IMODE(os.stat(s2).st_mode)
        rep(mode == 0o600, "g. S2.yaml is mode 0600", f"mode {mode:04o}")
        vals = secrets_file(s2)
        self.values.update({f"S2 {a}": v for a, v in vals.items()})
        new, old = vals.get(alias), self.s1.get(alias)
        rep(set(vals) == {alias} and new and new != old, f"g. S2.yaml holds one Secret {alias} with a new value",
            "new value differs from S1's" if set(vals) == {alias} and new and new != old else
            f"names {sorted(vals)}; {'same value as before' if new == old else ''}")
        after = self.snapshot()
        changed = sorted(a for a in before if a != alias and before[a] != after.get(a))
        rep(alias in after and not changed, "g. rotate kept the alias and touched no other key",
            f"changed: {changed}" if changed else ("" if alias in after else f"{alias} is gone from /key/list"))
        self.call_line(f"g. old value of {alias}", old or "", CODY_NEXT_MODEL, lambda s: s in (401, 403), "401/403")
        self.call_line(f"g. new value of {alias}", new or "", CODY_NEXT_MODEL, lambda s: s == 200, "200")
        self.s1[alias] = new or ""
        self.in_sync("g.")

    def g_grace(self) -> None:
        """rotate --grace: the old value keeps working for the grace period, then stops."""
        rep = self.rep
        # A short grace first, to see it end: its old value must fail once it is over.
        short_alias = self.agent_alias("docs-writer")
        s_short = os.path.join(self.base, "S2-grace-short.yaml")
        rc, out, err = self.keys("rotate", "--agent", "docs-writer", "--grace", f"{GRACE_SHORT}s", "--secrets-out", s_short)
        t_short = time.monotonic()
        short_vals = secrets_file(s_short) if rc == 0 and os.path.exists(s_short) else {}
        self.values.update({f"S2-grace-short {a}": v for a, v in short_vals.items()})
        rep(rc == 0 and bool(short_vals.get(short_alias)), f"g2. rotate --agent docs-writer --grace {GRACE_SHORT}s: exit 0",
            f"exit {rc}: {short(out + err)}")
        alias = self.agent_alias("triage")
        s = os.path.join(self.base, "S2-grace.yaml")
        old_token = (self.proxy.keys().get(alias) or {}).get("token")
        t_rot = time.time()
        rc, out, err = self.keys("rotate", "--agent", "triage", "--grace", "1h", "--secrets-out", s)
        if not rep(rc == 0 and os.path.exists(s), "g2. rotate --agent triage --grace 1h: exit 0", f"exit {rc}: {short(out + err)}"):
            return
        vals = secrets_file(s)
        self.values.update({f"S2-grace {a}": v for a, v in vals.items()})
        new, old = vals.get(alias), self.s1.get(alias)
        rep(bool(new) and new != old, f"g2. --grace: a new value for {alias}", "" if new and new != old else f"names {sorted(vals)}")
        model = self.wanted()[alias]["models"][0]
        self.call_line(f"g2. --grace old value of {alias}", old or "", model, lambda st: st == 200, "200 (within the grace period)")
        self.call_line(f"g2. --grace new value of {alias}", new or "", model, lambda st: st == 200, "200")
        self.s1[alias] = new or ""
        have = self.proxy.keys()
        old_obj = next(((a, k) for a, k in have.items() if k.get("token") == old_token), None)
        if old_obj is None:
            rep(False, "g2. --grace: the old key is still on the proxy, expiring in about 1h", "no key with the old token")
        else:
            exp = old_obj[1].get("expires")
            try:
                from datetime import datetime
                left = datetime.fromisoformat(str(exp).replace("Z", "+00:00")).timestamp() - t_rot
            except ValueError:
                left = None
            ok = left is not None and 3300 <= left <= 3700
            rep(ok, "g2. --grace: the old key is still on the proxy, expiring in about 1h",
                f"alias {old_obj[0]}, expires {exp} ({left:.0f}s after the rotate)" if left is not None else
                f"alias {old_obj[0]}, expires {exp!r}")
            rep.info(f"g2. the old key after rotate --grace: alias {old_obj[0]}, metadata {old_obj[1].get('metadata')}")
        # The old keys' grace period is not a change to make: the fleet is in sync.
        self.in_sync("g2.", retiring=2)
        if short_vals.get(short_alias):
            time.sleep(max(0.0, t_short + GRACE_SHORT + 5 - time.monotonic()))
            short_model = self.wanted()[short_alias]["models"][0]
            self.call_line(f"g2. {GRACE_SHORT}s grace over: old value of {short_alias}", self.s1.get(short_alias, ""),
                           short_model, lambda st: st in (401, 403), "401/403")
            self.call_line(f"g2. {GRACE_SHORT}s grace over: new value of {short_alias}", short_vals[short_alias], short_model,
                           lambda st: st == 200, "200")
        # Nor is it an orphan to prune: `apply --prune` must leave the old value its grace.
        rc, out, err = self.keys("apply", "--prune")
        rep.info(f"g2. apply --prune within the grace period: exit {rc}: {short(out + err, 300)}")
        self.call_line(f"g2. after apply --prune, --grace old value of {alias}", old or "", model, lambda st: st == 200,
                       "200 (still within its 1h grace period)")

    # --- h ---
    def h_conflict(self) -> None:
        rep = self.rep
        alias = self.agent_alias(CONFLICT_AGENT)
        model = self.wanted()[alias]["models"][0]
        tok = (self.proxy.keys().get(alias) or {}).get("token")
        st, body = self.proxy.call("POST", "/key/delete", self.proxy.master, {"keys": [tok]})
        if st != 200 or alias in self.proxy.keys():
            raise RuntimeError(f"/key/delete of {alias} answered {st}: {str(body)[:200]}")
        st, body = self.proxy.call("POST", "/key/generate", self.proxy.master, {"key_alias": alias, "models": [model]})
        if st != 200 or not isinstance(body, dict) or not body.get("key"):
            raise RuntimeError(f"/key/generate of an unmanaged {alias} answered {st}")
        unmanaged = body["key"]
        self.values[f"unmanaged {alias}"] = unmanaged
        rep.info(f"h. {alias}: managed key deleted (/key/delete) and an unmanaged one minted (/key/generate, no metadata)")
        # The pruned agent comes back too: a create is pending beside the conflict.
        shutil.move(self.removed, os.path.join(self.fleet, REMOVED_FILE))
        rc, plan, err = self.plan()
        acts = self.actions(plan)
        others = {a: x for a, x in acts.items() if a not in (alias, self.orphan_alias) and x != "unchanged"}
        ok = rc == 0 and acts.get(alias) == "conflict" and acts.get(self.orphan_alias) == "create" and not others
        rep(ok, f"h. plan shows conflict for {alias} (and create for the restored {self.orphan_alias})",
            f"summary {(plan or {}).get('summary')}" if ok else f"exit {rc}, actions {acts} {err if plan is None else ''}")
        rc, detail = self.detailed()
        rep(rc == 4, "h. plan --detailed-exitcode with a conflict exits 4", f"exit {rc}" + ("" if rc == 4 else f": {detail}"))
        s3 = os.path.join(self.base, "S3.yaml")
        before = self.snapshot()
        rc, out, err = self.keys("apply", "--secrets-out", s3)
        after = self.snapshot()
        minted = {}
        if os.path.exists(s3):
            try:
                minted = secrets_file(s3)
            except Exception:  # noqa: BLE001
                minted = {"?": open(s3).read()}
            self.values.update({f"S3-refused {a}": v for a, v in minted.items()})
        rep(rc == 3 and before == after and not minted,
            "h. apply with the conflict: exit 3, nothing changed (the pending create not made either)",
            short(out + err, 300) if rc == 3 and before == after and not minted else
            f"exit {rc}, changed: {sorted(a for a in set(before) | set(after) if before.get(a) != after.get(a))}, "
            f"S3.yaml: {sorted(minted) if os.path.exists(s3) else 'not written'}: {short(out + err)}")
        if os.path.exists(s3):
            os.unlink(s3)
        rc, out, err = self.keys("apply", "--adopt", "--secrets-out", s3)
        have = self.proxy.keys()
        minted = secrets_file(s3) if os.path.exists(s3) else {}
        self.values.update({f"S3 {a}": v for a, v in minted.items()})
        meta = (have.get(alias) or {}).get("metadata") or {}
        ok = rc == 0 and meta.get("managed-by") == "gen-agents" and self.orphan_alias in have and self.orphan_alias in minted
        rep(ok, f"h. apply --adopt --secrets-out S3.yaml: exit 0, {alias} now managed, {self.orphan_alias} minted",
            short(out + err, 300) if ok else f"exit {rc}, {alias} metadata {meta}, S3 names {sorted(minted)}: {short(out + err)}")
        same = (have.get(alias) or {}).get("token") == after.get(alias, (None,))[0]
        rep.info(f"h. adopted {alias}: {'same key (token unchanged)' if same else 'token CHANGED'}"
                 f"{', a value for it in S3.yaml' if alias in minted else ''}")
        cur = minted.get(alias) or unmanaged
        self.call_line(f"h. adopted {alias}", cur, model, lambda s: s == 200, "200")
        self.call_line(f"h. adopted {alias}", cur, NOT_ALLOWED, lambda s: s == 403, "403")
        probs = self.matches(self.wanted()[alias], have.get(alias) or {})
        rep(not probs, f"h. adopted {alias} carries keys.yaml's models and metadata", "; ".join(probs))
        self.in_sync("h.")

    # --- i ---
    def i_errors(self) -> None:
        rep = self.rep
        wrong = "sk-wrong-" + secrets.token_hex(12)
        self.masters["wrong master key"] = wrong
        for sub, extra in (("plan", []), ("apply", ["--secrets-out", os.path.join(self.base, "S-wrong.yaml")])):
            before = self.snapshot()
            rc, out, err = self.keys(sub, *extra, master=wrong)
            msg = out + err
            ok = rc == 3 and "401" in msg and before == self.snapshot()
            rep(ok, f"i. {sub} with a wrong master key: exit 3, a message naming 401", short(msg, 300) if ok else
                f"exit {rc}: {short(msg)}")
        port = free_port()
        rc, out, err = self.keys("plan", proxy=f"http://127.0.0.1:{port}")
        rep(rc == 3 and (out + err).strip() != "", f"i. plan against an unreachable port (127.0.0.1:{port}): exit 3",
            short(out + err, 300) if rc == 3 else f"exit {rc}: {short(out + err)}")
        self.nodb = Proxy(self.args.shared, self.args.litellm_home, os.path.join(self.base, "litellm-nodb"), no_db=True)
        ok, detail = self.nodb.start(self.cfg_path)
        if not rep(ok, "i. a second proxy with --no-db", f"{self.nodb.url} ({detail})" if ok else detail):
            return
        self.masters["no-db master key"] = self.nodb.master
        for sub, extra in (("plan", []), ("apply", ["--secrets-out", os.path.join(self.base, "S-nodb.yaml")])):
            rc, out, err = self.keys(sub, *extra, proxy=self.nodb.url, master=self.nodb.master)
            msg = out + err
            ok = rc == 3 and re.search(r"(?i)data ?base|\bdb\b", msg) is not None
            rep(ok, f"i. {sub} against the --no-db proxy: exit 3, a message about the database",
                short(msg, 300) if ok else f"exit {rc}: {short(msg)}")
        self.nodb.stop()


    # --- k: robustness ---
    def front(self, handler: Callable[[socket.socket], None]) -> int:
        """A loopback TCP server on a free port; each connection goes to `handler`."""
        import threading
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)
        self.fronts.append(srv)

        def loop() -> None:
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                threading.Thread(target=handler, args=(conn,), daemon=True).start()
        threading.Thread(target=loop, daemon=True).start()
        return srv.getsockname()[1]

    def pump_to_proxy(self, conn: socket.socket) -> None:
        """Forwards one connection's bytes to the real proxy and back."""
        port = int(self.proxy.url.rsplit(":", 1)[1])
        self.pump_rest(conn, socket.create_connection(("127.0.0.1", port)))

    def make_tls(self) -> tuple[str, str, str]:
        """A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
        import datetime
        import ipaddress
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keys_check test CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        paths = [os.path.join(self.base, n) for n in ("ca.pem", "cert.pem", "key.pem")]
        with open(paths[0], "wb") as fh:
            fh.write(ca.public_bytes(serialization.Encoding.PEM))
        with open(paths[1], "wb") as fh:
            fh.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(paths[2], "wb") as fh:
            fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
        return paths[0], paths[1], paths[2]

    def k_robustness(self) -> None:
        import ssl
        rep = self.rep
        ca, cert, key = self.make_tls()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

        def tls(conn: socket.socket) -> None:
            try:
                self.pump_to_proxy(ctx.wrap_socket(conn, server_side=True))
            except (OSError, ssl.SSLError):
                conn.close()
        port = self.front(tls)
        url = f"https://127.0.0.1:{port}"
        rc, out, err = self.keys("plan", "--format", "json", "--ca-file", ca, proxy=url)
        try:
            changes = len(json.loads(out).get("changes") or [])
        except ValueError:
            changes = -1
        rep(rc == 0 and changes > 0, f"k. plan over https ({url}, a TLS front of the real proxy) with --ca-file: exit 0",
            f"{changes} alias(es) planned" if rc == 0 else f"exit {rc}: {short(out + err)}")
        rc, out, err = self.keys("plan", proxy=url)
        ok = rc == 3 and "--ca-file" in err
        rep(ok, "k. https without the CA: exit 3, the help names --ca-file", short(err, 300) if ok else f"exit {rc}: {short(out + err)}")

        def silent(conn: socket.socket) -> None:
            time.sleep(30)
            conn.close()
        port = self.front(silent)
        t0 = time.monotonic()
        rc, out, err = self.keys("plan", "--timeout", "1", proxy=f"http://127.0.0.1:{port}")
        took = time.monotonic() - t0
        ok = rc == 3 and "in time" in err and took < 20
        rep(ok, "k. a proxy that never answers, --timeout 1: exit 3 after bounded retries",
            f"{took:.1f}s: {short(err, 200)}" if ok else f"exit {rc} after {took:.1f}s: {short(out + err)}")

        seen: list[str] = []

        def flaky(conn: socket.socket, answers: list[bytes]) -> None:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    conn.close()
                    return
                head += chunk
            seen.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            if answers:
                conn.sendall(answers.pop(0))
                conn.close()
                return
            port = int(self.proxy.url.rsplit(":", 1)[1])
            up = socket.create_connection(("127.0.0.1", port))
            up.sendall(head)
            self.pump_rest(conn, up)

        def answer(status: str, extra: str = "") -> bytes:
            body = b'{"error":{"message":"try again"}}'
            return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}"
                    f"connection: close\r\n\r\n").encode() + body
        script = [answer("503 Service Unavailable"), answer("429 Too Many Requests", "retry-after: 1\r\n")]
        port = self.front(lambda c: flaky(c, script))
        rc, out, err = self.keys("plan", "--format", "json", proxy=f"http://127.0.0.1:{port}")
        ok = rc == 0 and len(seen) >= 3 and seen[0].startswith("GET /key/list")
        rep(ok, "k. 503, then 429 with Retry-After, then the real proxy: plan retries and succeeds",
            f"{len(seen)} requests: {', '.join(x.split(' ')[0] + ' ' + x.split(' ')[1].split('?')[0] for x in seen[:4])}"
            if ok else f"exit {rc}, {len(seen)} request(s): {short(out + err)}")
        seen.clear()
        always = [answer("503 Service Unavailable") for _ in range(20)]
        port = self.front(lambda c: flaky(c, always))
        rc, out, err = self.keys("plan", proxy=f"http://127.0.0.1:{port}")
        ok = rc == 3 and len(seen) == 4 and "503" in err
        rep(ok, "k. an always-503 proxy: exactly 4 attempts, then exit 3 naming HTTP 503",
            short(err, 200) if ok else f"exit {rc}, {len(seen)} request(s): {short(out + err)}")

    @staticmethod
    def pump_rest(conn: socket.socket, up: socket.socket) -> None:
        """Copies bytes both ways between a client connection and the upstream one."""
        import threading

        def copy(a: socket.socket, b: socket.socket) -> None:
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for x in (a, b):
                    try:
                        x.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        threading.Thread(target=copy, args=(up, conn), daemon=True).start()
        copy(conn, up)

    # --- l: the Secret cannot be written after a key was minted ---
    def l_write_fails(self) -> None:
        rep = self.rep
        full = os.path.join(self.base, "full")
        os.makedirs(full)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", full]).returncode != 0:
            rep(False, "l. a full tmpfs for --secrets-out", "mount -t tmpfs failed")
            return
        try:
            fd = os.open(os.path.join(full, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while True:
                    os.write(fd, b"x" * 512)
            except OSError:
                pass
            finally:
                os.close(fd)
            extra = os.path.join(self.fleet, "extra.yaml")
            with open(extra, "w") as fh:
                fh.write("apiVersion: gen-agents/v1\nkind: Agent\nmetadata:\n  name: extra\nspec:\n  podId: 69f841a9063269526de04300\n")
            alias = self.agent_alias("extra")
            target = os.path.join(full, "secrets.yaml")
            rc, out, err = self.keys("apply", "--secrets-out", target)
            live = self.proxy.keys()
            leftovers = [n for n in os.listdir(full) if n != "filler"]
            ok = rc == 3 and "deleted again" in err and alias not in live and not leftovers
            rep(ok, "l. --secrets-out on a full disk after minting: exit 3, the key deleted again, no file left",
                short(err, 300) if ok else f"exit {rc}, {alias} on the proxy: {alias in live}, files: {leftovers}: "
                f"{short(out + err)}")
            os.remove(extra)
        finally:
            subprocess.run(["umount", full], check=False)

    # --- j ---
    def j_secrecy(self) -> None:
        rep = self.rep
        values = {**self.masters, **self.values}
        values = {k: v for k, v in values.items() if v}

        def leaks(outputs: list[tuple[str, str]]) -> list[str]:
            return [f"{what} in the output of `{cmd}`" for cmd, text in outputs for what, v in values.items() if v in text]

        found = leaks(self.ga.outputs)
        minted = len([k for k in values if k not in self.masters])
        rep(minted > 0 and not found, f"j. secrecy: no output of the {len(self.ga.outputs)} gen-agents command(s) holds "
            f"a master key or a minted value",
            f"{len(self.masters)} master key(s), {minted} minted value(s) checked" if minted and not found else
            ("; ".join(found[:10]) if found else "no minted values to check"))
        # Not a value, but what LiteLLM echoes of one: its sha256 (the key's `token`) and its
        # last 4 characters (`sk-...abcd`). Reported, not failed: neither authenticates.
        hashes = [f"sha256 of the {what} in `{cmd}`" for cmd, text in self.ga.outputs for what, v in values.items()
                  if hashlib.sha256(v.encode()).hexdigest() in text]
        masked = [f"`sk-...{v[-4:]}` of the {what} in `{cmd}`" for cmd, text in self.ga.outputs
                  for what, v in values.items() if f"sk-...{v[-4:]}" in text]
        rep.info("j. LiteLLM token hashes (sha256) of the checked values in the outputs: "
                 + ("; ".join(hashes[:6]) + (f" (+{len(hashes) - 6})" if len(hashes) > 6 else "") if hashes else "none"))
        rep.info("j. masked values (`sk-...` + last 4) in the outputs: "
                 + ("; ".join(masked[:6]) + (f" (+{len(masked) - 6})" if len(masked) > 6 else "") if masked else "none"))
        probe = next((v for k, v in values.items() if k not in self.masters), None)
        caught = bool(probe) and bool(leaks([("planted", f"key: {probe}\n")]))
        rep(caught, "j. secrecy break-check: a planted minted value is found", "" if caught else "NOT found")

    def close(self) -> None:
        for srv in self.fronts:
            srv.close()
        for p in (self.nodb, self.proxy):
            if p:
                p.stop()
        if self.upstream:
            self.upstream.kill()
            self.upstream.wait()
        if self.args.keep:
            print(f"INFO kept {self.base}")
        else:
            shutil.rmtree(self.base, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the gen-agents binary")
    ap.add_argument("--shared", default=os.environ.get("GEN_AGENTS_SHARED", os.path.join(REPO, "..", "shared")))
    ap.add_argument("--litellm-home", default=os.environ.get("LITELLM_HARNESS_HOME")
                    or os.path.expanduser("~/.cache/gen-agents-tools/litellm-harness"))
    ap.add_argument("--keep", action="store_true", help="keep the work dir (command logs, proxy logs)")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)

    if not isolated():
        if os.geteuid() != 0 or not shutil.which("unshare"):
            print("FAIL tools: needs root and unshare for a loopback-only network namespace (unshare --net --mount)")
            print("keys: 0 passed, 1 failed")
            return 1
        os.execvp("unshare", ["unshare", "--net", "--mount", "--propagation", "private", sys.executable, *sys.argv])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)

    rep = Report()
    t0 = time.monotonic()
    if not os.access(args.bin, os.X_OK):
        rep(False, "tools: gen-agents binary", f"{args.bin} is not executable")
        return finish(rep)
    ver = subprocess.run([args.bin, "--version"], capture_output=True, text=True).stdout.strip()
    has_keys = subprocess.run([args.bin, "keys", "--help"], capture_output=True, text=True).returncode == 0
    rep(has_keys, "tools: gen-agents keys", f"{ver} ({args.bin})" if has_keys else f"{ver} has no `keys` command")
    rep.info("loopback-only network namespace: " + ", ".join(n for _, n in socket.if_nameindex()))
    run = Run(args, rep)
    try:
        scenarios(run, rep, has_keys)
    finally:
        try:
            run.j_secrecy()
        finally:
            run.close()
            rep.info(f"{run.ga.n} gen-agents command(s), total {time.monotonic() - t0:.1f}s")
    return finish(rep)


def scenarios(run: Run, rep: Report, has_keys: bool) -> None:
    guarded(rep, "fields", run.check_fields)
    if not guarded(rep, "proxy", run.start) or not has_keys:
        return
    for label, step in [("a", run.a_plan_empty), ("b", run.b_apply)]:
        if not guarded(rep, label, step):  # the later scenarios need the minted keys
            return
    for label, step in [("c", run.c_calls), ("d", run.d_again), ("e", run.e_update), ("f", run.f_orphan),
                        ("g", run.g_rotate), ("h", run.h_conflict), ("g2", run.g_grace), ("i", run.i_errors),
                        ("k", run.k_robustness), ("l", run.l_write_fails)]:
        guarded(rep, label, step)


def guarded(rep: Report, label: str, step: Callable[[], Any]) -> Any:
    """Runs one step; an exception is its FAIL line (and False)."""
    try:
        r = step()
        return True if r is None else r
    except Exception as exc:  # noqa: BLE001
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        rep(False, f"{label}: harness error", f"{type(exc).__name__}: {str(exc)[:500]} (line {tb.lineno})")
        return False


def finish(rep: Report) -> int:
    print(f"keys: {rep.passed} passed, {rep.failed} failed", flush=True)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
