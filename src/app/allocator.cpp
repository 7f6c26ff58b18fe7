#include "app/allocator.h"

#include <cstdlib>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kpe::app {

bool ReturnLargeBlocksToTheSystem() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr) return false;
  if (const char* tunables = std::getenv("GLIBC_TUNABLES");
      tunables != nullptr && std::string_view(tunables).find("mmap_threshold") != std::string_view::npos) {
    return false;
  }
  constexpr int kThreshold = 128 * 1024;  // glibc's initial default, now kept fixed
  return mallopt(M_MMAP_THRESHOLD, kThreshold) == 1;
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
