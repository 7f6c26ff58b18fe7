#!/usr/bin/python3
"""Checks the Dockerfile without a Docker engine.

    check_dockerfile.py REPO_ROOT [EXPORTER_BINARY]
    check_dockerfile.py --build-context DIR REPO_ROOT

- every COPY/ADD source from the build context exists in the repository and is not excluded by
  .dockerignore; every COPY --from names an earlier stage;
- the stages are Debian 12; the build stage runs scripts/install-deps.sh and builds only the
  kafka-perf-exporter target with CMake (Release, tests and bench off);
- the final stage installs no -dev package, runs as a numeric non-root user, exposes 9308, has a
  HEALTHCHECK and an ENTRYPOINT that are files it copies in;
- with apt lists: every package the final stage installs exists in Debian 12 (apt-cache show);
- with EXPORTER_BINARY: every library `ldd` lists comes from a Debian package (dpkg -S) that the final
  stage installs, or that one of those depends on (apt-cache depends --recurse); each library the
  binary links directly (readelf NEEDED) is installed by name, but for the C/C++ runtime of the base
  image. Sanitizer runtimes (an ASan build) are left out: the image is never built with them.
Prints one line per check; exits 1 with every failure listed.
--build-context DIR: copies what the build stage COPYs (from the repository, as its COPY lines say,
relative to its WORKDIR) into DIR, for the caller to configure the build there.
"""
import glob
import os
import re
import shlex
import subprocess
import sys

# In every Debian image, and dependencies of every C++ library package anyway.
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
SANITIZER_LIBS = re.compile(r"^lib(asan|ubsan|lsan|tsan|hwasan)\.so")
DEBIAN_12_BASES = re.compile(r"^debian:(12|bookworm)([-.][a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?$")

failures = []


def ok(message):
    print(f"ok: {message}")


def fail(message):
    print(f"FAIL: {message}")
    failures.append(message)


def skip(message):
    print(f"SKIP: {message}")


def instructions(path):
    """(line number, INSTRUCTION, argument text) with continuations joined and comments dropped."""
    result, pending, start = [], "", 0
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if re.match(r"^\s*#", line):
                continue
            if not pending and not line.strip():
                continue
            if not pending:
                start = number
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            pending += line
            word, _, rest = pending.strip().partition(" ")
            result.append((start, word.upper(), rest.strip()))
            pending = ""
    return result


def dockerignore_patterns(repo):
    path = os.path.join(repo, ".dockerignore")
    if not os.path.exists(path):
        return []
    patterns = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:].strip() if negate else line
            pattern = os.path.normpath(pattern.strip("/"))
            regex = ""
            i = 0
            while i < len(pattern):
                if pattern.startswith("**", i):
                    regex += ".*"
                    i += 2
                elif pattern[i] == "*":
                    regex += "[^/]*"
                    i += 1
                elif pattern[i] == "?":
                    regex += "[^/]"
                    i += 1
                else:
                    regex += re.escape(pattern[i])
                    i += 1
            patterns.append((re.compile("^" + regex + "$"), negate))
    return patterns


def excluded(patterns, relpath):
    """Docker's rule: the last pattern matching the path or one of its parent folders decides."""
    parts = os.path.normpath(relpath).split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for regex, negate in patterns:
        if any(regex.match(p) for p in prefixes):
            result = not negate
    return result


def context_files(repo, source):
    """Files of the build context a COPY source stands for (a file, a folder's files, or a glob)."""
    matches = glob.glob(os.path.join(repo, source.rstrip("/")))
    files = []
    for match in matches:
        if os.path.isdir(match):
            for root, _, names in os.walk(match):
                files += [os.path.relpath(os.path.join(root, n), repo) for n in names]
        else:
            files.append(os.path.relpath(match, repo))
    return matches, files


def apt_install_packages(run_text, args):
    """Package names after `apt-get install` in a RUN (options dropped, ${ARG}s expanded)."""
    text = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), run_text)
    packages = []
    for command in re.split(r"&&|;|\|\|", text):
        words = shlex.split(command)
        words = [w for w in words if "=" not in w or w.startswith("-")]  # env assignments
        if "install" in words and any(w in ("apt-get", "apt") for w in words):
            after = words[words.index("install") + 1:]
            packages += [w for w in after if not w.startswith("-")]
    return packages


