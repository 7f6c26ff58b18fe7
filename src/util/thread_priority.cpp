#include "util/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kpe::util {

// PRIO_PROCESS with a thread id applies to that one thread on Linux (setpriority(2), "BUGS").
int ThisThreadNiceness() {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
}

bool RunThisThreadInBackground() {
  const int nice = std::min(ThisThreadNiceness() + kBackgroundNiceness, 19);
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0;
}

}  // namespace kpe::util
