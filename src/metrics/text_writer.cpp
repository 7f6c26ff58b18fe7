#include "metrics/text_writer.h"

#include <prometheus/text_serializer.h>

#include <array>
#include <charconv>
#include <cmath>

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

}  // namespace

void LabelText::Assign(std::span<const Label> base, std::initializer_list<Label> extra) {
  text_.clear();
  auto b = base.begin();
  for (const Label& e : extra) {
    for (; b != base.end() && b->name < e.name; ++b) Append(b->name, b->value);
    if (b != base.end() && b->name == e.name) ++b;
    Append(e.name, e.value);
  }
  for (; b != base.end(); ++b) Append(b->name, b->value);
}

void LabelText::Append(std::string_view name, std::string_view value) {
  // The closing brace of the labels so far becomes the separator.
  if (text_.empty()) {
    text_ += '{';
  } else {
    text_.back() = ',';
  }
  text_ += name;
  text_ += "=\"";
  AppendEscaped(text_, value);
  text_ += "\"}";
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  MetricType type) {
  if (!help.empty()) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += '\n';
  }
  out += "# TYPE ";
  out += name;
  out += type == MetricType::Counter ? " counter\n" : type == MetricType::Gauge ? " gauge\n"
                                                                                : " untyped\n";
}

void AppendSample(std::string& out, std::string_view name, std::string_view labels, double value,
                  int64_t timestamp_ms) {
  out += name;
  out += labels;
  out += ' ';
  AppendValue(out, value);
  if (timestamp_ms != 0) {
    out += ' ';
    out += std::to_string(timestamp_ms);
  }
  out += '\n';
}

void AppendText(std::string& out, const std::vector<prometheus::MetricFamily>& families) {
  LabelText labels;
  for (const prometheus::MetricFamily& family : families) {
    if (family.type != MetricType::Counter && family.type != MetricType::Gauge &&
        family.type != MetricType::Untyped) {
      out += prometheus::TextSerializer().Serialize({family});
      continue;
    }
    AppendHeader(out, family.name, family.help, family.type);
    for (const ClientMetric& metric : family.metric) {
      labels.Clear();
      for (const ClientMetric::Label& label : metric.label) labels.Append(label.name, label.value);
      const double value = family.type == MetricType::Counter ? metric.counter.value
                           : family.type == MetricType::Gauge ? metric.gauge.value
                                                              : metric.untyped.value;
      AppendSample(out, family.name, labels.View(), value, metric.timestamp_ms);
    }
  }
}

}  // namespace kpe::metrics
