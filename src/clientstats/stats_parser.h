#pragma once
// librdkafka statistics JSON → Statistics. Pure; no I/O.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clientstats/statistics.h"
#include "state/snapshot.h"

namespace kpe::clientstats {

/// Either a parsed document or why it was refused.
struct ParseResult {
  std::optional<Statistics> statistics;  // set on success
  /// "" on success; otherwise a short reason naming where the document went wrong, e.g.
  /// "not JSON: ...", "expected an object with \"name\", \"client_id\" and \"type\"",
  /// "brokers.\"b:9092/1\".rtt: expected an object".
  std::string error;

  bool ok() const { return statistics.has_value(); }
};

/// Parses one statistics document as librdkafka emits it. Requires a top-level object with string
/// fields name, client_id and type ("producer" or "consumer"); every other field and section is
/// optional (documents vary by client type and version) and unknown fields are ignored. A known
/// field of the wrong JSON type is an error naming its path. Numbers may be integers or floating
/// point; values beyond the range of the field's type are clamped. Partition -1 (librdkafka's
/// internal UA partition) is dropped. Never throws (std::bad_alloc aside); thread-safe.
ParseResult ParseStatistics(std::string_view json);

/// Requests sent per request type ("Metadata", "OffsetFetch", ...), summed over every broker of
/// the document (bootstrap and logical brokers have connections of their own, so nothing is
/// counted twice). Types with none sent are left out.
std::map<std::string, uint64_t> RequestsByApi(const Statistics& statistics);

/// The exporter's own client's view of each real broker (nodeid >= 0), sorted by broker id, for
/// ClusterSnapshot::client_brokers. When a broker id appears more than once (a logical broker such
/// as the group coordinator delegates to a learned one), the learned or configured entry wins.
std::vector<state::BrokerClientStats> ToBrokerClientStats(const Statistics& statistics);

}  // namespace kpe::clientstats
