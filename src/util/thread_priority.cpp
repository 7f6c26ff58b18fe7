#include "util/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kpe::util {

// PRIO_PROCESS with a thread id applies to that one thread on Linux (setpriority(2), "BUGS").
// getpriority may return -1 as a nice value, so errno tells a failure; a thread asking about itself
// cannot be refused (no such thread, no permission), so that is 0, the default nice value.
int ThisThreadNiceness() {
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  return errno == 0 ? nice : 0;
}

bool RunThisThreadInBackground() {
  const int nice = std::min(ThisThreadNiceness() + kBackgroundNiceness, 19);
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0;
}

}  // namespace kpe::util
