#!/usr/bin/env python3
"""Self-test of kafka_test_broker.py with a real, independent Kafka client: kafka-python 2.0.2.

Checks that what the clients see matches the scripted state, that state changes through the control port are
visible, that scripted refusals come back as errors, that request counting works, that bad clients cannot
kill the broker, and that the broker stops on SIGTERM and when its stdin closes.

Run: /usr/bin/python3 tests/testbroker/selftest.py     (exit 0 and "N passed, 0 failed" on success)
"""

import json
import logging
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BROKER = os.path.join(HERE, "kafka_test_broker.py")

try:
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType
    from kafka.protocol.admin import ListGroupsRequest_v0, ListGroupsResponse_v0
    from kafka.protocol.metadata import MetadataRequest_v0
    from kafka.protocol.api import RequestHeader
    import kafka.errors as Errors
except ImportError as e:                                  # pragma: no cover
    sys.stderr.write("selftest needs kafka-python (Debian: python3-kafka): %s\n" % e)
    sys.exit(1)

logging.basicConfig(level=logging.CRITICAL)             # kafka-python is chatty about refused requests

STATE = {
    "cluster_id": "selftest-cluster",
    "broker_configs": {"log.retention.hours": "72"},
    "topics": {
        "orders": {
            "partitions": [
                {"id": 0, "replicas": [1], "isr": [1], "log_start": 0, "high_watermark": 100},
                {"id": 1, "replicas": [1], "isr": [1], "log_start": 5, "high_watermark": 120},
            ],
            "configs": {"min.insync.replicas": "2", "retention.ms": "86400000"},
        },
        "payments": {
            "partitions": [{"id": 0, "replicas": [1, 2, 3], "isr": [1], "log_start": 3, "high_watermark": 7}],
        },
    },
    "groups": {
        "g1": {"state": "Stable", "protocol_type": "consumer", "protocol": "range",
               "members": [{"member_id": "m1", "client_id": "c1", "client_host": "/127.0.0.1",
                            "assignment": {"orders": [0, 1]}}],
               "offsets": {"orders": {"0": 90, "1": 100}}},
        "g2": {"state": "Empty", "members": [], "offsets": {"payments": {"0": 5}}},
    },
}

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % what)
    else:
        failed += 1
        print("FAIL %s" % what)


class Broker:
    """Starts kafka_test_broker.py with its stdin a pipe we hold, as a test should."""

    def __init__(self, state, *extra):
        self.tmp = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(state, self.tmp)
        self.tmp.close()
        self.proc = subprocess.Popen([sys.executable, BROKER, "--state", self.tmp.name] + list(extra),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.ports = {}
        deadline = time.time() + 15
        while True:
            if time.time() > deadline:
                raise RuntimeError("broker did not start")
            line = self.proc.stdout.readline().decode()
            if not line:
                raise RuntimeError("broker exited: %s" % self.proc.stderr.read().decode())
            words = line.split()
            if words[0] == "LISTENING":
                self.port = int(words[1])
            elif words[0] == "CONTROL":
                self.control_port = int(words[1])
            elif words[0] == "BROKER":
                self.ports[int(words[1])] = int(words[2])
            elif words[0] == "READY":
                break
        self.ctl_sock = socket.create_connection(("127.0.0.1", self.control_port))
        self.ctl_file = self.ctl_sock.makefile("rb")
        self.bootstrap = "127.0.0.1:%d" % self.port

    def ctl(self, **msg):
        self.ctl_sock.sendall(json.dumps(msg).encode() + b"\n")
        return json.loads(self.ctl_file.readline())

    def ctl_raw(self, line):
        self.ctl_sock.sendall(line + b"\n")
        return json.loads(self.ctl_file.readline())

    def stop(self):
        try:
            self.ctl_sock.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.tmp.name)


