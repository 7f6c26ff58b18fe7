#!/usr/bin/python3
"""Writes the Grafana dashboards of this folder (kpe-*.json) from the definitions below.

The JSON files are committed and importable as they are; this script is how they are kept consistent
(same variables, datasource references, units and layout everywhere). Edit the definitions here and run
  /usr/bin/python3 dashboards/generate.py
tests/dashboards/check_dashboards.py fails when a JSON file differs from what this script writes.

Every query filters on the `cluster` variable (every series of the exporter carries `cluster`); the
`filters` ad hoc variable adds matchers on any other label (the exporter's constant labels, e.g. env),
which Grafana applies to every query of the dashboard. The exporter-wide families (process_*, the CPU
governor's, kafka_perf_exporter_build_info) carry no `cluster` label: their panels filter on `instance`,
whose values come from the exporters that serve the selected clusters. The applications' client series
(kafka_client_*, ingested librdkafka statistics) carry no `cluster` either: the Clients dashboard filters
on the label they report under and their client.id.
"""
import json
import os
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}
C = 'cluster=~"$cluster"'


def datasource_var():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": [], "includeAll": False,
            "multi": False}


def query_var(name, label, query, description, all_value=".*"):
    return {"name": name, "label": label, "type": "query", "datasource": DS, "description": description,
            "definition": query, "query": {"query": query, "refId": f"{name}-var"}, "refresh": 2,
            "regex": "", "sort": 1, "multi": True, "includeAll": True, "allValue": all_value,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "hide": 0, "options": []}


def adhoc_var():
    return {"name": "filters", "label": "Label filters", "type": "adhoc", "datasource": DS, "hide": 0,
            "filters": [],
            "description": "Extra matchers on any label, e.g. the exporter's constant labels (env=prod)."}


CLUSTER_VAR = query_var("cluster", "Cluster", "label_values(kafka_up, cluster)",
                        "The cluster label of the exporter (--kafka.cluster-name or cluster= in --kafka.labels).")


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {"datasource": DS, "refId": ref, "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant}
    if table:
        t["format"] = "table"
    return t


def thresholds(*steps):
    """steps: (value, color) pairs after the base color, e.g. thresholds("green", (1, "red"))."""
    base, rest = steps[0], steps[1:]
    return {"mode": "absolute",
            "steps": [{"color": base, "value": None}] + [{"color": c, "value": v} for v, c in rest]}


class Layout:
    def __init__(self):
        self.x = self.y = self.row_h = 0
        self.next_id = 1

    def place(self, w, h):
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def row(self, title):
        self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        panel = {"type": "row", "title": title, "collapsed": False, "panels": [], "id": self.take_id(),
                 "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}}
        self.y += 1
        return panel

    def take_id(self):
        self.next_id += 1
        return self.next_id - 1


def panel(layout, kind, title, description, targets, unit="short", w=8, h=8, th=None, mappings=None,
          options=None, decimals=None, custom=None, overrides=None):
    defaults = {"unit": unit, "thresholds": th or thresholds("green"), "mappings": mappings or []}
    if decimals is not None:
        defaults["decimals"] = decimals
    if custom:
        defaults["custom"] = custom
    if kind in ("stat", "bargauge"):
        defaults["color"] = {"mode": "thresholds"}
    else:
        defaults["color"] = {"mode": "palette-classic"}
    p = {"id": layout.take_id(), "type": kind, "title": title, "description": description,
         "datasource": DS, "gridPos": layout.place(w, h), "targets": targets,
         "fieldConfig": {"defaults": defaults, "overrides": overrides or []}}
    if options is not None:
        p["options"] = options
    elif kind == "timeseries":
        p["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}
    elif kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "background", "graphMode": "none", "textMode": "auto",
                        "justifyMode": "auto", "orientation": "auto"}
    elif kind == "bargauge":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True}
    elif kind == "table":
        p["options"] = {"showHeader": True, "footer": {"show": False}}
        p["transformations"] = [{"id": "organize", "options": {
            "excludeByName": {"Time": True, "__name__": True, "job": True}}}]
    return p


UP_DOWN = [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red", "index": 0},
                                         "1": {"text": "UP", "color": "green", "index": 1}}}]
ZERO_GOOD = thresholds("green", (1, "red"))
MSGS = "suffix: msg/s"
CORES = "suffix: cores"


def dashboard(uid, title, description, tags, variables, panels):
    return {
        "uid": uid, "title": title, "description": description, "tags": ["kafka", "kafka-perf-exporter"] + tags,
        "editable": True, "graphTooltip": 1, "refresh": "30s", "schemaVersion": 38, "version": 1,
        "time": {"from": "now-3h", "to": "now"}, "timezone": "", "timepicker": {},
        "fiscalYearStartMonth": 0, "liveNow": False, "weekStart": "",
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [{"title": "Kafka dashboards", "type": "dashboards", "tags": ["kafka-perf-exporter"],
                   "asDropdown": True, "includeVars": True, "keepTime": True}],
        "templating": {"list": variables},
        "panels": panels,
    }


