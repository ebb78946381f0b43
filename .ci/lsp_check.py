"""Open a spec in the real yaml-language-server (stdio LSP) and check its diagnostics.

Usage: lsp_check.py SERVER_JS SPEC EXPECT...
  SERVER_JS  yaml-language-server's bin script (run with node --stdio)
  SPEC       a YAML file whose `# yaml-language-server: $schema=...` modeline names the schema
  EXPECT     LINE:TEXT, a 1-based line that must carry a diagnostic whose message contains
             TEXT (case-insensitive)
Prints PASS/FAIL lines; exits 1 when an expectation is not met. The server's settings turn
the schema store off, so only the modeline can bring the schema.
"""

import json
import pathlib
import subprocess
import sys
import time


def send(proc, msg):
    body = json.dumps(msg).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()


def receive(proc):
    length = None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise EOFError("server closed stdout")
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(proc.stdout.read(length))


SETTINGS = {
    "validate": True,
    "hover": False,
    "completion": False,
    "schemaStore": {"enable": False},
    "schemas": {},
}


def diagnostics(server, spec, timeout=60):
    uri = spec.resolve().as_uri()
    proc = subprocess.Popen(
        ["node", server, "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": None,
            "rootUri": spec.resolve().parent.as_uri(),
            "capabilities": {"workspace": {"configuration": True},
                             "textDocument": {"publishDiagnostics": {}}},
        }})
        deadline = time.monotonic() + timeout
        opened = False
        while time.monotonic() < deadline:
            msg = receive(proc)
            if msg.get("id") == 1 and "result" in msg and not opened:
                send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
                send(proc, {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration",
                            "params": {"settings": {"yaml": SETTINGS}}})
                send(proc, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                    "textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                     "text": spec.read_text()}}})
                opened = True
            elif "method" in msg and "id" in msg:  # a request from the server
                result = None
                if msg["method"] == "workspace/configuration":
                    result = [SETTINGS for _ in msg["params"]["items"]]
                send(proc, {"jsonrpc": "2.0", "id": msg["id"], "result": result})
            elif (msg.get("method") == "textDocument/publishDiagnostics"
                  and msg["params"]["uri"] == uri and msg["params"]["diagnostics"]):
                return msg["params"]["diagnostics"]
        return []
    finally:
        proc.kill()
        proc.wait()


def main():
    server, spec, expects = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
    got = diagnostics(server, spec)
    for d in got:
        print(f"    {spec.name}:{d['range']['start']['line'] + 1}: {d['message']}")
    failed = 0
    for expect in expects:
        line, _, text = expect.partition(":")
        hit = [d for d in got if d["range"]["start"]["line"] + 1 == int(line)
               and text.lower() in d["message"].lower()]
        if hit:
            print(f"PASS yaml-language-server: line {line} has `{text}`")
        else:
            print(f"FAIL yaml-language-server: no diagnostic with `{text}` at line {line}")
            failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
