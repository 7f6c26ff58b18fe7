#pragma once
// Background threads (collectors, the Kafka clients' own threads, config reloads)
// run nicer than the threads that answer scrapes, so that on a busy machine a scrape waits less for
// the CPU while a collection cycle runs. Linux's nice value is per thread.

namespace kpe::util {

/// How much nicer than the process's other threads a background thread runs (at most 19 in all).
inline constexpr int kBackgroundNiceness = 10;

/// Makes the calling thread `kBackgroundNiceness` nicer than it is (capped at 19); threads it starts
/// afterwards inherit that. Raising a thread's nice value needs no privilege; false if the system
/// refused all the same (e.g. a seccomp profile), and the thread then runs as before.
bool RunThisThreadInBackground();

/// The calling thread's nice value (0 if the system will not say).
int ThisThreadNiceness();

}  // namespace kpe::util
