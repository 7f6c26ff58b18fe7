#include <cctype>
#include <optional>
#include <string_view>

#include "http/server.h"

namespace kpe::http {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

enum class Quality { kInvalid, kZero, kPositive };

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )  (RFC 9110 12.4.2)
Quality ParseQuality(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return Quality::kInvalid;
  const std::string_view fraction = q.substr(1);
  if (fraction.empty()) return q[0] == '1' ? Quality::kPositive : Quality::kZero;
  if (fraction[0] != '.' || fraction.size() > 4) return Quality::kInvalid;
  bool nonzero = false;
  for (char c : fraction.substr(1)) {
    if (c < '0' || c > '9') return Quality::kInvalid;
    nonzero = nonzero || c != '0';
  }
  if (q[0] == '1') return nonzero ? Quality::kInvalid : Quality::kPositive;
  return nonzero ? Quality::kPositive : Quality::kZero;
}

}  // namespace

std::string Request::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

bool Request::AcceptsGzip() const {
  // Quality of the explicit gzip entry and of "*": unset when absent, false when q=0.
  std::optional<bool> gzip;
  std::optional<bool> any;
  for (const auto& [key, value] : headers) {
    if (key != "accept-encoding") continue;
    std::string_view list = value;
    while (!list.empty()) {
      const size_t comma = list.find(',');
      std::string_view element = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);

      const size_t semicolon = element.find(';');
      const std::string_view coding = Trim(element.substr(0, semicolon));
      Quality quality = Quality::kPositive;
      std::string_view params =
          semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon + 1);
      while (!params.empty()) {
        const size_t next = params.find(';');
        const std::string_view param = Trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
        const size_t equals = param.find('=');
        if (equals != std::string_view::npos && EqualsIgnoreCase(Trim(param.substr(0, equals)), "q")) {
          quality = ParseQuality(Trim(param.substr(equals + 1)));
        }
      }
      // An entry with a malformed q-value is ignored rather than guessed at.
      if (quality == Quality::kInvalid) continue;
      const bool allowed = quality == Quality::kPositive;
      if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
        gzip = gzip.value_or(true) && allowed;
      } else if (coding == "*") {
        any = any.value_or(true) && allowed;
      }
    }
  }
  if (gzip) return *gzip;
  return any.value_or(false);
}

Response Response::Text(unsigned status, std::string text) {
  Response response;
  response.status = status;
  response.body = std::move(text);
  return response;
}

}  // namespace kpe::http
