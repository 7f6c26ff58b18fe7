#include "util/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <memory>
#include <string>
#include <vector>

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
  const std::string whole = open.Bytes() + GzipClose(open, tail);
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
  EXPECT_EQ(GzipDecompress(open.Bytes() + GzipClose(open, "a 1\n")), "kafka_up 1\na 1\n");
  EXPECT_EQ(GzipDecompress(open.Bytes() + GzipClose(open, "")), "kafka_up 1\n");
  EXPECT_EQ(GzipDecompress(GzipOpen("").Bytes() + GzipClose(GzipOpen(""), "")), "");
}

// Inflates the first gzip member of `data`; fails the test unless it ends exactly at the end of data.
std::string InflateOneMember(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out;
  char buffer[16384];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - zs.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(zs.avail_in, 0u);
  inflateEnd(&zs);
  return out;
}

std::string Noise(size_t size) {
  std::string text(size, '\0');
  uint32_t x = 2463534242u;
  for (char& c : text) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return text;
}

TEST(GzipTest, part_deflated_once_sits_between_the_open_member_and_each_tail) {
  const OpenGzip open = GzipOpen("kafka_up 1\n");
  const std::string advice = "kafka_advice{rule=\"linger\"} 1\n";
  const GzipPart middle = GzipDeflatePart(advice);
  EXPECT_EQ(middle.size, advice.size());
  // Tails of every size deflate with a window fitted to them (small tails: small windows).
  for (const std::string& tail : {std::string(), std::string("process_open_fds 12\n"), std::string(5000, 't'),
                                  Noise(700), Noise(100000)}) {
    EXPECT_EQ(InflateOneMember(open.Bytes() + GzipClose(open, middle, tail)), "kafka_up 1\n" + advice + tail)
        << "tail of " << tail.size() << " bytes";
  }
}

TEST(GzipTest, empty_and_large_parts) {
  const std::string head(200000, 'h');
  const OpenGzip open = GzipOpen(head);
  const GzipPart empty = GzipDeflatePart("");
  EXPECT_TRUE(empty.deflated.empty());
  EXPECT_EQ(InflateOneMember(open.Bytes() + GzipClose(open, empty, "t\n")), head + "t\n");
  const std::string noise = Noise(300000);
  EXPECT_EQ(InflateOneMember(open.Bytes() + GzipClose(open, GzipDeflatePart(noise), "t\n")), head + noise + "t\n");
  EXPECT_EQ(InflateOneMember(GzipOpen("").Bytes() + GzipClose(GzipOpen(""), GzipDeflatePart(noise), "")), noise);
}

TEST(GzipTest, open_member_of_text_that_barely_compresses_is_whole) {
  // Output larger than the input's 1/16 that deflate starts with: its buffer has to grow.
  const std::string head = Noise(300000);
  const std::string tail(5000, 't');
  const OpenGzip open = GzipOpen(head);
  EXPECT_GT(open.byte_size(), head.size() / 16);
  EXPECT_EQ(GzipDecompress(open.Bytes() + GzipClose(open, tail)), head + tail);
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

// Text that barely compresses, so the writer's output buffer has to grow many times.
std::string Noise(size_t n, uint32_t seed) {
  std::string text;
  text.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1103515245u + 12345u;
    text.push_back(static_cast<char>('!' + (seed >> 16) % 90));
  }
  return text;
}

uint32_t Crc(const std::string& data) {
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

std::vector<std::string> Lines(size_t count, const std::string& prefix) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < count; ++i) {
    lines.push_back(prefix + "{partition=\"" + std::to_string(i) + "\"} " + std::to_string(i * 7) + "\n");
  }
  return lines;
}

TEST(ChunkedGzipWriterTest, chunks_make_the_member_of_their_concatenation) {
  const std::vector<std::string> chunks = {"# TYPE a gauge\na 1\n", Noise(200000, 5), "", std::string(70000, 'z')};
  ChunkedGzipWriter writer(nullptr, 1);
  std::string whole;
  for (const auto& chunk : chunks) {
    writer.AppendChunk(chunk);
    whole += chunk;
  }
  const OpenGzip open = writer.Finish();
  EXPECT_EQ(writer.deflated_chunks(), 3u);  // the empty one is nothing
  EXPECT_EQ(writer.reused_chunks(), 0u);
  EXPECT_EQ(open.size, whole.size());
  EXPECT_EQ(open.crc, Crc(whole));
  EXPECT_EQ(GzipDecompress(open.Bytes() + GzipClose(open, "tail\n")), whole + "tail\n");
  EXPECT_EQ(GzipOpenContents(open), whole);
}

