#include "metrics/family_set.h"

#include <utility>

#include "metrics/text_writer.h"

namespace kpe::metrics::internal {
namespace {

using prometheus::ClientMetric;

/// Roughly the size of the text of `families`, to allocate it once.
size_t TextSizeHint(const std::vector<prometheus::MetricFamily>& families) {
  constexpr size_t kPerSample = 2 + 1 + 24 + 1;  // {} space value newline
  constexpr size_t kPerLabel = 4;                // ="",
  size_t size = 0;
  for (const prometheus::MetricFamily& family : families) {
    size += 2 * family.name.size() + family.help.size() + 32;
    for (const ClientMetric& metric : family.metric) {
      size += family.name.size() + kPerSample;
      for (const ClientMetric::Label& label : metric.label) {
        size += label.name.size() + label.value.size() + kPerLabel;
      }
    }
  }
  return size;
}

}  // namespace

Labels MergeLabels(const Labels& base, std::initializer_list<ExtraLabel> extra) {
  Labels out;
  out.reserve(base.size() + extra.size());
  auto b = base.begin();
  for (const ExtraLabel& e : extra) {
    for (; b != base.end() && b->name < e.name; ++b) out.push_back(*b);
    if (b != base.end() && b->name == e.name) ++b;
    out.push_back({std::string(e.name), std::string(e.value)});
  }
  out.insert(out.end(), b, base.end());
  return out;
}

FamilySet::FamilySet() {
  for (size_t i = 0; i < kFamilyCount; ++i) {
    families_[i].name = kFamilies[i].name;
    families_[i].help = kFamilies[i].help;
    families_[i].type = kFamilies[i].type;
  }
}

size_t FamilySet::SeriesCount() const {
  size_t n = 0;
  for (const prometheus::MetricFamily& family : families_) n += family.metric.size();
  return n;
}

void FamilySet::Add(size_t family, Labels labels, double value) {
  ClientMetric& m = families_[family].metric.emplace_back();
  m.label = std::move(labels);
  if (kFamilies[family].type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
}

std::string FamilySet::Serialize(Part part, size_t* series) {
  std::vector<prometheus::MetricFamily> out;
  size_t samples = 0;
  for (size_t i = 0; i < kFamilyCount; ++i) {
    if (kFamilies[i].part != part || families_[i].metric.empty()) continue;
    samples += families_[i].metric.size();
    out.push_back(std::move(families_[i]));
  }
  if (series != nullptr) *series = samples;
  std::string text;
  text.reserve(TextSizeHint(out));
  AppendText(text, out);
  return text;
}

}  // namespace kpe::metrics::internal