def dpkg_package_of(path):
    candidates = [path, os.path.realpath(path)]
    for c in list(candidates):
        if c.startswith("/usr/lib/"):
            candidates.append(c[len("/usr"):])
        elif c.startswith("/lib/"):
            candidates.append("/usr" + c)
    for c in candidates:
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].strip()
    return None


def build_context(repo, target):
    """Lays out the build stage's COPY sources in target as the stage sees them under its WORKDIR."""
    import shutil
    stage_started = False
    for number, word, rest in instructions(os.path.join(repo, "Dockerfile")):
        if word == "FROM":
            if stage_started:
                return
            stage_started = True
        if word != "COPY" or rest.startswith("--from="):
            continue
        words = [w for w in shlex.split(rest) if not w.startswith("--")]
        dest = words[-1]
        if os.path.isabs(dest):
            sys.exit(f"Dockerfile:{number}: absolute COPY destination in the build stage: not laid out")
        for src in words[:-1]:
            path = os.path.join(repo, src)
            if os.path.isdir(path):
                shutil.copytree(path, os.path.join(target, dest), dirs_exist_ok=True)
            else:
                out = os.path.join(target, dest, os.path.basename(src)) if dest.endswith("/") else os.path.join(target, dest)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                shutil.copy2(path, out)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--build-context":
        build_context(os.path.abspath(sys.argv[3]), sys.argv[2])
        sys.exit(0)
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    repo = os.path.abspath(sys.argv[1])
    binary = sys.argv[2] if len(sys.argv) == 3 else None
    dockerfile = os.path.join(repo, "Dockerfile")
    stages = []  # dicts: name, base, line, instructions
    for number, word, rest in instructions(dockerfile):
        if word == "FROM":
            m = re.match(r"^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", rest, re.IGNORECASE)
            if not m:
                fail(f"Dockerfile:{number}: cannot read FROM {rest!r}")
                continue
            stages.append({"base": m.group(1), "name": m.group(2), "line": number, "ins": [], "args": {}})
        elif not stages:
            if word != "ARG":
                fail(f"Dockerfile:{number}: {word} before the first FROM")
        else:
            stages[-1]["ins"].append((number, word, rest))
            if word == "ARG" and "=" in rest:
                key, _, value = rest.partition("=")
                stages[-1]["args"][key.strip()] = shlex.split(value)[0] if value.strip() else ""

    if len(stages) < 2:
        fail(f"Dockerfile has {len(stages)} stage(s); want a build stage and a runtime stage")
        return
    ok(f"Dockerfile has {len(stages)} stages")
    for s in stages:
        if s["name"] is None and s is not stages[-1]:
            fail(f"Dockerfile:{s['line']}: build stage without a name (FROM ... AS NAME)")
        if not DEBIAN_12_BASES.match(s["base"]):
            fail(f"Dockerfile:{s['line']}: base image {s['base']!r} is not Debian 12 (debian:12*, debian:bookworm*)")
    ok("every stage is based on Debian 12: " + ", ".join(s["base"] for s in stages))

    # COPY/ADD sources.
    patterns = dockerignore_patterns(repo)
    names = [s["name"] for s in stages]
    for index, s in enumerate(stages):
        for number, word, rest in s["ins"]:
            if word not in ("COPY", "ADD"):
                continue
            words = shlex.split(rest)
            options = [w for w in words if w.startswith("--")]
            operands = [w for w in words if not w.startswith("--")]
            if len(operands) < 2:
                fail(f"Dockerfile:{number}: {word} needs a source and a destination")
                continue
            sources = operands[:-1]
            source_stage = next((o.split("=", 1)[1] for o in options if o.startswith("--from=")), None)
            if source_stage is not None:
                if source_stage not in names[:index]:
                    fail(f"Dockerfile:{number}: COPY --from={source_stage} names no earlier stage")
                else:
                    ok(f"Dockerfile:{number}: COPY --from={source_stage} {' '.join(sources)}")
                continue
            if word == "ADD" and any(re.match(r"^[a-z]+://", src) for src in sources):
                fail(f"Dockerfile:{number}: ADD of a URL; download in a RUN with a checksum instead")
                continue
            for src in sources:
                matches, files = context_files(repo, src)
                if not matches:
                    fail(f"Dockerfile:{number}: {word} source {src!r} does not exist in {repo}")
                    continue
                if not files:
                    fail(f"Dockerfile:{number}: {word} source {src!r} holds no file")
                    continue
                dropped = [f for f in files if excluded(patterns, f)]
                if dropped:
                    fail(f"Dockerfile:{number}: {word} source {src!r}: .dockerignore excludes "
                         + ", ".join(sorted(dropped)[:5]))
                    continue
                ok(f"Dockerfile:{number}: {word} {src} ({len(files)} file(s), none excluded by .dockerignore)")

    # The build stage: the one whose binary the final stage copies.
    final = stages[-1]
    copied_from = {shlex.split(rest)[0].split("=", 1)[1]: rest for _, w, rest in final["ins"]
                   if w == "COPY" and rest.startswith("--from=")}
    build = next((s for s in stages if s["name"] in copied_from), None)
    if build is None:
        fail("the final stage copies nothing from a build stage")
    else:
        runs = " ".join(rest for _, w, rest in build["ins"] if w == "RUN")
        for needle, what in [
            ("scripts/install-deps.sh", "installs the build packages with scripts/install-deps.sh"),
            ("-DCMAKE_BUILD_TYPE=Release", "configures a Release build"),
            ("-DKPE_BUILD_TESTS=OFF", "turns the tests off"),
            ("-DKPE_BUILD_BENCH=OFF", "turns the bench off"),
            ("--target kafka-perf-exporter", "builds only the kafka-perf-exporter target"),
        ]:
            (ok if needle in runs else fail)(f"build stage {what} ({needle})")
        if "kafka-perf-exporter" not in copied_from[build["name"]]:
            fail("the final stage does not copy the kafka-perf-exporter binary from the build stage")

    # The final stage.
    def final_instructions(word):
        return [(n, rest) for n, w, rest in final["ins"] if w == word]

    packages = []
    for _, rest in final_instructions("RUN"):
        packages += apt_install_packages(rest, final["args"])
    if not packages:
        fail("the final stage installs no package (apt-get install)")
    dev = [p for p in packages if p.endswith("-dev") or p in ("build-essential", "cmake", "g++", "gcc")]
    if dev:
        fail("the final stage installs build packages: " + ", ".join(dev))
    else:
        ok("the final stage installs runtime packages only: " + " ".join(packages))

    users = final_instructions("USER")
    if not users:
        fail("the final stage has no USER: it would run as root")
    else:
        number, user = users[-1]
        uid = user.split(":")[0]
        if uid in ("root", "0"):
            fail(f"Dockerfile:{number}: USER {user} is root")
        elif not uid.isdigit():
            fail(f"Dockerfile:{number}: USER {user}: use a numeric uid (Kubernetes' runAsNonRoot cannot check a name)")
        else:
            ok(f"runs as non-root user {user}")
    exposed = " ".join(rest for _, rest in final_instructions("EXPOSE")).split()
    (ok if any(p in ("9308", "9308/tcp") for p in exposed) else fail)(f"exposes 9308 (EXPOSE {' '.join(exposed) or 'none'})")

    copied_in = {}
    for _, rest in final_instructions("COPY"):
        words = [w for w in shlex.split(rest) if not w.startswith("--")]
        copied_in[words[-1]] = words[:-1]
    health = final_instructions("HEALTHCHECK")
    if not health or health[-1][1].strip().upper() == "NONE":
        fail("the final stage has no HEALTHCHECK")
    else:
        text = health[-1][1]
        probe = next((dest for dest in copied_in if dest in text), None)
        if "/healthz" in text:
            ok("HEALTHCHECK probes /healthz")
        elif probe:
            scripts = [os.path.join(repo, s) for s in copied_in[probe]]
            if any("/healthz" in open(s, encoding="utf-8").read() for s in scripts if os.path.isfile(s)):
                ok(f"HEALTHCHECK runs {probe} ({', '.join(copied_in[probe])}), which probes /healthz")
            else:
                fail(f"HEALTHCHECK runs {probe}, which does not probe /healthz")
        else:
            fail(f"HEALTHCHECK {text!r} neither probes /healthz nor runs a script the image copies in")
        if "CMD" not in text.upper():
            fail("HEALTHCHECK has no CMD")

    entry = final_instructions("ENTRYPOINT") or final_instructions("CMD")
    if not entry:
        fail("the final stage has neither ENTRYPOINT nor CMD")
    else:
        first = re.findall(r'"([^"]+)"', entry[-1][1]) or entry[-1][1].split()
        target = first[0]
        if target in copied_in:
            for src in copied_in[target]:
                path = os.path.join(repo, src)
                if os.path.isfile(path) and not os.access(path, os.X_OK):
                    fail(f"{src} (the ENTRYPOINT) is not executable: COPY keeps the mode")
            ok(f"ENTRYPOINT {target} is copied in from {', '.join(copied_in[target])}")
        else:
            fail(f"ENTRYPOINT/CMD {target} is not a file the final stage copies in")
    for dest, sources in copied_in.items():
        for src in sources:
            path = os.path.join(repo, src)
            if dest.startswith("/usr/local/bin/") and os.path.isfile(path) and not os.access(path, os.X_OK):
                fail(f"{src}, copied to {dest}, is not executable")

    check_packages(packages, binary)


