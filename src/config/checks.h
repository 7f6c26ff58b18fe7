#pragma once
// Checks shared by the YAML loader (which knows lines and columns) and Validate() (which sees
// values that may also come from flags). Internal to the config module.

#include <cstdint>
#include <string>

namespace kpe::config::detail {

/// `text` in double quotes, for messages.
std::string Quote(const std::string& text);

/// Empty when `pattern` compiles with RE2, else RE2's error.
std::string RegexError(const std::string& pattern);

/// Empty when `name` is a valid Prometheus label name that does not start with "__", else why not.
std::string LabelNameError(const std::string& name);

/// A parsed HOST:PORT. `error` is empty on success.
struct HostPort {
  std::string host;  // without IPv6 brackets; "" for ":PORT"
  uint16_t port = 0;
  std::string error;
};

/// Parses "HOST:PORT", "[IPv6]:PORT" or ":PORT" (port 0..65535).
HostPort ParseHostPort(const std::string& text);

}  // namespace kpe::config::detail
