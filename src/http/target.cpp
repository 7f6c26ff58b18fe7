#include "http/target.h"

#include <optional>

namespace kpe::http {
namespace {

std::optional<int> HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Long targets are cut in messages: they go to logs and back to the client.
constexpr size_t kMaxQuoted = 256;

Target Error(std::string_view raw, std::string what) {
  Target target;
  const std::string quoted =
      raw.size() > kMaxQuoted ? std::string(raw.substr(0, kMaxQuoted)) + "..." : std::string(raw);
  target.error = "bad request target \"" + quoted + "\": " + std::move(what);
  return target;
}

}  // namespace

Target ParseTarget(std::string_view raw) {
  std::string_view rest = raw;
  // Absolute form (RFC 9112 3.2.2): servers must accept it; only its path matters to us.
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (StartsWithIgnoreCase(rest, scheme)) {
      rest.remove_prefix(scheme.size());
      const size_t path_start = rest.find_first_of("/?");
      if (path_start == 0) return Error(raw, "absolute form without a host");
      rest = path_start == std::string_view::npos ? std::string_view("/") : rest.substr(path_start);
      break;
    }
  }
  if (rest.empty() || rest.front() != '/') {
    return Error(raw, "path must start with '/'");
  }

  Target target;
  const size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    target.query = std::string(rest.substr(question + 1));
    rest = rest.substr(0, question);
  }
  if (target.query.find('\0') != std::string::npos) {
    return Error(raw, "NUL byte in query");
  }

  target.path.reserve(rest.size());
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != '%') {
      target.path.push_back(rest[i]);
      continue;
    }
    const std::optional<int> high = i + 1 < rest.size() ? HexValue(rest[i + 1]) : std::nullopt;
    const std::optional<int> low = i + 2 < rest.size() ? HexValue(rest[i + 2]) : std::nullopt;
    if (!high || !low) {
      return Error(raw, "bad %-escape at offset " + std::to_string(i));
    }
    target.path.push_back(static_cast<char>(*high * 16 + *low));
    i += 2;
  }
  if (target.path.find('\0') != std::string::npos) {
    return Error(raw, "NUL byte in path");
  }
  // Segments are checked after decoding so that "%2e%2e" cannot slip through.
  size_t segment_start = 1;
  while (segment_start <= target.path.size()) {
    size_t segment_end = target.path.find('/', segment_start);
    if (segment_end == std::string::npos) segment_end = target.path.size();
    if (std::string_view(target.path).substr(segment_start, segment_end - segment_start) == "..") {
      return Error(raw, "'..' segment in path");
    }
    segment_start = segment_end + 1;
  }
  return target;
}

}  // namespace kpe::http
