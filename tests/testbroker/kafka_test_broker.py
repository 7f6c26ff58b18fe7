#!/usr/bin/env python3
"""Scriptable Kafka test broker: a whole (1..N broker) Kafka cluster on loopback, for tests.

It speaks the real Kafka wire protocol for the read-only requests an exporter sends, so our librdkafka
code can be tested against a real protocol peer, including the requests librdkafka's mock cluster lacks
(ListGroups, DescribeGroups, DescribeConfigs) and states the mock cannot show (ISR smaller than replicas,
leaderless partitions, per-partition errors, slow or refusing coordinators).

Only the Python standard library is needed (run it with /usr/bin/python3). The wire encoding is done by
hand (classic and "flexible" KIP-482 encodings), not with kafka-python's protocol classes, because several
of those are wrong (ListOffsets v4 request's leader epoch as int64, DescribeGroups v3, FindCoordinator v1,
DescribeConfigs v1). kafka-python is used as an independent client by selftest.py.

Served APIs (advertised in ApiVersions exactly as listed; clients negotiate down to these):
    ApiVersions      v0-v3   (v3 is answered in the flexible format, as a real broker does)
    Metadata         v0-v9   (v9 flexible)
    ListOffsets      v0-v7   (v6+ flexible)
    OffsetFetch      v0-v7   (v6+ flexible; v8's batched groups not served)
    FindCoordinator  v0-v3   (v3 flexible; v4's batched keys not served)
    ListGroups       v0-v4   (v3+ flexible; v4 has the states filter and returns the group state)
    DescribeGroups   v0-v2   (kafka-python cannot decode v3+, and v0-v2 carry all we need)
    DescribeConfigs  v0-v4   (v4 flexible)
Any other API key is logged and the connection closed, as a real broker does.

Versions librdkafka 2.0.2 ended up using against this broker (seen in get_requests "versions"; these are
librdkafka 2.0.2's own maxima, since everything above them is advertised):
    ApiVersions v3, Metadata v4, ListOffsets v2 (offsets_for_times and query_watermark_offsets),
    FindCoordinator v2, ListGroups v4 (so group states come through), DescribeGroups v2,
    OffsetFetch v7, DescribeConfigs v1.
kafka-python 2.0.2 (selftest.py) uses ApiVersions v0, Metadata v0/v1/v5, FindCoordinator v0, ListGroups v1,
DescribeGroups v2, OffsetFetch v3, DescribeConfigs v2, ListOffsets v1.
Versions that neither client exercises (Metadata v6-v9, ListOffsets v3-v7, FindCoordinator v3, DescribeConfigs
v3-v4) follow Kafka's message schemas but are untested here; the flexible encoding itself is exercised by
librdkafka (ApiVersions v3, ListGroups v4, OffsetFetch v6+).

Command line:
    kafka_test_broker.py [--state FILE] [--port P] [--control-port P] [--brokers N]
                         [--max-lifetime SECONDS] [--no-stdin-watch] [--verbose]
    kafka_test_broker.py ctl CONTROL_PORT 'JSON'     (send one control line, print the answer)
Stdout, each line flushed:  "LISTENING <port of broker 1>", "CONTROL <port>", then "BROKER <id> <port>" for
each broker, then "READY". All sockets are listening before the first line is printed.
It stops on SIGTERM/SIGINT, when stdin reaches EOF (only if stdin is a pipe or socket, so a test that dies
and closes its end of the pipe does not leave it running), and after --max-lifetime (default 3600 s).

State (JSON; every field optional):
{
  "cluster_id": "test-cluster",            # Metadata v2+
  "controller_id": 1,                       # Metadata v1+
  "broker_configs": {"log.retention.hours": "168"},   # DescribeConfigs BROKER (type 4), any broker id
  "offset_fetch_all": true,                 # false: OffsetFetch with a null topic list ("all") answers
                                            #   nothing, as old brokers and librdkafka's mock do
  "topics": {
    "orders": {
      "internal": false,
      "error_code": 0,                      # topic-level Metadata error
      "configs_error_code": 0,              # DescribeConfigs error of this topic (e.g. 29)
      "partitions": [
        {"id": 0, "leader": 1,              # leader defaults to replicas[0]; -1 = leaderless (error 5)
         "replicas": [1, 2, 3], "isr": [1], "offline_replicas": [],
         "leader_epoch": 0, "error_code": 0,            # partition-level Metadata error
         "log_start": 0, "high_watermark": 100,         # ListOffsets -2 / -1
         "timestamps": [[1700000000000, 42]]}           # ListOffsets by time: first offset with ts >= t
      ],
      "configs": {"min.insync.replicas": "2",           # string value, or
                  "retention.ms": {"value": "1000", "source": 1, "read_only": false,
                                   "sensitive": false}}  # (source: 1 topic, 4 static broker, 5 default)
    }
  },
  "groups": {
    "g1": {
      "state": "Stable", "protocol_type": "consumer", "protocol": "range",
      "coordinator": 1, "error_code": 0,    # error_code: DescribeGroups/OffsetFetch group error
      "members": [{"member_id": "m1", "client_id": "c1", "client_host": "/127.0.0.1",
                   "assignment": {"orders": [0, 1]},     # ConsumerProtocolAssignment v0
                   "subscription": ["orders"]}],         # ConsumerProtocolSubscription v0 (default:
                                                         #   the assignment's topics)
      "offsets": {"orders": {"0": 90, "1": {"offset": 100, "metadata": "", "leader_epoch": -1}}}
    }
  }
}
Topics missing configs get defaults (source 5): retention.ms 604800000, cleanup.policy delete,
min.insync.replicas 1, segment.bytes 1073741824, compression.type producer; scripted ones have source 1.
Partitions without an offset in a group's "offsets" answer offset -1.

Control protocol (TCP, one JSON object per line, one JSON answer line each: {"ok":true,...} or
{"ok":false,"error":"..."}):
    {"op":"ping"}
    {"op":"get_state"}                                  -> {"ok":true,"state":{...}}
    {"op":"set_state","state":{...}}                    replace the whole state
    {"op":"merge","state":{...}}                        deep-merge objects into the state (lists replace)
    {"op":"set","path":["topics","orders","partitions",0,"isr"],"value":[1]}   set one value
    {"op":"delete","path":["groups","g1"]}              remove one value
    {"op":"get_requests"}   -> {"ok":true,"requests":{"Metadata":3,...},"versions":{"Metadata":[4]},
                                "by_broker":{"1":{"Metadata":3}}}
    {"op":"reset_requests"}
    {"op":"refuse","api":"ListGroups","error_code":31}  answer that API with this error (where the
                  API has error fields: top level, per group, per topic/partition or per resource)
    {"op":"refuse","api":"DescribeGroups","disconnect":true}   close the connection instead of answering
        optional in refuse: "broker": id (only that broker), "times": n (only the next n requests);
        "error_code":0 without "disconnect" clears the refusal.
    {"op":"delay","api":"DescribeGroups","ms":3000}     answer late (optional "broker"); ms 0 clears
    {"op":"clear_faults"}                               drop all refusals and delays
    {"op":"shutdown"}
"""

