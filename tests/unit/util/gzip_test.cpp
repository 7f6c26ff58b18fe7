#include "util/gzip.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace kpe::util {
namespace {

TEST(GzipTest, round_trips_text) {
  const std::string text = "kafka_brokers{cluster=\"a\"} 3\n";
  EXPECT_EQ(GzipDecompress(GzipCompress(text)), text);
}

TEST(GzipTest, output_starts_with_the_gzip_magic_bytes) {
  const std::string packed = GzipCompress("x");
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
}

TEST(GzipTest, concatenated_members_decompress_to_the_concatenated_texts) {
  const std::string first(100000, 'a');
  const std::string second = "process_open_fds 12\n";
  EXPECT_EQ(GzipDecompress(GzipCompress(first) + GzipCompress(second)), first + second);
}

TEST(GzipTest, empty_input_is_a_valid_member) {
  EXPECT_EQ(GzipDecompress(GzipCompress("")), "");
}

TEST(GzipTest, malformed_input_throws) {
  EXPECT_THROW(GzipDecompress("not gzip at all"), std::runtime_error);
}

TEST(GzipTest, truncated_input_throws) {
  const std::string packed = GzipCompress(std::string(5000, 'z'));
  EXPECT_THROW(GzipDecompress(packed.substr(0, packed.size() / 2)), std::runtime_error);
}

}  // namespace
}  // namespace kpe::util
