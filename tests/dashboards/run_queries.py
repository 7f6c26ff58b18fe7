#!/usr/bin/python3
"""Runs every dashboard query, template variable query, alert/recording rule expression and kafka_exporter
dashboard 7589 query through a running Prometheus's HTTP API, and checks the metric names they use.

  run_queries.py PROMETHEUS_URL EXPORTER_METRICS_FILE REPO

Fails (exit 1, naming each query) when a query does not parse or fails; when it names a metric that is
neither in the exporter's /metrics (EXPORTER_METRICS_FILE), nor one of Prometheus's own per-target series
(up, scrape_*), nor a recording rule of alerts/, nor allow-listed as documented (README.md) or declared
(src/metrics/names.h) but absent in the demo;
when a dashboard, variable or 7589 query returns no data and is not allow-listed; when an allow-list
entry is not needed (the query has data, or the metric is exported) or names nothing known.
Alert expressions need not return data (they select problems), only parse and use known names.
"""
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                     "scrape_samples_post_metric_relabeling", "scrape_series_added"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or",
            "unless", "inf", "nan"}


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers that are not functions, keywords, label names."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = set()
    for m in re.finditer(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", s):
        if m.group(2) or m.group(1).lower() in KEYWORDS:
            continue
        names.add(m.group(1))
    return names


def exported_names(metrics_file):
    names = set()
    with open(metrics_file, encoding="utf-8") as f:
        for line in f:
            if line and not line.startswith("#"):
                names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def declared_names(repo):
    """The metric families the exporter declares (with their help texts) in src/metrics/names.h."""
    path = os.path.join(repo, "src", "metrics", "names.h")
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as f:
        return set(re.findall(r'FamilySpec\{\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"', f.read()))


def load_allowlist(repo):
    metrics, queries = {}, {}
    with open(os.path.join(repo, "tests", "dashboards", "no_data_in_demo.txt"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != 3 or parts[0] not in ("metric", "query") or not parts[2]:
                raise SystemExit(f"no_data_in_demo.txt:{n}: expected 'metric|query | KEY | reason': {line}")
            (metrics if parts[0] == "metric" else queries)[parts[1]] = parts[2]
    return metrics, queries


def query(prom, expr):
    data = urllib.parse.urlencode({"query": expr}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{prom}/api/v1/query", data=data), timeout=30) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        body = json.load(e)
    if body.get("status") != "success":
        return None, f"{body.get('errorType')}: {body.get('error')}"
    return body["data"], None


def has_data(data):
    if data["resultType"] in ("scalar", "string"):
        return True
    return len(data["result"]) > 0


def run_tool(repo, script, *args):
    out = subprocess.run(["/usr/bin/python3", os.path.join(repo, "tests", *script), *args, repo],
                         check=True, capture_output=True, text=True).stdout
    return out


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    prom, metrics_file, repo = argv[1], argv[2], argv[3]
    exported = exported_names(metrics_file)
    allowed_metrics, allowed_queries = load_allowlist(repo)
    records = set(run_tool(repo, ("alerts", "check_alerts.py"), "records").split())
    with open(os.path.join(repo, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    declared = declared_names(repo)

    cases = []  # (source, expr, needs_data)
    for line in run_tool(repo, ("dashboards", "check_dashboards.py"), "queries").splitlines():
        q = json.loads(line)
        cases.append((q["source"], q["expr"], True))
    for line in run_tool(repo, ("alerts", "check_alerts.py"), "exprs").splitlines():
        q = json.loads(line)
        cases.append((q["source"], q["expr"], False))
    compat_names = []
    with open(os.path.join(repo, "tests", "dashboards", "kafka_exporter_7589.txt"), encoding="utf-8") as f:
        for line in f:
            kind, _, rest = line.strip().partition(" ")
            if kind == "query":
                cases.append((f"7589/{rest}", rest, True))
            elif kind == "name":
                compat_names.append(rest)

    problems, used_allow_queries, used_allow_metrics = [], set(), set()
    known = exported | PROMETHEUS_SERIES | records | set(allowed_metrics)
    for name in compat_names:
        if name in exported:
            continue
        if name in allowed_metrics:
            used_allow_metrics.add(name)
        else:
            problems.append(f"7589: metric {name} is not exported by the demo")
    for source, expr, needs_data in cases:
        data, error = query(prom, expr)
        if error:
            problems.append(f"{source}: query failed: {error}\n    {expr}")
            continue
        for name in sorted(metric_names(expr)):
            if name not in known:
                problems.append(f"{source}: uses {name}, which the exporter does not export\n    {expr}")
            elif name in allowed_metrics:
                used_allow_metrics.add(name)
        if not needs_data:
            continue
        if has_data(data):
            if source in allowed_queries:
                problems.append(f"{source}: allow-listed as without data, but it returns data: drop the entry")
        elif source in allowed_queries:
            used_allow_queries.add(source)
        else:
            problems.append(f"{source}: no data in demo mode (allow-list it with the reason if it cannot have)"
                            f"\n    {expr}")
    for key in sorted(set(allowed_queries) - used_allow_queries):
        if not any(key == s for s, _, _ in cases):
            problems.append(f"no_data_in_demo.txt: query {key!r} is not a query of the dashboards or of 7589")
    for name in sorted(allowed_metrics):
        if name in exported:
            problems.append(f"no_data_in_demo.txt: metric {name} is exported by the demo: drop the entry")
        elif f"`{name}`" not in readme and name not in declared:
            problems.append(f"no_data_in_demo.txt: metric {name} is neither documented in README.md nor "
                            "declared in src/metrics/names.h")
        elif name not in used_allow_metrics:
            problems.append(f"no_data_in_demo.txt: metric {name} is used by no query: drop the entry")
    for p in problems:
        print(f"query problem: {p}", file=sys.stderr)
    print(f"{len(cases)} queries run, {len(allowed_queries)} allowed without data, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