import argparse
import asyncio
import copy
import json
import os
import signal
import socket
import stat
import struct
import sys

API_KEYS = {
    "Produce": 0, "Fetch": 1, "ListOffsets": 2, "Metadata": 3, "LeaderAndIsr": 4, "StopReplica": 5,
    "UpdateMetadata": 6, "ControlledShutdown": 7, "OffsetCommit": 8, "OffsetFetch": 9,
    "FindCoordinator": 10, "JoinGroup": 11, "Heartbeat": 12, "LeaveGroup": 13, "SyncGroup": 14,
    "DescribeGroups": 15, "ListGroups": 16, "SaslHandshake": 17, "ApiVersions": 18, "CreateTopics": 19,
    "DeleteTopics": 20, "DeleteRecords": 21, "InitProducerId": 22, "OffsetForLeaderEpoch": 23,
    "DescribeAcls": 29, "DescribeConfigs": 32, "AlterConfigs": 33, "DescribeLogDirs": 35,
    "SaslAuthenticate": 36, "CreatePartitions": 37, "DeleteGroups": 42, "OffsetDelete": 47,
    "DescribeCluster": 60,
}
API_NAMES = {v: k for k, v in API_KEYS.items()}

# api key -> (min version, max version, first flexible version)
SUPPORTED = {
    18: (0, 3, 3),   # ApiVersions
    3: (0, 9, 9),    # Metadata
    2: (0, 7, 6),    # ListOffsets
    9: (0, 7, 6),    # OffsetFetch
    10: (0, 3, 3),   # FindCoordinator
    16: (0, 4, 3),   # ListGroups
    15: (0, 2, 5),   # DescribeGroups
    32: (0, 4, 4),   # DescribeConfigs
}

DEFAULT_TOPIC_CONFIGS = {
    "retention.ms": "604800000", "cleanup.policy": "delete", "min.insync.replicas": "1",
    "segment.bytes": "1073741824", "compression.type": "producer",
}
DEFAULT_BROKER_CONFIGS = {
    "log.retention.hours": "168", "num.partitions": "1", "default.replication.factor": "1",
    "min.insync.replicas": "1", "auto.create.topics.enable": "false",
}

# error codes used here
NONE, UNKNOWN_TOPIC_OR_PART, LEADER_NOT_AVAILABLE, NOT_LEADER = 0, 3, 5, 6
NOT_COORDINATOR, UNSUPPORTED_VERSION, INVALID_REQUEST = 16, 35, 42