def cluster_overview():
    L = Layout()
    T = f'{C}, topic=~"$topic"'
    topic_var = query_var("topic", "Topic", f"label_values(kafka_topic_partitions{{{C}}}, topic)",
                          "Topics watched by the exporter in the selected clusters.")
    ps = [L.row("Health")]
    ps += [
        panel(L, "stat", "Kafka reachable", "kafka_up: 1 when the exporter's last collection reached the cluster. "
              "DOWN: brokers unreachable, or authentication/TLS failing (see the exporter's log).",
              [target(f"min by (cluster) (kafka_up{{{C}}})", "{{cluster}}", instant=True)],
              w=4, h=4, th=thresholds("red", (1, "green")), mappings=UP_DOWN),
        panel(L, "stat", "Exporter up", "Prometheus's own up series of every exporter target that serves the "
              "cluster (targets are matched to clusters by kafka_perf_exporter_snapshots_published_total seen "
              "in the last hour, which every replica of a sharded exporter exports; kafka_up only replica 0).",
              [target(f"max by (cluster, instance) (up * on (job, instance) group_right () "
                      f"max by (cluster, job, instance) "
                      f"(last_over_time(kafka_perf_exporter_snapshots_published_total{{{C}}}[1h]) * 0 + 1))",
                      "{{cluster}} {{instance}}", instant=True)],
              w=4, h=4, th=thresholds("red", (1, "green")), mappings=UP_DOWN),
        panel(L, "stat", "Brokers", "kafka_brokers: brokers in the cluster's metadata. A drop means a broker left "
              "the cluster (crash, shutdown, network partition).",
              [target(f"max by (cluster) (kafka_brokers{{{C}}})", "{{cluster}}", instant=True)],
              w=4, h=4, th=thresholds("blue")),
        panel(L, "stat", "Under-replicated partitions", "Partitions whose in-sync replicas are fewer than "
              "their replicas (kafka_cluster_under_replicated_partitions). Should be 0.",
              [target(f"max by (cluster) (kafka_cluster_under_replicated_partitions{{{C}}})", "{{cluster}}",
                      instant=True)], w=4, h=4, th=ZERO_GOOD),
        panel(L, "stat", "Under min ISR", "Partitions whose in-sync replicas are fewer than their topic's "
              "min.insync.replicas (kafka_cluster_under_min_isr_partitions): producers with acks=all get "
              "NOT_ENOUGH_REPLICAS. Counts only topics whose configuration the exporter could read "
              "(DescribeConfigs). Should be 0.",
              [target(f"max by (cluster) (kafka_cluster_under_min_isr_partitions{{{C}}})", "{{cluster}}",
                      instant=True)], w=4, h=4, th=ZERO_GOOD),
        panel(L, "stat", "Offline partitions", "Partitions without a leader (kafka_cluster_offline_partitions): "
              "nobody can read or write them. Should be 0.",
              [target(f"max by (cluster) (kafka_cluster_offline_partitions{{{C}}})", "{{cluster}}",
                      instant=True)], w=4, h=4, th=ZERO_GOOD),
        panel(L, "stat", "Controller", "Broker id of the active controller (-1 when unknown).",
              [target(f"max by (cluster) (kafka_cluster_controller_id{{{C}}})", "{{cluster}}", instant=True)],
              w=4, h=4, th=thresholds("blue"), mappings=[{"type": "value", "options": {
                  "-1": {"text": "none", "color": "red", "index": 0}}}]),
        panel(L, "stat", "Topics", "Topics watched (after --topic.filter / --topic.exclude).",
              [target(f"max by (cluster) (kafka_cluster_topics{{{C}}})", "{{cluster}}", instant=True)],
              w=5, h=4, th=thresholds("blue")),
        panel(L, "stat", "Partitions", "Partitions of the watched topics.",
              [target(f"max by (cluster) (kafka_cluster_partitions{{{C}}})", "{{cluster}}", instant=True)],
              w=5, h=4, th=thresholds("blue")),
        panel(L, "stat", "Consumer groups", "Consumer groups exported (after --group.filter / --group.exclude).",
              [target(f"max by (cluster) (kafka_cluster_consumergroups{{{C}}})", "{{cluster}}", instant=True)],
              w=5, h=4, th=thresholds("blue")),
        panel(L, "stat", "Leaders on their preferred broker", "Share of partitions whose leader is their first "
              "replica. Low after broker restarts: run a preferred leader election to rebalance the load. "
              "(Topics folded to partition=\"all\" by the series budget count as one partition.)",
              [target(f"sum by (cluster) (kafka_topic_partition_leader_is_preferred{{{T}}}) / "
                      f"count by (cluster) (kafka_topic_partition_leader_is_preferred{{{T}}})", "{{cluster}}",
                      instant=True)],
              unit="percentunit", w=5, h=4, th=thresholds("red", (0.8, "orange"), (0.95, "green"))),
    ]
    ps.append(L.row("Throughput"))
    ps += [
        panel(L, "timeseries", "Messages in per second by topic", "Rate of the newest offsets "
              "(kafka_topic_partition_current_offset) summed over the topic's partitions: records produced "
              "per second. Idle topics are sampled less often (adaptive sampling), which does not change "
              "the rate.",
              [target(f"sum by (cluster, topic) (rate(kafka_topic_partition_current_offset{{{T}}}[$__rate_interval]))",
                      "{{topic}}")], unit=MSGS, w=16, h=9, custom={"fillOpacity": 10, "stacking": {"mode": "normal"}}),
        panel(L, "bargauge", "Retained messages by topic", "Newest minus oldest offset summed over the "
              "partitions: records in the log (an upper bound for compacted topics).",
              [target(f"sort_desc(sum by (cluster, topic) (kafka_topic_partition_current_offset{{{T}}} - "
                      f"kafka_topic_partition_oldest_offset{{{T}}}))", "{{topic}}", instant=True)],
              w=8, h=9, th=thresholds("blue")),
    ]
    ps.append(L.row("Partitions and brokers"))
    ps += [
        panel(L, "bargauge", "Leaders and replicas per broker", "Watched partitions each broker leads "
              "(kafka_broker_leaders) and replicas of watched partitions it hosts (kafka_broker_partitions). "
              "An uneven spread of leaders puts more produce and fetch load on some brokers: run a preferred "
              "leader election, or reassign partitions when the replicas themselves are uneven.",
              [target(f"max by (cluster, id) (kafka_broker_leaders{{{C}}})", "{{cluster}} broker {{id}} leaders",
                      instant=True),
               target(f"max by (cluster, id) (kafka_broker_partitions{{{C}}})",
                      "{{cluster}} broker {{id}} replicas", ref="B", instant=True)],
              w=8, h=8, th=thresholds("blue")),
        panel(L, "table", "Brokers", "kafka_broker_info: every broker in the metadata, with its address and rack.",
              [target(f"max by (cluster, id, address, rack) (kafka_broker_info{{{C}}})", instant=True,
                      table=True)], w=8, h=8),
        panel(L, "bargauge", "Partitions per topic", "kafka_topic_partitions.",
              [target(f"sort_desc(max by (cluster, topic) (kafka_topic_partitions{{{T}}}))", "{{topic}}",
                      instant=True)], w=8, h=8, th=thresholds("blue")),
        panel(L, "timeseries", "Under-replicated partitions by topic", "Partitions of the topic whose ISR is "
              "smaller than their replica set (kafka_topic_partition_under_replicated_partition).",
              [target(f"sum by (cluster, topic) (kafka_topic_partition_under_replicated_partition{{{T}}})",
                      "{{topic}}")], w=8, h=8, th=ZERO_GOOD),
        panel(L, "timeseries", "Offline partitions by topic", "Partitions of the topic without a leader "
              "(kafka_topic_partition_offline).",
              [target(f"sum by (cluster, topic) (kafka_topic_partition_offline{{{T}}})", "{{topic}}")],
              w=8, h=8, th=ZERO_GOOD),
        panel(L, "timeseries", "Fewest in-sync replicas by topic", "Smallest ISR among the topic's partitions "
              "(kafka_topic_partition_in_sync_replica) against its replication factor "
              "(kafka_topic_partition_replicas). When the ISR drops below the topic's min.insync.replicas, "
              "producers with acks=all fail.",
              [target(f"min by (cluster, topic) (kafka_topic_partition_in_sync_replica{{{T}}})", "{{topic}} ISR"),
               target(f"max by (cluster, topic) (kafka_topic_partition_replicas{{{T}}})", "{{topic}} replicas",
                      ref="B")], w=8, h=8),
        panel(L, "timeseries", "Under-min-ISR partitions by topic", "Partitions of the topic whose ISR is "
              "below the topic's min.insync.replicas (kafka_topic_partition_under_min_isr): writes with "
              "acks=all fail on them. Needs the topic configurations (DescribeConfigs on the topics); "
              "absent where the exporter cannot read them.",
              [target(f"sum by (cluster, topic) (kafka_topic_partition_under_min_isr{{{T}}})", "{{topic}}")],
              w=8, h=8, th=ZERO_GOOD),
        panel(L, "timeseries", "Broker round-trip time (exporter's client)", "Round-trip time of the "
              "exporter's own requests to each broker over its latest statistics interval "
              "(kafka_perf_exporter_broker_rtt_seconds, avg and p99, from librdkafka's statistics): a broker "
              "slow to answer everyone shows here first, independently of the applications' clients.",
              [target(f'max by (cluster, broker_id) (kafka_perf_exporter_broker_rtt_seconds{{{C}, stat="p99"}})',
                      "{{cluster}} broker {{broker_id}} p99"),
               target(f'max by (cluster, broker_id) (kafka_perf_exporter_broker_rtt_seconds{{{C}, stat="avg"}})',
                      "{{cluster}} broker {{broker_id}} avg", ref="B")], unit="s", w=8, h=8,
              th=thresholds("green", (0.1, "orange"), (0.5, "red"))),
        panel(L, "stat", "Exporter's connections to brokers", "kafka_perf_exporter_broker_connection_up: 1 "
              "while the exporter's own client is connected to the broker (librdkafka state UP). DOWN for a "
              "broker that leads watched partitions: the broker or the network path to it is failing (a "
              "broker leading none may just be idle).",
              [target(f"min by (cluster, broker_id) (kafka_perf_exporter_broker_connection_up{{{C}}})",
                      "{{cluster}} broker {{broker_id}}", instant=True)],
              w=8, h=8, th=thresholds("red", (1, "green")), mappings=UP_DOWN),
    ]
    return dashboard("kpe-cluster-overview", "Kafka / Cluster overview",
                     "Brokers, partition health and traffic of the clusters watched by kafka-perf-exporter.",
                     ["cluster"], [datasource_var(), CLUSTER_VAR, topic_var, adhoc_var()], ps)