def apt_lists_present():
    return bool(glob.glob("/var/lib/apt/lists/*_Packages*"))


def check_packages(packages, binary):
    if not apt_lists_present():
        skip("no apt package lists here (run apt-get update): not checking that the packages exist in "
             "Debian 12, nor their dependencies")
        closure = None
    else:
        r = subprocess.run(["apt-cache", "show", "--no-all-versions"] + packages, capture_output=True, text=True)
        known = set(re.findall(r"^Package: (\S+)$", r.stdout, re.MULTILINE))
        unknown = [p for p in packages if p not in known]
        for p in unknown:
            fail(f"package {p!r} of the final stage is not in Debian 12 (apt-cache show finds nothing)")
        if not unknown:
            ok(f"all {len(packages)} packages of the final stage exist (apt-cache show)")
        r = subprocess.run(["apt-cache", "depends", "--recurse", "--important", "--no-recommends",
                            "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
                            "--no-enhances"] + packages, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"apt-cache depends failed: {r.stderr.strip()}")
            closure = None
        else:
            closure = set(packages)
            for line in r.stdout.splitlines():
                m = re.match(r"^\s*\|?(?:Pre)?Depends:\s*<?([^\s>]+)>?", line) or re.match(r"^([^\s<]+)$", line)
                if m:
                    closure.add(m.group(1).split(":")[0])
    if binary is None:
        skip("no exporter binary given: not checking its libraries")
        return
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if ldd.returncode != 0:
        fail(f"ldd {binary} failed: {ldd.stderr.strip() or ldd.stdout.strip()}")
        return
    needed = set()
    readelf = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True)
    if readelf.returncode == 0:
        needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf.stdout))
    else:
        skip("readelf not available: not telling direct from indirect libraries")
    named = set(packages)
    for line in ldd.stdout.splitlines():
        m = re.match(r"^\s*(\S+)\s+=>\s+(\S+)", line)
        if not m:
            if "not found" in line:
                fail(f"ldd: {line.strip()}")
            continue  # vdso, the dynamic loader
        soname, path = m.groups()
        if path == "not":
            fail(f"ldd: {soname} not found")
            continue
        if SANITIZER_LIBS.match(soname):
            skip(f"{soname}: a sanitizer runtime (this is an instrumented build); the image has none")
            continue
        package = dpkg_package_of(path)
        if package is None:
            fail(f"{soname} ({path}) is not from a Debian package (dpkg -S): the image cannot install it")
            continue
        direct = soname in needed
        if package in named:
            ok(f"{soname} <- {package} (installed by name)")
        elif package in BASE_IMAGE_PACKAGES:
            ok(f"{soname} <- {package} (in the base image)")
        elif direct:
            fail(f"{soname}: the binary links it directly; add its package {package} to the final stage's apt-get install")
        elif closure is None:
            skip(f"{soname} <- {package}: no apt lists to check it is a dependency of the installed packages")
        elif package in closure:
            ok(f"{soname} <- {package} (a dependency of the installed packages)")
        else:
            fail(f"{soname} <- {package}: neither installed nor a dependency; add {package} to the final stage")


if __name__ == "__main__":
    main()
    if failures:
        print(f"\n{len(failures)} check(s) failed:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        sys.exit(1)
    print("Dockerfile: all checks passed")
