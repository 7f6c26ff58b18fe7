#include "config/secrets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "config/loader.h"
#include "test_util.h"

namespace kpe::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::LoadError;

/// A fresh folder with a config file and secret files beside it, removed at the end.
class SecretFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kpe_secrets_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  std::string ResolveError(const std::string& value) {
    try {
      ResolveSecretReferences(value, dir_.string());
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  }

  std::filesystem::path dir_;
};

TEST(SensitivePropertyTest, librdkafka_secret_properties_are_sensitive) {
  for (const char* name : {"sasl.password", "ssl.key.password", "sasl.oauthbearer.client.secret",
                           "ssl.keystore.password", "ssl_key", "ssl.key.pem", "sasl.oauthbearer.config",
                           "SASL.PASSWORD", "sasl.jaas.config", "some.credentials", "api.token"}) {
    EXPECT_TRUE(IsSensitiveProperty(name)) << name;
  }
}

TEST(SensitivePropertyTest, ordinary_properties_are_not_sensitive) {
  for (const char* name : {"sasl.username", "sasl.mechanism", "security.protocol", "ssl.key.location",
                           "ssl.ca.location", "ssl.certificate.pem", "bootstrap.servers", "client.id"}) {
    EXPECT_FALSE(IsSensitiveProperty(name)) << name;
  }
}

TEST(RedactValueTest, every_occurrence_of_the_secret_is_replaced) {
  EXPECT_EQ(RedactValue("bad \"hunter2\" and hunter2", "hunter2"), "bad \"[redacted]\" and [redacted]");
}

TEST(RedactValueTest, a_tail_or_a_word_of_a_secret_with_spaces_is_replaced_too) {
  const std::string secret = "principal=svc extension_x=topsecret1 garbage";
  EXPECT_EQ(RedactValue("Unrecognized sasl.oauthbearer.config beginning at: extension_x=topsecret1 garbage", secret),
            "Unrecognized sasl.oauthbearer.config beginning at: [redacted]");
  EXPECT_EQ(RedactValue("bad extension_x=topsecret1.", secret), "bad [redacted].");
}

TEST(RedactValueTest, empty_secret_leaves_the_message_unchanged) {
  EXPECT_EQ(RedactValue("nothing to hide", ""), "nothing to hide");
}

TEST_F(SecretFiles, value_without_references_is_kept_as_written) {
  EXPECT_EQ(ResolveSecretReferences("plain ${other:x} $ {file:y}", dir_.string()), "plain ${other:x} $ {file:y}");
}

TEST_F(SecretFiles, file_reference_is_the_first_line_relative_to_the_base_folder) {
  Write("pw.txt", "s3cret-from-file\r\nsecond line\n");
  EXPECT_EQ(ResolveSecretReferences("${file:pw.txt}", dir_.string()), "s3cret-from-file");
}

TEST_F(SecretFiles, absolute_file_reference_ignores_the_base_folder) {
  const std::string path = Write("abs.txt", "abs-secret\n");
  EXPECT_EQ(ResolveSecretReferences("${file:" + path + "}", "/nonexistent"), "abs-secret");
}

TEST_F(SecretFiles, env_reference_is_the_variable_and_text_around_is_kept) {
  ::setenv("KPE_TEST_SECRET_VAR", "from-env", 1);
  EXPECT_EQ(ResolveSecretReferences("a-${env:KPE_TEST_SECRET_VAR}-b", dir_.string()), "a-from-env-b");
  ::unsetenv("KPE_TEST_SECRET_VAR");
}

TEST_F(SecretFiles, doubled_dollar_is_a_literal_reference) {
  EXPECT_EQ(ResolveSecretReferences("$${env:HOME}", dir_.string()), "${env:HOME}");
}

TEST_F(SecretFiles, missing_file_is_an_error_naming_the_file_and_why) {
  EXPECT_EQ(ResolveError("${file:nope.txt}"),
            "cannot read the secret file " + (dir_ / "nope.txt").string() + ": No such file or directory");
}