TEST(ChunkedGzipWriterTest, chunks_made_out_of_order_are_appended_in_order) {
  const std::string first = Noise(30000, 11);
  const std::string second = "# TYPE b gauge\nb 2\n";
  const std::string third = Noise(50000, 12);
  ChunkedGzipWriter writer(nullptr, 1);
  const auto c3 = writer.Make(third);
  const auto c1 = writer.Make(first);
  const auto c2 = writer.Make(second);
  EXPECT_EQ(writer.Make(""), nullptr);
  writer.Append(c1);
  writer.Append(c2);
  writer.Append(nullptr);
  writer.Append(c3);
  std::shared_ptr<const GzipChunks> made;
  const OpenGzip open = writer.Finish(&made);
  EXPECT_EQ(writer.deflated_chunks(), 3u);
  EXPECT_EQ(open.size, first.size() + second.size() + third.size());
  EXPECT_EQ(GzipOpenContents(open), first + second + third);
  // Every chunk made counts for the next member, appended or not.
  ChunkedGzipWriter next(made, 1);
  next.AppendChunk(third);
  next.AppendChunk(first);
  EXPECT_EQ(next.reused_chunks(), 2u);
  EXPECT_EQ(next.deflated_chunks(), 0u);
  EXPECT_EQ(GzipOpenContents(next.Finish()), third + first);
}

TEST(ChunkedGzipWriterTest, a_second_member_deflates_only_the_chunks_that_changed) {
  const auto a = Lines(2000, "kafka_a");
  const auto b = Lines(2000, "kafka_b");
  auto c = Lines(2000, "kafka_c");
  const auto join = [](const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line;
    return out;
  };
  std::shared_ptr<const GzipChunks> first_chunks;
  ChunkedGzipWriter first(nullptr, 1);
  for (const std::string& text : {join(a), join(b), join(c)}) first.AppendChunk(text);
  const OpenGzip first_open = first.Finish(&first_chunks);
  ASSERT_NE(first_chunks, nullptr);

  c[1234] = "kafka_c{partition=\"1234\"} 99\n";  // one value changes
  // Order changes too: a chunk's bytes are valid wherever it goes.
  std::shared_ptr<const GzipChunks> second_chunks;
  ChunkedGzipWriter second(first_chunks, 1);
  for (const std::string& text : {join(b), join(c), join(a)}) second.AppendChunk(text);
  const OpenGzip second_open = second.Finish(&second_chunks);
  EXPECT_EQ(second.reused_chunks(), 2u);
  EXPECT_EQ(second.deflated_chunks(), 1u);
  const std::string expected = join(b) + join(c) + join(a);
  EXPECT_EQ(GzipOpenContents(second_open), expected);
  EXPECT_EQ(second_open.crc, Crc(expected));
  EXPECT_EQ(GzipDecompress(second_open.Bytes() + GzipClose(second_open, "# EOF\n")), expected + "# EOF\n");
  // The first member is untouched by the second.
  EXPECT_EQ(GzipOpenContents(first_open), join(a) + join(b) + join(Lines(2000, "kafka_c")));

  // A third member reuses from the second only: the chunk only the first had is deflated again.
  ChunkedGzipWriter third(second_chunks, 1);
  third.AppendChunk(join(Lines(2000, "kafka_c")));
  third.AppendChunk(join(a));
  (void)third.Finish();
  EXPECT_EQ(third.reused_chunks(), 1u);
  EXPECT_EQ(third.deflated_chunks(), 1u);
}

TEST(ChunkedGzipWriterTest, a_chunk_repeated_in_one_member_is_deflated_once) {
  const std::string chunk = Noise(50000, 9);
  ChunkedGzipWriter writer(nullptr, 6);
  writer.AppendChunk(chunk);
  writer.AppendChunk(chunk);
  const OpenGzip open = writer.Finish();
  EXPECT_EQ(writer.deflated_chunks(), 1u);
  EXPECT_EQ(writer.reused_chunks(), 1u);
  EXPECT_EQ(GzipOpenContents(open), chunk + chunk);
}

TEST(ChunkedGzipWriterTest, nothing_appended_is_an_empty_open_member) {
  ChunkedGzipWriter writer;
  const OpenGzip open = writer.Finish();
  EXPECT_EQ(open.size, 0u);
  EXPECT_EQ(GzipDecompress(open.Bytes() + GzipClose(open, "only the tail")), "only the tail");
  EXPECT_EQ(GzipOpenContents(open), "");
}

