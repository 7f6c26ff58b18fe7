#include "util/thread_priority.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace kpe::util {
namespace {

TEST(ThreadPriorityTest, a_background_thread_is_nicer_and_the_others_are_not) {
  const int before = ThisThreadNiceness();
  int inside = 0;
  int started_from_inside = 0;
  bool lowered = false;
  std::thread([&] {
    lowered = RunThisThreadInBackground();
    inside = ThisThreadNiceness();
    std::thread([&] { started_from_inside = ThisThreadNiceness(); }).join();
  }).join();
  ASSERT_TRUE(lowered);
  EXPECT_EQ(inside, std::min(before + kBackgroundNiceness, 19));
  EXPECT_EQ(started_from_inside, inside);  // inherited by the threads it starts
  EXPECT_EQ(ThisThreadNiceness(), before);  // the calling thread is untouched
}

TEST(ThreadPriorityTest, niceness_is_capped_at_19) {
  int niceness = 0;
  std::thread([&] {
    for (int i = 0; i < 3; ++i) RunThisThreadInBackground();
    niceness = ThisThreadNiceness();
  }).join();
  EXPECT_EQ(niceness, 19);
}

}  // namespace
}  // namespace kpe::util
