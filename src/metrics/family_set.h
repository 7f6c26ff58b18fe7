#pragma once
// Internal to the metrics module: families under construction for the renderers
// (exposition.cpp, clients_exposition.cpp), one slot per row of kFamilies.

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/names.h"

namespace kpe::metrics::internal {

using Labels = std::vector<prometheus::ClientMetric::Label>;

struct ExtraLabel {
  std::string_view name;
  std::string_view value;
};

/// Merges the sorted `base` with `extra` (sorted by name). On equal names the series' own label
/// wins, so a constant label can never duplicate a label name in the output.
Labels MergeLabels(const Labels& base, std::initializer_list<ExtraLabel> extra);

/// Families under construction, one slot per row of kFamilies; serializes the non-empty ones of
/// one Part in table (name) order. Not thread-safe; used by one render call.
class FamilySet {
 public:
  FamilySet();

  void Reserve(size_t family, size_t n) { families_[family].metric.reserve(n); }

  /// Series added so far, over all families.
  size_t SeriesCount() const;

  void Add(size_t family, Labels labels, double value);

  void Add(size_t family, const Labels& base, std::initializer_list<ExtraLabel> extra,
           double value) {
    Add(family, MergeLabels(base, extra), value);
  }

  /// Moves the families of `part` out and serializes them; `series` (when not null) receives the
  /// sample count.
  std::string Serialize(Part part, size_t* series);

 private:
  std::array<prometheus::MetricFamily, kFamilyCount> families_;
};

}  // namespace kpe::metrics::internal
