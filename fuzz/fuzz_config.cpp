// libFuzzer target: the YAML configuration file. config::LoadConfigString, then config::Validate on
// what it accepts. Both may only refuse an input with a ConfigError (with a message); anything else
// (another exception, a crash, a leak, undefined behaviour) is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/loader.h"
#include "config/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    kpe::config::Validate(kpe::config::LoadConfigString(yaml, "fuzz.yaml"));
  } catch (const kpe::config::ConfigError& e) {
    // Refused as documented; a refusal must say why.
    if (*e.what() == '\0') std::abort();
  }
  return 0;
}
