#include "advice/output.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string_view>

#include "advice/rules.h"

namespace kpe::advice {
namespace {

std::vector<Finding> Sorted(const std::vector<Finding>& findings) {
  std::vector<Finding> sorted = findings;
  SortFindings(sorted);
  return sorted;
}

std::array<size_t, 3> Counts(const std::vector<Finding>& findings) {
  std::array<size_t, 3> counts{};
  for (const auto& f : findings) ++counts[static_cast<size_t>(f.severity)];
  return counts;
}

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendJsonNumber(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  if (!std::isfinite(value)) return "NaN";
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

std::string CountsLine(const std::array<size_t, 3>& counts) {
  return fmt::format("{} critical, {} warning, {} info", counts[2], counts[1], counts[0]);
}

}  // namespace

std::string FindingsToJson(const std::vector<Finding>& findings) {
  const auto sorted = Sorted(findings);
  const auto counts = Counts(sorted);
  std::string out = fmt::format(R"({{"counts":{{"critical":{},"warning":{},"info":{}}},"findings":[)", counts[2],
                                counts[1], counts[0]);
  bool first = true;
  for (const auto& f : sorted) {
    if (!first) out += ',';
    first = false;
    out += "{\"rule\":";
    AppendJsonString(out, f.rule_id);
    out += ",\"severity\":";
    AppendJsonString(out, ToString(f.severity));
    out += ",\"subject_kind\":";
    AppendJsonString(out, f.subject_kind);
    out += ",\"subject\":";
    AppendJsonString(out, f.subject);
    out += ",\"cluster\":";
    AppendJsonString(out, f.cluster);
    out += ",\"summary\":";
    AppendJsonString(out, f.summary);
    out += ",\"recommendation\":";
    AppendJsonString(out, f.recommendation);
    out += ",\"evidence\":{";
    bool first_key = true;
    for (const auto& [name, value] : f.evidence) {
      if (!first_key) out += ',';
      first_key = false;
      AppendJsonString(out, name);
      out += ':';
      AppendJsonNumber(out, value);
    }
    out += "}}";
  }
  out += "]}";
  return out;
}

std::string FindingsToHtml(const std::vector<Finding>& findings) {
  const auto sorted = Sorted(findings);
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Kafka tuning advice</title>\n"
      "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
      "padding:4px;vertical-align:top;text-align:left}.critical{background:#fdd}.warning{background:#ffd}"
      ".info{background:#eef}</style></head>\n<body>\n<h1>Kafka tuning advice</h1>\n";
  out += "<p>" + CountsLine(Counts(sorted)) + "</p>\n";
  if (sorted.empty()) return out + "<p>No findings.</p>\n</body></html>\n";
  out +=
      "<table>\n<tr><th>severity</th><th>rule</th><th>subject</th><th>cluster</th><th>summary</th>"
      "<th>evidence</th><th>recommendation</th></tr>\n";
  for (const auto& f : sorted) {
    const std::string severity(ToString(f.severity));
    std::string evidence;
    for (const auto& [name, value] : f.evidence) {
      evidence += (evidence.empty() ? "" : "<br>") + HtmlEscape(name) + " = " + Number(value);
    }
    out += "<tr class=\"" + severity + "\"><td>" + severity + "</td><td>" + HtmlEscape(f.rule_id) + "</td><td>" +
           HtmlEscape(f.subject_kind) + " " + HtmlEscape(f.subject) + "</td><td>" + HtmlEscape(f.cluster) +
           "</td><td>" + HtmlEscape(f.summary) + "</td><td>" + evidence + "</td><td>" +
           HtmlEscape(f.recommendation) + "</td></tr>\n";
  }
  out += "</table>\n</body></html>\n";
  return out;
}

std::string FindingsToTable(const std::vector<Finding>& findings) {
  const auto sorted = Sorted(findings);
  if (sorted.empty()) return "no findings\n";
  using Row = std::array<std::string, 5>;
  std::vector<Row> rows = {{"SEVERITY", "RULE", "SUBJECT", "CLUSTER", "SUMMARY"}};
  for (const auto& f : sorted) {
    rows.push_back({std::string(ToString(f.severity)), f.rule_id, f.subject_kind + " " + f.subject, f.cluster,
                    f.summary});
  }
  std::array<size_t, 5> widths{};
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < rows[r].size(); ++c) {
      line += rows[r][c];
      if (c + 1 < rows[r].size()) line += std::string(widths[c] - rows[r][c].size() + 2, ' ');
    }
    out += line + "\n";
    if (r > 0) out += "    fix: " + sorted[r - 1].recommendation + "\n";
  }
  out += CountsLine(Counts(sorted)) + "\n";
  return out;
}

}  // namespace kpe::advice
