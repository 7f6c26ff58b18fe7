#pragma once
// The probe record's value: plain text so that `kcat -C -t <canary topic>` shows what the probe sent.
//
//   kpe-probe/1 <instance> <sequence> <sent>
//
// instance: 16 lowercase hex digits, random per probe (so several exporters, or a restarted one, can
// share a canary topic: each only counts its own records); sequence: the probe round, decimal, >= 0
// (one record per partition per round, so (partition, sequence) names a record); sent: wall-clock time
// of the produce call, microseconds since the Unix epoch, decimal, >= 0. Records have no key.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kpe::e2e {

struct Payload {
  uint64_t instance = 0;
  int64_t sequence = 0;
  int64_t sent_unix_us = 0;
  bool operator==(const Payload&) const = default;
};

/// The record value for `payload`. Pure function.
std::string EncodePayload(const Payload& payload);

struct DecodedPayload {
  std::optional<Payload> payload;
  std::string error;  // why `value` is not a probe record, when payload is empty
};

/// Parses a record value written by EncodePayload. Anything else gives an error naming what is wrong
/// and where ("not a probe record: expected prefix 'kpe-probe/1 '", "field 3 (sequence) '12x': not a
/// non-negative decimal number", ...). Pure function.
DecodedPayload DecodePayload(std::string_view value);

}  // namespace kpe::e2e
