#include "collect/shard.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kpe::collect {
namespace {

TEST(ShardTest, hash_is_fnv1a_64_so_it_never_changes_between_releases) {
  EXPECT_EQ(StableHash(""), 14695981039346656037ull);
  EXPECT_EQ(StableHash("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(StableHash("foobar"), 0x85944171f73967e8ull);
}

TEST(ShardTest, every_name_has_exactly_one_owner_among_the_shards) {
  for (int count : {1, 2, 3, 7}) {
    for (int i = 0; i < 500; ++i) {
      const std::string name = "group-" + std::to_string(i);
      int owners = 0;
      for (int index = 0; index < count; ++index) owners += Owns({index, count}, name) ? 1 : 0;
      EXPECT_EQ(owners, 1) << name << " with " << count << " shards";
    }
  }
}

TEST(ShardTest, names_spread_over_all_shards) {
  std::set<int> used;
  for (int i = 0; i < 100; ++i) {
    for (int index = 0; index < 4; ++index) {
      if (Owns({index, 4}, "topic-" + std::to_string(i))) used.insert(index);
    }
  }
  EXPECT_EQ(used.size(), 4u);
}

}  // namespace
}  // namespace kpe::collect
