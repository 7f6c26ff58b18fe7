// The probe record's value: encoding, decoding, and every way a value can fail to be a probe record.

#include "e2e/payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace kpe::e2e {
namespace {

using ::testing::HasSubstr;

TEST(PayloadTest, encoding_is_readable_text_with_prefix_instance_sequence_and_send_time) {
  EXPECT_EQ(EncodePayload({0xabcdef0123456789ULL, 42, 1700000000123456}),
            "kpe-probe/1 abcdef0123456789 42 1700000000123456");
}

TEST(PayloadTest, instance_is_padded_to_sixteen_hex_digits) {
  EXPECT_EQ(EncodePayload({0x1f, 0, 0}), "kpe-probe/1 000000000000001f 0 0");
}

TEST(PayloadTest, decoding_an_encoded_value_gives_the_same_payload) {
  const Payload payload{std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::max(), 1700000000123456};
  const DecodedPayload decoded = DecodePayload(EncodePayload(payload));
  ASSERT_TRUE(decoded.payload.has_value()) << decoded.error;
  EXPECT_EQ(*decoded.payload, payload);
  EXPECT_EQ(decoded.error, "");
}

TEST(PayloadTest, a_value_without_the_prefix_is_not_a_probe_record) {
  const DecodedPayload decoded = DecodePayload("hello world");
  EXPECT_FALSE(decoded.payload.has_value());
  EXPECT_EQ(decoded.error, "not a probe record: expected prefix 'kpe-probe/1 '");
}

TEST(PayloadTest, a_future_version_prefix_is_not_a_probe_record) {
  EXPECT_THAT(DecodePayload("kpe-probe/2 0000000000000001 1 2").error, HasSubstr("expected prefix"));
}

TEST(PayloadTest, missing_or_extra_fields_are_reported_with_their_count) {
  EXPECT_EQ(DecodePayload("kpe-probe/1 0000000000000001 1").error,
            "probe record has 2 fields after the prefix, expected 3 (instance sequence sent)");
  EXPECT_THAT(DecodePayload("kpe-probe/1 0000000000000001 1 2 3").error, HasSubstr("has 4 fields"));
}

TEST(PayloadTest, a_bad_instance_names_field_one_and_its_text) {
  EXPECT_EQ(DecodePayload("kpe-probe/1 00000000000000XY 1 2").error,
            "probe record field 1 (instance) '00000000000000XY': not 16 lowercase hex digits");
  EXPECT_THAT(DecodePayload("kpe-probe/1 1f 1 2").error, HasSubstr("field 1 (instance) '1f'"));
}

TEST(PayloadTest, a_bad_sequence_names_field_two_and_its_text) {
  EXPECT_EQ(DecodePayload("kpe-probe/1 0000000000000001 12x 2").error,
            "probe record field 2 (sequence) '12x': not a non-negative decimal number");
  EXPECT_THAT(DecodePayload("kpe-probe/1 0000000000000001 -1 2").error, HasSubstr("field 2 (sequence) '-1'"));
}

TEST(PayloadTest, a_sequence_beyond_int64_is_rejected) {
  EXPECT_THAT(DecodePayload("kpe-probe/1 0000000000000001 99999999999999999999 2").error,
              HasSubstr("field 2 (sequence)"));
}

TEST(PayloadTest, a_bad_send_time_names_field_three_and_its_text) {
  EXPECT_EQ(DecodePayload("kpe-probe/1 0000000000000001 1 ").error,
            "probe record field 3 (sent) '': not a non-negative decimal number");
}

}  // namespace
}  // namespace kpe::e2e