def raw_request(port, api_key, version, body, corr=7, client_id="raw"):
    """Sends one classic-header request; returns the response body after the correlation id, or None on EOF."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        header = struct.pack(">hhi", api_key, version, corr) + struct.pack(">h", len(client_id)) + client_id.encode()
        frame = header + body
        s.sendall(struct.pack(">i", len(frame)) + frame)
        return read_frame(s)


def read_frame(s):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf
    head = exact(4)
    if head is None:
        return None
    data = exact(struct.unpack(">i", head)[0])
    return None if data is None else data[4:]


def admin_for(b):
    return KafkaAdminClient(bootstrap_servers=b.bootstrap, client_id="selftest-admin", request_timeout_ms=10000)


def test_admin(b):
    admin = admin_for(b)
    try:
        groups = sorted(admin.list_consumer_groups())
        check(groups == [("g1", "consumer"), ("g2", "consumer")], "list_consumer_groups: %s" % groups)

        (g1,) = admin.describe_consumer_groups(["g1"])
        check(g1.error_code == 0 and g1.group == "g1" and g1.state == "Stable", "describe g1 state: %s" % g1.state)
        check(g1.protocol_type == "consumer" and g1.protocol == "range", "describe g1 protocol")
        check(len(g1.members) == 1, "describe g1 has one member")
        m = g1.members[0]
        check((m.member_id, m.client_id, m.client_host) == ("m1", "c1", "/127.0.0.1"), "member ids: %s" % (m,))
        asg = {t: sorted(p) for t, p in m.member_assignment.assignment}
        check(asg == {"orders": [0, 1]}, "member assignment decodes: %s" % asg)
        check(list(m.member_metadata.subscription) == ["orders"], "member subscription decodes")
        (g2,) = admin.describe_consumer_groups(["g2"])
        check(g2.state == "Empty" and g2.members == [], "describe g2 empty")
        (g3,) = admin.describe_consumer_groups(["nope"])
        check(g3.state == "Dead" and g3.error_code == 0, "unknown group is Dead")

        offs = admin.list_consumer_group_offsets("g1")
        got = {(tp.topic, tp.partition): om.offset for tp, om in offs.items()}
        check(got == {("orders", 0): 90, ("orders", 1): 100}, "list_consumer_group_offsets all: %s" % got)
        offs = admin.list_consumer_group_offsets("g1", partitions=[TopicPartition("orders", 1),
                                                                   TopicPartition("payments", 0)])
        got = {(tp.topic, tp.partition): om.offset for tp, om in offs.items()}
        check(got == {("orders", 1): 100, ("payments", 0): -1}, "list_consumer_group_offsets explicit: %s" % got)

        res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "orders")])
        r = res[0].resources[0]
        cfg = {e[0]: e[1] for e in r[4]}
        check(r[0] == 0 and r[3] == "orders", "describe_configs topic ok")
        check(cfg.get("min.insync.replicas") == "2" and cfg.get("retention.ms") == "86400000"
              and cfg.get("cleanup.policy") == "delete" and "segment.bytes" in cfg
              and cfg.get("compression.type") == "producer", "topic configs: %s" % cfg)
        sources = {e[0]: e[3] for e in r[4]}
        check(sources["min.insync.replicas"] == 1 and sources["cleanup.policy"] == 5, "config sources")
        res = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
        r = res[0].resources[0]
        cfg = {e[0]: e[1] for e in r[4]}
        check(r[0] == 0 and cfg.get("log.retention.hours") == "72", "broker configs: %s" % cfg)
        res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "missing")])
        check(res[0].resources[0][0] == 3, "unknown topic configs -> UNKNOWN_TOPIC_OR_PART")

        topics = {t["topic"]: t for t in admin.describe_topics()}
        check(sorted(topics) == ["orders", "payments"], "describe_topics lists scripted topics")
        pay = topics["payments"]["partitions"][0]
        check(pay["replicas"] == [1, 2, 3] and pay["isr"] == [1] and pay["leader"] == 1,
              "payments ISR smaller than replicas: %s" % pay)
        cluster = admin.describe_cluster()
        check(cluster["cluster_id"] == "selftest-cluster" and cluster["controller_id"] == 1
              and cluster["brokers"][0]["port"] == b.port, "describe_cluster: %s" % cluster)
    finally:
        admin.close()


def test_consumer(b):
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, client_id="selftest-consumer", request_timeout_ms=11000)
    try:
        check(c.topics() == {"orders", "payments"}, "consumer topics")
        check(c.partitions_for_topic("orders") == {0, 1}, "consumer partitions")
        tps = [TopicPartition("orders", 0), TopicPartition("orders", 1), TopicPartition("payments", 0)]
        end = {(tp.topic, tp.partition): o for tp, o in c.end_offsets(tps).items()}
        begin = {(tp.topic, tp.partition): o for tp, o in c.beginning_offsets(tps).items()}
        check(end == {("orders", 0): 100, ("orders", 1): 120, ("payments", 0): 7}, "end offsets: %s" % end)
        check(begin == {("orders", 0): 0, ("orders", 1): 5, ("payments", 0): 3}, "beginning offsets: %s" % begin)
    finally:
        c.close()


def test_control(b):
    check(b.ctl(op="ping") == {"ok": True}, "control ping")
    r = b.ctl(op="bogus")
    check(r["ok"] is False and "bogus" in r["error"], "unknown op answers ok:false")
    r = b.ctl_raw(b"this is not json")
    check(r["ok"] is False, "bad JSON answers ok:false")
    check(b.ctl(op="get_state")["state"]["cluster_id"] == "selftest-cluster", "get_state")

    # state changes are visible to a client
    check(b.ctl(op="set", path=["topics", "orders", "partitions", 1, "high_watermark"], value=500)["ok"], "set")
    b.ctl(op="merge", state={"groups": {"g3": {"state": "PreparingRebalance", "members": []}}})
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, request_timeout_ms=11000)
    try:
        end = c.end_offsets([TopicPartition("orders", 1)])
        check(list(end.values()) == [500], "patched high watermark visible: %s" % end)
    finally:
        c.close()
    admin = admin_for(b)
    try:
        groups = sorted(g for g, _ in admin.list_consumer_groups())
        check(groups == ["g1", "g2", "g3"], "merged group listed: %s" % groups)
        b.ctl(op="delete", path=["groups", "g3"])
        groups = sorted(g for g, _ in admin.list_consumer_groups())
        check(groups == ["g1", "g2"], "deleted group gone")
        new_state = json.loads(json.dumps(STATE))
        new_state["groups"] = {"only": {"state": "Stable", "members": []}}
        check(b.ctl(op="set_state", state=new_state)["ok"], "set_state")
        groups = sorted(g for g, _ in admin.list_consumer_groups())
        check(groups == ["only"], "replaced state visible: %s" % groups)
        b.ctl(op="set_state", state=STATE)

        # request counting
        b.ctl(op="reset_requests")
        admin.list_consumer_groups()
        admin.list_consumer_groups()
        reqs = b.ctl(op="get_requests")
        check(reqs["requests"].get("ListGroups") == 2 and reqs["by_broker"]["1"]["ListGroups"] == 2,
              "request counting: %s" % reqs["requests"])
        check(reqs["versions"]["ListGroups"] == [1], "versions recorded: %s" % reqs["versions"])

        # refusals come back as errors
        b.ctl(op="refuse", api="ListGroups", error_code=31)
        try:
            admin.list_consumer_groups()
            check(False, "refused ListGroups raises")
        except Errors.ClusterAuthorizationFailedError:
            check(True, "refused ListGroups raises ClusterAuthorizationFailedError")
        b.ctl(op="refuse", api="ListGroups", error_code=0)
        check(len(admin.list_consumer_groups()) == 2, "refusal cleared")

        b.ctl(op="refuse", api="DescribeGroups", error_code=30)
        try:
            admin.describe_consumer_groups(["g1"])
            check(False, "refused DescribeGroups raises")
        except Errors.GroupAuthorizationFailedError:
            check(True, "refused DescribeGroups raises GroupAuthorizationFailedError")

        b.ctl(op="refuse", api="DescribeConfigs", error_code=29)
        res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "orders")])
        check(res[0].resources[0][0] == 29, "refused DescribeConfigs carries the error code")

        b.ctl(op="refuse", api="OffsetFetch", error_code=30, times=1)
        try:
            admin.list_consumer_group_offsets("g1")
            check(False, "refused OffsetFetch raises")
        except Errors.GroupAuthorizationFailedError:
            check(True, "refused OffsetFetch raises GroupAuthorizationFailedError")
        offs = admin.list_consumer_group_offsets("g1")
        check(len(offs) == 2, "refusal with times=1 applied once")
        b.ctl(op="clear_faults")
    finally:
        admin.close()

    # a refusal with disconnect closes the connection instead of answering
    b.ctl(op="refuse", api="ListGroups", disconnect=True)
    check(raw_request(b.port, 16, 0, b"") is None, "disconnect refusal closes the connection")
    b.ctl(op="clear_faults")
    body = raw_request(b.port, 16, 0, b"")
    resp = ListGroupsResponse_v0.decode(body)
    check(resp.error_code == 0 and len(resp.groups) == 2, "raw ListGroups v0 after clearing faults")

    # delay
    b.ctl(op="delay", api="ListGroups", ms=600)
    t0 = time.time()
    raw_request(b.port, 16, 0, b"")
    dt = time.time() - t0
    check(dt >= 0.55, "delayed ListGroups took %.2fs" % dt)
    b.ctl(op="delay", api="ListGroups", ms=0)
    t0 = time.time()
    raw_request(b.port, 16, 0, b"")
    check(time.time() - t0 < 0.5, "delay cleared")


def test_robustness(b):
    # garbage: bad frame sizes, truncated bodies, unknown APIs, unsupported versions; broker must survive
    bad = [
        struct.pack(">i", -5),
        struct.pack(">i", 3) + b"abc",
        struct.pack(">i", 12) + struct.pack(">hhi", 3, 1, 1) + b"\x00\x05ab",         # truncated client id
        struct.pack(">i", 10) + struct.pack(">hhi", 3, 1, 1) + b"\x00\x00" + b"",      # no topics array
        struct.pack(">i", 14) + struct.pack(">hhi", 3, 1, 1) + b"\x00\x00" + struct.pack(">i", 99999),
        struct.pack(">i", 10) + struct.pack(">hhi", 0, 3, 1) + b"\x00\x00",            # Produce: not served
        struct.pack(">i", 14) + struct.pack(">hhi", 3, 42, 1) + b"\x00\x00\xff\xff\xff\xff",  # Metadata v42
    ]
    for i, frame in enumerate(bad):
        with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
            s.sendall(frame)
            s.shutdown(socket.SHUT_WR)
            closed = s.recv(100) == b""
        check(closed, "bad request %d: connection closed without an answer" % i)
    # half a frame then hang up
    with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
        s.sendall(struct.pack(">i", 100) + b"xx")
    # ApiVersions with a version we do not know: UNSUPPORTED_VERSION and our list (v0 format)
    body = raw_request(b.port, 18, 9, b"")
    err, n = struct.unpack(">hi", body[:6])
    check(err == 35 and n >= 8, "ApiVersions v9 -> UNSUPPORTED_VERSION with %d apis" % n)
    # still serving
    with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
        req = MetadataRequest_v0([])
        hdr = RequestHeader(req, correlation_id=11, client_id="raw")
        frame = hdr.encode() + req.encode()
        s.sendall(struct.pack(">i", len(frame)) + frame)
        s.sendall(struct.pack(">i", len(frame)) + frame)           # pipelined
        r1, r2 = read_frame(s), read_frame(s)
    check(r1 is not None and r1 == r2, "broker still serves (pipelined requests) after bad clients")
    check(b.proc.poll() is None, "broker process alive")


def test_lifecycle():
    b = Broker(STATE, "--brokers", "3")
    check(len(b.ports) == 3 and b.ports[1] == b.port, "three brokers: %s" % b.ports)
    b.proc.stdin.close()                                             # the test "dies"
    try:
        rc = b.proc.wait(10)
        check(rc == 0, "exits 0 when stdin closes")
    except subprocess.TimeoutExpired:
        check(False, "exits when stdin closes")
    b.stop()
    b = Broker(STATE)
    b.proc.terminate()
    try:
        check(b.proc.wait(10) == 0, "exits 0 on SIGTERM")
    except subprocess.TimeoutExpired:
        check(False, "exits on SIGTERM")
    b.stop()


def test_multi_broker():
    state = json.loads(json.dumps(STATE))
    state["topics"]["orders"]["partitions"][0].update(replicas=[2, 1], isr=[2])
    state["topics"]["orders"]["partitions"][1].update(replicas=[3, 1], isr=[3, 1])
    state["groups"]["g1"]["coordinator"] = 2
    b = Broker(state, "--brokers", "3")
    try:
        c = KafkaConsumer(bootstrap_servers=b.bootstrap, request_timeout_ms=11000)
        try:
            tps = [TopicPartition("orders", 0), TopicPartition("orders", 1), TopicPartition("payments", 0)]
            end = {(tp.topic, tp.partition): o for tp, o in c.end_offsets(tps).items()}
            check(end == {("orders", 0): 100, ("orders", 1): 120, ("payments", 0): 7},
                  "multi-broker end offsets from leaders: %s" % end)
        finally:
            c.close()
        reqs = b.ctl(op="get_requests")["by_broker"]
        check(all(reqs.get(str(n), {}).get("ListOffsets", 0) >= 1 for n in (1, 2, 3)),
              "every leader got ListOffsets: %s" % reqs)
        admin = admin_for(b)
        try:
            groups = sorted(g for g, _ in admin.list_consumer_groups())
            check(groups == ["g1", "g2"], "groups listed across brokers: %s" % groups)
            (g1,) = admin.describe_consumer_groups(["g1"])
            check(g1.state == "Stable" and len(g1.members) == 1, "described via coordinator 2")
            offs = admin.list_consumer_group_offsets("g1")
            check(len(offs) == 2, "offsets via coordinator 2")
        finally:
            admin.close()
        # a non-leader answers NOT_LEADER_OR_FOLLOWER
        body = struct.pack(">i", -1) + struct.pack(">i", 1) + struct.pack(">h", 6) + b"orders" + \
            struct.pack(">i", 1) + struct.pack(">iq", 0, -1)
        b.ctl(op="reset_requests")
        resp = raw_request(b.ports[3], 2, 1, body)
        err = struct.unpack(">h", resp[4 + 2 + 6 + 4 + 4:4 + 2 + 6 + 4 + 4 + 2])[0]
        check(err == 6, "ListOffsets to a non-leader -> NOT_LEADER_OR_FOLLOWER (%d)" % err)
        resp = raw_request(b.ports[2], 2, 1, body)
        err, ts, off = struct.unpack(">hqq", resp[4 + 2 + 6 + 4 + 4:4 + 2 + 6 + 4 + 4 + 18])
        check((err, off) == (0, 100), "ListOffsets to the leader -> high watermark (%d, %d)" % (err, off))
        raw_request(b.ports[2], 2, 1, body)
        reqs = b.ctl(op="get_requests")
        check(reqs["by_broker"] == {"2": {"ListOffsets": 2}, "3": {"ListOffsets": 1}}
              and reqs["requests"] == {"ListOffsets": 3}, "requests counted per broker: %s" % reqs)
    finally:
        b.stop()


def main():
    b = Broker(STATE)
    try:
        for t in (test_admin, test_consumer, test_control, test_robustness):
            try:
                t(b)
            except Exception as e:
                check(False, "%s raised %r" % (t.__name__, e))
    finally:
        b.stop()
        err = b.proc.stderr.read().decode()
        if failed and err:
            print("--- broker stderr\n" + err)
    for t in (test_multi_broker, test_lifecycle):
        try:
            t()
        except Exception as e:
            check(False, "%s raised %r" % (t.__name__, e))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
