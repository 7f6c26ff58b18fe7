#pragma once

#include <string>

#include "config/config.h"

namespace kpe::app {

/// Configures the default spdlog logger (stderr) with the level and format (text or json lines) of
/// `log`. The values were validated before. Call once at start-up, before other threads run.
void SetUpLogging(const config::LogConfig& log);

/// Escapes `text` for use inside a JSON string (quotes, backslashes, control characters).
std::string JsonEscape(const std::string& text);

}  // namespace kpe::app
