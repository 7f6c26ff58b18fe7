#!/usr/bin/python3
"""Dashboard checks and query extraction for the tests.

  check_dashboards.py check REPO     structure of dashboards/*.json (exit 1 naming every problem)
  check_dashboards.py queries REPO   every panel target and template variable query, as JSON lines
                                     {"source", "expr", "kind"} with the template variables substituted

`check` asserts: each dashboard parses, has a unique non-empty uid and title; has a variable of type
"datasource"; every panel, target and query variable uses that variable as datasource (no hard-coded
datasource uid or name); every panel has a description and a unique id; every target has an expr; every
variable has a query; the JSON equals what dashboards/generate.py writes (no hand edits drifting away).
"""
import glob
import importlib.util
import json
import os
import re
import sys

# Grafana's variables, substituted for a query Prometheus can run.
SUBSTITUTIONS = [
    (re.compile(r"\$__rate_interval|\$\{__rate_interval\}"), "1m"),
    (re.compile(r"\$__interval|\$\{__interval\}"), "1m"),
    (re.compile(r"\$__range|\$\{__range\}"), "5m"),
]
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")


def load(repo):
    paths = sorted(glob.glob(os.path.join(repo, "dashboards", "*.json")))
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            out.append((path, json.load(f)))
    return out


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def uses_variable(ds, var_name):
    """True when a datasource reference points at the variable ($name or ${name}), as a string or object."""
    ref = ds.get("uid") if isinstance(ds, dict) else ds
    return ref in (f"${var_name}", f"${{{var_name}}}")


def check(repo):
    problems = []
    dashboards = load(repo)
    if not dashboards:
        return [f"no dashboards in {repo}/dashboards"]
    uids = {}
    for path, d in dashboards:
        name = os.path.basename(path)
        uid = d.get("uid")
        if not uid:
            problems.append(f"{name}: no uid")
        elif uid in uids:
            problems.append(f"{name}: uid {uid!r} also used by {uids[uid]}")
        else:
            uids[uid] = name
        if not d.get("title"):
            problems.append(f"{name}: no title")
        variables = d.get("templating", {}).get("list", [])
        ds_vars = [v["name"] for v in variables if v.get("type") == "datasource"]
        if len(ds_vars) != 1:
            problems.append(f"{name}: expected one variable of type datasource, found {ds_vars}")
            continue
        ds_var = ds_vars[0]
        for v in variables:
            if v.get("type") in ("query", "adhoc"):
                if not uses_variable(v.get("datasource"), ds_var):
                    problems.append(f"{name}: variable {v['name']} has datasource {v.get('datasource')!r}, "
                                    f"not ${ds_var}")
            if v.get("type") == "query" and not variable_query(v):
                problems.append(f"{name}: variable {v['name']} has no query")
        ids = set()
        for p in all_panels(d.get("panels", [])):
            title = p.get("title", "?")
            if p.get("id") in ids:
                problems.append(f"{name}: panel {title!r}: id {p.get('id')} used twice")
            ids.add(p.get("id"))
            if p.get("type") == "row":
                continue
            if not p.get("description"):
                problems.append(f"{name}: panel {title!r} has no description")
            if not uses_variable(p.get("datasource"), ds_var):
                problems.append(f"{name}: panel {title!r} has datasource {p.get('datasource')!r}, not ${ds_var}")
            targets = p.get("targets", [])
            if not targets:
                problems.append(f"{name}: panel {title!r} has no targets")
            for t in targets:
                if "datasource" in t and not uses_variable(t["datasource"], ds_var):
                    problems.append(f"{name}: panel {title!r} target {t.get('refId')} has datasource "
                                    f"{t['datasource']!r}, not ${ds_var}")
                if not t.get("expr"):
                    problems.append(f"{name}: panel {title!r} target {t.get('refId')} has no expr")
    problems += check_generated(repo, dashboards)
    return problems


def check_generated(repo, dashboards):
    spec = importlib.util.spec_from_file_location("generate", os.path.join(repo, "dashboards", "generate.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    problems = []
    on_disk = {os.path.basename(p) for p, _ in dashboards}
    for name, build in gen.DASHBOARDS.items():
        path = os.path.join(repo, "dashboards", name)
        if name not in on_disk:
            problems.append(f"{name}: generate.py writes it but it is not in dashboards/")
            continue
        with open(path, encoding="utf-8") as f:
            if f.read() != gen.render(build):
                problems.append(f"{name}: differs from what dashboards/generate.py writes; run it")
    for name in on_disk - set(gen.DASHBOARDS):
        problems.append(f"{name}: not written by dashboards/generate.py")
    return problems


def variable_query(v):
    q = v.get("query")
    return q.get("query", "") if isinstance(q, dict) else (q or "")


def substitute(expr, values):
    for pattern, value in SUBSTITUTIONS:
        expr = pattern.sub(value, expr)
    for name, value in values.items():
        expr = re.sub(r"\$\{" + name + r"(?::[a-z]+)?\}|\$" + name + r"\b", value, expr)
    return expr


def queries(repo):
    """Yields (source, kind, expr): panel targets as they are, label_values(...) variables as a PromQL
    query returning the label's values (`group by (label) (selector)`)."""
    for path, d in load(repo):
        uid = d["uid"]
        values = {}
        for v in d.get("templating", {}).get("list", []):
            if v.get("type") == "query":
                values[v["name"]] = v.get("allValue") or ".*"
        for v in d.get("templating", {}).get("list", []):
            if v.get("type") != "query":
                continue
            m = LABEL_VALUES.match(variable_query(v).strip())
            if not m:
                yield f"{uid}/$" + v["name"], "variable", variable_query(v)  # reported as unsupported
                continue
            selector = m.group("selector") or "{__name__=~\".+\"}"
            yield (f"{uid}/$" + v["name"], "variable",
                   substitute(f"group by ({m.group('label')}) ({selector})", values))
        for p in all_panels(d.get("panels", [])):
            for t in p.get("targets", []):
                if t.get("expr"):
                    yield f"{uid}/{p['title']}/{t.get('refId', 'A')}", "panel", substitute(t["expr"], values)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("check", "queries"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "check":
        problems = check(argv[2])
        for p in problems:
            print(f"dashboard problem: {p}", file=sys.stderr)
        return 1 if problems else 0
    for source, kind, expr in queries(argv[2]):
        print(json.dumps({"source": source, "kind": kind, "expr": expr}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
