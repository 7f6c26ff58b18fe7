#!/usr/bin/python3
"""Checks that the Kubernetes manifests in deploy/kubernetes fit together and fit the exporter.

    check_manifests.py REPO_ROOT [CONFIG_OUT_DIR]

For every container running the kafka-perf-exporter image (the standalone Deployment and the sidecar
example): a port named `metrics` on 9308 that its config's web.listen_address listens on; liveness on
/healthz and readiness on /readyz through that port; --config=PATH pointing at a mounted ConfigMap key
that exists; the security context (non-root with the image's uid, read-only root FS, no privilege
escalation, capabilities drop ALL, seccomp RuntimeDefault); memory and CPU requests and a memory
limit. Services select the pods of a Deployment and target their `metrics` port; ServiceMonitors
select a Service's labels and scrape its `metrics` port at the config's telemetry_path; PodMonitors
select a Deployment's pod labels and scrape a `metrics` container port; Deployment selectors match
their pod labels; the sidecar's application posts statistics to the sidecar's port on localhost;
kustomization.yaml lists files that exist. A StatefulSet (the sharded example) is checked as a Deployment
is, and also: its serviceName is a headless Service of its folder, and its exporter runs with
--shard.index=auto (the pod ordinal) and --shard.count equal to its replicas (no gap, no overlap). With CONFIG_OUT_DIR, writes each mounted exporter config
there (NAME.yaml) for the caller to load with the real exporter.
"""
import glob
import os
import re
import sys

import yaml

EXPORTER_IMAGE = re.compile(r"(^|/)kafka-perf-exporter(:|@|$)")
METRICS_PORT = 9308
STATS_PATH = "/api/v1/librdkafka/stats"
failures = []


def ok(message):
    print(f"ok: {message}")


def fail(message):
    print(f"FAIL: {message}")
    failures.append(message)


def check(condition, message):
    (ok if condition else fail)(message)
    return condition


def subset(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def dockerfile_uid(repo):
    path = os.path.join(repo, "Dockerfile")
    users = re.findall(r"^USER\s+(\d+)", open(path, encoding="utf-8").read(), re.MULTILINE)
    return int(users[-1]) if users else None


def listen_port(address):
    m = re.match(r"^(?:\[[^\]]*\]|[^:\[\]]*):(\d+)$", str(address))
    return int(m.group(1)) if m else None


def load(repo):
    docs = []
    for path in sorted(glob.glob(os.path.join(repo, "deploy/kubernetes/**/*.yaml"), recursive=True)):
        if os.path.basename(path) == "kustomization.yaml":
            continue  # kustomize's own file, checked below
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.append((os.path.relpath(path, repo), doc))
    return docs


def check_container(where, c, pod_spec, folder_docs, image_uid, config_out):
    name = f"{where} container {c['name']}"
    ports = {p.get("name"): p for p in c.get("ports", [])}
    metrics = ports.get("metrics")
    check(metrics is not None and metrics.get("containerPort") == METRICS_PORT
          and metrics.get("protocol", "TCP") == "TCP",
          f"{name}: port `metrics` is TCP {METRICS_PORT}")

    def probe(kind, path):
        p = (c.get(kind) or {}).get("httpGet") or {}
        check(p.get("path") == path and p.get("port") in ("metrics", METRICS_PORT),
              f"{name}: {kind} GET {path} on port metrics (has {p.get('path')} on {p.get('port')})")

    probe("livenessProbe", "/healthz")
    probe("readinessProbe", "/readyz")

    pod_sc = pod_spec.get("securityContext") or {}
    sc = c.get("securityContext") or {}

    def effective(key):
        return sc.get(key, pod_sc.get(key))

    check(effective("runAsNonRoot") is True, f"{name}: runAsNonRoot")
    uid = effective("runAsUser")
    if uid is not None:
        check(uid != 0 and (image_uid is None or uid == image_uid),
              f"{name}: runAsUser {uid} is the image's non-root user {image_uid}")
    check(sc.get("readOnlyRootFilesystem") is True, f"{name}: readOnlyRootFilesystem")
    check(sc.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation false")
    check(sc.get("privileged") in (None, False), f"{name}: not privileged")
    check("ALL" in ((sc.get("capabilities") or {}).get("drop") or []) and not (sc.get("capabilities") or {}).get("add"),
          f"{name}: capabilities drop ALL, add none")
    check((effective("seccompProfile") or {}).get("type") == "RuntimeDefault", f"{name}: seccompProfile RuntimeDefault")

    res = c.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    check("cpu" in req and "memory" in req and "memory" in lim,
          f"{name}: requests cpu and memory, limits memory ({req}, {lim})")
    if "memory" in req and "memory" in lim:
        check(to_bytes(lim["memory"]) >= to_bytes(req["memory"]), f"{name}: memory limit >= request")

    # --config=PATH -> a mounted ConfigMap key.
    args = c.get("args", []) + c.get("command", [])
    configs = [a.split("=", 1)[1] for a in args if a.startswith("--config=")]
    if not check(len(configs) == 1, f"{name}: one --config=PATH argument ({configs})"):
        return None
    path = configs[0]
    found = None
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        v = volumes.get(m["name"])
        if v is None:
            fail(f"{name}: volumeMount {m['name']} has no volume")
            continue
        if "configMap" not in v:
            continue
        if m.get("subPath"):
            if m["mountPath"] == path:
                found = (v["configMap"]["name"], m["subPath"], m)
            continue
        items = v["configMap"].get("items")
        prefix = m["mountPath"].rstrip("/") + "/"
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix):]
        if items:
            key = next((i["key"] for i in items if i["path"] == rel), None)
        else:
            key = rel
        if key is not None:
            found = (v["configMap"]["name"], key, m)
    if not check(found is not None, f"{name}: --config={path} is a mounted ConfigMap key"):
        return None
    cm_name, key, mount = found
    check(mount.get("readOnly") is True, f"{name}: the config volume is mounted read-only")
    cm = next((d for _, d in folder_docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == cm_name), None)
    if not check(cm is not None and key in (cm.get("data") or {}),
                 f"{name}: ConfigMap {cm_name} (same folder) has key {key}"):
        return None
    try:
        config = yaml.safe_load(cm["data"][key]) or {}
    except yaml.YAMLError as e:
        fail(f"ConfigMap {cm_name} key {key}: not valid YAML: {e}")
        return None
    web = config.get("web") or {}
    port = listen_port(web.get("listen_address", ":9308"))
    check(port == METRICS_PORT, f"ConfigMap {cm_name}: web.listen_address listens on {METRICS_PORT} (got {port})")
    telemetry = web.get("telemetry_path", "/metrics")
    check(telemetry == "/metrics", f"ConfigMap {cm_name}: web.telemetry_path is /metrics (got {telemetry})")
    if config_out:
        with open(os.path.join(config_out, f"{cm_name}.yaml"), "w", encoding="utf-8") as f:
            f.write(cm["data"][key])
    return telemetry


