#!/usr/bin/env python3
"""Hostile HTTP clients against the exporter, for tests/system/load_test.sh.

usage: hostile_clients.py PHASE HOST PORT [ARGS...]
  requests            malformed requests, huge headers and path tricks: each answer's status checked
  slowloris N T       N connections each sending one header byte per second; every one must be cut by
                      the server within T seconds, while normal scrapes keep succeeding
  limit N T           N idle connections (held open, never closed by us) fill web.max_connections; one
                      more is closed by the server without an answer; the server cuts the idle ones
                      (read_timeout) so that a scrape succeeds again within T seconds
Prints one line per check; exits 1 at the first failure, naming it.
"""
import socket
import sys
import time


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def connect(host, port, timeout=5.0):
    return socket.create_connection((host, port), timeout=timeout)


def exchange(host, port, raw, timeout=5.0):
    """Sends raw bytes, reads until the server closes or the answer's Content-Length is in; returns
    (status, body) or (None, b'') when the server closed without an answer."""
    with connect(host, port, timeout) as s:
        s.sendall(raw)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                length = None
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is not None and len(body) >= length:
                    break
    if not data:
        return None, b""
    status_line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ")
    if len(parts) < 2 or not parts[1].isdigit():
        fail(f"unparsable status line {status_line!r}")
    return int(parts[1]), data.partition(b"\r\n\r\n")[2]


