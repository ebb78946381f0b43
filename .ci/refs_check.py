#!/usr/bin/env python3
"""What the kubelet needs before a rendered pod can start, checked offline.

    refs_check.py [--declared-keys] RENDERED.yaml CONFIGMAPS.yaml SECRETS.yaml

For every rendered Deployment: each configMap volume names a ConfigMap in
CONFIGMAPS.yaml (or rendered by the chart) holding every key the boot step copies
(GEN_AGENTS_RUNTIME_FILES), whose data hashes to the pod's checksum/config (else a
rolled-back pod would run another version's config); each required secretKeyRef
and each required Secret volume source names a Secret in SECRETS.yaml with that
key; each PVC volume names a rendered PersistentVolumeClaim. A missing one would
leave the pod in CreateContainerConfigError or ContainerCreating, which no schema
catches.

Secrets have their keys in data/stringData. gen-agents' stubs carry none (so that
applying one cannot erase a value): with --declared-keys a Secret also has the
keys its gen-agents.dev/required-keys and gen-agents.dev/optional-keys annotations
declare, i.e. the keys the operator is told to create.

Prints one FAIL line per broken reference and a PASS line when there is none;
exits 1 on any failure.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

import yaml


def load(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if isinstance(d, dict)]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {str(d.get("metadata", {}).get("name")): d for d in docs if d.get("kind") == kind}


def keys_of(obj: dict[str, Any]) -> set[str]:
    return set(obj.get("data") or {}) | set(obj.get("stringData") or {}) | set(obj.get("binaryData") or {})


def declared_keys(obj: dict[str, Any]) -> set[str]:
    notes = (obj.get("metadata") or {}).get("annotations") or {}
    keys = ",".join(str(notes.get(f"gen-agents.dev/{k}-keys") or "") for k in ("required", "optional"))
    return {k for k in keys.split(",") if k}


def checksum(data: dict[str, str]) -> str:
    """gen-agents' `sha256:` over the data: key, NUL, content, NUL, in key order."""
    h = hashlib.sha256()
    for k in sorted(data):
        h.update(k.encode() + b"\0" + data[k].encode() + b"\0")
    return "sha256:" + h.hexdigest()


def main(rendered_path: str, cm_path: str, secrets_path: str, declared: bool = False) -> int:
    rendered = load(rendered_path)
    # The chart renders ConfigMaps of its own (the shared scripts); gen-agents' are in CM_PATH.
    cms = {**by_kind(rendered, "ConfigMap"), **by_kind(load(cm_path), "ConfigMap")}
    secrets = by_kind(load(secrets_path), "Secret")
    if declared:
        for secret in secrets.values():
            secret.setdefault("data", {}).update({k: "" for k in declared_keys(secret)})
    pvcs = by_kind(rendered, "PersistentVolumeClaim")
    problems: list[str] = []
    deployments = [d for d in rendered if d.get("kind") == "Deployment"]
    for dep in deployments:
        name = dep["metadata"]["name"]
        pod = dep["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for vol in volumes.values():
            if "configMap" in vol and not vol["configMap"].get("optional"):
                if vol["configMap"]["name"] not in cms:
                    problems.append(f"{name}: ConfigMap {vol['configMap']['name']!r} is not in {cm_path}")
            if "persistentVolumeClaim" in vol and vol["persistentVolumeClaim"]["claimName"] not in pvcs:
                problems.append(f"{name}: PVC {vol['persistentVolumeClaim']['claimName']!r} is not rendered")
            sources = [s["secret"] for s in (vol.get("projected") or {}).get("sources", []) if "secret" in s]
            if "secret" in vol:
                sources.append(vol["secret"])
            for src in sources:
                if src.get("optional"):
                    continue
                secret = secrets.get(src["secretName" if "secretName" in src else "name"])
                if secret is None:
                    problems.append(f"{name}: volume {vol['name']!r} needs a Secret not in {secrets_path}")
                    continue
                for item in src.get("items", []):
                    if item["key"] not in keys_of(secret):
                        problems.append(f"{name}: volume {vol['name']!r}: Secret has no key {item['key']!r}")
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            env = {e["name"]: e for e in container.get("env", [])}
            for e in env.values():
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if not ref or ref.get("optional"):
                    continue
                secret = secrets.get(ref["name"])
                if secret is None:
                    problems.append(f"{name}/{container['name']}: env {e['name']} needs Secret {ref['name']!r}, "
                                    f"not in {secrets_path}")
                elif ref["key"] not in keys_of(secret):
                    problems.append(f"{name}/{container['name']}: Secret {ref['name']!r} has no key {ref['key']!r}")
            files = env.get("GEN_AGENTS_RUNTIME_FILES", {}).get("value")
            if files is None:
                continue
            vol = volumes.get(mounts.get(env.get("GEN_AGENTS_RUNTIME_DIR", {}).get("value", ""), ""), {})
            if "configMap" not in vol:
                problems.append(f"{name}/{container['name']}: no ConfigMap volume mounted at GEN_AGENTS_RUNTIME_DIR")
                continue
            cm = cms.get(vol["configMap"]["name"])
            if cm is None:
                continue  # reported above with the volume
            for f in json.loads(files):
                if f["key"] not in keys_of(cm):
                    problems.append(f"{name}: ConfigMap {cm['metadata']['name']!r} has no key {f['key']!r} "
                                    f"(runtimeConfig.files)")
            want = ((dep["spec"]["template"].get("metadata") or {}).get("annotations") or {}).get("checksum/config")
            have = checksum(cm.get("data") or {})
            if want is not None and want != have:
                problems.append(f"{name}: ConfigMap {cm['metadata']['name']!r} holds data {have[:17]}…, "
                                f"the pod was made for checksum/config {want[:17]}…")
    for p in problems:
        print(f"FAIL kubelet refs: {p}")
    if not deployments:
        print(f"FAIL kubelet refs: no Deployment in {rendered_path}")
        return 1
    if not problems:
        print(f"PASS kubelet refs: {len(deployments)} Deployment(s): ConfigMaps, Secret keys and PVCs all present")
    return 1 if problems else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    declared = args[:1] == ["--declared-keys"]
    if declared:
        args = args[1:]
    if len(args) != 3:
        sys.exit(__doc__)
    sys.exit(main(*args, declared=declared))
