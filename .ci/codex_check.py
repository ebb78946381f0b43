#!/usr/bin/env python3
"""Prove each generated codex config.toml against the real codex CLI, offline.

Run by .ci/consumers.sh as root inside fresh network + mount namespaces:

    unshare --net --mount python3 codex_check.py --codex BIN configmaps.yaml

For every ConfigMap with a `config.toml` key, in a fresh temp CODEX_HOME and
HOME, with a clean environment (LITELLM_API_KEY=sk-test only), under timeout:

  1. `codex doctor --json`: checks["config.load"].status must be "ok" and no
     "unrecognized configuration settings" / "is ignored" warning may appear.
  2. `codex exec --strict-config` for one turn against a fake Responses API on
     127.0.0.1 (the provider's base_url host is swapped for it with `-c`; the
     path is kept). Must exit 0 and must have sent exactly what LiteLLM expects
     of a codex agent: POST <base_url path>/responses (wire_api "responses"),
     `Authorization: Bearer sk-test` (env_key), the config's `model`.

Why the namespace: doctor probes api.github.com and the provider, and exec
looks up chatgpt.com and clones a plugins repo. Here nothing can leave the
machine: the namespace has only loopback, and a stub DNS on 127.0.0.1 answers
every name with NXDOMAIN at once. (Without it, codex's musl resolver retries a
dead nameserver and each probe stalls ~5 s.) The names codex asked for are
printed as INFO.

Prints one PASS/FAIL line per check; exits 1 if any failed, 2 on setup errors.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
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
from typing import Any

import yaml

TEST_KEY = "sk-test"
IGNORED_MARKERS = ("unrecognized configuration setting", "is ignored")
TIMEOUT = 60
# The Responses API's reasoning.effort values (codex does not check them).
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


# --- loopback-only sandbox ----------------------------------------------------

def ensure_isolated(workdir: str) -> None:
    """Refuse to run unless this netns has nothing but loopback, then bring lo
    up and point name resolution at our stub DNS (private bind mount)."""
    # Asked via netlink, so it reflects this process's netns (sysfs may not).
    ifaces = sorted(name for _, name in socket.if_nameindex())
    if ifaces != ["lo"]:
        raise SystemExit(f"codex_check: not in an isolated network namespace (interfaces: {ifaces}); "
                         "run under `unshare --net --mount`")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    resolv = os.path.join(workdir, "resolv.conf")
    with open(resolv, "w", encoding="ascii") as fh:
        fh.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    hosts = os.path.join(workdir, "hosts")
    with open(hosts, "w", encoding="ascii") as fh:
        fh.write("127.0.0.1 localhost\n::1 localhost\n")
    # Only visible in this mount namespace (unshare --mount makes it private).
    subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
    subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)


class StubDNS(threading.Thread):
    """Answers every query with NXDOMAIN and remembers the names asked for."""

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
            # Question: labels up to the zero byte, then QTYPE+QCLASS.
            pos, labels = 12, []
            while pos < len(data) and data[pos]:
                labels.append(data[pos + 1:pos + 1 + data[pos]].decode("ascii", "replace"))
                pos += 1 + data[pos]
            question = data[12:pos + 5]
            self.names.add(".".join(labels))
            # QR=1, opcode copied, RD copied, RA=1, RCODE=3 (NXDOMAIN).
            rflags = 0x8000 | (flags & 0x7900) | 0x0080 | 3
            reply = struct.pack(">HHHHHH", qid, rflags, 1 if qdcount else 0, 0, 0, 0) + question
            self.sock.sendto(reply, addr)


class FakeResponses(http.server.BaseHTTPRequestHandler):
    """A minimal OpenAI Responses API: every turn answers the text `pong`."""

    log: list[dict[str, Any]] = []

    def log_message(self, *_: Any) -> None:  # keep stderr for real problems
        pass

    def _record(self, body: dict[str, Any] | None) -> None:
        self.log.append({
            "method": self.command,
            "path": urllib.parse.urlsplit(self.path).path,
            "authorization": self.headers.get("authorization"),
            "model": (body or {}).get("model"),
            "stream": (body or {}).get("stream"),
            "reasoning": (body or {}).get("reasoning"),
        })

    def do_HEAD(self) -> None:  # noqa: N802 (http.server naming)
        self._record(None)
        self.send_response(404)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self._record(None)
        self.send_response(404)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        self._record(body)
        if not self.path.split("?")[0].endswith("/responses"):
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        model = body.get("model", "")
        msg = {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
               "content": [{"type": "output_text", "text": "pong", "annotations": []}]}
        usage = {"input_tokens": 1, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": 1, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": 2}
        resp = {"id": "resp_1", "object": "response", "created_at": int(time.time()),
                "model": model, "status": "in_progress", "output": []}
        events = [
            ("response.created", {"type": "response.created", "response": resp}),
            ("response.output_item.added", {"type": "response.output_item.added", "output_index": 0,
                                            "item": {**msg, "status": "in_progress", "content": []}}),
            ("response.output_text.delta", {"type": "response.output_text.delta", "item_id": "msg_1",
                                            "output_index": 0, "content_index": 0, "delta": "pong"}),
            ("response.output_item.done", {"type": "response.output_item.done", "output_index": 0,
                                           "item": msg}),
            ("response.completed", {"type": "response.completed",
                                    "response": {**resp, "status": "completed", "output": [msg],
                                                 "usage": usage}}),
        ]
        payload = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


# --- the checks ---------------------------------------------------------------

def config_maps(path: str) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as fh:
        docs = [d for d in yaml.safe_load_all(fh) if d]
    found = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "ConfigMap":
            data = doc.get("data") or {}
            if "config.toml" in data:
                found.append((str((doc.get("metadata") or {}).get("name")), data["config.toml"]))
    return found


def event_errors(jsonl: str) -> list[str]:
    """The messages of `error` / `turn.failed` events in `codex exec --json`."""
    found = []
    for line in jsonl.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("type") == "error":
            found.append(str(event.get("message")))
        elif event.get("type") == "turn.failed":
            found.append(str((event.get("error") or {}).get("message")))
    return found


class Checker:
    def __init__(self, codex: str, base: str, llm_port: int) -> None:
        self.codex = codex
        self.base = base
        self.llm_port = llm_port
        self.failed = 0
        node_dir = os.path.dirname(shutil.which("node") or "/usr/bin/node")
        self.path = ":".join(dict.fromkeys([node_dir, "/usr/local/bin", "/usr/bin", "/bin"]))

    def report(self, ok: bool, what: str, detail: str) -> None:
        print(f"{'PASS' if ok else 'FAIL'} {what}: {detail}", flush=True)
        if not ok:
            self.failed += 1

    def sandbox(self, name: str, toml_text: str) -> tuple[dict[str, str], str]:
        work = tempfile.mkdtemp(prefix=f"{name}.", dir=self.base)
        for sub in ("home", "codex-home", "work"):
            os.makedirs(os.path.join(work, sub))
        with open(os.path.join(work, "codex-home", "config.toml"), "w", encoding="utf-8") as fh:
            fh.write(toml_text)
        env = {"HOME": os.path.join(work, "home"), "PATH": self.path,
               "CODEX_HOME": os.path.join(work, "codex-home"), "LITELLM_API_KEY": TEST_KEY}
        return env, work

    def run(self, argv: list[str], env: dict[str, str], cwd: str) -> tuple[int, str, str, float]:
        start = time.monotonic()
        # Own process group: on timeout, kill the npm wrapper *and* the native
        # codex binary it spawned.
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            rc, err = 124, f"timed out after {TIMEOUT}s"
        return rc, out, err, time.monotonic() - start

    def doctor(self, cm: str, toml_text: str) -> None:
        what = f"codex doctor config.load [{cm}]"
        env, work = self.sandbox(cm, toml_text)
        # doctor exits 1 here on purpose-built grounds (provider unreachable
        # offline), so its exit code is not the verdict; config.load is.
        rc, out, err, secs = self.run([self.codex, "doctor", "--json"], env, work)
        try:
            report = json.loads(out)
            load = report["checks"]["config.load"]
        except (ValueError, KeyError, TypeError):
            self.report(False, what, f"no JSON report (exit {rc}, {secs:.1f}s): {err.strip()[:500]}")
            return
        details = load.get("details") or {}
        text = json.dumps(load) + "\n" + err
        ignored = [m for m in IGNORED_MARKERS if m in text.lower()]
        if load.get("status") != "ok" or ignored:
            why = details.get("startup warning") or f"{load.get('summary')}: {details.get('error')}"
            self.report(False, what, f"status={load.get('status')} ({secs:.1f}s): {json.dumps(why)[:800]}")
        else:
            self.report(True, what, f"ok, model={details.get('model')} provider={details.get('model provider')} "
                                    f"mcp servers={details.get('mcp servers')} ({secs:.1f}s)")

    def exec_turn(self, cm: str, toml_text: str) -> None:
        what = f"codex exec --strict-config [{cm}]"
        try:
            cfg = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError as exc:
            self.report(False, what, f"config.toml is not TOML: {exc}")
            return
        provider = cfg.get("model_provider")
        pcfg = (cfg.get("model_providers") or {}).get(provider) if isinstance(provider, str) else None
        base_url = pcfg.get("base_url") if isinstance(pcfg, dict) else None
        if not isinstance(base_url, str):
            self.report(False, what, f"model_providers.{provider}.base_url is missing")
            return
        path = urllib.parse.urlsplit(base_url).path.rstrip("/")
        fake = f"http://127.0.0.1:{self.llm_port}{path}"
        env, work = self.sandbox(cm, toml_text)
        FakeResponses.log.clear()
        argv = [self.codex, "exec", "--strict-config", "--skip-git-repo-check", "--ephemeral", "--json",
                "-C", os.path.join(work, "work"),
                "-c", f"model_providers.{provider}.base_url={json.dumps(fake)}",
                "reply pong"]
        rc, out, err, secs = self.run(argv, env, work)
        posts = [r for r in FakeResponses.log if r["method"] == "POST"]
        problems = []
        if rc != 0:
            noise = ("PATH aliases", "Reading additional input from stdin")
            lines = [ln for ln in err.strip().splitlines() if ln.strip() and not any(n in ln for n in noise)]
            lines += event_errors(out)
            problems.append(f"exit {rc}: " + " | ".join(dict.fromkeys(lines))[-800:])
        if not posts:
            problems.append("no model request reached the fake LiteLLM")
        for req in posts:
            if req["path"] != f"{path}/responses":
                problems.append(f"POST {req['path']}, expected {path}/responses (wire_api must be \"responses\")")
            if req["authorization"] != f"Bearer {TEST_KEY}":
                problems.append(f"authorization {req['authorization']!r}, expected the env_key variable's value")
            if req["model"] != cfg.get("model"):
                problems.append(f"request model {req['model']!r}, config model {cfg.get('model')!r}")
            # codex passes model_reasoning_effort upstream unchecked, even
            # with --strict-config; LiteLLM/OpenAI would then reject the call.
            effort = (req["reasoning"] or {}).get("effort") if isinstance(req["reasoning"], dict) else None
            if "model_reasoning_effort" in cfg and effort != cfg["model_reasoning_effort"]:
                problems.append(f"request reasoning.effort {effort!r}, config {cfg['model_reasoning_effort']!r}")
            if effort is not None and effort not in REASONING_EFFORTS:
                problems.append(f"reasoning.effort {effort!r} is not one of {', '.join(REASONING_EFFORTS)}")
        if rc == 0 and '"pong"' not in out:
            problems.append("no agent message `pong` in the JSONL events")
        if problems:
            self.report(False, what, "; ".join(dict.fromkeys(problems)) + f" ({secs:.1f}s)")
        else:
            effort = (posts[0]["reasoning"] or {}).get("effort") if isinstance(posts[0]["reasoning"], dict) else None
            self.report(True, what, f"POST {posts[0]['path']} model={posts[0]['model']} "
                                    f"effort={effort} ({len(posts)} request(s), {secs:.1f}s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--codex", required=True, help="the codex CLI to run")
    ap.add_argument("configmaps", help="multi-document YAML holding ConfigMaps")
    args = ap.parse_args()

    maps = config_maps(args.configmaps)
    if not maps:
        print(f"FAIL codex configs: no ConfigMap with a config.toml key in {args.configmaps}")
        return 1
    base = tempfile.mkdtemp(prefix="codex-check.")
    try:
        ensure_isolated(base)
        dns = StubDNS()
        dns.start()
        llm = Server(("127.0.0.1", 0), FakeResponses)
        threading.Thread(target=llm.serve_forever, daemon=True).start()
        checker = Checker(os.path.abspath(args.codex), base, llm.server_address[1])
        for cm, toml_text in maps:
            checker.doctor(cm, toml_text)
            checker.exec_turn(cm, toml_text)
        if dns.names:
            print(f"INFO codex looked up (answered NXDOMAIN, nothing left loopback): {', '.join(sorted(dns.names))}")
        llm.shutdown()
        return 1 if checker.failed else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
