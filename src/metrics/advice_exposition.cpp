#include "metrics/advice_exposition.h"

#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "metrics/family_set.h"
#include "metrics/names.h"

namespace kpe::metrics {

std::string RenderAdvice(const std::vector<advice::Finding>& findings) {
  constexpr size_t kFamily = FamilyIndex("kafka_advice", Part::kAdvice);
  // Label values in label-name order: cluster, rule, severity, subject, subject_kind.
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::set<Key> series;
  for (const advice::Finding& f : findings) {
    series.emplace(f.cluster, f.rule_id, std::string(advice::ToString(f.severity)), f.subject, f.subject_kind);
  }
  internal::FamilySet set;
  set.Reserve(kFamily, series.size());
  for (const auto& [cluster, rule, severity, subject, kind] : series) {
    set.Add(kFamily, {},
            {{"cluster", cluster}, {"rule", rule}, {"severity", severity}, {"subject", subject},
             {"subject_kind", kind}},
            1);
  }
  return set.Serialize(Part::kAdvice, nullptr);
}

}  // namespace kpe::metrics
