#pragma once
// The daemon's use of the C allocator.

namespace kpe::app {

/// Makes glibc's malloc serve every block of 128 KiB or more with its own mapping, returned to the
/// system when freed. Each render builds ~50 MB of family text on a large cluster and frees it; with
/// glibc's default (a threshold that rises to the largest block freed, up to 32 MiB) those blocks
/// come from the heap after the first render and their pages stay resident. Measured on the
/// `large` benchmark: RSS 162 → 134 MiB, CPU unchanged (bench/README.md). Leaves the allocator
/// alone when the user tuned it (MALLOC_MMAP_THRESHOLD_, or mmap_threshold in GLIBC_TUNABLES), and
/// does nothing on other C libraries. Returns whether it changed the setting.
bool ReturnLargeBlocksToTheSystem();

/// Makes every thread allocate from glibc's main heap instead of up to 8 per core (one per thread
/// here: the collectors, the HTTP workers, librdkafka's threads). Each extra heap keeps its own free
/// pages and partly used pages resident; the exporter's threads allocate little and seldom at once,
/// so they do not wait on the shared lock. Measured on the `large` benchmark: RSS 53.9 -> 52.1 MB.
/// Call before starting threads. Leaves the allocator alone when the user tuned it
/// (MALLOC_ARENA_MAX, or arena_max in GLIBC_TUNABLES), and does nothing on other C libraries.
/// Returns whether it changed the setting.
bool ShareOneHeap();

/// Gives the free pages inside glibc's heaps back to the system (malloc_trim(0)). Called after each
/// render: the render and the snapshot it replaces free tens of MB of small blocks, which glibc
/// otherwise keeps resident until they are reused. Returns whether any memory was released (false on
/// other C libraries).
bool ReleaseFreeMemory();

}  // namespace kpe::app
