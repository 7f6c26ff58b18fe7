#include "app/allocator.h"

#include <cstdlib>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kpe::app {

#if defined(__GLIBC__)
namespace {

// Whether the user set this malloc parameter: by its environment variable or in GLIBC_TUNABLES.
bool UserTuned(const char* variable, std::string_view tunable) {
  if (std::getenv(variable) != nullptr) return true;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables != nullptr && std::string_view(tunables).find(tunable) != std::string_view::npos;
}

}  // namespace
#endif

bool ReturnLargeBlocksToTheSystem() {
#if defined(__GLIBC__)
  if (UserTuned("MALLOC_MMAP_THRESHOLD_", "mmap_threshold")) return false;
  constexpr int kThreshold = 128 * 1024;  // glibc's initial default, now kept fixed
  return mallopt(M_MMAP_THRESHOLD, kThreshold) == 1;
#else
  return false;
#endif
}

bool ShareOneHeap() {
#if defined(__GLIBC__)
  if (UserTuned("MALLOC_ARENA_MAX", "arena_max")) return false;
  return mallopt(M_ARENA_MAX, 1) == 1;
#else
  return false;
#endif
}

bool ReleaseFreeMemory() {
#if defined(__GLIBC__)
  return malloc_trim(0) == 1;
#else
  return false;
#endif
}

}  // namespace kpe::app
