#!/usr/bin/python3
"""Static checks of the alert rules, beside `promtool check rules` and `promtool test rules`.

  check_alerts.py check REPO     exit 1 naming every problem
  check_alerts.py exprs REPO     every rule's expression as JSON lines {"source", "expr"}
  check_alerts.py records REPO   the names of the recording rules, one a line

`check` asserts, for every alert of alerts/*.yml: annotations summary and description; a runbook_url
docs/runbooks.md#ANCHOR whose anchor is a heading of docs/runbooks.md; a severity label; and in
alerts/tests/*_test.yml at least one case where it fires (every expected alert labelled with `cluster`;
alerts on the applications' client statistics only, kafka_client_*, which carry no cluster, with
`client_id` and `label` instead) and at least one where it stays quiet (exp_alerts empty).
Needs python3-yaml (a dependency of yamllint, in scripts/install-deps.sh's test packages).
"""
import glob
import json
import os
import re
import sys

import yaml


def rule_files(repo):
    return sorted(glob.glob(os.path.join(repo, "alerts", "*.yml")))


def rules(repo):
    for path in rule_files(repo):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                yield os.path.basename(path), group["name"], rule


def github_anchors(markdown):
    anchors = set()
    for line in markdown.splitlines():
        m = re.match(r"^#{1,6}\s+(.*)$", line)
        if m:
            text = m.group(1).strip().lower()
            anchors.add(re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text)))
    return anchors


def identifying_labels(expr):
    """The labels every alert of `expr` must carry: cluster, or for client statistics only, client_id and label."""
    names = set(re.findall(r"\bkafka_[a-zA-Z0-9_:]+", expr))
    if names and all(n.startswith("kafka_client_") for n in names):
        return ("client_id", "label")
    return ("cluster",)


def check(repo):
    problems = []
    with open(os.path.join(repo, "docs", "runbooks.md"), encoding="utf-8") as f:
        anchors = github_anchors(f.read())
    alerts, required = {}, {}
    for path, group, rule in rules(repo):
        if "alert" not in rule:
            continue
        name = rule["alert"]
        where = f"{path}: {name}"
        if name in alerts:
            problems.append(f"{where}: alert name also used in {alerts[name]}")
        alerts[name] = path
        required[name] = identifying_labels(rule.get("expr", ""))
        ann = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if not ann.get(key):
                problems.append(f"{where}: no {key} annotation")
        url = ann.get("runbook_url", "")
        m = re.fullmatch(r"docs/runbooks\.md#([\w-]+)", url)
        if not m:
            problems.append(f"{where}: runbook_url {url!r} is not docs/runbooks.md#ANCHOR")
        elif m.group(1) not in anchors:
            problems.append(f"{where}: runbook_url anchor #{m.group(1)} is not a heading of docs/runbooks.md")
        if rule.get("labels", {}).get("severity") not in ("info", "warning", "critical"):
            problems.append(f"{where}: severity label should be info, warning or critical")
    if not alerts:
        problems.append("no alerts in alerts/*.yml")

    fires, quiet = set(), set()
    for path in sorted(glob.glob(os.path.join(repo, "alerts", "tests", "*_test.yml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for test in doc.get("tests", []):
            for case in test.get("alert_rule_test", []):
                name = case["alertname"]
                expected = case.get("exp_alerts") or []
                if expected:
                    fires.add(name)
                    for e in expected:
                        for label in required.get(name, ("cluster",)):
                            if label not in e.get("exp_labels", {}):
                                problems.append(f"{os.path.basename(path)}: {name} at {case['eval_time']}: "
                                                f"expected alert without a {label} label")
                else:
                    quiet.add(name)
                if name not in alerts:
                    problems.append(f"{os.path.basename(path)}: tests unknown alert {name}")
    for name in sorted(alerts):
        if name not in fires:
            problems.append(f"{name}: no unit test case where it fires")
        if name not in quiet:
            problems.append(f"{name}: no unit test case where it stays quiet")
    return problems


def main(argv):
    if len(argv) != 3 or argv[1] not in ("check", "exprs", "records"):
        print(__doc__, file=sys.stderr)
        return 2
    repo = argv[2]
    if argv[1] == "check":
        problems = check(repo)
        for p in problems:
            print(f"alert problem: {p}", file=sys.stderr)
        return 1 if problems else 0
    if argv[1] == "records":
        for name in sorted({r["record"] for _, _, r in rules(repo) if "record" in r}):
            print(name)
        return 0
    for path, group, rule in rules(repo):
        source = f"{path}/{group}/{rule.get('alert') or rule.get('record')}"
        print(json.dumps({"source": source, "expr": rule["expr"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
