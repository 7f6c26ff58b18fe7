#include "config/checks.h"

#include <re2/re2.h>

#include <charconv>

namespace kpe::config::detail {

std::string Quote(const std::string& text) { return "\"" + text + "\""; }

std::string RegexError(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 regex(pattern, options);
  return regex.ok() ? std::string() : regex.error();
}

std::string LabelNameError(const std::string& name) {
  static const RE2 kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
  if (!RE2::FullMatch(name, kLabelName)) {
    return "invalid label name " + Quote(name) + " (expected [a-zA-Z_][a-zA-Z0-9_]*)";
  }
  if (name.starts_with("__")) {
    return "invalid label name " + Quote(name) + " (names starting with \"__\" are reserved)";
  }
  return {};
}

HostPort ParseHostPort(const std::string& text) {
  HostPort result;
  const std::string expected = " (expected HOST:PORT, [IPv6]:PORT or :PORT)";
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    result.error = "missing port in " + Quote(text) + expected;
    return result;
  }
  std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() < 3) {
      result.error = "invalid address " + Quote(text) + expected;
      return result;
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find_first_of(":[]") != std::string::npos) {
    result.error =
        "invalid address " + Quote(text) + " (write IPv6 addresses in brackets: [::1]:9308)";
    return result;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    result.error = "invalid port " + Quote(port) + " in " + Quote(text) + " (expected 0..65535)";
    return result;
  }
  result.host = std::move(host);
  result.port = static_cast<uint16_t>(value);
  return result;
}

}  // namespace kpe::config::detail