def check_shards(where, statefulset, exporters, services):
    """A StatefulSet of sharded exporters: governed by a headless Service, each pod's shard is its ordinal
    and the shard count is the replica count."""
    spec = statefulset["spec"]
    governing = next((s for _, s in services if s["metadata"]["name"] == spec.get("serviceName")), None)
    check(governing is not None and governing["spec"].get("clusterIP") == "None",
          f"{where}: serviceName {spec.get('serviceName')} is a headless Service of its folder")
    replicas = spec.get("replicas", 1)
    for c in exporters:
        args = c.get("args", []) + c.get("command", [])
        index = [a.split("=", 1)[1] for a in args if a.startswith("--shard.index=")]
        count = [a.split("=", 1)[1] for a in args if a.startswith("--shard.count=")]
        check(index == ["auto"], f"{where}: container {c['name']} runs with --shard.index=auto (has {index})")
        check(count == [str(replicas)],
              f"{where}: container {c['name']} --shard.count is the replica count {replicas} (has {count})")


def to_bytes(quantity):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    m = re.match(r"^(\d+(?:\.\d+)?)([KMG]i?)?$", str(quantity))
    if not m:
        fail(f"cannot read the quantity {quantity!r}")
        return 0
    return float(m.group(1)) * units.get(m.group(2) or "", 1)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    repo = os.path.abspath(sys.argv[1])
    config_out = sys.argv[2] if len(sys.argv) == 3 else None
    docs = load(repo)
    check(bool(docs), f"{len(docs)} manifests in deploy/kubernetes")
    image_uid = dockerfile_uid(repo)
    by_folder = {}
    for path, d in docs:
        check(isinstance(d, dict) and "apiVersion" in d and "kind" in d and "name" in (d.get("metadata") or {}),
              f"{path}: has apiVersion, kind and metadata.name")
        by_folder.setdefault(os.path.dirname(path), []).append((path, d))

    exporter_containers = 0
    for folder, folder_docs in sorted(by_folder.items()):
        # Workloads running the exporter's pods: Deployments, and StatefulSets for the sharded example.
        deployments = [(p, d) for p, d in folder_docs if d["kind"] in ("Deployment", "StatefulSet")]
        services = [(p, d) for p, d in folder_docs if d["kind"] == "Service"]
        telemetry = {}
        for path, d in deployments:
            where = f"{path} {d['kind']} {d['metadata']['name']}"
            template = d["spec"]["template"]
            pod_labels = template["metadata"].get("labels", {})
            check(subset(d["spec"]["selector"].get("matchLabels"), pod_labels),
                  f"{where}: selector matches its pod labels")
            spec = template["spec"]
            check(spec.get("automountServiceAccountToken") is False,
                  f"{where}: no service account token (the exporter never calls the Kubernetes API)")
            exporters = [c for c in spec["containers"] if EXPORTER_IMAGE.search(c.get("image", ""))]
            for c in exporters:
                exporter_containers += 1
                telemetry[d["metadata"]["name"]] = check_container(where, c, spec, folder_docs, image_uid, config_out)
            others = [c for c in spec["containers"] if c not in exporters]
            for c in others:  # a sidecar's application posts its librdkafka statistics to the sidecar
                for e in c.get("env", []):
                    if "STATS_URL" in e["name"]:
                        want = f"http://localhost:{METRICS_PORT}{STATS_PATH}"
                        check(e.get("value") == want and exporters,
                              f"{where}: container {c['name']} posts statistics to {want} (its sidecar)")
                for p in c.get("ports", []):
                    check(p.get("containerPort") != METRICS_PORT and p.get("name") != "metrics",
                          f"{where}: container {c['name']} port {p.get('name')} leaves 9308/`metrics` to the exporter")
            if d["kind"] == "StatefulSet":
                check_shards(where, d, exporters, services)
            elif d["spec"].get("replicas", 1) != 1 and not others:
                fail(f"{where}: a standalone exporter runs one replica (more export every series twice)")

        def deployment_for(selector):
            return next(((p, d) for p, d in deployments
                         if subset(selector, d["spec"]["template"]["metadata"].get("labels", {}))), None)

        for path, s in services:
            where = f"{path} Service {s['metadata']['name']}"
            target = deployment_for(s["spec"].get("selector"))
            if not check(target is not None, f"{where}: selector {s['spec'].get('selector')} matches a Deployment's or StatefulSet's pods"):
                continue
            port = next((p for p in s["spec"].get("ports", []) if p.get("name") == "metrics"), None)
            check(port is not None and port.get("port") == METRICS_PORT and port.get("targetPort") in ("metrics", METRICS_PORT),
                  f"{where}: port `metrics` {METRICS_PORT} -> targetPort metrics")
        for path, m in folder_docs:
            kind = m["kind"]
            if kind not in ("ServiceMonitor", "PodMonitor", "PrometheusRule"):
                continue
            where = f"{path} {kind} {m['metadata']['name']}"
            check(m["apiVersion"] == "monitoring.coreos.com/v1", f"{where}: apiVersion monitoring.coreos.com/v1")
            if kind == "PrometheusRule":
                check(isinstance(m.get("spec", {}).get("groups"), list), f"{where}: spec.groups is a list")
                continue
            selector = (m["spec"].get("selector") or {}).get("matchLabels")
            if kind == "ServiceMonitor":
                svc = next(((p, s) for p, s in services if subset(selector, s["metadata"].get("labels", {}))), None)
                if not check(svc is not None, f"{where}: selector {selector} matches a Service's labels"):
                    continue
                port_names = {p.get("name") for p in svc[1]["spec"]["ports"]}
                dep = deployment_for(svc[1]["spec"]["selector"])
                endpoints = m["spec"].get("endpoints", [])
            else:
                dep = deployment_for(selector)
                if not check(dep is not None, f"{where}: selector {selector} matches a Deployment's or StatefulSet's pod labels"):
                    continue
                port_names = {p.get("name") for c in dep[1]["spec"]["template"]["spec"]["containers"]
                              for p in c.get("ports", [])}
                endpoints = m["spec"].get("podMetricsEndpoints", [])
            path_want = telemetry.get(dep[1]["metadata"]["name"]) if dep else None
            check(len(endpoints) == 1, f"{where}: one endpoint")
            for e in endpoints:
                check(e.get("port") == "metrics" and "metrics" in port_names, f"{where}: scrapes port `metrics`")
                check(e.get("path", "/metrics") == (path_want or "/metrics"),
                      f"{where}: scrapes {path_want or '/metrics'} (the config's telemetry_path)")

        kustomization = os.path.join(repo, folder, "kustomization.yaml")
        if os.path.exists(kustomization):
            k = yaml.safe_load(open(kustomization, encoding="utf-8"))
            for r in k.get("resources", []):
                check(os.path.exists(os.path.join(repo, folder, r)), f"{folder}/kustomization.yaml: resource {r} exists")
            kinds = [d["kind"] for p, d in folder_docs if os.path.basename(p) in k.get("resources", [])]
            check(not ("ServiceMonitor" in kinds and "PodMonitor" in kinds),
                  f"{folder}/kustomization.yaml: a ServiceMonitor or a PodMonitor, not both (double scrapes)")
    check(exporter_containers >= 2, f"{exporter_containers} exporter containers (standalone and sidecar)")


if __name__ == "__main__":
    main()
    if failures:
        print(f"\n{len(failures)} check(s) failed:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        sys.exit(1)
    print("manifests: all checks passed")
