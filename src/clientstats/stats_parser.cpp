#include "clientstats/stats_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

namespace kpe::clientstats {
namespace {

namespace dom = simdjson::dom;

constexpr double kMicrosecond = 1e-6;
constexpr double kMillisecond = 1e-3;

/// Longest key quoted in an error message: keys come from the sender, the message goes back to it
/// and to logs.
constexpr size_t kMaxKeyInError = 64;

/// `key` quoted for a path in an error message: at most kMaxKeyInError bytes, control characters
/// and quotes replaced, so the message stays one short line whatever the input.
std::string QuoteKey(std::string_view key) {
  std::string out = "\"";
  for (size_t i = 0; i < key.size() && i < kMaxKeyInError; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    out += (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (key.size() > kMaxKeyInError) out += "...";
  out += '"';
  return out;
}

std::string Join(std::string_view path, std::string_view field) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += field;
  return out;
}

/// Reads the fields of one JSON object; the first problem is kept in `error` (a path and a reason)
/// and later reads become no-ops. Not thread-safe; one per parse.
class Reader {
 public:
  bool failed() const { return !error_.empty(); }
  std::string& error() { return error_; }

  void Fail(std::string path, std::string_view reason) {
    if (failed()) return;
    error_ = std::move(path);
    error_ += ": ";
    error_ += reason;
  }

  /// The field `key` of `obj`, or nullopt when it is absent (or null: some bindings re-serialize
  /// missing values as null).
  static std::optional<dom::element> Field(dom::object obj, std::string_view key) {
    dom::element value;
    if (obj.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
    if (value.is_null()) return std::nullopt;
    return value;
  }

  /// Number of any JSON numeric kind as a double; false (and an error) for anything else.
  bool Number(dom::element value, std::string_view path, std::string_view key, double* out) {
    switch (value.type()) {
      case dom::element_type::INT64:
        *out = static_cast<double>(value.get_int64().value_unsafe());
        return true;
      case dom::element_type::UINT64:
        *out = static_cast<double>(value.get_uint64().value_unsafe());
        return true;
      case dom::element_type::DOUBLE:
        *out = value.get_double().value_unsafe();
        if (std::isnan(*out)) *out = 0;
        return true;
      default:
        Fail(Join(path, key), "expected a number");
        return false;
    }
  }

  /// Integer field, clamped into T's range; left unchanged when absent.
  template <class T>
  void Int(dom::object obj, std::string_view path, std::string_view key, T* out) {
    if (failed()) return;
    const std::optional<dom::element> value = Field(obj, key);
    if (!value) return;
    switch (value->type()) {
      case dom::element_type::INT64: {
        const int64_t v = value->get_int64().value_unsafe();
        if (std::cmp_less(v, std::numeric_limits<T>::min())) {
          *out = std::numeric_limits<T>::min();
        } else if (std::cmp_greater(v, std::numeric_limits<T>::max())) {
          *out = std::numeric_limits<T>::max();
        } else {
          *out = static_cast<T>(v);
        }
        return;
      }
      case dom::element_type::UINT64: {
        const uint64_t v = value->get_uint64().value_unsafe();
        *out = std::cmp_greater(v, std::numeric_limits<T>::max()) ? std::numeric_limits<T>::max()
                                                                    : static_cast<T>(v);
        return;
      }
      default: {
        double v = 0;
        if (!Number(*value, path, key, &v)) return;
        // Clamp in double first: converting an out-of-range double to an integer is undefined.
        const double lo = static_cast<double>(std::numeric_limits<T>::min());
        const double hi = static_cast<double>(std::numeric_limits<T>::max());
        if (v <= lo) {
          *out = std::numeric_limits<T>::min();
        } else if (v >= hi) {
          *out = std::numeric_limits<T>::max();
        } else {
          *out = static_cast<T>(v);
        }
        return;
      }
    }
  }

  void Double(dom::object obj, std::string_view path, std::string_view key, double* out) {
    if (failed()) return;
    const std::optional<dom::element> value = Field(obj, key);
    if (value) Number(*value, path, key, out);
  }

  void String(dom::object obj, std::string_view path, std::string_view key, std::string* out) {
    if (failed()) return;
    const std::optional<dom::element> value = Field(obj, key);
    if (!value) return;
    std::string_view s;
    if (value->get_string().get(s) != simdjson::SUCCESS) {
      Fail(Join(path, key), "expected a string");
      return;
    }
    *out = std::string(s);
  }

  /// The object field `key`; nullopt when absent, or (with an error) when not an object.
  std::optional<dom::object> Object(dom::object obj, std::string_view path, std::string_view key) {
    if (failed()) return std::nullopt;
    const std::optional<dom::element> value = Field(obj, key);
    if (!value) return std::nullopt;
    dom::object out;
    if (value->get_object().get(out) != simdjson::SUCCESS) {
      Fail(Join(path, key), "expected an object");
      return std::nullopt;
    }
    return out;
  }

  /// A window object; `scale` converts its values to the unit of Window (see statistics.h).
  void ReadWindow(dom::object obj, std::string_view path, std::string_view key, double scale,
                  Window* out) {
    const std::optional<dom::object> window = Object(obj, path, key);
    if (!window) return;
    const std::string here = Join(path, key);
    Double(*window, here, "avg", &out->avg);
    Double(*window, here, "p99", &out->p99);
    Double(*window, here, "max", &out->max);
    Double(*window, here, "sum", &out->sum);
    Int(*window, here, "cnt", &out->cnt);
    out->avg *= scale;
    out->p99 *= scale;
    out->max *= scale;
    out->sum *= scale;
  }

 private:
  std::string error_;
};

std::optional<dom::object> EntryObject(Reader& r, dom::element value, std::string_view path) {
  dom::object out;
  if (value.get_object().get(out) != simdjson::SUCCESS) {
    r.Fail(std::string(path), "expected an object");
    return std::nullopt;
  }
  return out;
}

void ReadBroker(Reader& r, dom::object obj, std::string_view key, const std::string& path,
                BrokerStats* b) {
  b->name = std::string(key);  // the key is what librdkafka names the broker, and it is unique
  r.String(obj, path, "nodename", &b->nodename);
  r.String(obj, path, "source", &b->source);
  r.String(obj, path, "state", &b->state);
  r.Int(obj, path, "nodeid", &b->nodeid);
  r.ReadWindow(obj, path, "rtt", kMicrosecond, &b->rtt);
  r.ReadWindow(obj, path, "int_latency", kMicrosecond, &b->int_latency);
  r.ReadWindow(obj, path, "outbuf_latency", kMicrosecond, &b->outbuf_latency);
  r.ReadWindow(obj, path, "throttle", kMillisecond, &b->throttle);
  r.Int(obj, path, "outbuf_cnt", &b->outbuf_cnt);
  r.Int(obj, path, "waitresp_cnt", &b->waitresp_cnt);
  r.Int(obj, path, "tx", &b->tx);
  r.Int(obj, path, "txbytes", &b->txbytes);
  r.Int(obj, path, "txerrs", &b->txerrs);
  r.Int(obj, path, "txretries", &b->txretries);
  r.Int(obj, path, "req_timeouts", &b->req_timeouts);
  r.Int(obj, path, "rx", &b->rx);
  r.Int(obj, path, "rxbytes", &b->rxbytes);
  r.Int(obj, path, "rxerrs", &b->rxerrs);
  r.Int(obj, path, "connects", &b->connects);
  r.Int(obj, path, "disconnects", &b->disconnects);
  if (const std::optional<dom::object> requests = r.Object(obj, path, "req")) {
    const std::string here = Join(path, "req");
    for (const dom::key_value_pair field : *requests) {
      // Request types are identifiers ("OffsetFetch"); anything else is not one of librdkafka's.
      const bool identifier = !field.key.empty() && field.key.size() <= 64 &&
                              std::all_of(field.key.begin(), field.key.end(), [](char c) {
                                return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
                              });
      if (!identifier) continue;
      uint64_t sent = 0;
      r.Int(*requests, here, field.key, &sent);
      if (r.failed()) return;
      if (sent > 0) b->requests_by_api[std::string(field.key)] = sent;
    }
  }
}

/// False (with an error) when the partition has neither a usable "partition" field nor a numeric
/// key.
bool ReadPartition(Reader& r, dom::object obj, std::string_view key, const std::string& path,
                   PartitionStats* p) {
  int64_t id = std::numeric_limits<int64_t>::min();
  r.Int(obj, path, "partition", &id);
  if (r.failed()) return false;
  if (id == std::numeric_limits<int64_t>::min()) {
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (ec != std::errc() || end != key.data() + key.size()) {
      r.Fail(path, "expected a \"partition\" id or a numeric key");
      return false;
    }
  }
  if (id < -1 || id > std::numeric_limits<int32_t>::max()) {
    r.Fail(Join(path, "partition"), "out of range");
    return false;
  }
  p->id = static_cast<int32_t>(id);
  int64_t lag = -1;
  r.Int(obj, path, "leader", &p->leader);
  r.Int(obj, path, "consumer_lag", &lag);
  if (lag >= 0) p->consumer_lag = lag;
  r.Int(obj, path, "txmsgs", &p->txmsgs);
  r.Int(obj, path, "txbytes", &p->txbytes);
  r.Int(obj, path, "rxmsgs", &p->rxmsgs);
  r.Int(obj, path, "rxbytes", &p->rxbytes);
  r.Int(obj, path, "msgq_cnt", &p->msgq_cnt);
  return !r.failed();
}

void ReadTopic(Reader& r, dom::object obj, std::string_view key, const std::string& path,
               TopicStats* t) {
  t->name = std::string(key);
  r.ReadWindow(obj, path, "batchsize", 1, &t->batchsize);
  r.ReadWindow(obj, path, "batchcnt", 1, &t->batchcnt);
  const std::optional<dom::object> partitions = r.Object(obj, path, "partitions");
  if (!partitions) return;
  const std::string partitions_path = Join(path, "partitions");
  for (const dom::key_value_pair field : *partitions) {
    const std::string here = Join(partitions_path, QuoteKey(field.key));
    const std::optional<dom::object> p = EntryObject(r, field.value, here);
    if (!p) return;
    PartitionStats partition;
    if (!ReadPartition(r, *p, field.key, here, &partition)) return;
    if (partition.id >= 0) t->partitions.push_back(std::move(partition));
  }
}

/// Sorts by `key` and keeps the first of equal keys (a JSON object may repeat a key; a repeated
/// series would make the exposition invalid).
template <class T, class Key>
void SortUnique(std::vector<T>& items, Key key) {
  std::stable_sort(items.begin(), items.end(),
                   [&](const T& a, const T& b) { return key(a) < key(b); });
  items.erase(std::unique(items.begin(), items.end(),
                          [&](const T& a, const T& b) { return key(a) == key(b); }),
              items.end());
}

void ReadBody(Reader& r, dom::object root, Statistics* s) {
  r.Int(root, "", "ts", &s->ts_us);
  r.Int(root, "", "time", &s->time_s);
  r.Int(root, "", "tx", &s->tx);
  r.Int(root, "", "tx_bytes", &s->tx_bytes);
  r.Int(root, "", "rx", &s->rx);
  r.Int(root, "", "rx_bytes", &s->rx_bytes);
  r.Int(root, "", "txmsgs", &s->txmsgs);
  r.Int(root, "", "txmsg_bytes", &s->txmsg_bytes);
  r.Int(root, "", "rxmsgs", &s->rxmsgs);
  r.Int(root, "", "rxmsg_bytes", &s->rxmsg_bytes);
  r.Int(root, "", "msg_cnt", &s->msg_cnt);
  r.Int(root, "", "msg_size", &s->msg_size);

  if (const std::optional<dom::object> brokers = r.Object(root, "", "brokers")) {
    for (const dom::key_value_pair field : *brokers) {
      const std::string here = Join("brokers", QuoteKey(field.key));
      const std::optional<dom::object> b = EntryObject(r, field.value, here);
      if (!b) return;
      ReadBroker(r, *b, field.key, here, &s->brokers.emplace_back());
      if (r.failed()) return;
    }
  }
  if (const std::optional<dom::object> topics = r.Object(root, "", "topics")) {
    for (const dom::key_value_pair field : *topics) {
      const std::string here = Join("topics", QuoteKey(field.key));
      const std::optional<dom::object> t = EntryObject(r, field.value, here);
      if (!t) return;
      ReadTopic(r, *t, field.key, here, &s->topics.emplace_back());
      if (r.failed()) return;
    }
  }
  if (const std::optional<dom::object> cgrp = r.Object(root, "", "cgrp")) {
    GroupStats& g = s->cgrp.emplace();
    r.String(*cgrp, "cgrp", "state", &g.state);
    r.String(*cgrp, "cgrp", "join_state", &g.join_state);
    r.Int(*cgrp, "cgrp", "rebalance_cnt", &g.rebalance_cnt);
    r.Int(*cgrp, "cgrp", "assignment_size", &g.assignment_size);
  }

  SortUnique(s->brokers, [](const BrokerStats& b) -> const std::string& { return b.name; });
  SortUnique(s->topics, [](const TopicStats& t) -> const std::string& { return t.name; });
  for (TopicStats& t : s->topics) {
    SortUnique(t.partitions, [](const PartitionStats& p) { return p.id; });
  }
}

}  // namespace

ParseResult ParseStatistics(std::string_view json) {
  // One parser per thread: it keeps its buffers between documents, so steady ingestion does not
  // allocate them again for every document.
  thread_local dom::parser parser;
  ParseResult result;
  dom::element doc;
  // realloc_if_needed: simdjson reads a few bytes past the end, so it copies the input into a
  // padded buffer.
  if (const simdjson::error_code error = parser.parse(json.data(), json.size(), true).get(doc);
      error != simdjson::SUCCESS) {
    result.error = std::string("not JSON: ") + simdjson::error_message(error);
    return result;
  }
  dom::object root;
  std::string_view name;
  std::string_view client_id;
  std::string_view type;
  if (doc.get_object().get(root) != simdjson::SUCCESS ||
      root["name"].get_string().get(name) != simdjson::SUCCESS ||
      root["client_id"].get_string().get(client_id) != simdjson::SUCCESS ||
      root["type"].get_string().get(type) != simdjson::SUCCESS) {
    result.error = "expected an object with \"name\", \"client_id\" and \"type\"";
    return result;
  }
  if (type != "producer" && type != "consumer") {
    result.error = "type: expected \"producer\" or \"consumer\", got " + QuoteKey(type);
    return result;
  }
  if (name.empty()) {
    result.error = "name: expected a non-empty string";
    return result;
  }

  Statistics s;
  s.name = std::string(name);
  s.client_id = std::string(client_id);
  s.type = std::string(type);
  Reader reader;
  ReadBody(reader, root, &s);
  if (reader.failed()) {
    result.error = std::move(reader.error());
    return result;
  }
  result.statistics = std::move(s);
  return result;
}

std::map<std::string, uint64_t> RequestsByApi(const Statistics& statistics) {
  std::map<std::string, uint64_t> out;
  for (const BrokerStats& b : statistics.brokers) {
    for (const auto& [api, sent] : b.requests_by_api) out[api] += sent;
  }
  return out;
}

std::vector<state::BrokerClientStats> ToBrokerClientStats(const Statistics& statistics) {
  // By broker id; a learned or configured entry replaces a logical one of the same id.
  std::map<int32_t, const BrokerStats*> by_id;
  for (const BrokerStats& b : statistics.brokers) {
    if (b.nodeid < 0 || b.source == "internal") continue;
    const BrokerStats*& slot = by_id[b.nodeid];
    if (slot == nullptr || (slot->source == "logical" && b.source != "logical")) slot = &b;
  }
  std::vector<state::BrokerClientStats> out;
  out.reserve(by_id.size());
  for (const auto& [id, b] : by_id) {
    state::BrokerClientStats& c = out.emplace_back();
    c.broker_id = id;
    c.address = b->nodename;
    c.state = b->state;
    c.rtt_avg_seconds = b->rtt.avg;
    c.rtt_p99_seconds = b->rtt.p99;
    c.throttle_avg_seconds = b->throttle.avg;
    c.throttle_max_seconds = b->throttle.max;
    c.outbuf_requests = static_cast<double>(b->outbuf_cnt);
    c.waitresp_requests = static_cast<double>(b->waitresp_cnt);
    c.requests = b->tx;
    c.request_errors = b->txerrs;
    c.responses = b->rx;
    c.response_errors = b->rxerrs;
    c.request_timeouts = b->req_timeouts;
    c.sent_bytes = b->txbytes;
    c.received_bytes = b->rxbytes;
    c.connects = b->connects;
    c.disconnects = b->disconnects;
  }
  return out;
}

}  // namespace kpe::clientstats
