#include "http/basic_auth.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tls_test_util.h"

namespace kpe::http {
namespace {

using testing::BcryptHash;

// "alice:wonderland", "alice:", "alice:pa:ss"
constexpr const char* kAlice = "Basic YWxpY2U6d29uZGVybGFuZA==";

TEST(ParseBasicAuthorizationTest, user_and_password_are_decoded) {
  const auto credentials = ParseBasicAuthorization(kAlice);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->first, "alice");
  EXPECT_EQ(credentials->second, "wonderland");
}

TEST(ParseBasicAuthorizationTest, scheme_is_case_insensitive) {
  EXPECT_TRUE(ParseBasicAuthorization("bAsIc YWxpY2U6d29uZGVybGFuZA=="));
}

TEST(ParseBasicAuthorizationTest, password_may_contain_colons_and_be_empty) {
  EXPECT_EQ(ParseBasicAuthorization("Basic YWxpY2U6cGE6c3M=")->second, "pa:ss");
  EXPECT_EQ(ParseBasicAuthorization("Basic YWxpY2U6")->second, "");
}

TEST(ParseBasicAuthorizationTest, malformed_values_are_rejected) {
  EXPECT_FALSE(ParseBasicAuthorization(""));
  EXPECT_FALSE(ParseBasicAuthorization("Basic"));
  EXPECT_FALSE(ParseBasicAuthorization("Bearer YWxpY2U6d29uZGVybGFuZA=="));
  EXPECT_FALSE(ParseBasicAuthorization("Basic not*base64"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWxpY2U="));  // "alice": no colon
  EXPECT_FALSE(ParseBasicAuthorization("BasicYWxpY2U6d29uZGVybGFuZA=="));
}

TEST(VerifyPasswordTest, right_password_matches_and_wrong_one_does_not) {
  const std::string hash = BcryptHash("wonderland");
  EXPECT_TRUE(VerifyPassword("wonderland", hash));
  EXPECT_FALSE(VerifyPassword("wonderlanD", hash));
}

TEST(VerifyPasswordTest, malformed_hash_never_matches) {
  EXPECT_FALSE(VerifyPassword("x", "$2y$05$short"));
  EXPECT_FALSE(VerifyPassword("x", ""));
}

class BasicAuthenticatorTest : public ::testing::Test {
 protected:
  BasicAuthenticator::Users users_{{"alice", BcryptHash("wonderland")}};
  BasicAuthenticator::Clock::time_point now_{std::chrono::hours(1)};
  BasicAuthenticator auth_{std::chrono::seconds(300), 2, [this] { return now_; }};
};

TEST_F(BasicAuthenticatorTest, success_is_cached_until_the_ttl_ends) {
  EXPECT_FALSE(auth_.CheckCached(users_, kAlice));  // nullopt: needs a bcrypt
  EXPECT_TRUE(auth_.Check(users_, kAlice));
  EXPECT_EQ(auth_.CheckCached(users_, kAlice), std::optional<bool>(true));
  now_ += std::chrono::seconds(300);
  EXPECT_EQ(auth_.CheckCached(users_, kAlice), std::nullopt);
}

TEST_F(BasicAuthenticatorTest, failures_are_not_cached) {
  EXPECT_FALSE(auth_.Check(users_, "Basic YWxpY2U6d3Jvbmc="));  // alice:wrong
  EXPECT_EQ(auth_.cached(), 0u);
  EXPECT_EQ(auth_.CheckCached(users_, "Basic YWxpY2U6d3Jvbmc="), std::nullopt);
}

TEST_F(BasicAuthenticatorTest, missing_credentials_are_refused_without_a_bcrypt) {
  EXPECT_EQ(auth_.CheckCached(users_, ""), std::optional<bool>(false));
}

TEST_F(BasicAuthenticatorTest, unknown_user_is_refused_after_a_bcrypt) {
  // mallory:wonderland
  EXPECT_EQ(auth_.CheckCached(users_, "Basic bWFsbG9yeTp3b25kZXJsYW5k"), std::nullopt);
  EXPECT_FALSE(auth_.Check(users_, "Basic bWFsbG9yeTp3b25kZXJsYW5k"));
}

TEST_F(BasicAuthenticatorTest, cached_success_does_not_survive_a_new_hash) {
  EXPECT_TRUE(auth_.Check(users_, kAlice));
  users_["alice"] = BcryptHash("changed");
  EXPECT_EQ(auth_.CheckCached(users_, kAlice), std::nullopt);
  EXPECT_FALSE(auth_.Check(users_, kAlice));
}

TEST_F(BasicAuthenticatorTest, cache_stays_within_its_capacity) {
  users_["bob"] = BcryptHash("builder");
  users_["carol"] = BcryptHash("singer");
  EXPECT_TRUE(auth_.Check(users_, kAlice));
  EXPECT_TRUE(auth_.Check(users_, "Basic Ym9iOmJ1aWxkZXI="));      // bob:builder
  EXPECT_TRUE(auth_.Check(users_, "Basic Y2Fyb2w6c2luZ2Vy"));      // carol:singer
  EXPECT_LE(auth_.cached(), 2u);
}

}  // namespace
}  // namespace kpe::http
