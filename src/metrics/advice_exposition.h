#pragma once
// The tuning advisor's findings → the kafka_advice family in the Prometheus text format 0.0.4, rendered
// per scrape (findings depend on the latest snapshots and client statistics; a few dozen series).

#include <string>
#include <vector>

#include "advice/finding.h"

namespace kpe::metrics {

/// Renders kafka_advice (Part::kAdvice in names.h): one gauge series of value 1 per finding, labelled
/// cluster, rule, severity, subject, subject_kind; series sorted by labels, and findings with equal labels
/// rendered once (a valid exposition never repeats a series). No finding: "" (the family is absent, so
/// `absent(kafka_advice)` or `count(kafka_advice) or vector(0)` express "no advice"). Pure function;
/// thread-safe.
std::string RenderAdvice(const std::vector<advice::Finding>& findings);

}  // namespace kpe::metrics
