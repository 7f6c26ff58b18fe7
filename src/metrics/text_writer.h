#pragma once
// Fast serializer of prometheus-cpp MetricFamily values to the text exposition format 0.0.4.
//
// prometheus::TextSerializer writes through std::ostream one label character at a time, which costs
// ~100 ms for the 80,000 samples of 10,000 partitions. AppendText writes the same bytes into a
// std::string (tests hold it byte-identical to TextSerializer) at a fraction of that cost.

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace kpe::metrics {

/// Appends `families` to `out` exactly as prometheus::TextSerializer (prometheus-cpp 1.0.1) would
/// write them: "# HELP" (when help is not empty), "# TYPE", then one line per sample; values with
/// 16 significant digits, "Nan", "+Inf", "-Inf". Families of types other than counter, gauge and
/// untyped are delegated to TextSerializer. Pure function; thread-safe.
void AppendText(std::string& out, const std::vector<prometheus::MetricFamily>& families);

}  // namespace kpe::metrics
