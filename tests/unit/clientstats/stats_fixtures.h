#pragma once
// Statistics documents for the clientstats tests: one written by hand after librdkafka's
// STATISTICS.md (every section), and real ones captured from librdkafka 2.0.2 clients against the
// mock cluster (tests/integration/clientstats, KPE_CAPTURE_STATS_DIR).

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kpe::clientstats::fixtures {

/// A consumer's document: two brokers (one UP with rtt, throttle and latency windows; one bootstrap
/// broker DOWN without windows), topic "orders" with partitions 0 (lag 5), 1 (lag unknown: -1) and
/// the UA partition -1, a cgrp section, an eos section and fields this parser does not know.
inline constexpr const char* kConsumerDocument = R"json({
  "name": "billing#consumer-1", "client_id": "billing", "type": "consumer",
  "ts": 5011738551, "time": 1700000000, "age": 60000000, "replyq": 0,
  "msg_cnt": 0, "msg_size": 0, "msg_max": 100000, "msg_size_max": 1073741824,
  "simple_cnt": 0, "metadata_cache_cnt": 1,
  "tx": 310, "tx_bytes": 41250, "rx": 309, "rx_bytes": 1825000,
  "txmsgs": 0, "txmsg_bytes": 0, "rxmsgs": 12000, "rxmsg_bytes": 1500000,
  "future_field": {"nested": [1, 2, {"x": null}]},
  "brokers": {
    "kafka-1:9092/1": {
      "name": "kafka-1:9092/1", "nodeid": 1, "nodename": "kafka-1:9092", "source": "learned",
      "state": "UP", "stateage": 59000000, "outbuf_cnt": 2, "outbuf_msg_cnt": 0,
      "waitresp_cnt": 1, "waitresp_msg_cnt": 0, "tx": 300, "txbytes": 40000, "txerrs": 1,
      "txretries": 2, "txidle": 1000, "req_timeouts": 3, "rx": 299, "rxbytes": 1800000,
      "rxerrs": 4, "rxcorriderrs": 0, "rxpartial": 0, "rxidle": 900, "zbuf_grow": 0,
      "buf_grow": 0, "wakeups": 700, "connects": 5, "disconnects": 4,
      "int_latency": {"min": 0, "max": 0, "avg": 0, "sum": 0, "stddev": 0, "p50": 0, "p75": 0,
                      "p90": 0, "p95": 0, "p99": 0, "p99_99": 0, "outofrange": 0,
                      "hdrsize": 11376, "cnt": 0},
      "outbuf_latency": {"min": 10, "max": 90, "avg": 25, "sum": 500, "stddev": 5, "p50": 20,
                         "p75": 30, "p90": 40, "p95": 50, "p99": 80, "p99_99": 90,
                         "outofrange": 0, "hdrsize": 11376, "cnt": 20},
      "rtt": {"min": 1000, "max": 250000, "avg": 12500, "sum": 250000, "stddev": 2000,
              "p50": 10000, "p75": 12000, "p90": 20000, "p95": 30000, "p99": 200000,
              "p99_99": 250000, "outofrange": 0, "hdrsize": 13424, "cnt": 20},
      "throttle": {"min": 0, "max": 1500, "avg": 250, "sum": 500, "stddev": 0, "p50": 0,
                   "p75": 0, "p90": 0, "p95": 0, "p99": 1500, "p99_99": 1500, "outofrange": 0,
                   "hdrsize": 17520, "cnt": 2},
      "req": {"Produce": 0, "Fetch": 280, "ListOffsets": 2, "Metadata": 5, "OffsetCommit": 10},
      "toppars": {"orders-0": {"topic": "orders", "partition": 0}}
    },
    "kafka-0:9092/bootstrap": {
      "name": "kafka-0:9092/bootstrap", "nodeid": -1, "nodename": "kafka-0:9092",
      "source": "configured", "state": "DOWN", "stateage": 1000, "outbuf_cnt": 0,
      "waitresp_cnt": 0, "tx": 10, "txbytes": 1250, "txerrs": 0, "txretries": 0,
      "req_timeouts": 0, "rx": 10, "rxbytes": 25000, "rxerrs": 0, "connects": 1,
      "disconnects": 1
    }
  },
  "topics": {
    "orders": {
      "topic": "orders", "age": 59000, "metadata_age": 1000,
      "batchsize": {"min": 100, "max": 64000, "avg": 16000, "sum": 1600000, "stddev": 10,
                    "p50": 15000, "p75": 20000, "p90": 30000, "p95": 40000, "p99": 60000,
                    "p99_99": 64000, "outofrange": 0, "hdrsize": 14448, "cnt": 100},
      "batchcnt": {"min": 1, "max": 500, "avg": 120, "sum": 12000, "stddev": 10, "p50": 100,
                   "p75": 150, "p90": 200, "p95": 300, "p99": 450, "p99_99": 500,
                   "outofrange": 0, "hdrsize": 8304, "cnt": 100},
      "partitions": {
        "1": {"partition": 1, "broker": 1, "leader": 1, "desired": true, "unknown": false,
              "msgq_cnt": 0, "msgq_bytes": 0, "xmit_msgq_cnt": 0, "xmit_msgq_bytes": 0,
              "fetchq_cnt": 0, "fetchq_size": 0, "fetch_state": "active", "query_offset": -1,
              "next_offset": 100, "app_offset": 100, "stored_offset": 100,
              "committed_offset": -1001, "eof_offset": -1001, "lo_offset": 0, "hi_offset": 100,
              "ls_offset": 100, "consumer_lag": -1, "consumer_lag_stored": 0, "txmsgs": 0,
              "txbytes": 0, "rxmsgs": 100, "rxbytes": 12500, "msgs": 100, "rx_ver_drops": 0,
              "msgs_inflight": 0, "next_ack_seq": 0, "next_err_seq": 0, "acked_msgid": 0},
        "0": {"partition": 0, "broker": 1, "leader": 1, "desired": true, "unknown": false,
              "msgq_cnt": 0, "msgq_bytes": 0, "fetchq_cnt": 10, "fetch_state": "active",
              "next_offset": 11900, "app_offset": 11895, "stored_offset": 11895,
              "committed_offset": 11895, "lo_offset": 0, "hi_offset": 11900,
              "ls_offset": 11900, "consumer_lag": 5, "consumer_lag_stored": 5, "txmsgs": 0,
              "txbytes": 0, "rxmsgs": 11900, "rxbytes": 1487500, "msgs": 11900},
        "-1": {"partition": -1, "broker": -1, "leader": -1, "desired": false, "unknown": false,
               "msgq_cnt": 0, "consumer_lag": -1, "txmsgs": 0, "txbytes": 0, "rxmsgs": 0,
               "rxbytes": 0}
      }
    }
  },
  "cgrp": {"state": "up", "stateage": 59000, "join_state": "steady", "rebalance_age": 58000,
           "rebalance_cnt": 3, "rebalance_reason": "", "assignment_size": 2},
  "eos": {"idemp_state": "Init", "idemp_stateage": 0, "txn_state": "Init", "txn_stateage": 0,
          "txn_may_enq": false, "producer_id": -1, "producer_epoch": -1, "epoch_cnt": 0}
})json";

/// A minimal valid document: the three required fields only.
inline constexpr const char* kMinimalDocument =
    R"({"name": "rdkafka#producer-1", "client_id": "rdkafka", "type": "producer"})";

/// A document captured from a real client (tests/unit/clientstats/data/<file>).
inline std::string RealDocument(const std::string& file) {
  std::ifstream in(std::filesystem::path(KPE_SOURCE_DIR) / "tests/unit/clientstats/data" / file,
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace kpe::clientstats::fixtures
