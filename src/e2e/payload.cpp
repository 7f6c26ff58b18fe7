#include "e2e/payload.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <vector>

namespace kpe::e2e {
namespace {

constexpr std::string_view kPrefix = "kpe-probe/1 ";
constexpr std::array<std::string_view, 3> kFieldNames = {"instance", "sequence", "sent"};

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(' ', start);
    fields.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

template <typename T>
bool ParseNumber(std::string_view text, int base, T& out) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9';
    const bool hex = base == 16 && c >= 'a' && c <= 'f';
    if (!digit && !hex) return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string EncodePayload(const Payload& payload) {
  char instance[17];
  std::snprintf(instance, sizeof instance, "%016llx", static_cast<unsigned long long>(payload.instance));
  return std::string(kPrefix) + instance + " " + std::to_string(payload.sequence) + " " +
         std::to_string(payload.sent_unix_us);
}

DecodedPayload DecodePayload(std::string_view value) {
  DecodedPayload decoded;
  if (!value.starts_with(kPrefix)) {
    decoded.error = "not a probe record: expected prefix '" + std::string(kPrefix) + "'";
    return decoded;
  }
  const std::vector<std::string_view> fields = SplitSpaces(value.substr(kPrefix.size()));
  if (fields.size() != kFieldNames.size()) {
    decoded.error = "probe record has " + std::to_string(fields.size()) + " fields after the prefix, expected " +
                    std::to_string(kFieldNames.size()) + " (instance sequence sent)";
    return decoded;
  }
  auto bad_field = [&](size_t i, std::string_view expected) {
    decoded.error = "probe record field " + std::to_string(i + 1) + " (" + std::string(kFieldNames[i]) + ") '" +
                    std::string(fields[i]) + "': not " + std::string(expected);
    return decoded;
  };
  Payload payload;
  if (fields[0].size() != 16 || !ParseNumber(fields[0], 16, payload.instance)) {
    return bad_field(0, "16 lowercase hex digits");
  }
  if (!ParseNumber(fields[1], 10, payload.sequence)) return bad_field(1, "a non-negative decimal number");
  if (!ParseNumber(fields[2], 10, payload.sent_unix_us)) return bad_field(2, "a non-negative decimal number");
  decoded.payload = payload;
  return decoded;
}

}  // namespace kpe::e2e
