// libFuzzer target: librdkafka statistics JSON as applications post it (issue 5).
// clientstats::ParseStatistics never throws; on success the document is also turned into the
// exporter's per-broker view. A result with neither statistics nor an error, or both, is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clientstats/stats_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const kpe::clientstats::ParseResult result = kpe::clientstats::ParseStatistics(json);
  if (result.ok() == !result.error.empty()) std::abort();
  if (result.ok()) (void)kpe::clientstats::ToBrokerClientStats(*result.statistics);
  return 0;
}
