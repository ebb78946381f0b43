#!/usr/bin/env python3
"""A thin `helm` over helm-python-sdk (Helm v4's Go SDK via libhelm_c).

There is no helm binary on these machines; this gives the two commands CI
needs, driving the real Helm engine:

  helm.py template RELEASE CHART [-f VALUES]... [-n NAMESPACE]
      Like `helm template`: values are checked against the chart's
      values.schema.json (if any), the chart is rendered offline, and the
      manifests are printed as `---` / `# Source: <template>` documents in
      Helm's install order. `-f -` reads values from stdin.
  helm.py lint CHART [-f VALUES]... [-n NAMESPACE] [--kube-version V] [--no-strict]
      Like `helm lint --strict` (warnings fail); prints the findings as the
      CLI does. Pass --kube-version: the default capabilities are v1.20, too
      old for any API-removal warning.

Exit status: 0 on success, 1 with Helm's error on stderr otherwise, 2 on a
usage error. Run it with the tools venv's python (see install-tools.sh).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

# The pinned wheel bundles its own libhelm_c; never let the environment swap
# in a different build of the engine.
os.environ.pop("HELM_C_LIB", None)

import helm_python as helm  # noqa: E402  (import after the env fix above)
import yaml  # noqa: E402  (PyYAML; only used to read kind/hook of rendered docs)

# helm.sh/helm/v4 pkg/release/v1/util (kind_sorter.go) InstallOrder.
INSTALL_ORDER = [
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret",
    "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
    "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
    "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
]
# helm's releaseutil.SplitManifests separator.
SEP = re.compile(r"(?:^|\s*\n)---\s*")
SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def read_values(paths: list[str]) -> dict[str, Any]:
    """Parse and merge -f files left to right, as `helm -f a -f b` does.

    Parsing goes through Helm's own YAML reader (sigs.k8s.io/yaml), so the
    values are typed exactly as the helm CLI would type them.
    """
    merged: dict[str, Any] = {}
    for path in paths:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        try:
            current = helm.values_from_yaml(text)
        except helm.HelmError as err:
            raise helm.HelmError(f"failed to parse {path}: {err}") from err
        merged = merge_maps(merged, current or {})
    return merged


def merge_maps(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """helm's cli/values mergeMaps: b wins; nested maps merge recursively."""
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_maps(out[key], value)
        else:
            out[key] = value
    return out


def kind_key(kind: str) -> tuple[int, str]:
    """Helm's lessByKind: known kinds by InstallOrder, unknown ones last and
    alphabetically; equal kinds keep their file/document order."""
    try:
        return (INSTALL_ORDER.index(kind), "")
    except ValueError:
        return (len(INSTALL_ORDER), kind)


def sorted_documents(rendered: dict[str, str]) -> list[tuple[str, str, bool]]:
    """Split, filter and order rendered templates like Helm's SortManifests.

    Returns (source, content, is_hook). Partials (_*.tpl), NOTES.txt and
    whitespace-only documents are dropped; each document must be YAML with a
    mapping at the top, otherwise this fails as `helm template` does.
    """
    docs: list[tuple[tuple[int, str], int, str, str, bool]] = []
    seq = 0
    for source in sorted(rendered):
        base = source.rsplit("/", 1)[-1]
        if base.startswith("_") or source.endswith("NOTES.txt"):
            continue
        for part in SEP.split(rendered[source]):
            if not part.strip():
                continue
            try:
                head = yaml.safe_load(part)
            except yaml.YAMLError as err:
                raise helm.HelmError(f"YAML parse error on {source}: {err}") from err
            if not isinstance(head, dict):
                raise helm.HelmError(f"YAML parse error on {source}: not a mapping")
            annotations = (head.get("metadata") or {}).get("annotations") or {}
            is_hook = "helm.sh/hook" in annotations
            docs.append((kind_key(str(head.get("kind", ""))), seq, source, part.strip(), is_hook))
            seq += 1
    docs.sort(key=lambda d: (d[0], d[1]))
    return [(src, content, hook) for _, _, src, content, hook in docs]


def cmd_template(args: argparse.Namespace) -> int:
    helm.validate_release_name(args.release)
    values = read_values(args.values)
    with helm.Chart.load(args.chart) as chart:
        # `helm template` validates the coalesced values against
        # values.schema.json before rendering; helm_render alone does not.
        chart.validate_schema(values)
        rendered = chart.render(values, name=args.release, namespace=args.namespace)
    docs = sorted_documents(rendered)
    out = sys.stdout
    # Hooks are printed after the ordinary manifests, as `helm template` does.
    for src, content, _ in [d for d in docs if not d[2]] + [d for d in docs if d[2]]:
        out.write(f"---\n# Source: {src}\n{content}\n")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    values = read_values(args.values)
    # Without kube_version the SDK lints against its default capabilities
    # (Kubernetes v1.20), where no API removal is flagged yet.
    report = helm.lint(args.chart, values, strict=args.strict, namespace=args.namespace,
                       kube_version=args.kube_version)
    print(f"==> Linting {args.chart}")
    for msg in report.get("messages", []):
        sev = SEVERITY.get(msg.get("severity", 0), "UNKNOWN")
        print(f"[{sev}] {msg.get('path', '')}: {msg.get('error', '')}")
    errors = report.get("errors", [])
    linted = report.get("total_charts_linted", 0)
    if errors:
        for err in errors:
            print(f"Error: {err}", file=sys.stderr)
        print(f"Error: {linted} chart(s) linted, {min(len(errors), max(linted, 1))} chart(s) failed", file=sys.stderr)
        return 1
    print(f"\n{linted} chart(s) linted, 0 chart(s) failed")
    return 0 if linted else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="helm.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    tpl = sub.add_parser("template", help="render a chart like `helm template`")
    tpl.add_argument("release")
    tpl.add_argument("chart")
    lint = sub.add_parser("lint", help="lint a chart like `helm lint --strict`")
    lint.add_argument("chart")
    lint.add_argument("--no-strict", dest="strict", action="store_false",
                      help="warnings do not fail (strict is the default)")
    lint.add_argument("--kube-version", default=None,
                      help="Kubernetes version for capabilities and deprecation checks, e.g. v1.37.0")
    for p in (tpl, lint):
        p.add_argument("-f", "--values", action="append", default=[],
                       help="values YAML file ('-' for stdin); repeatable")
        p.add_argument("-n", "--namespace", default="default")
    args = parser.parse_args(argv)
    try:
        return cmd_template(args) if args.cmd == "template" else cmd_lint(args)
    except BrokenPipeError:
        # `helm.py template ... | head` is fine; don't print a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (helm.HelmError, OSError) as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
