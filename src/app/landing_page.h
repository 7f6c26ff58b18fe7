#pragma once

#include <string>

#include "config/config.h"
#include "metrics/exposition.h"

namespace kpe::app {

/// The small HTML page served at "/": name, version, links, and each cluster's state. Pure function.
std::string RenderLandingPage(const config::Config& config, const metrics::BuildInfo& build,
                              const metrics::SnapshotList& snapshots);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(const std::string& text);

}  // namespace kpe::app
