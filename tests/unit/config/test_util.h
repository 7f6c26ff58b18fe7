#pragma once
// Helpers for the config tests: capture a ConfigError's message.

#include <functional>
#include <string>

#include "config/loader.h"

namespace kpe::config::testing {

/// The message of the ConfigError `action` throws, or "no error" when it throws none.
inline std::string ErrorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

/// The message of loading `yaml` as "test.yaml".
inline std::string LoadError(const std::string& yaml) {
  return ErrorOf([&] { LoadConfigString(yaml, "test.yaml"); });
}

}  // namespace kpe::config::testing