def log(msg):
    sys.stderr.write("testbroker: %s\n" % msg)
    sys.stderr.flush()


class Malformed(Exception):
    pass


class Disconnect(Exception):
    pass


# ---------------------------------------------------------------------------------------------- codec
class Reader:
    def __init__(self, data, flexible=False):
        self.data, self.pos, self.flexible = data, 0, flexible

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise Malformed("buffer underrun at %d (+%d of %d)" % (self.pos, n, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def boolean(self):
        return self.take(1) != b"\x00"

    def uuid(self):
        return self.take(16)

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 28:
                raise Malformed("varint too long")

    def string(self, flexible=None):
        flex = self.flexible if flexible is None else flexible
        n = self.uvarint() - 1 if flex else self.i16()
        if n < 0:
            return None
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError as e:
            raise Malformed("bad utf-8 string: %s" % e)

    def bytes_(self):
        n = self.uvarint() - 1 if self.flexible else self.i32()
        return None if n < 0 else self.take(n)

    def array(self, fn):
        n = self.uvarint() - 1 if self.flexible else self.i32()
        if n < 0:
            return None
        if n > len(self.data):
            raise Malformed("array length %d too large" % n)
        return [fn() for _ in range(n)]

    def tags(self):
        if not self.flexible:
            return
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


class Writer:
    def __init__(self, flexible=False):
        self.parts, self.flexible = [], flexible

    def raw(self, b):
        self.parts.append(b)

    def i8(self, v):
        self.raw(struct.pack(">b", v))

    def i16(self, v):
        self.raw(struct.pack(">h", v))

    def i32(self, v):
        self.raw(struct.pack(">i", v))

    def i64(self, v):
        self.raw(struct.pack(">q", v))

    def boolean(self, v):
        self.raw(b"\x01" if v else b"\x00")

    def uvarint(self, v):
        out = bytearray()
        while True:
            b = v & 0x7F
            v >>= 7
            if v:
                out.append(b | 0x80)
            else:
                out.append(b)
                return self.raw(bytes(out))

    def string(self, s):
        if s is None:
            return self.uvarint(0) if self.flexible else self.i16(-1)
        b = str(s).encode("utf-8")
        if self.flexible:
            self.uvarint(len(b) + 1)
        else:
            self.i16(len(b))
        self.raw(b)

    def bytes_(self, b):
        if b is None:
            return self.uvarint(0) if self.flexible else self.i32(-1)
        if self.flexible:
            self.uvarint(len(b) + 1)
        else:
            self.i32(len(b))
        self.raw(b)

    def array(self, items, fn):
        if items is None:
            return self.uvarint(0) if self.flexible else self.i32(-1)
        items = list(items)
        if self.flexible:
            self.uvarint(len(items) + 1)
        else:
            self.i32(len(items))
        for it in items:
            fn(it)

    def i32_array(self, items):
        self.array(items, self.i32)

    def tags(self):
        if self.flexible:
            self.uvarint(0)

    def value(self):
        return b"".join(self.parts)


def consumer_assignment(assignment, user_data=None):
    """ConsumerProtocolAssignment v0: version, [topic, [partition]], user_data (classic encoding)."""
    w = Writer()
    w.i16(0)
    w.array(sorted((assignment or {}).items()), lambda tp: (w.string(tp[0]), w.i32_array(tp[1])))
    w.bytes_(user_data)
    return w.value()


def consumer_subscription(topics, user_data=None):
    """ConsumerProtocolSubscription v0: version, [topic], user_data (classic encoding)."""
    w = Writer()
    w.i16(0)
    w.array(topics, w.string)
    w.bytes_(user_data)
    return w.value()


# -------------------------------------------------------------------------------------------- cluster
class Cluster:
    def __init__(self, state, nbrokers):
        self.state = state
        self.nbrokers = nbrokers
        self.ports = {}                      # node id -> port
        self.requests = {}                   # name -> count
        self.versions = {}                   # name -> set of versions
        self.by_broker = {}                  # node id -> name -> count
        self.refusals = []                   # dicts: api, broker, error_code, disconnect, times
        self.delays = []                     # dicts: api, broker, ms
        self.stop = None                     # asyncio.Event

    # state accessors ------------------------------------------------------------------------------
    def topics(self):
        return self.state.get("topics") or {}

    def groups(self):
        return self.state.get("groups") or {}

    @staticmethod
    def replicas(p):
        return list(p.get("replicas", [1]))

    def leader(self, p):
        if "leader" in p:
            return p["leader"]
        r = self.replicas(p)
        return r[0] if r else -1

    def coordinator(self, group):
        g = self.groups().get(group) or {}
        return g.get("coordinator", 1)

    def broker_endpoint(self, node):
        return "127.0.0.1", self.ports.get(node, -1)

    # faults -----------------------------------------------------------------------------------------
    def count(self, name, version, node):
        self.requests[name] = self.requests.get(name, 0) + 1
        self.versions.setdefault(name, set()).add(version)
        b = self.by_broker.setdefault(str(node), {})
        b[name] = b.get(name, 0) + 1

    def refusal(self, name, node):
        for r in self.refusals:
            if r["api"] == name and r.get("broker") in (None, node):
                if r.get("times") is not None:
                    if r["times"] <= 0:
                        continue
                    r["times"] -= 1
                return r
        return None

    def delay_ms(self, name, node):
        for d in self.delays:
            if d["api"] == name and d.get("broker") in (None, node):
                return d["ms"]
        return 0


# ------------------------------------------------------------------------------------------- handlers
class Ctx:
    def __init__(self, cluster, node, version, flexible, error):
        self.c, self.node, self.v, self.flex, self.err = cluster, node, version, flexible, error


def h_api_versions(ctx, r):
    if ctx.v >= 3 and ctx.err == 0:
        r.string()                                   # client_software_name
        r.string()                                   # client_software_version
        r.tags()
    w = Writer(ctx.flex)
    w.i16(ctx.err)

    def one(item):
        key, (lo, hi, _) = item
        w.i16(key)
        w.i16(lo)
        w.i16(hi)
        w.tags()
    w.array(sorted(SUPPORTED.items()), one)
    if ctx.v >= 1:
        w.i32(0)
    w.tags()
    return w.value()


def h_metadata(ctx, r):
    v = ctx.v
    if v >= 10:
        raise Malformed("unsupported")

    def topic_req():
        name = r.string()
        r.tags()
        return name
    requested = r.array(topic_req)
    if v >= 4:
        r.boolean()                                  # allow_auto_topic_creation: never create
    if v >= 8:
        r.boolean()
        r.boolean()
    r.tags()
    c = ctx.c
    topics = c.topics()
    if requested is None or (v == 0 and requested == []):
        names = sorted(topics)
    else:
        names = requested

    w = Writer(ctx.flex)
    if v >= 3:
        w.i32(0)

    def broker(node):
        host, port = c.broker_endpoint(node)
        w.i32(node)
        w.string(host)
        w.i32(port)
        if v >= 1:
            w.string(None)                           # rack
        w.tags()
    w.array(range(1, c.nbrokers + 1), broker)
    if v >= 2:
        w.string(c.state.get("cluster_id", "test-cluster"))
    if v >= 1:
        w.i32(c.state.get("controller_id", 1))

    def topic(name):
        t = topics.get(name)
        if ctx.err:
            err, parts = ctx.err, []
        elif t is None:
            err, parts = UNKNOWN_TOPIC_OR_PART, []
        else:
            err, parts = t.get("error_code", 0), t.get("partitions", [])
        w.i16(err)
        w.string(name)
        if v >= 1:
            w.boolean(bool(t and t.get("internal", name.startswith("__"))))

        def part(p):
            leader = c.leader(p)
            w.i16(p.get("error_code", LEADER_NOT_AVAILABLE if leader < 0 else 0))
            w.i32(p["id"])
            w.i32(leader)
            if v >= 7:
                w.i32(p.get("leader_epoch", 0))
            w.i32_array(c.replicas(p))
            w.i32_array(p.get("isr", c.replicas(p)))
            if v >= 5:
                w.i32_array(p.get("offline_replicas", []))
            w.tags()
        w.array(parts, part)
        if v >= 8:
            w.i32(-2147483648)                       # topic_authorized_operations: not requested
        w.tags()
    w.array(names, topic)
    if v >= 8:
        w.i32(-2147483648)                           # cluster_authorized_operations
    w.tags()
    return w.value()


def h_list_offsets(ctx, r):
    v = ctx.v
    r.i32()                                          # replica_id
    if v >= 2:
        r.i8()                                       # isolation_level

    def part_req():
        p = r.i32()
        if v >= 4:
            r.i32()                                  # current_leader_epoch
        ts = r.i64()
        if v == 0:
            r.i32()                                  # max_num_offsets
        r.tags()
        return p, ts

    def topic_req():
        name = r.string()
        parts = r.array(part_req) or []
        r.tags()
        return name, parts
    req = r.array(topic_req) or []
    r.tags()

    c, topics = ctx.c, ctx.c.topics()
    w = Writer(ctx.flex)
    if v >= 2:
        w.i32(0)

    def answer(pid, ts, t):
        """-> (error, timestamp, offset, leader_epoch)"""
        if ctx.err:
            return ctx.err, -1, -1, -1
        p = None
        if t is not None:
            p = next((x for x in t.get("partitions", []) if x["id"] == pid), None)
        if p is None:
            return UNKNOWN_TOPIC_OR_PART, -1, -1, -1
        if c.leader(p) != ctx.node:
            return (LEADER_NOT_AVAILABLE if c.leader(p) < 0 else NOT_LEADER), -1, -1, -1
        if p.get("list_offsets_error"):
            return p["list_offsets_error"], -1, -1, -1
        epoch = p.get("leader_epoch", 0)
        if ts == -1:
            return 0, -1, p.get("high_watermark", 0), epoch
        if ts == -2:
            return 0, -1, p.get("log_start", 0), epoch
        for t_ms, off in sorted(p.get("timestamps", [])):
            if t_ms >= ts:
                return 0, t_ms, off, epoch
        return 0, -1, -1, -1

    def topic(item):
        name, parts = item
        t = topics.get(name)
        w.string(name)

        def part(pt):
            pid, ts = pt
            err, ts_out, off, epoch = answer(pid, ts, t)
            w.i32(pid)
            w.i16(err)
            if v == 0:
                w.array([] if err or off < 0 else [off], w.i64)
            else:
                w.i64(ts_out)
                w.i64(off)
                if v >= 4:
                    w.i32(epoch)
            w.tags()
        w.array(parts, part)
        w.tags()
    w.array(req, topic)
    w.tags()
    return w.value()


def h_offset_fetch(ctx, r):
    v = ctx.v
    group = r.string()

    def topic_req():
        name = r.string()
        parts = r.array(r.i32) or []
        r.tags()
        return name, parts
    req = r.array(topic_req)
    if v >= 7:
        r.boolean()                                  # require_stable
    r.tags()

    c = ctx.c
    g = c.groups().get(group)
    group_err = ctx.err
    if not group_err and c.coordinator(group) != ctx.node:
        group_err = NOT_COORDINATOR
    if not group_err and g is not None:
        group_err = g.get("error_code", 0)
    offsets = (g or {}).get("offsets", {})
    if req is None:                                  # v2+: all committed offsets of the group
        answers_all = c.state.get("offset_fetch_all", True) and not group_err
        req = [(t, sorted(int(p) for p in ps)) for t, ps in sorted(offsets.items())] if answers_all else []

    w = Writer(ctx.flex)
    if v >= 3:
        w.i32(0)

    def topic(item):
        name, parts = item
        w.string(name)

        def part(pid):
            o = offsets.get(name, {}).get(str(pid), -1)
            if not isinstance(o, dict):
                o = {"offset": o}
            w.i32(pid)
            w.i64(-1 if group_err else o.get("offset", -1))
            if v >= 5:
                w.i32(o.get("leader_epoch", -1))
            w.string(o.get("metadata", ""))
            w.i16(group_err if (group_err and v < 2) else o.get("error_code", 0))
            w.tags()
        w.array(parts, part)
        w.tags()
    w.array(req, topic)
    if v >= 2:
        w.i16(group_err)
    w.tags()
    return w.value()


def h_find_coordinator(ctx, r):
    v = ctx.v
    key = r.string()
    key_type = r.i8() if v >= 1 else 0
    r.tags()
    c = ctx.c
    err, node = ctx.err, -1
    if not err:
        if key_type != 0:
            err = 15                                 # COORDINATOR_NOT_AVAILABLE: no transactions here
        else:
            node = c.coordinator(key)
            if node not in c.ports:
                err, node = 15, -1
    w = Writer(ctx.flex)
    if v >= 1:
        w.i32(0)
    w.i16(err)
    if v >= 1:
        w.string(None)
    host, port = c.broker_endpoint(node) if not err else ("", -1)
    w.i32(node if not err else -1)
    w.string(host)
    w.i32(port)
    w.tags()
    return w.value()


def h_list_groups(ctx, r):
    v = ctx.v
    states = None
    if v >= 4:
        states = r.array(r.string) or []
    r.tags()
    c = ctx.c
    groups = []
    if not ctx.err:
        for name, g in sorted(c.groups().items()):
            if c.coordinator(name) != ctx.node:
                continue
            st = g.get("state", "Stable")
            if states and st.lower() not in [s.lower() for s in states]:
                continue
            groups.append((name, g.get("protocol_type", "consumer"), st))
    w = Writer(ctx.flex)
    if v >= 1:
        w.i32(0)
    w.i16(ctx.err)

    def group(item):
        w.string(item[0])
        w.string(item[1])
        if v >= 4:
            w.string(item[2])
        w.tags()
    w.array(groups, group)
    w.tags()
    return w.value()


def h_describe_groups(ctx, r):
    v = ctx.v
    names = r.array(r.string) or []
    if v >= 3:
        r.boolean()
    r.tags()
    c = ctx.c
    w = Writer(ctx.flex)
    if v >= 1:
        w.i32(0)

    def group(name):
        g = c.groups().get(name)
        err = ctx.err
        if not err and c.coordinator(name) != ctx.node:
            err = NOT_COORDINATOR
        if not err and g is not None:
            err = g.get("error_code", 0)
        if err:
            g = None
        if g is None:
            state, ptype, proto, members = ("" if err else "Dead"), "", "", []
        else:
            state = g.get("state", "Stable")
            ptype = g.get("protocol_type", "consumer")
            proto = g.get("protocol", "range" if ptype == "consumer" else "")
            members = g.get("members", [])
        w.i16(err)
        w.string(name)
        w.string(state)
        w.string(ptype)
        w.string(proto)

        def member(m):
            asg = m.get("assignment", {})
            w.string(m.get("member_id", ""))
            if v >= 4:
                w.string(m.get("group_instance_id"))
            w.string(m.get("client_id", ""))
            w.string(m.get("client_host", "/127.0.0.1"))
            if ptype == "consumer":
                meta = consumer_subscription(m.get("subscription", sorted(asg)))
                assignment = consumer_assignment(asg)
            else:
                meta = m.get("metadata", "").encode()
                assignment = m.get("raw_assignment", "").encode()
            w.bytes_(meta)
            w.bytes_(assignment)
            w.tags()
        w.array(members, member)
        if v >= 3:
            w.i32(-2147483648)
        w.tags()
    w.array(names, group)
    w.tags()
    return w.value()


CONFIG_SOURCE_V0_DEFAULT = 5


def h_describe_configs(ctx, r):
    v = ctx.v

    def res_req():
        rtype = r.i8()
        name = r.string()
        keys = r.array(r.string)
        r.tags()
        return rtype, name, keys
    req = r.array(res_req) or []
    if v >= 1:
        r.boolean()                                  # include_synonyms
    if v >= 3:
        r.boolean()                                  # include_documentation
    r.tags()
    c = ctx.c
    w = Writer(ctx.flex)
    w.i32(0)

    def entries_for(rtype, name):
        """-> (error, message, [(name, value, read_only, source, sensitive)])"""
        if rtype == 2:                               # TOPIC
            t = c.topics().get(name)
            if t is None:
                return UNKNOWN_TOPIC_OR_PART, "unknown topic %s" % name, []
            if t.get("configs_error_code"):
                return t["configs_error_code"], "refused by test broker", []
            merged = {k: {"value": val, "source": 5} for k, val in DEFAULT_TOPIC_CONFIGS.items()}
            for k, val in (t.get("configs") or {}).items():
                merged[k] = val if isinstance(val, dict) else {"value": val, "source": 1}
        elif rtype == 4:                             # BROKER
            try:
                node = int(name) if name else 0
            except ValueError:
                return INVALID_REQUEST, "bad broker id %r" % name, []
            if name and node not in c.ports:
                return INVALID_REQUEST, "no broker %s" % name, []
            merged = {k: {"value": val, "source": 5} for k, val in DEFAULT_BROKER_CONFIGS.items()}
            for k, val in (c.state.get("broker_configs") or {}).items():
                merged[k] = val if isinstance(val, dict) else {"value": val, "source": 4}
        else:
            return INVALID_REQUEST, "resource type %d not served" % rtype, []
        out = []
        for k in sorted(merged):
            e = merged[k]
            out.append((k, e.get("value"), e.get("read_only", False), e.get("source", 1),
                        e.get("sensitive", False)))
        return 0, None, out

    def resource(item):
        rtype, name, keys = item
        if ctx.err:
            err, msg, entries = ctx.err, "refused by test broker", []
        else:
            err, msg, entries = entries_for(rtype, name)
            if keys is not None:
                entries = [e for e in entries if e[0] in keys]
        w.i16(err)
        w.string(msg)
        w.i8(rtype)
        w.string(name)

        def entry(e):
            k, val, ro, src, sens = e
            w.string(k)
            w.string(None if sens else val)
            w.boolean(ro)
            if v == 0:
                w.boolean(src == CONFIG_SOURCE_V0_DEFAULT)   # is_default
            else:
                w.i8(src)
            w.boolean(sens)
            if v >= 1:
                def syn(_):
                    w.string(k)
                    w.string(None if sens else val)
                    w.i8(src)
                    w.tags()
                w.array([1], syn)                     # the entry itself as its only synonym
            if v >= 3:
                w.i8(2 if k.endswith(".ms") or k.endswith(".bytes") else 0)  # config_type LONG/UNKNOWN
                w.string(None)                        # documentation
            w.tags()
        w.array(entries, entry)
        w.tags()
    w.array(req, resource)
    w.tags()
    return w.value()


HANDLERS = {18: h_api_versions, 3: h_metadata, 2: h_list_offsets, 9: h_offset_fetch,
            10: h_find_coordinator, 16: h_list_groups, 15: h_describe_groups, 32: h_describe_configs}


# ------------------------------------------------------------------------------------------ servers
MAX_FRAME = 64 * 1024 * 1024


async def handle_kafka(cluster, node, reader, writer):
    peer = writer.get_extra_info("peername")
    try:
        while True:
            try:
                head = await reader.readexactly(4)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            size = struct.unpack(">i", head)[0]
            if size < 8 or size > MAX_FRAME:
                log("broker %d: bad frame size %d from %s, closing" % (node, size, peer))
                return
            try:
                frame = await reader.readexactly(size)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            try:
                out = await process(cluster, node, frame)
            except Disconnect as e:
                log("broker %d: disconnecting %s (%s)" % (node, peer, e))
                return
            except (Malformed, struct.error, KeyError, TypeError, ValueError, IndexError) as e:
                log("broker %d: malformed or unhandled request from %s: %r; closing" % (node, peer, e))
                return
            writer.write(struct.pack(">i", len(out)) + out)
            await writer.drain()
    except Exception as e:                            # never die on one client
        log("broker %d: connection %s failed: %r" % (node, peer, e))
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def process(cluster, node, frame):
    r = Reader(frame)
    api_key, version, corr = r.i16(), r.i16(), r.i32()
    name = API_NAMES.get(api_key, "ApiKey%d" % api_key)
    cluster.count(name, version, node)
    if api_key not in SUPPORTED:
        raise Disconnect("%s v%d not served" % (name, version))
    lo, hi, flex_from = SUPPORTED[api_key]
    r.string(flexible=False)                         # client_id, always classic encoding
    if api_key == 18 and not (lo <= version <= hi):
        # Unknown ApiVersions version: answer v0-format UNSUPPORTED_VERSION with our list, as Kafka does.
        body = h_api_versions(Ctx(cluster, node, 0, False, UNSUPPORTED_VERSION), r)
        return struct.pack(">i", corr) + body
    if not (lo <= version <= hi):
        raise Disconnect("%s v%d not in served range v%d-v%d" % (name, version, lo, hi))
    flexible = version >= flex_from
    if flexible:
        r.flexible = True
        r.tags()                                     # request header v2 tagged fields
    error = 0
    refusal = cluster.refusal(name, node)
    if refusal:
        if refusal.get("disconnect"):
            raise Disconnect("scripted refusal of %s" % name)
        error = refusal.get("error_code", 0)
    delay = cluster.delay_ms(name, node)
    if delay:
        await asyncio.sleep(delay / 1000.0)
    body = HANDLERS[api_key](Ctx(cluster, node, version, flexible, error), r)
    # librdkafka 2.0.2 appends zero bytes to some flexible bodies (one after ListGroups v4, three after
    # OffsetFetch v7 with a null topic list); Kafka ignores trailing bytes, so only other garbage is logged.
    if r.pos != len(r.data) and not (flexible and not r.data[r.pos:].strip(b"\x00")):
        log("broker %d: %s v%d: %d trailing bytes ignored: %r" % (node, name, version, len(r.data) - r.pos,
                                                                 r.data[r.pos:][:64]))
    header = struct.pack(">i", corr)
    if flexible and api_key != 18:                   # ApiVersions responses always use header v0
        header += b"\x00"
    return header + body


def set_path(root, path, value, delete=False):
    if not isinstance(path, list) or not path:
        raise ValueError("path must be a non-empty list")
    cur = root
    for p in path[:-1]:
        if isinstance(cur, list):
            cur = cur[int(p)]
        else:
            cur = cur.setdefault(p, {})
    last = path[-1]
    if isinstance(cur, list):
        if delete:
            del cur[int(last)]
        else:
            cur[int(last)] = value
    elif delete:
        del cur[last]
    else:
        cur[last] = value


def deep_merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            deep_merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)


def control_op(cluster, msg):
    op = msg.get("op")
    c = cluster
    if op == "ping":
        return {}
    if op == "get_state":
        return {"state": c.state}
    if op == "set_state":
        st = msg.get("state")
        if not isinstance(st, dict):
            raise ValueError("state must be an object")
        c.state = st
        return {}
    if op == "merge":
        st = msg.get("state")
        if not isinstance(st, dict):
            raise ValueError("state must be an object")
        deep_merge(c.state, st)
        return {}
    if op == "set":
        set_path(c.state, msg.get("path"), msg.get("value"))
        return {}
    if op == "delete":
        set_path(c.state, msg.get("path"), None, delete=True)
        return {}
    if op == "get_requests":
        return {"requests": c.requests,
                "versions": {k: sorted(v) for k, v in c.versions.items()},
                "by_broker": c.by_broker}
    if op == "reset_requests":
        c.requests, c.versions, c.by_broker = {}, {}, {}
        return {}
    if op == "refuse":
        api = msg.get("api")
        if api not in API_KEYS:
            raise ValueError("unknown api %r" % api)
        broker = msg.get("broker")
        c.refusals = [x for x in c.refusals if not (x["api"] == api and x.get("broker") == broker)]
        if msg.get("disconnect") or msg.get("error_code"):
            c.refusals.append({"api": api, "broker": broker, "error_code": int(msg.get("error_code", 0)),
                               "disconnect": bool(msg.get("disconnect")), "times": msg.get("times")})
        return {}
    if op == "delay":
        api = msg.get("api")
        if api not in API_KEYS:
            raise ValueError("unknown api %r" % api)
        broker = msg.get("broker")
        c.delays = [x for x in c.delays if not (x["api"] == api and x.get("broker") == broker)]
        if msg.get("ms"):
            c.delays.append({"api": api, "broker": broker, "ms": float(msg["ms"])})
        return {}
    if op == "clear_faults":
        c.refusals, c.delays = [], []
        return {}
    if op == "shutdown":
        c.stop.set()
        return {}
    raise ValueError("unknown op %r" % op)


async def handle_control(cluster, reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if not line.strip():
                continue
            try:
                msg = json.loads(line)
                if not isinstance(msg, dict):
                    raise ValueError("expected a JSON object")
                answer = {"ok": True}
                answer.update(control_op(cluster, msg))
            except Exception as e:
                answer = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
            writer.write((json.dumps(answer) + "\n").encode())
            await writer.drain()
    except Exception as e:
        log("control connection failed: %r" % e)
    finally:
        try:
            writer.close()
        except Exception:
            pass


def stdin_is_watchable():
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def main_async(args):
    state = {}
    if args.state:
        with open(args.state) as f:
            state = json.load(f)
    cluster = Cluster(state, args.brokers)
    cluster.stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    servers = []
    for node in range(1, args.brokers + 1):
        port = args.port if (node == 1 and args.port) else 0
        srv = await asyncio.start_server(
            lambda rd, wr, n=node: handle_kafka(cluster, n, rd, wr), "127.0.0.1", port)
        cluster.ports[node] = srv.sockets[0].getsockname()[1]
        servers.append(srv)
    ctl = await asyncio.start_server(lambda rd, wr: handle_control(cluster, rd, wr),
                                     "127.0.0.1", args.control_port)
    servers.append(ctl)
    out = ["LISTENING %d" % cluster.ports[1], "CONTROL %d" % ctl.sockets[0].getsockname()[1]]
    out += ["BROKER %d %d" % (n, p) for n, p in sorted(cluster.ports.items())]
    out.append("READY")

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, cluster.stop.set)
    if args.stdin_watch and stdin_is_watchable():
        def on_stdin():
            try:
                data = os.read(0, 4096)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(0)
                log("stdin closed, shutting down")
                cluster.stop.set()
        loop.add_reader(0, on_stdin)
    if args.max_lifetime > 0:
        loop.call_later(args.max_lifetime, lambda: (log("max lifetime reached"), cluster.stop.set()))

    sys.stdout.write("\n".join(out) + "\n")      # only now: signals and stdin are handled
    sys.stdout.flush()
    await cluster.stop.wait()
    for srv in servers:
        srv.close()
    if args.verbose:
        log("requests: %s" % json.dumps(cluster.requests))


def ctl_main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: kafka_test_broker.py ctl CONTROL_PORT 'JSON'\n")
        return 2
    with socket.create_connection(("127.0.0.1", int(argv[0])), timeout=10) as s:
        s.sendall(argv[1].strip().encode() + b"\n")
        f = s.makefile("rb")
        line = f.readline().decode()
    sys.stdout.write(line)
    return 0 if json.loads(line).get("ok") else 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "ctl":
        return ctl_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description="Scriptable Kafka test broker (see the module docstring).")
    ap.add_argument("--state", help="JSON state file")
    ap.add_argument("--port", type=int, default=0, help="port of broker 1 (default: any free port)")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--brokers", type=int, default=1, help="number of brokers (node ids 1..N)")
    ap.add_argument("--max-lifetime", type=float, default=3600, help="seconds; 0 = unlimited")
    ap.add_argument("--no-stdin-watch", dest="stdin_watch", action="store_false",
                    help="do not exit when stdin (a pipe) closes")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if args.brokers < 1:
        ap.error("--brokers must be >= 1")
    try:
        asyncio.run(main_async(args))
    except (OSError, ValueError) as e:
        log("fatal: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