TEST(ChunkedGzipWriterTest, a_finished_writer_refuses_more) {
  ChunkedGzipWriter writer;
  writer.AppendChunk("x");
  (void)writer.Finish();
  EXPECT_THROW(writer.AppendChunk("y"), std::logic_error);
  EXPECT_THROW((void)writer.Make("y"), std::logic_error);
  EXPECT_THROW((void)writer.Finish(), std::logic_error);
}

TEST(ChunkedGzipWriterTest, chunks_kept_for_reuse_share_the_member_bytes_and_reuse_copies_them) {
  const std::string a = Noise(5000, 1), b = Noise(5000, 2), c = Noise(5000, 3);
  std::shared_ptr<const GzipChunks> chunks;
  ChunkedGzipWriter first;
  for (const auto& part : {a, b, c}) first.AppendChunk(part);
  const OpenGzip one = first.Finish(&chunks);
  EXPECT_EQ(one.bytes.use_count(), 2);  // the member and the chunks kept for the next one: one copy
  ChunkedGzipWriter second(chunks);
  for (const auto& part : {c, a, b}) second.AppendChunk(part);  // every chunk reused, in another order
  const OpenGzip two = second.Finish();
  EXPECT_EQ(second.reused_chunks(), 3u);
  EXPECT_EQ(second.deflated_chunks(), 0u);
  EXPECT_EQ(two.byte_size(), one.byte_size());
  EXPECT_EQ(GzipDecompress(two.Bytes() + GzipClose(two, "")), c + a + b);
  EXPECT_EQ(GzipOpenContents(two), c + a + b);
}

TEST(ChunkedGzipWriterTest, a_chunk_is_reused_by_its_key_without_its_data) {
  const std::string a = Noise(5000, 1), b = Noise(5000, 2);
  std::shared_ptr<const GzipChunks> chunks;
  ChunkedGzipWriter first;
  const auto made_a = first.Make(a);
  const GzipChunkKey key_a = KeyOf(*made_a);
  EXPECT_EQ(first.Reuse(key_a), made_a);  // one made in this member
  first.Append(made_a);
  first.AppendChunk(b);
  const GzipChunkKey key_b = KeyOf(*first.Make(b));
  (void)first.Finish(&chunks);
  EXPECT_EQ(key_a.size, a.size());
  EXPECT_NE(key_a, key_b);

  ChunkedGzipWriter second(chunks);
  const auto reused_b = second.Reuse(key_b);
  ASSERT_NE(reused_b, nullptr);
  EXPECT_EQ(KeyOf(*reused_b), key_b);
  GzipChunkKey unknown = key_a;
  unknown.size += 1;
  EXPECT_EQ(second.Reuse(unknown), nullptr);
  second.Append(reused_b);
  second.Append(second.Reuse(key_a));
  const OpenGzip two = second.Finish();
  EXPECT_EQ(second.reused_chunks(), 2u);
  EXPECT_EQ(second.deflated_chunks(), 0u);
  EXPECT_EQ(GzipDecompress(two.Bytes() + GzipClose(two, "")), b + a);
  EXPECT_THROW((void)second.Reuse(key_a), std::logic_error);

  ChunkedGzipWriter nothing_to_reuse;
  EXPECT_EQ(nothing_to_reuse.Reuse(key_a), nullptr);
}

TEST(GzipOpenContentsTest, gives_back_what_the_member_was_opened_with) {
  const std::string text = Noise(200000, 3) + std::string(50000, 'a');
  EXPECT_EQ(GzipOpenContents(GzipOpen(text)), text);
}

TEST(GzipOpenContentsTest, damaged_member_throws) {
  OpenGzip open = GzipOpen(Noise(20000, 5));
  OpenGzip short_member = open;
  short_member.bytes = std::make_shared<const std::string>(open.Bytes().substr(0, open.byte_size() / 2));
  EXPECT_THROW(GzipOpenContents(short_member), std::runtime_error);
  OpenGzip wrong_crc = open;
  wrong_crc.crc ^= 1;
  EXPECT_THROW(GzipOpenContents(wrong_crc), std::runtime_error);
  OpenGzip no_header = open;
  no_header.bytes = std::make_shared<const std::string>(open.Bytes().substr(0, 4));
  EXPECT_THROW(GzipOpenContents(no_header), std::runtime_error);
  EXPECT_THROW(GzipOpenContents(OpenGzip{}), std::runtime_error);
}

}  // namespace
}  // namespace kpe::util
