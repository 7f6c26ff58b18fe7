#include "app/allocator.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <vector>

namespace kpe::app {
namespace {

// Each case sets the environment the function reads, and restores it.
class AllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("MALLOC_MMAP_THRESHOLD_");
    ::unsetenv("MALLOC_ARENA_MAX");
    ::unsetenv("GLIBC_TUNABLES");
  }
  void TearDown() override { SetUp(); }
};

// Resident memory of this process in KiB (/proc/self/statm, in pages).
long ResidentKiB() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Under ASan or TSan the sanitizer's allocator replaces glibc's and its mallopt changes nothing.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kGlibcAllocator = false;
#else
constexpr bool kGlibcAllocator = true;
#endif

#if defined(__GLIBC__)
TEST_F(AllocatorTest, sets_the_threshold_when_the_user_did_not) {
  if (!kGlibcAllocator) GTEST_SKIP() << "a sanitizer's allocator replaces glibc's";
  EXPECT_TRUE(ReturnLargeBlocksToTheSystem());
}

TEST_F(AllocatorTest, leaves_a_threshold_set_by_environment_variable_alone) {
  ::setenv("MALLOC_MMAP_THRESHOLD_", "65536", 1);
  EXPECT_FALSE(ReturnLargeBlocksToTheSystem());
}

TEST_F(AllocatorTest, leaves_a_threshold_set_by_glibc_tunables_alone) {
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=262144", 1);
  EXPECT_FALSE(ReturnLargeBlocksToTheSystem());
}

TEST_F(AllocatorTest, other_tunables_do_not_stop_it) {
  if (!kGlibcAllocator) GTEST_SKIP() << "a sanitizer's allocator replaces glibc's";
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2", 1);
  EXPECT_TRUE(ReturnLargeBlocksToTheSystem());
}
TEST_F(AllocatorTest, shares_one_heap_when_the_user_did_not_limit_heaps) {
  if (!kGlibcAllocator) GTEST_SKIP() << "a sanitizer's allocator replaces glibc's";
  EXPECT_TRUE(ShareOneHeap());
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=262144", 1);
  EXPECT_TRUE(ShareOneHeap());
}

TEST_F(AllocatorTest, leaves_a_heap_limit_set_by_the_user_alone) {
  ::setenv("MALLOC_ARENA_MAX", "4", 1);
  EXPECT_FALSE(ShareOneHeap());
  ::unsetenv("MALLOC_ARENA_MAX");
  ::setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2", 1);
  EXPECT_FALSE(ShareOneHeap());
}

TEST_F(AllocatorTest, release_free_memory_gives_back_the_pages_of_freed_small_blocks) {
  if (!kGlibcAllocator) GTEST_SKIP() << "a sanitizer's allocator replaces glibc's";
  // 32 MB of 1 KiB blocks, all freed but the last, so the free space is inside the heap, where glibc
  // does not trim it by itself.
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 32 * 1024; ++i) {
    blocks.emplace_back(new char[1024]);
    blocks.back()[0] = static_cast<char>(i);
  }
  for (size_t i = 0; i + 1 < blocks.size(); ++i) blocks[i].reset();
  const long before = ResidentKiB();
  EXPECT_TRUE(ReleaseFreeMemory());
  EXPECT_GT(before - ResidentKiB(), 16 * 1024);
}

#else
TEST_F(AllocatorTest, does_nothing_without_glibc) {
  EXPECT_FALSE(ReturnLargeBlocksToTheSystem());
  EXPECT_FALSE(ShareOneHeap());
}
#endif

}  // namespace
}  // namespace kpe::app
