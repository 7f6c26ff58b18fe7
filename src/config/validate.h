#pragma once

#include <memory>

#include "config/config.h"
#include "config/loader.h"

namespace kpe::config {

/// Checks every value, compiles the regexes once, derives cluster names (see ClusterConfig::name)
/// and parses the listen address. Throws ConfigError naming the key path, the bad value and the
/// valid choices, prefixed with where the value was set when Config::origins knows it
/// ("config.yaml:3:10: log.level: ..." or "--log.level: log.level: ...").
std::shared_ptr<const ValidatedConfig> Validate(Config config);

}  // namespace kpe::config
