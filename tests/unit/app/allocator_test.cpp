#include "app/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kpe::app {
namespace {

// Each case sets the environment the function reads, and restores it.
class AllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("MALLOC_MMAP_THRESHOLD_");
    ::unsetenv("GLIBC_TUNABLES");
  }
  void TearDown() override { SetUp(); }
};

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
#else
TEST_F(AllocatorTest, does_nothing_without_glibc) { EXPECT_FALSE(ReturnLargeBlocksToTheSystem()); }
#endif

}  // namespace
}  // namespace kpe::app