TEST_F(SecretFiles, empty_file_is_an_error_naming_the_file) {
  Write("empty.txt", "\n");
  EXPECT_THAT(ResolveError("${file:empty.txt}"), HasSubstr("the secret file " + (dir_ / "empty.txt").string() + " is empty"));
}

TEST_F(SecretFiles, unset_variable_is_an_error_naming_it) {
  ::unsetenv("KPE_TEST_UNSET_VAR");
  EXPECT_EQ(ResolveError("${env:KPE_TEST_UNSET_VAR}"), "the environment variable KPE_TEST_UNSET_VAR is not set");
}

TEST_F(SecretFiles, empty_variable_is_an_error_naming_it) {
  ::setenv("KPE_TEST_EMPTY_VAR", "", 1);
  EXPECT_EQ(ResolveError("${env:KPE_TEST_EMPTY_VAR}"), "the environment variable KPE_TEST_EMPTY_VAR is empty");
  ::unsetenv("KPE_TEST_EMPTY_VAR");
}

TEST_F(SecretFiles, unterminated_reference_is_an_error_that_does_not_echo_the_value) {
  const std::string error = ResolveError("literal-pw-${file:rest-of-literal-pw");
  EXPECT_THAT(error, HasSubstr("unterminated ${file:...} reference"));
  EXPECT_THAT(error, Not(HasSubstr("literal-pw")));
}

TEST_F(SecretFiles, empty_reference_is_an_error) {
  EXPECT_EQ(ResolveError("${env:}"), "${env:...} names no variable");
  EXPECT_EQ(ResolveError("${file:}"), "${file:...} names no file");
}

TEST_F(SecretFiles, loader_resolves_property_references_relative_to_the_config_file) {
  Write("sasl.pw", "pw-from-file\n");
  ::setenv("KPE_TEST_OAUTH_SECRET", "oauth-from-env", 1);
  const std::string config = Write("c.yaml",
                                   "kafka:\n  servers: [h:9092]\n  properties:\n"
                                   "    sasl.password: ${file:sasl.pw}\n"
                                   "    sasl.oauthbearer.client.secret: ${env:KPE_TEST_OAUTH_SECRET}\n"
                                   "    sasl.username: alice\n");
  const Config loaded = LoadConfigFile(config);
  ::unsetenv("KPE_TEST_OAUTH_SECRET");
  const auto& properties = loaded.clusters.at(0).properties;
  EXPECT_EQ(properties.at("sasl.password"), "pw-from-file");
  EXPECT_EQ(properties.at("sasl.oauthbearer.client.secret"), "oauth-from-env");
  EXPECT_EQ(properties.at("sasl.username"), "alice");
}

TEST_F(SecretFiles, loader_error_names_the_file_line_key_path_and_variable_but_not_the_value) {
  ::unsetenv("KPE_TEST_UNSET_VAR");
  const std::string error = LoadError(
      "clusters:\n  - name: a\n    kafka:\n      servers: [h:1]\n      properties:\n"
      "        sasl.password: pre-secret-${env:KPE_TEST_UNSET_VAR}\n");
  EXPECT_EQ(error,
            "test.yaml:6:24: clusters[0].kafka.properties.sasl.password: the environment variable "
            "KPE_TEST_UNSET_VAR is not set");
}

TEST_F(SecretFiles, loader_error_for_a_missing_secret_file_names_the_key_and_the_file) {
  const std::string config =
      Write("c.yaml", "kafka:\n  servers: [h:9092]\n  properties:\n    ssl.key.password: ${file:missing.pw}\n");
  try {
    LoadConfigFile(config);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), config + ":4:23: kafka.properties.ssl.key.password: cannot read the secret file " +
                                         (dir_ / "missing.pw").string() + ": No such file or directory");
  }
}

}  // namespace
}  // namespace kpe::config
