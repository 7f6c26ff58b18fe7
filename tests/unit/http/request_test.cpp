#include <gtest/gtest.h>

#include "http/server.h"

namespace kpe::http {
namespace {

Request WithAcceptEncoding(std::vector<std::string> values) {
  Request request;
  for (std::string& value : values) request.headers.emplace_back("accept-encoding", std::move(value));
  return request;
}

TEST(RequestTest, header_returns_first_value_of_lower_case_name) {
  Request request;
  request.headers = {{"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(request.Header("x-a"), "1");
}

TEST(RequestTest, absent_header_is_empty) { EXPECT_EQ(Request().Header("x-a"), ""); }

TEST(RequestTest, no_accept_encoding_does_not_accept_gzip) { EXPECT_FALSE(Request().AcceptsGzip()); }

TEST(RequestTest, plain_gzip_is_accepted) { EXPECT_TRUE(WithAcceptEncoding({"gzip"}).AcceptsGzip()); }

TEST(RequestTest, gzip_in_a_list_with_spaces_and_other_codings_is_accepted) {
  EXPECT_TRUE(WithAcceptEncoding({"deflate, br ,  gzip , zstd"}).AcceptsGzip());
}

TEST(RequestTest, gzip_is_case_insensitive) { EXPECT_TRUE(WithAcceptEncoding({"GZip"}).AcceptsGzip()); }

TEST(RequestTest, x_gzip_is_accepted) { EXPECT_TRUE(WithAcceptEncoding({"x-gzip"}).AcceptsGzip()); }

TEST(RequestTest, gzip_with_q_zero_is_refused) {
  EXPECT_FALSE(WithAcceptEncoding({"gzip;q=0"}).AcceptsGzip());
}

TEST(RequestTest, gzip_with_q_zero_point_zero_and_spaces_is_refused) {
  EXPECT_FALSE(WithAcceptEncoding({"gzip ; Q = 0.000"}).AcceptsGzip());
}

TEST(RequestTest, gzip_with_positive_q_is_accepted) {
  EXPECT_TRUE(WithAcceptEncoding({"gzip;q=0.001"}).AcceptsGzip());
}

TEST(RequestTest, star_is_accepted) { EXPECT_TRUE(WithAcceptEncoding({"*"}).AcceptsGzip()); }

TEST(RequestTest, star_with_q_zero_is_refused) { EXPECT_FALSE(WithAcceptEncoding({"*;q=0"}).AcceptsGzip()); }

TEST(RequestTest, explicit_gzip_q_zero_wins_over_star) {
  EXPECT_FALSE(WithAcceptEncoding({"*, gzip;q=0"}).AcceptsGzip());
}

TEST(RequestTest, explicit_gzip_wins_over_star_q_zero) {
  EXPECT_TRUE(WithAcceptEncoding({"*;q=0, gzip"}).AcceptsGzip());
}

TEST(RequestTest, identity_alone_does_not_accept_gzip) {
  EXPECT_FALSE(WithAcceptEncoding({"identity"}).AcceptsGzip());
}

TEST(RequestTest, gzip_in_a_second_accept_encoding_header_counts) {
  EXPECT_TRUE(WithAcceptEncoding({"identity", "gzip"}).AcceptsGzip());
}

TEST(RequestTest, gzip_with_malformed_q_is_ignored) {
  EXPECT_FALSE(WithAcceptEncoding({"gzip;q=abc"}).AcceptsGzip());
}

TEST(RequestTest, gzip_with_q_above_one_is_ignored) {
  EXPECT_FALSE(WithAcceptEncoding({"gzip;q=1.5"}).AcceptsGzip());
}

TEST(RequestTest, gzip_as_prefix_of_another_coding_is_not_gzip) {
  EXPECT_FALSE(WithAcceptEncoding({"gzipx, xgzip"}).AcceptsGzip());
}

TEST(ResponseTest, text_sets_status_body_and_plain_text_type) {
  const Response response = Response::Text(503, "busy\n");
  EXPECT_EQ(response.status, 503u);
  EXPECT_EQ(response.body, "busy\n");
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(response.shared_body, nullptr);
}

}  // namespace
}  // namespace kpe::http
