#include "metrics/text_writer.h"

#include <prometheus/text_serializer.h>

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

namespace kpe::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricType;

// TextSerializer prints with std::numeric_limits<double>::max_digits10 - 1 significant digits in
// the default float field, i.e. printf's "%.16g".
constexpr int kValuePrecision = 16;

void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else {
    std::array<char, 32> buffer;
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                      std::chars_format::general, kValuePrecision);
    out.append(buffer.data(), result.ptr);
  }
}

void AppendEscaped(std::string& out, std::string_view value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(value.data() + start, i - start);
    out += c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\";
    start = i + 1;
  }
  out.append(value.data() + start, value.size() - start);
}

void AppendSample(std::string& out, const std::string& name, const ClientMetric& metric,
                  double value) {
  out += name;
  if (!metric.label.empty()) {
    out += '{';
    bool first = true;
    for (const ClientMetric::Label& label : metric.label) {
      if (!first) out += ',';
      first = false;
      out += label.name;
      out += "=\"";
      AppendEscaped(out, label.value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  AppendValue(out, value);
  if (metric.timestamp_ms != 0) {
    out += ' ';
    out += std::to_string(metric.timestamp_ms);
  }
  out += '\n';
}

}  // namespace

void AppendText(std::string& out, const std::vector<prometheus::MetricFamily>& families) {
  for (const prometheus::MetricFamily& family : families) {
    const char* type = nullptr;
    switch (family.type) {
      case MetricType::Counter:
        type = "counter";
        break;
      case MetricType::Gauge:
        type = "gauge";
        break;
      case MetricType::Untyped:
        type = "untyped";
        break;
      case MetricType::Summary:
      case MetricType::Histogram:
        out += prometheus::TextSerializer().Serialize({family});
        continue;
    }
    if (!family.help.empty()) {
      out += "# HELP ";
      out += family.name;
      out += ' ';
      out += family.help;
      out += '\n';
    }
    out += "# TYPE ";
    out += family.name;
    out += ' ';
    out += type;
    out += '\n';
    for (const ClientMetric& metric : family.metric) {
      const double value = family.type == MetricType::Counter ? metric.counter.value
                           : family.type == MetricType::Gauge ? metric.gauge.value
                                                              : metric.untyped.value;
      AppendSample(out, family.name, metric, value);
    }
  }
}

}  // namespace kpe::metrics
