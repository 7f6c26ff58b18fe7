#pragma once

#include <chrono>

namespace kpe::state {

/// The clock of every timestamp in snapshots and histories. Times are passed in, never read, by the
/// code in state/, so tests script them.
using WallClock = std::chrono::system_clock;

}  // namespace kpe::state
