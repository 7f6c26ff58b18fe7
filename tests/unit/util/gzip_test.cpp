#include "util/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
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

TEST(GzipTest, open_member_closed_with_a_tail_is_one_member_of_both) {
  const std::string head(200000, 'h');
  const std::string tail = "process_open_fds 12\n";
  const OpenGzip open = GzipOpen(head);
  const std::string whole = open.bytes + GzipClose(open, tail);
  EXPECT_EQ(GzipDecompress(whole), head + tail);
  // One member: decompressing stops exactly at the end, which a reader of the first member only sees.
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(head.size() + tail.size() + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(whole.data()));
  zs.avail_in = static_cast<uInt>(whole.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(zs.avail_in, 0u);
  EXPECT_EQ(zs.total_out, head.size() + tail.size());
  inflateEnd(&zs);
}

TEST(GzipTest, one_open_member_closes_with_different_tails) {
  const OpenGzip open = GzipOpen("kafka_up 1\n");
  EXPECT_EQ(GzipDecompress(open.bytes + GzipClose(open, "a 1\n")), "kafka_up 1\na 1\n");
  EXPECT_EQ(GzipDecompress(open.bytes + GzipClose(open, "")), "kafka_up 1\n");
  EXPECT_EQ(GzipDecompress(GzipOpen("").bytes + GzipClose(GzipOpen(""), "")), "");
}

TEST(GzipTest, open_member_of_text_that_barely_compresses_is_whole) {
  // Output larger than the input's 1/16 that deflate starts with: its buffer has to grow.
  std::string head(300000, '\0');
  uint32_t x = 2463534242u;
  for (char& c : head) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  const std::string tail(5000, 't');
  const OpenGzip open = GzipOpen(head);
  EXPECT_GT(open.bytes.size(), head.size() / 16);
  EXPECT_EQ(GzipDecompress(open.bytes + GzipClose(open, tail)), head + tail);
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
