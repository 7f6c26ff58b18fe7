#pragma once
// `kafka-perf-exporter advise`: the tuning advisor as a one-shot command, for a terminal or a CI pipeline.

#include <memory>

#include "config/config.h"
#include "config/flags.h"

namespace kpe::app {

/// Exit codes of RunAdvise, for scripts: a pipeline step `kafka-perf-exporter advise ...` fails on a
/// critical finding (3) and can tell it from an unreachable cluster (1) and a bad command line (2).
inline constexpr int kAdviseOk = 0;             // evaluated; no critical finding (warnings and infos allowed)
inline constexpr int kAdviseUnreachable = 1;    // a cluster could not be reached (or a startup error)
inline constexpr int kAdviseUsageError = 2;     // returned by the flag parser, before RunAdvise
inline constexpr int kAdviseCritical = 3;       // evaluated; at least one critical finding

/// Connects to every configured cluster (or, with demo, to an embedded demo cluster with its workload,
/// whose clients' statistics feed the client rules), runs one collection cycle, waits options.duration,
/// runs a second one (rates are measured between the two: advice.min_rate_interval defaults to the
/// duration here unless the config sets it), evaluates the snapshot and client rules and prints the
/// findings to stdout as a table (advice::FindingsToTable) or JSON (advice::FindingsToJson). Progress and
/// errors go to stderr (the log). No HTTP server. Returns kAdviseOk, kAdviseCritical, or
/// kAdviseUnreachable when a cluster's metadata could not be read in either cycle (the message names
/// the cluster, its bootstrap servers and the error) or a collector could not be created. Blocks for
/// about duration plus two cycles, each bounded by collection.timeout.
int RunAdvise(std::shared_ptr<const config::ValidatedConfig> config, const config::AdviseOptions& options);

}  // namespace kpe::app