def scrape(host, port, path="/metrics"):
    status, body = exchange(host, port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    return status


def phase_requests(host, port):
    host_hdr = f"Host: {host}:{port}\r\n"
    big = "X-Big: " + "a" * (20 * 1024) + "\r\n"
    cases = [
        ("a normal scrape", f"GET /metrics HTTP/1.1\r\n{host_hdr}Connection: close\r\n\r\n", 200),
        ("a query string is ignored", f"GET /metrics?x HTTP/1.1\r\n{host_hdr}Connection: close\r\n\r\n", 200),
        ("absolute-form target", f"GET http://{host}:{port}/metrics HTTP/1.1\r\n{host_hdr}Connection: close\r\n\r\n", 200),
        ("HTTP/1.0 without Host", "GET /metrics HTTP/1.0\r\n\r\n", 200),
        ("a 20 KiB header", f"GET /metrics HTTP/1.1\r\n{host_hdr}{big}\r\n", 431),
        ("garbage request line", "GARBAGE\r\n\r\n", 400),
        ("HTTP/1.1 without Host", "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
        ("unknown HTTP version", f"GET /metrics HTTP/9.9\r\n{host_hdr}\r\n", 400),
        ("header without colon", f"GET /metrics HTTP/1.1\r\n{host_hdr}NoColonHere\r\n\r\n", 400),
        ("/../metrics", f"GET /../metrics HTTP/1.1\r\n{host_hdr}\r\n", 400),
        ("/%2e%2e/metrics", f"GET /%2e%2e/metrics HTTP/1.1\r\n{host_hdr}\r\n", 400),
        ("/metrics/%2E%2E/healthz", f"GET /metrics/%2E%2E/healthz HTTP/1.1\r\n{host_hdr}\r\n", 400),
        ("a NUL byte, %00", f"GET /metrics%00 HTTP/1.1\r\n{host_hdr}\r\n", 400),
        ("a bad %-escape", f"GET /metr%zzics HTTP/1.1\r\n{host_hdr}\r\n", 400),
        ("asterisk-form", f"GET * HTTP/1.1\r\n{host_hdr}\r\n", 400),
        ("authority-form", f"GET {host}:{port} HTTP/1.1\r\n{host_hdr}\r\n", 400),
        ("//metrics is another path", f"GET //metrics HTTP/1.1\r\n{host_hdr}Connection: close\r\n\r\n", 404),
        ("/metrics/ is another path", f"GET /metrics/ HTTP/1.1\r\n{host_hdr}Connection: close\r\n\r\n", 404),
        ("unknown path", f"GET /nope HTTP/1.1\r\n{host_hdr}Connection: close\r\n\r\n", 404),
        ("POST /metrics", f"POST /metrics HTTP/1.1\r\n{host_hdr}Content-Length: 0\r\nConnection: close\r\n\r\n", 405),
        ("DELETE /healthz", f"DELETE /healthz HTTP/1.1\r\n{host_hdr}Connection: close\r\n\r\n", 405),
        ("a body over the limit on the stats endpoint",
         f"POST /api/v1/librdkafka/stats HTTP/1.1\r\n{host_hdr}Content-Length: 999999999\r\n\r\n", 413),
        ("an encoded /metrics path", f"GET /%6detrics HTTP/1.1\r\n{host_hdr}Connection: close\r\n\r\n", 200),
    ]
    for name, raw, want in cases:
        got, body = exchange(host, port, raw.encode("latin-1"))
        if got != want:
            fail(f"{name}: want {want}, got {got} {body[:200]!r}")
        print(f"  {want} for {name}")
        if scrape(host, port, "/healthz") != 200:
            fail(f"/healthz failed after {name}")


def phase_slowloris(host, port, count, bound):
    socks = []
    for _ in range(count):
        s = connect(host, port)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        s.setblocking(False)
        socks.append(s)
    start = time.monotonic()
    open_socks = set(range(count))
    scrapes = 0
    while open_socks:
        elapsed = time.monotonic() - start
        if elapsed > bound:
            fail(f"{len(open_socks)} of {count} slow connections still open after {bound} s")
        for i in list(open_socks):
            try:
                socks[i].send(b"a")  # one header byte per tick
            except (BrokenPipeError, ConnectionResetError):
                open_socks.discard(i)
                continue
            try:
                if socks[i].recv(4096) == b"":
                    open_socks.discard(i)
            except BlockingIOError:
                pass
            except ConnectionResetError:
                open_socks.discard(i)
        status = scrape(host, port)
        scrapes += 1
        if status != 200:
            fail(f"a normal scrape during the slowloris answered {status}")
        time.sleep(1.0)
    for s in socks:
        s.close()
    print(f"  {count} slow connections cut within {time.monotonic() - start:.1f} s; {scrapes} normal scrapes "
          f"meanwhile all 200")


def phase_limit(host, port, count, bound):
    idle = [connect(host, port) for _ in range(count)]
    time.sleep(0.3)  # let the server accept them all
    extra = connect(host, port)
    extra.settimeout(3.0)
    try:
        extra.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        data = extra.recv(4096)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    except socket.timeout:
        fail(f"connection {count + 1} (over web.max_connections={count}) was neither answered nor closed in 3 s")
    if data:
        fail(f"connection {count + 1} over web.max_connections={count} should be closed without an answer, got "
             f"{data[:80]!r}")
    print(f"  connection {count + 1} over web.max_connections={count} closed without an answer")
    extra.close()
    start = time.monotonic()
    deadline = start + bound
    while True:
        status = None
        try:
            status = scrape(host, port)
        except OSError:
            pass
        if status == 200:
            break
        if time.monotonic() > deadline:
            fail(f"no successful scrape within {bound} s while {count} idle connections are held (last {status})")
        time.sleep(0.1)
    print(f"  the server cut the {count} held idle connections: a scrape succeeded after "
          f"{time.monotonic() - start:.1f} s")
    for s in idle:
        s.close()


def main():
    if len(sys.argv) < 4:
        fail(__doc__)
    phase, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if phase == "requests":
        phase_requests(host, port)
    elif phase == "slowloris":
        phase_slowloris(host, port, int(sys.argv[4]), float(sys.argv[5]))
    elif phase == "limit":
        phase_limit(host, port, int(sys.argv[4]), float(sys.argv[5]))
    else:
        fail(f"unknown phase {phase!r}")


if __name__ == "__main__":
    main()
