#pragma once
// Request-target parsing, split from the server so that it is a pure, tested function.

#include <string>
#include <string_view>

namespace kpe::http {

/// A request target split into its parts. On success `error` is empty; otherwise `error` says what is
/// wrong and where, and `path`/`query` are unspecified.
struct Target {
  std::string path;   // percent-decoded, starts with '/'
  std::string query;  // raw text after the first '?', "" when none
  std::string error;
};

/// Parses an origin-form ("/metrics?x=1") or absolute-form ("http://host:9308/metrics") request
/// target. Rejects: any other form ("*", "host:443", relative paths), a bad %-escape, a NUL byte and a
/// ".." path segment (also when %-encoded). Thread-safe (pure).
Target ParseTarget(std::string_view raw);

}  // namespace kpe::http
