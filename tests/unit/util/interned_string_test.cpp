#include "util/interned_string.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kpe::util {
namespace {

TEST(InternedStringTest, equal_values_share_one_string) {
  const std::string name = "orders.v1.payment-events";  // longer than a std::string keeps inline
  const InternedString a = name;
  const InternedString b = std::string("orders.v1.") + "payment-events";
  const InternedString c = "orders.v1.refunds";
  EXPECT_EQ(&a.get(), &b.get());
  EXPECT_NE(&a.get(), &c.get());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(sizeof(InternedString), sizeof(void*));
}

TEST(InternedStringTest, compares_and_orders_like_the_string) {
  const InternedString orders = "orders";
  EXPECT_EQ(orders, std::string("orders"));
  EXPECT_EQ(orders, "orders");
  EXPECT_EQ(std::string("orders"), orders);
  EXPECT_NE(orders, "order");
  EXPECT_LT(InternedString("a"), InternedString("b"));
  EXPECT_LT(InternedString("ab"), std::string("b"));
  EXPECT_GT(std::string("b"), InternedString("ab"));
  std::vector<InternedString> names = {"payments", "orders", "audit", "orders"};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.end()),
            (std::vector<std::string>{"audit", "orders", "orders", "payments"}));
}

TEST(InternedStringTest, converts_to_the_string_and_prints_it) {
  const InternedString name = "orders";
  const std::string& text = name;
  EXPECT_EQ(text, "orders");
  EXPECT_EQ(std::string_view(name), "orders");
  EXPECT_FALSE(name.empty());
  EXPECT_TRUE(InternedString().empty());
  std::ostringstream out;
  out << name;
  EXPECT_EQ(out.str(), "orders");
}

TEST(InternedStringTest, threads_intern_the_same_names_concurrently) {
  std::vector<std::vector<InternedString>> made(4);
  std::vector<std::thread> threads;
  for (auto& out : made) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 20000; ++i) out.emplace_back("topic-with-a-long-name-" + std::to_string(i % 50));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 20000; ++i) {
    for (const auto& out : made) ASSERT_EQ(&out[i].get(), &made[0][i].get());
    ASSERT_EQ(made[0][i], "topic-with-a-long-name-" + std::to_string(i % 50));
  }
}

}  // namespace
}  // namespace kpe::util