def consumer_lag():
    L = Layout()
    G = f'{C}, consumergroup=~"$consumergroup"'
    GT = f'{G}, topic=~"$topic"'
    group_var = query_var("consumergroup", "Consumer group",
                          f"label_values(kafka_consumergroup_up{{{C}}}, consumergroup)",
                          "Consumer groups exported in the selected clusters.")
    topic_var = query_var("topic", "Topic",
                          f'label_values(kafka_consumergroup_current_offset_sum{{{G}}}, topic)',
                          "Topics the selected groups have committed offsets for.")
    ps = [L.row("Overview")]
    ps += [
        panel(L, "stat", "Groups", "Consumer groups exported.",
              [target(f"count by (cluster) (kafka_consumergroup_up{{{G}}})", "{{cluster}}", instant=True)],
              w=6, h=4, th=thresholds("blue")),
        panel(L, "stat", "Groups in trouble", "Groups whose status is warning, stalled, stopped or rewind "
              "(kafka_consumergroup_status).",
              [target(f'sum by (cluster) (kafka_consumergroup_status{{{G}, status=~"warning|stalled|stopped|rewind"}})',
                      "{{cluster}}", instant=True)], w=6, h=4, th=thresholds("green", (1, "orange"))),
        panel(L, "stat", "Total lag", "Sum of the lags (messages) of the selected groups and topics.",
              [target(f"sum by (cluster) (kafka_consumergroup_lag_sum{{{GT}}})", "{{cluster}}", instant=True)],
              w=6, h=4, th=thresholds("green", (100000, "orange"), (1000000, "red"))),
        panel(L, "stat", "Worst lag in seconds", "Largest kafka_consumergroup_max_lag_seconds among the groups: "
              "how far behind the slowest group reads.",
              [target(f"max by (cluster) (kafka_consumergroup_max_lag_seconds{{{G}}})", "{{cluster}}",
                      instant=True)], unit="s", w=6, h=4, th=thresholds("green", (300, "orange"), (1800, "red"))),
    ]
    ps.append(L.row("Lag"))
    ps += [
        panel(L, "timeseries", "Lag in messages by group and topic", "kafka_consumergroup_lag_sum: newest "
              "offset minus committed offset, summed over the topic's partitions. Absent while a partition's "
              "lag is unknown (no committed offset: see 'Partitions without a committed offset').",
              [target(f"sum by (cluster, consumergroup, topic) (kafka_consumergroup_lag_sum{{{GT}}})",
                      "{{consumergroup}} / {{topic}}")], w=12, h=9,
              th=thresholds("green", (100000, "orange"), (1000000, "red")),
              custom={"thresholdsStyle": {"mode": "dashed"}}),
        panel(L, "timeseries", "Lag in seconds by group and topic", "Worst partition's "
              "kafka_consumergroup_lag_seconds: how long ago the committed offset was the newest offset "
              "(interpolated from the exporter's offset history, or exact with lag.precise).",
              [target(f"max by (cluster, consumergroup, topic) (kafka_consumergroup_lag_seconds{{{GT}}})",
                      "{{consumergroup}} / {{topic}}")], unit="s", w=12, h=9,
              th=thresholds("green", (300, "orange"), (1800, "red")),
              custom={"thresholdsStyle": {"mode": "dashed"}}),
        panel(L, "bargauge", "Top 10 lagging groups (messages)", "Groups with the largest total lag.",
              [target(f"topk(10, sum by (cluster, consumergroup) (kafka_consumergroup_lag_sum{{{GT}}}))",
                      "{{consumergroup}}", instant=True)], w=12, h=8,
              th=thresholds("green", (100000, "orange"), (1000000, "red"))),
        panel(L, "bargauge", "Top 10 lagging groups (seconds)", "Groups with the largest "
              "kafka_consumergroup_max_lag_seconds.",
              [target(f"topk(10, max by (cluster, consumergroup) (kafka_consumergroup_max_lag_seconds{{{G}}}))",
                      "{{consumergroup}}", instant=True)], unit="s", w=12, h=8,
              th=thresholds("green", (300, "orange"), (1800, "red"))),
    ]
    ps.append(L.row("Consumption"))
    ps += [
        panel(L, "timeseries", "Consumption vs production", "Committed offsets per second of each group "
              "(kafka_consumergroup_commit_rate) against records produced per second into the topics it "
              "reads (rate of kafka_topic_partition_current_offset). Consumption below production "
              "for long means growing lag.",
              [target(f"sum by (cluster, consumergroup, topic) (kafka_consumergroup_commit_rate{{{GT}}})",
                      "{{consumergroup}} consumes {{topic}}"),
               target(f'sum by (cluster, topic) (rate(kafka_topic_partition_current_offset{{{C}, topic=~"$topic"}}'
                      f"[$__rate_interval])) and on (cluster, topic) "
                      f"group by (cluster, topic) (kafka_consumergroup_commit_rate{{{GT}}})",
                      "{{topic}} produced", ref="B")], unit=MSGS, w=12, h=9),
        panel(L, "timeseries", "Last commit age by group and topic", "Worst partition's "
              "kafka_consumergroup_last_commit_age_seconds: time since the committed offset last moved. "
              "Grows while a group is stopped or stalled (and on topics without new records).",
              [target(f"max by (cluster, consumergroup, topic) (kafka_consumergroup_last_commit_age_seconds{{{GT}}})",
                      "{{consumergroup}} / {{topic}}")], unit="s", w=12, h=9),
    ]
    ps.append(L.row("Group health"))
    ps += [
        panel(L, "table", "Group status", "kafka_consumergroup_status (Burrow-style, over the last 10 "
              "observations): ok, warning (lag grew at every observation), stalled (members present, "
              "offset not moving, lag > 0), stopped (no members, lag > 0), rewind (offset went back), "
              "empty, unknown (not enough observations yet).",
              [target(f"max by (cluster, consumergroup, status) (kafka_consumergroup_status{{{G}}}) == 1",
                      instant=True, table=True)], w=8, h=8,
              overrides=[{"matcher": {"id": "byName", "options": "status"}, "properties": [
                  {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                  {"id": "mappings", "value": [{"type": "value", "options": {
                      "ok": {"color": "green", "index": 0}, "empty": {"color": "blue", "index": 1},
                      "unknown": {"color": "text", "index": 2}, "warning": {"color": "orange", "index": 3},
                      "stalled": {"color": "red", "index": 4}, "stopped": {"color": "red", "index": 5},
                      "rewind": {"color": "purple", "index": 6}}}]}]}]),
        panel(L, "table", "Group state", "kafka_consumergroup_state: the coordinator's state of the group "
              "(Stable, Empty, PreparingRebalance, CompletingRebalance, Dead; Unknown when it could not be "
              "described). Long rebalances stop consumption.",
              [target(f"max by (cluster, consumergroup, state) (kafka_consumergroup_state{{{G}}}) == 1",
                      instant=True, table=True)], w=8, h=8),
        panel(L, "timeseries", "Members by group", "kafka_consumergroup_members: consumers in the group "
              "(exported once the group has been described).",
              [target(f"max by (cluster, consumergroup) (kafka_consumergroup_members{{{G}}})",
                      "{{consumergroup}}")], w=8, h=8),
        panel(L, "timeseries", "Partitions without a committed offset", "kafka_consumergroup_uncommitted_partitions: "
              "partitions the group has no committed offset for; they have no lag series.",
              [target(f"sum by (cluster, consumergroup, topic) (kafka_consumergroup_uncommitted_partitions{{{GT}}})",
                      "{{consumergroup}} / {{topic}}")], w=12, h=8, th=thresholds("green", (1, "orange"))),
        panel(L, "table", "Lag by partition", "kafka_consumergroup_lag and kafka_consumergroup_current_offset "
              "per partition, largest lag first.",
              [target(f"sort_desc(max by (cluster, consumergroup, topic, partition) (kafka_consumergroup_lag{{{GT}}}))",
                      instant=True, table=True)], w=12, h=8),
    ]
    return dashboard("kpe-consumer-lag", "Kafka / Consumer lag",
                     "Lag in messages and seconds, status and consumption of the consumer groups watched by "
                     "kafka-perf-exporter.", ["consumer-lag"],
                     [datasource_var(), CLUSTER_VAR, group_var, topic_var, adhoc_var()], ps)


def exporter():
    L = Layout()
    I = 'instance=~"$instance"'
    instance_var = query_var("instance", "Exporter",
                             f"label_values(kafka_perf_exporter_snapshots_published_total{{{C}}}, instance)",
                             "Exporter targets serving the selected clusters (every replica of a sharded exporter).")
    ps = [L.row("Cost")]
    ps += [
        panel(L, "timeseries", "CPU use vs budget", "The CPU governor's view: use over its window "
              "(kafka_perf_exporter_cpu_usage_cores) against collection.cpu_budget "
              "(kafka_perf_exporter_cpu_budget_cores; 0: governor off, as in demo mode), and the process's "
              "CPU rate as Prometheus sees it.",
              [target(f"max by (instance) (kafka_perf_exporter_cpu_usage_cores{{{I}}})", "{{instance}} use"),
               target(f"max by (instance) (kafka_perf_exporter_cpu_budget_cores{{{I}}})", "{{instance}} budget",
                      ref="B"),
               target(f"max by (instance) (rate(process_cpu_seconds_total{{{I}}}[$__rate_interval]))",
                      "{{instance}} process", ref="C")], unit=CORES, w=12, h=8),
        panel(L, "timeseries", "Interval stretch", "kafka_perf_exporter_interval_stretch: factor the governor "
              "applies to every sampling interval while the exporter is over its CPU budget (1: none, "
              "up to 64). Above 1 for long: raise collection.cpu_budget or narrow the filters.",
              [target(f"max by (instance) (kafka_perf_exporter_interval_stretch{{{I}}})", "{{instance}}")],
              w=6, h=8, th=thresholds("green", (1.01, "orange"), (8, "red")),
              custom={"thresholdsStyle": {"mode": "line"}}),
        panel(L, "timeseries", "Memory", "process_resident_memory_bytes.",
              [target(f"max by (instance) (process_resident_memory_bytes{{{I}}})", "{{instance}}")],
              unit="bytes", w=6, h=8),
        panel(L, "timeseries", "Series per scrape", "Samples in each scrape as Prometheus counted them "
              "(scrape_samples_scraped), and the exporter's own count against metrics.max_series "
              "(kafka_perf_exporter_series, _series_budget; exported only when a budget or "
              "topic_granularity is configured).",
              [target(f"max by (instance) (scrape_samples_scraped{{{I}}})", "{{instance}} scraped"),
               target(f"max by (instance) (kafka_perf_exporter_series{{{I}}})", "{{instance}} rendered", ref="B"),
               target(f"max by (instance) (kafka_perf_exporter_series_budget{{{I}}} > 0)", "{{instance}} budget",
                      ref="C")], w=12, h=8),
        panel(L, "timeseries", "Folded by the series budget", "Topics (and series) whose per-partition "
              "series were folded into partition=\"all\" to stay under metrics.max_series.",
              [target(f"max by (cluster) (kafka_perf_exporter_folded_topics{{{C}}})", "{{cluster}} topics"),
               target(f"max by (cluster) (kafka_perf_exporter_folded_series{{{C}}})", "{{cluster}} series",
                      ref="B")], w=12, h=8),
    ]
    ps.append(L.row("Collection"))
    ps += [
        panel(L, "timeseries", "Collector duration", "kafka_perf_exporter_collector_duration_seconds: duration "
              "of each collector's last run (metadata, offsets, groups).",
              [target(f"max by (cluster, collector) (kafka_perf_exporter_collector_duration_seconds{{{C}}})",
                      "{{cluster}} {{collector}}")], unit="s", w=8, h=8),
        panel(L, "stat", "Collector success", "kafka_perf_exporter_collector_success: 1 when the collector's "
              "last run succeeded.",
              [target(f"min by (cluster, collector) (kafka_perf_exporter_collector_success{{{C}}})",
                      "{{cluster}} {{collector}}", instant=True)], w=8, h=8,
              th=thresholds("red", (1, "green")), mappings=[{"type": "value", "options": {
                  "0": {"text": "FAILED", "color": "red", "index": 0},
                  "1": {"text": "OK", "color": "green", "index": 1}}}]),
        panel(L, "timeseries", "Data age", "kafka_perf_exporter_data_age_seconds: time since each collector's "
              "last success, computed at every scrape. Grows while the cluster is unreachable.",
              [target(f"max by (cluster, collector) (kafka_perf_exporter_data_age_seconds{{{C}}})",
                      "{{cluster}} {{collector}}")], unit="s", w=8, h=8,
              th=thresholds("green", (300, "orange"), (600, "red")),
              custom={"thresholdsStyle": {"mode": "dashed"}}),
        panel(L, "timeseries", "Cache hit ratio", "Hits over lookups per cache "
              "(kafka_perf_exporter_cache_requests_total): metadata, group_list, group_description. "
              "Low: the TTLs are short against collection.interval, or errors keep dropping the caches.",
              [target(f'sum by (cluster, cache) (rate(kafka_perf_exporter_cache_requests_total{{{C}, result="hit"}}'
                      f"[$__rate_interval])) / sum by (cluster, cache) "
                      f"(rate(kafka_perf_exporter_cache_requests_total{{{C}}}[$__rate_interval]))",
                      "{{cluster}} {{cache}}")], unit="percentunit", w=8, h=8),
        panel(L, "timeseries", "Kafka requests sent per minute", "kafka_perf_exporter_requests_sent_total: requests "
              "per minute the exporter's own clients send to the cluster, by client (metadata: metadata "
              "and offsets; groups: group list, descriptions, committed offsets) and request type. "
              "Caching and adaptive sampling keep these low; a jump follows errors or a reload.",
              [target(f"sum by (cluster, client, api) "
                      f"(rate(kafka_perf_exporter_requests_sent_total{{{C}}}[$__rate_interval])) * 60",
                      "{{cluster}} {{client}} {{api}}")], unit="opm", w=8, h=8),
        panel(L, "timeseries", "Sampling intervals", "kafka_perf_exporter_sampling_interval_seconds: current "
              "per-entity intervals of adaptive sampling (min, avg, max over topics and groups), stretch "
              "included.",
              [target(f"max by (cluster, kind, stat) (kafka_perf_exporter_sampling_interval_seconds{{{C}}})",
                      "{{cluster}} {{kind}} {{stat}}")], unit="s", w=8, h=8),
        panel(L, "timeseries", "Entities tracked and sampled", "kafka_perf_exporter_tracked_entities and "
              "_sampled_entities (sampled in the latest tick) by kind (topic, group).",
              [target(f"max by (cluster, kind) (kafka_perf_exporter_tracked_entities{{{C}}})",
                      "{{cluster}} {{kind}} tracked"),
               target(f"max by (cluster, kind) (kafka_perf_exporter_sampled_entities{{{C}}})",
                      "{{cluster}} {{kind}} sampled", ref="B")], w=8, h=8),
        panel(L, "timeseries", "Rendering", "Time spent rendering and compressing the exposition, once per "
              "published snapshot (rate of kafka_perf_exporter_render_seconds_total: wall time on one "
              "thread, so close to its CPU unless the machine is busy), against the process's whole CPU "
              "rate. A scrape never renders.",
              [target(f"max by (instance) (rate(kafka_perf_exporter_render_seconds_total{{{I}}}[$__rate_interval]))",
                      "{{instance}} render"),
               target(f"max by (instance) (rate(process_cpu_seconds_total{{{I}}}[$__rate_interval]))",
                      "{{instance}} process", ref="B")], unit=CORES, w=8, h=8),
        panel(L, "timeseries", "Chunks reused per render", "Share of the exposition's chunks (~512 lines "
              "each) whose text had not changed since the render before, so their compressed bytes were "
              "copied, not compressed again (kafka_perf_exporter_render_chunks_total). Low while most "
              "groups or topics change every cycle.",
              [target(f"sum by (instance) (rate(kafka_perf_exporter_render_chunks_total{{{I},result=\"reused\"}}"
                      f"[$__rate_interval])) / sum by (instance) (rate(kafka_perf_exporter_render_chunks_total"
                      f"{{{I}}}[$__rate_interval]))", "{{instance}}")], unit="percentunit", w=8, h=8),
    ]
    ps.append(L.row("Freshness"))
    ps += [
        panel(L, "timeseries", "Offsets sample age by topic", "Seconds since each topic's offsets were last "
              "read (time() - kafka_topic_offsets_timestamp_seconds). Idle topics are read less often.",
              [target(f"time() - max by (cluster, topic) (kafka_topic_offsets_timestamp_seconds{{{C}}})",
                      "{{cluster}} {{topic}}")], unit="s", w=8, h=8),
        panel(L, "timeseries", "Group sample age", "Seconds since each group's offsets were last read "
              "(time() - kafka_consumergroup_sample_timestamp_seconds).",
              [target(f"time() - max by (cluster, consumergroup) (kafka_consumergroup_sample_timestamp_seconds{{{C}}})",
                      "{{cluster}} {{consumergroup}}")], unit="s", w=8, h=8),
        panel(L, "timeseries", "Stale partitions", "kafka_perf_exporter_stale_partitions: partitions served "
              "with earlier offsets because reading them failed (e.g. their leader is down).",
              [target(f"max by (cluster) (kafka_perf_exporter_stale_partitions{{{C}}})", "{{cluster}}")],
              w=8, h=8, th=ZERO_GOOD),
        panel(L, "table", "Exporter builds", "kafka_perf_exporter_build_info of each exporter, and how it "
              "discovers groups (kafka_perf_exporter_group_discovery: list, or static when listing is refused).",
              [target(f"max by (instance, version, librdkafka_version) (kafka_perf_exporter_build_info{{{I}}})",
                      instant=True, table=True),
               target(f"max by (cluster, mode) (kafka_perf_exporter_group_discovery{{{C}}}) == 1",
                      instant=True, table=True, ref="B")], w=12, h=6),
        panel(L, "timeseries", "Scrape duration", "How long Prometheus's scrape of the exporter took "
              "(scrape_duration_seconds); a scrape only copies a pre-rendered body.",
              [target(f"max by (instance) (scrape_duration_seconds{{{I}}})", "{{instance}}")],
              unit="s", w=12, h=6),
    ]
    ps.append(L.row("Advice and configuration"))
    ps += [
        panel(L, "table", "Advice", "Active findings of the exporter's tuning advisor (kafka_advice; the same "
              "as GET /advice, which also says why and what to change): rule, severity (info, warning, "
              "critical), what it is about (subject_kind: topic, group, client, broker, cluster) and which. "
              "Findings about applications' clients have an empty cluster and show whatever clusters are "
              "selected.",
              [target(f'max by (instance, cluster, severity, rule, subject_kind, subject) '
                      f'(kafka_advice{{cluster=~"$cluster|", {I}}})', instant=True, table=True)], w=16, h=8,
              overrides=[{"matcher": {"id": "byName", "options": "severity"}, "properties": [
                  {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                  {"id": "mappings", "value": [{"type": "value", "options": {
                      "info": {"color": "blue", "index": 0}, "warning": {"color": "orange", "index": 1},
                      "critical": {"color": "red", "index": 2}}}]}]},
                  {"matcher": {"id": "byName", "options": "Value"}, "properties": [
                      {"id": "custom.hidden", "value": True}]}]),
        panel(L, "stat", "Configuration reload", "kafka_perf_exporter_config_last_reload_successful: 0 when "
              "the last reload (SIGHUP or POST /-/reload) was rejected; the previous configuration keeps "
              "running (the exporter's log names the file, line and key).",
              [target(f"min by (instance) (kafka_perf_exporter_config_last_reload_successful{{{I}}})",
                      "{{instance}}", instant=True)], w=4, h=8,
              th=thresholds("red", (1, "green")), mappings=[{"type": "value", "options": {
                  "0": {"text": "FAILED", "color": "red", "index": 0},
                  "1": {"text": "OK", "color": "green", "index": 1}}}]),
        panel(L, "stat", "Configuration age", "Time since the configuration was last (re)loaded successfully "
              "(time() - kafka_perf_exporter_config_last_reload_success_timestamp_seconds).",
              [target(f"time() - max by (instance) "
                      f"(kafka_perf_exporter_config_last_reload_success_timestamp_seconds{{{I}}})",
                      "{{instance}}", instant=True)], unit="s", w=4, h=8, th=thresholds("blue")),
    ]
    return dashboard("kpe-exporter", "Kafka / Exporter",
                     "What kafka-perf-exporter costs and how fresh its data is: CPU against its budget, "
                     "collections, caches, adaptive sampling, series; the advisor's findings and the "
                     "configuration reloads.", ["exporter"],
                     [datasource_var(), CLUSTER_VAR, instance_var, adhoc_var()], ps)


def latency():
    L = Layout()
    T = f'{C}, topic=~"$topic"'
    topic_var = query_var("topic", "Canary topic", f"label_values(kafka_e2e_messages_produced_total{{{C}}}, topic)",
                          "Canary topics of the end-to-end probe (e2e.topic) in the selected clusters.")

    def quantile(q, family, by):
        return (f"histogram_quantile({q}, sum by ({by}, le) "
                f"(rate({family}_bucket{{{T}}}[$__rate_interval])))")

    def rate_of(family, by="cluster, topic"):
        return f"sum by ({by}) (rate({family}{{{T}}}[$__rate_interval]))"

    ps = [L.row("Service level")]
    ps += [
        panel(L, "stat", "Produce ack p99", "99th percentile of the time from producing a probe record to "
              "its acknowledgement (kafka_e2e_produce_latency_seconds, acks as the probe is configured). "
              "KafkaProduceLatencyHigh fires above 10 ms.",
              [target(quantile(0.99, "kafka_e2e_produce_latency_seconds", "cluster"), "{{cluster}}", instant=True)],
              unit="s", w=6, h=4, th=thresholds("green", (0.01, "orange"), (0.05, "red"))),
        panel(L, "stat", "End-to-end p99", "99th percentile of the time from producing a probe record to the "
              "probe's consumer receiving it (kafka_e2e_roundtrip_latency_seconds). "
              "KafkaEndToEndLatencyHigh fires above 100 ms.",
              [target(quantile(0.99, "kafka_e2e_roundtrip_latency_seconds", "cluster"), "{{cluster}}",
                      instant=True)],
              unit="s", w=6, h=4, th=thresholds("green", (0.1, "orange"), (0.5, "red"))),
        panel(L, "stat", "Delivered", "Share of the acknowledged probe records read back "
              "(kafka_e2e_messages_received_total / kafka_e2e_messages_acknowledged_total) over the "
              "time range. Slightly under 1 while records are in flight; lost records bring it down.",
              [target(f"sum by (cluster) (increase(kafka_e2e_messages_received_total{{{T}}}[$__range])) / "
                      f"sum by (cluster) (increase(kafka_e2e_messages_acknowledged_total{{{T}}}[$__range]))",
                      "{{cluster}}", instant=True)],
              unit="percentunit", w=6, h=4, decimals=2, th=thresholds("red", (0.99, "orange"), (0.999, "green"))),
        panel(L, "stat", "Lost records", "Probe records acknowledged by the cluster but not read back within "
              "the SLA (kafka_e2e_messages_lost_total) over the time range. Should be 0: see "
              "KafkaEndToEndMessagesLost.",
              [target(f"sum by (cluster) (increase(kafka_e2e_messages_lost_total{{{T}}}[$__range]))",
                      "{{cluster}}", instant=True)], w=6, h=4, decimals=0, th=ZERO_GOOD),
    ]
    ps.append(L.row("Latency by broker"))
    ps += [
        panel(L, "timeseries", "Produce latency by broker (p50, p99)", "Time from producing a probe record "
              "to its acknowledgement, by the leader broker that acknowledged it "
              "(kafka_e2e_produce_latency_seconds). One broker above the others: look at its disks, "
              "network and request queues.",
              [target(quantile(0.5, "kafka_e2e_produce_latency_seconds", "cluster, broker"),
                      "{{cluster}} broker {{broker}} p50"),
               target(quantile(0.99, "kafka_e2e_produce_latency_seconds", "cluster, broker"),
                      "{{cluster}} broker {{broker}} p99", ref="B")],
              unit="s", w=12, h=9, th=thresholds("green", (0.01, "orange")),
              custom={"thresholdsStyle": {"mode": "dashed"}}),
        panel(L, "timeseries", "End-to-end latency by broker (p50, p99)", "Time from producing a probe "
              "record to the probe's consumer receiving it, by the broker it was fetched from "
              "(kafka_e2e_roundtrip_latency_seconds): produce, replication to the ISR (the high watermark) "
              "and fetch.",
              [target(quantile(0.5, "kafka_e2e_roundtrip_latency_seconds", "cluster, broker"),
                      "{{cluster}} broker {{broker}} p50"),
               target(quantile(0.99, "kafka_e2e_roundtrip_latency_seconds", "cluster, broker"),
                      "{{cluster}} broker {{broker}} p99", ref="B")],
              unit="s", w=12, h=9, th=thresholds("green", (0.1, "orange")),
              custom={"thresholdsStyle": {"mode": "dashed"}}),
        panel(L, "timeseries", "End-to-end p99 by partition", "99th percentile of the end-to-end latency per "
              "partition of the canary topic: a single slow partition points at its leader or its "
              "followers.",
              [target(quantile(0.99, "kafka_e2e_roundtrip_latency_seconds", "cluster, topic, partition"),
                      "{{cluster}} {{topic}}/{{partition}}")], unit="s", w=12, h=8),
        panel(L, "timeseries", "Offset commit latency (p50, p99)", "Time the probe's consumer took to commit "
              "its offsets (kafka_e2e_commit_latency_seconds, successful commits), and failed commits per "
              "second (kafka_e2e_commits_failed_total): the group coordinator's health.",
              [target(quantile(0.5, "kafka_e2e_commit_latency_seconds", "cluster, topic"), "{{cluster}} p50"),
               target(quantile(0.99, "kafka_e2e_commit_latency_seconds", "cluster, topic"), "{{cluster}} p99",
                      ref="B"),
               target(rate_of("kafka_e2e_commits_failed_total"), "{{cluster}} failed/s", ref="C")],
              unit="s", w=12, h=8,
              overrides=[{"matcher": {"id": "byFrameRefID", "options": "C"}, "properties": [
                  {"id": "unit", "value": "suffix: /s"}, {"id": "custom.axisPlacement", "value": "right"}]}]),
    ]
    ps.append(L.row("Delivery"))
    ps += [
        panel(L, "timeseries", "Probe records per second", "Probe records produced "
              "(kafka_e2e_messages_produced_total), acknowledged (_acknowledged_total) and read back "
              "(_received_total) per second.",
              [target(rate_of("kafka_e2e_messages_produced_total"), "{{cluster}} produced"),
               target(rate_of("kafka_e2e_messages_acknowledged_total"), "{{cluster}} acknowledged", ref="B"),
               target(rate_of("kafka_e2e_messages_received_total"), "{{cluster}} received", ref="C")],
              unit=MSGS, w=12, h=8),
        panel(L, "timeseries", "Lost, failed and duplicated records", "Per second: lost (acknowledged, not "
              "read back within the SLA: data loss, e.g. unclean leader election or acks too weak), failed "
              "(never acknowledged: refused, timed out, or an error) and duplicated (read back more than "
              "once: producer retries without idempotence, or consumer rewinds).",
              [target(rate_of("kafka_e2e_messages_lost_total"), "{{cluster}} lost"),
               target(rate_of("kafka_e2e_messages_failed_total"), "{{cluster}} failed", ref="B"),
               target(rate_of("kafka_e2e_messages_duplicated_total"), "{{cluster}} duplicated", ref="C")],
              unit=MSGS, w=12, h=8, th=ZERO_GOOD),
    ]
    return dashboard("kpe-latency", "Kafka / Latency",
                     "End-to-end probe of kafka-perf-exporter: produce acknowledgement and round-trip latency "
                     "per broker, lost, failed and duplicated records, offset commit latency.", ["latency"],
                     [datasource_var(), CLUSTER_VAR, topic_var, adhoc_var()], ps)


def clients():
    L = Layout()
    A = 'label=~"$label", client_id=~"$client_id"'
    AT = f'{A}, topic=~"$topic"'
    label_var = query_var("label", "Application", "label_values(kafka_client_last_report_age_seconds, label)",
                          "The label the application reports its statistics under (?label= of "
                          "POST /api/v1/librdkafka/stats). Client series carry no cluster label.")
    client_var = query_var("client_id", "Client id",
                           'label_values(kafka_client_last_report_age_seconds{label=~"$label"}, client_id)',
                           "client.id of the reporting librdkafka clients.")
    topic_var = query_var("topic", "Topic",
                          f'label_values({{__name__=~"kafka_client_topic_messages_(sent|received)_total", {A}}}, '
                          f'topic)', "Topics the selected clients produce to or consume from.")
    CL = "label, client_id"
    by_client = "{{label}} {{client_id}}"
    ps = [L.row("Producers")]
    ps += [
        panel(L, "timeseries", "Produced batch size", "Size of the message sets the producers sent, after "
              "compression (kafka_client_topic_batch_size_bytes, avg and p99 over each client's latest "
              "statistics interval). Small batches cost broker CPU and requests: raise linger.ms and "
              "batch.size.",
              [target(f'max by ({CL}, topic) (kafka_client_topic_batch_size_bytes{{{AT}, type="producer", '
                      f'stat="avg"}})', f"{by_client} {{{{topic}}}} avg"),
               target(f'max by ({CL}, topic) (kafka_client_topic_batch_size_bytes{{{AT}, type="producer", '
                      f'stat="p99"}})', f"{by_client} {{{{topic}}}} p99", ref="B")],
              unit="bytes", w=8, h=8),
        panel(L, "timeseries", "Records per produced batch", "Records per message set the producers sent "
              "(kafka_client_topic_batch_messages, avg).",
              [target(f'max by ({CL}, topic) (kafka_client_topic_batch_messages{{{AT}, type="producer", '
                      f'stat="avg"}})', f"{by_client} {{{{topic}}}}")], w=8, h=8),
        panel(L, "timeseries", "Compression ratio", "Uncompressed over compressed bytes per record "
              "(kafka_client_topic_compression_ratio, an estimate; about 1 without compression).",
              [target(f"max by ({CL}, topic) (kafka_client_topic_compression_ratio{{{AT}}})",
                      f"{by_client} {{{{topic}}}}")], w=8, h=8),
        panel(L, "timeseries", "Records sent and received per second", "Records the clients produced "
              "(kafka_client_messages_sent_total) and consumed (kafka_client_messages_received_total).",
              [target(f"sum by ({CL}) (rate(kafka_client_messages_sent_total{{{A}}}[$__rate_interval]))",
                      f"{by_client} sent"),
               target(f"sum by ({CL}) (rate(kafka_client_messages_received_total{{{A}}}[$__rate_interval]))",
                      f"{by_client} received", ref="B")], unit=MSGS, w=12, h=8),
        panel(L, "timeseries", "Producer queue", "Records waiting in the producers' queues "
              "(kafka_client_queued_messages): growing means the producer cannot send as fast as the "
              "application produces (broker slow, throttled, or too few in-flight requests).",
              [target(f"max by ({CL}) (kafka_client_queued_messages{{{A}}})", by_client)], w=12, h=8),
    ]
    ps.append(L.row("Requests"))
    ps += [
        panel(L, "timeseries", "Request latency by broker (p99)", "Round-trip time of the clients' requests "
              "to each broker (kafka_client_broker_rtt_seconds, p99 over the latest statistics interval), "
              "and the producers' queue time before a request is sent "
              "(kafka_client_broker_internal_latency_seconds, p99).",
              [target(f'max by ({CL}, broker) (kafka_client_broker_rtt_seconds{{{A}, stat="p99"}})',
                      f"{by_client} {{{{broker}}}} rtt"),
               target(f'max by ({CL}, broker) (kafka_client_broker_internal_latency_seconds{{{A}, stat="p99"}})',
                      f"{by_client} {{{{broker}}}} queue", ref="B")], unit="s", w=12, h=8),
        panel(L, "timeseries", "Socket wait by broker (p99)", "Time requests waited to be written to the "
              "socket (kafka_client_broker_outbuf_latency_seconds, p99): high when the connection is "
              "saturated or the broker reads slowly.",
              [target(f'max by ({CL}, broker) (kafka_client_broker_outbuf_latency_seconds{{{A}, stat="p99"}})',
                      f"{by_client} {{{{broker}}}}")], unit="s", w=12, h=8),
        panel(L, "timeseries", "Errors, retries and timeouts per second", "Per client, summed over brokers: "
              "transmission errors (kafka_client_broker_request_errors_total), receive errors "
              "(_response_errors_total), request timeouts (_request_timeouts_total) and retries "
              "(_request_retries_total).",
              [target(f"sum by ({CL}) (rate(kafka_client_broker_request_errors_total{{{A}}}[$__rate_interval]))",
                      f"{by_client} tx errors"),
               target(f"sum by ({CL}) (rate(kafka_client_broker_response_errors_total{{{A}}}[$__rate_interval]))",
                      f"{by_client} rx errors", ref="B"),
               target(f"sum by ({CL}) (rate(kafka_client_broker_request_timeouts_total{{{A}}}[$__rate_interval]))",
                      f"{by_client} timeouts", ref="C"),
               target(f"sum by ({CL}) (rate(kafka_client_broker_request_retries_total{{{A}}}[$__rate_interval]))",
                      f"{by_client} retries", ref="D")], unit="suffix: /s", w=8, h=8),
        panel(L, "timeseries", "Error ratio", "Errors (tx and rx errors and timeouts) over requests sent, per "
              "client. KafkaClientErrorRateHigh fires above 1%.",
              [target(f"(sum by ({CL}) (rate(kafka_client_broker_request_errors_total{{{A}}}[$__rate_interval])) "
                      f"+ sum by ({CL}) (rate(kafka_client_broker_response_errors_total{{{A}}}[$__rate_interval])) "
                      f"+ sum by ({CL}) (rate(kafka_client_broker_request_timeouts_total{{{A}}}[$__rate_interval]))) "
                      f"/ sum by ({CL}) (rate(kafka_client_broker_requests_sent_total{{{A}}}[$__rate_interval]))",
                      by_client)], unit="percentunit", w=8, h=8, th=thresholds("green", (0.01, "red")),
              custom={"thresholdsStyle": {"mode": "dashed"}}),
        panel(L, "timeseries", "Throttling by broker", "Time brokers held back the clients' responses because "
              "of quotas (kafka_client_broker_throttle_seconds, max over the latest statistics interval). "
              "Above 0: the client's quota (produce, fetch or request) is exhausted.",
              [target(f'max by ({CL}, broker) (kafka_client_broker_throttle_seconds{{{A}, stat="max"}})',
                      f"{by_client} {{{{broker}}}}")], unit="s", w=8, h=8, th=ZERO_GOOD),
    ]
    ps.append(L.row("Consumers"))
    ps += [
        panel(L, "timeseries", "Rebalances", "Rebalances (assignments or revocations) each consumer went "
              "through in the last 5 minutes (kafka_client_group_rebalances_total). Frequent rebalances stop "
              "consumption: look at max.poll.interval.ms, session.timeout.ms and crashing members.",
              [target(f"sum by ({CL}) (increase(kafka_client_group_rebalances_total{{{A}}}[5m]))", by_client)],
              w=8, h=8, th=thresholds("green", (1, "orange"))),
        panel(L, "timeseries", "Assigned partitions", "Partitions the group currently assigns to each "
              "consumer (kafka_client_group_assigned_partitions).",
              [target(f"max by ({CL}) (kafka_client_group_assigned_partitions{{{A}}})", by_client)], w=8, h=8),
        panel(L, "timeseries", "Consumer lag as seen by clients", "Lag per topic as each consumer sees it "
              "(kafka_client_consumer_lag summed over its partitions: high watermark minus its committed "
              "offset). Compare with the exporter's own view on the 'Kafka / Consumer lag' dashboard.",
              [target(f"sum by ({CL}, topic) (kafka_client_consumer_lag{{{AT}}})", f"{by_client} {{{{topic}}}}")],
              w=8, h=8),
        panel(L, "timeseries", "Fetched batch size", "Size of the message sets the consumers fetched "
              "(kafka_client_topic_batch_size_bytes, avg).",
              [target(f'max by ({CL}, topic) (kafka_client_topic_batch_size_bytes{{{AT}, type="consumer", '
                      f'stat="avg"}})', f"{by_client} {{{{topic}}}}")], unit="bytes", w=12, h=8),
    ]
    ps.append(L.row("Reporting"))
    ps += [
        panel(L, "timeseries", "Last report age", "Seconds since each client's latest statistics report "
              "(kafka_client_last_report_age_seconds). Should stay near the client's "
              "statistics.interval.ms; a client that stops reporting disappears after client_stats.ttl.",
              [target(f"max by ({CL}, client_name) (kafka_client_last_report_age_seconds{{{A}}})",
                      "{{label}} {{client_name}}")], unit="s", w=12, h=8,
              th=thresholds("green", (60, "orange"), (180, "red"))),
        panel(L, "timeseries", "Reports received", "Statistics reports the exporters received per second, "
              "by result (kafka_perf_exporter_client_reports_total: accepted, malformed, rejected over "
              "client_stats.max_clients), and the clients currently exported (kafka_perf_exporter_clients).",
              [target("sum by (instance, result) (rate(kafka_perf_exporter_client_reports_total[$__rate_interval]))",
                      "{{instance}} {{result}}"),
               target("max by (instance) (kafka_perf_exporter_clients)", "{{instance}} clients", ref="B")],
              w=12, h=8),
    ]
    return dashboard("kpe-clients", "Kafka / Clients",
                     "The applications' librdkafka clients, from the statistics they report to "
                     "kafka-perf-exporter: batch sizes, request latency, errors, throttling, rebalances, lag.",
                     ["clients"], [datasource_var(), label_var, client_var, topic_var, adhoc_var()], ps)


DASHBOARDS = {"kpe-cluster-overview.json": cluster_overview, "kpe-consumer-lag.json": consumer_lag,
              "kpe-latency.json": latency, "kpe-clients.json": clients, "kpe-exporter.json": exporter}


def render(build):
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    out_dir = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, build in DASHBOARDS.items():
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(render(build))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
