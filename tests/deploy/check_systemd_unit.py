#!/usr/bin/python3
"""Checks deploy/systemd/kafka-perf-exporter.service without systemd: a simple unit-file parser
(sections, KEY=VALUE, continuation lines, repeated keys) and the settings the deployment guide
promises: the sandbox, the ExecStart with --config, the SIGHUP reload.

    check_systemd_unit.py UNIT_FILE
"""
import re
import sys

REQUIRED = {
    # key: value, or a regex the (last) value must match
    ("Service", "DynamicUser"): "yes",
    ("Service", "ProtectSystem"): "strict",
    ("Service", "ProtectHome"): "yes",
    ("Service", "PrivateTmp"): "yes",
    ("Service", "PrivateDevices"): "yes",
    ("Service", "NoNewPrivileges"): "yes",
    ("Service", "CapabilityBoundingSet"): "",
    ("Service", "AmbientCapabilities"): "",
    ("Service", "RestrictAddressFamilies"): "AF_INET AF_INET6 AF_UNIX",
    ("Service", "MemoryDenyWriteExecute"): "yes",
    ("Service", "LockPersonality"): "yes",
    ("Service", "RestrictNamespaces"): "yes",
    ("Service", "RestrictRealtime"): "yes",
    ("Service", "RestrictSUIDSGID"): "yes",
    ("Service", "ProtectKernelTunables"): "yes",
    ("Service", "ProtectKernelModules"): "yes",
    ("Service", "ProtectControlGroups"): "yes",
    ("Service", "SystemCallArchitectures"): "native",
    ("Service", "ExecStart"): re.compile(r"^/\S*kafka-perf-exporter --config=/etc/kafka-perf-exporter/config\.yaml$"),
    ("Service", "ExecReload"): re.compile(r"^/(usr/)?bin/kill -HUP \$MAINPID$"),
    ("Service", "Restart"): "on-failure",
    ("Install", "WantedBy"): "multi-user.target",
}
KNOWN_SECTIONS = {"Unit", "Service", "Install"}


def parse(path):
    """{(section, key): [values]}; raises ValueError naming the line on a syntax error."""
    result, section, pending, start = {}, None, "", 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for number, line in enumerate(lines, 1):
        if pending:
            line = pending + line
        elif not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        else:
            start = number
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        m = re.match(r"^\[([A-Za-z]+)\]\s*$", line)
        if m:
            section = m.group(1)
            if section not in KNOWN_SECTIONS:
                raise ValueError(f"{path}:{start}: unknown section [{section}]")
            continue
        m = re.match(r"^([A-Za-z][A-Za-z0-9]*)=(.*)$", line)
        if not m:
            raise ValueError(f"{path}:{start}: not KEY=VALUE: {line!r}")
        if section is None:
            raise ValueError(f"{path}:{start}: {m.group(1)} before any [section]")
        result.setdefault((section, m.group(1)), []).append(m.group(2).strip())
    return result


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        unit = parse(sys.argv[1])
    except ValueError as e:
        sys.exit(f"FAIL: {e}")
    failures = []
    for (section, key), want in REQUIRED.items():
        values = unit.get((section, key))
        if values is None:
            failures.append(f"[{section}] {key} is missing")
            continue
        got = values[-1]
        good = want.match(got) if isinstance(want, re.Pattern) else got == want
        shown = want.pattern if isinstance(want, re.Pattern) else want
        if not good:
            failures.append(f"[{section}] {key}={got}, want {shown!r}")
        else:
            print(f"ok: [{section}] {key}={got}")
    filters = unit.get(("Service", "SystemCallFilter"), [])
    if "@system-service" not in " ".join(filters):
        failures.append("[Service] SystemCallFilter lacks @system-service")
    else:
        print(f"ok: [Service] SystemCallFilter={' / '.join(filters)}")
    if unit.get(("Service", "User")):
        failures.append("[Service] User= set: DynamicUser allocates the user")
    for f in failures:
        print(f"FAIL: {f}")
    if failures:
        sys.exit(1)
    print("systemd unit: all checks passed")


if __name__ == "__main__":
    main()
