#include "http/web_config.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tls_test_util.h"

namespace kpe::http {
namespace {

using testing::TempDir;
using testing::TestCertificates;

class WebConfigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = std::make_unique<TestCertificates>(); }
  static void TearDownTestSuite() { certs_.reset(); }

  // Parses `yaml` as "web.yml" in the certificates' folder.
  static WebConfig Parse(const std::string& yaml) {
    return ParseWebConfig(yaml, "web.yml", certs_->dir().path().string());
  }

  // The message of the WebConfigError that parsing `yaml` throws ("" when it does not throw).
  static std::string Error(const std::string& yaml) {
    try {
      Parse(yaml);
    } catch (const WebConfigError& e) {
      return e.what();
    }
    return "";
  }

  static std::unique_ptr<TestCertificates> certs_;
};

std::unique_ptr<TestCertificates> WebConfigTest::certs_;

const std::string kTls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

TEST_F(WebConfigTest, empty_file_means_plain_http_without_auth) {
  const WebConfig config = Parse("");
  EXPECT_FALSE(config.tls);
  EXPECT_TRUE(config.headers.empty());
  EXPECT_TRUE(config.basic_auth_users.empty());
}

TEST_F(WebConfigTest, full_config_is_read_with_relative_paths_resolved_against_the_base_folder) {
  const std::string hash = testing::BcryptHash("secret", "$2y$");
  const WebConfig config = Parse(kTls +
                                 "  client_ca_file: ca.crt\n"
                                 "  client_auth_type: RequireAndVerifyClientCert\n"
                                 "  min_version: TLS13\n"
                                 "  max_version: TLS13\n"
                                 "http_server_config:\n"
                                 "  http2: false\n"
                                 "  headers:\n"
                                 "    X-Frame-Options: deny\n"
                                 "    Strict-Transport-Security: max-age=31536000\n"
                                 "    X-XSS-Protection: ''\n"
                                 "basic_auth_users:\n"
                                 "  alice: " + hash + "\n");
  ASSERT_TRUE(config.tls);
  EXPECT_EQ(config.tls->cert_file, certs_->File("server.crt"));
  EXPECT_EQ(config.tls->key_file, certs_->File("server.key"));
  EXPECT_EQ(config.tls->client_ca_file, certs_->File("ca.crt"));
  EXPECT_EQ(config.tls->client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(config.tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(config.tls->max_version, TlsVersion::kTls13);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Frame-Options", "deny"}, {"Strict-Transport-Security", "max-age=31536000"}};
  EXPECT_EQ(config.headers, headers);  // the blank one is unset
  EXPECT_EQ(config.basic_auth_users.at("alice"), hash);
}

TEST_F(WebConfigTest, tls_defaults_are_no_client_cert_and_tls12_to_tls13) {
  const WebConfig config = Parse(kTls);
  ASSERT_TRUE(config.tls);
  EXPECT_EQ(config.tls->client_auth, ClientAuth::kNoClientCert);
  EXPECT_EQ(config.tls->min_version, TlsVersion::kTls12);
  EXPECT_EQ(config.tls->max_version, TlsVersion::kTls13);
}

TEST_F(WebConfigTest, load_resolves_relative_paths_against_the_config_files_folder) {
  const std::string path = certs_->dir().Write("web.yml", kTls);
  const WebConfig config = LoadWebConfig(path);
  ASSERT_TRUE(config.tls);
  EXPECT_EQ(config.tls->cert_file, certs_->File("server.crt"));
  EXPECT_EQ(config.source, path);
}

TEST_F(WebConfigTest, load_of_a_missing_file_names_it) {
  const std::string path = certs_->File("absent.yml");
  try {
    LoadWebConfig(path);
    FAIL() << "no error";
  } catch (const WebConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read web config file " + path + ": No such file or directory");
  }
}

TEST_F(WebConfigTest, load_errors_name_the_file_given) {
  const std::string path = certs_->dir().Write("bad.yml", "nope: 1\n");
  try {
    LoadWebConfig(path);
    FAIL() << "no error";
  } catch (const WebConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ":1:1: nope: unknown key", 0), 0u) << e.what();
  }
}

TEST_F(WebConfigTest, unknown_top_level_key_names_line_column_and_valid_keys) {
  EXPECT_EQ(Error("basic_auth_users: {}\ntls_config: {}\n"),
            "web.yml:2:1: tls_config: unknown key (valid keys: tls_server_config, http_server_config, "
            "basic_auth_users)");
}

TEST_F(WebConfigTest, unknown_tls_key_names_its_path) {
  EXPECT_EQ(Error(kTls + "  certfile: x\n"),
            "web.yml:4:3: tls_server_config.certfile: unknown key (valid keys: cert_file, key_file, client_ca_file, "
            "client_auth_type, min_version, max_version)");
}

TEST_F(WebConfigTest, toolkit_option_not_implemented_is_named_as_unsupported) {
  EXPECT_EQ(Error(kTls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n").rfind(
                "web.yml:4:3: tls_server_config.cipher_suites: exporter-toolkit option not supported", 0),
            0u);
  EXPECT_EQ(Error("rate_limit: {interval: 1s}\n").rfind("web.yml:1:1: rate_limit: exporter-toolkit option not supported", 0),
            0u);
}

TEST_F(WebConfigTest, duplicate_key_names_both_places) {
  EXPECT_EQ(Error(kTls + "  key_file: server.key\n"),
            "web.yml:4:3: tls_server_config.key_file: duplicate key (first set at web.yml:3:3)");
}

TEST_F(WebConfigTest, wrong_type_names_key_and_what_was_expected) {
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: [a, b]\n"),
            "web.yml:2:14: tls_server_config.cert_file: expected a string, got a list");
  EXPECT_EQ(Error("tls_server_config: yes\n"), "web.yml:1:20: tls_server_config: expected a mapping, got \"yes\"");
}

TEST_F(WebConfigTest, unknown_version_names_the_valid_ones) {
  EXPECT_EQ(Error(kTls + "  min_version: TLS14\n"),
            "web.yml:4:16: tls_server_config.min_version: unknown version \"TLS14\" (valid: TLS12, TLS13)");
}

TEST_F(WebConfigTest, version_below_tls12_is_refused) {
  EXPECT_EQ(Error(kTls + "  min_version: TLS10\n"),
            "web.yml:4:16: tls_server_config.min_version: version \"TLS10\" is refused: below TLS 1.2 (valid: "
            "TLS12, TLS13)");
  EXPECT_EQ(Error(kTls + "  max_version: TLS11\n").rfind("web.yml:4:16: tls_server_config.max_version: version \"TLS11\"", 0),
            0u);
}

TEST_F(WebConfigTest, max_version_below_min_version_is_an_error) {
  EXPECT_EQ(Error(kTls + "  min_version: TLS13\n  max_version: TLS12\n"),
            "web.yml:5:16: tls_server_config.max_version: TLS12 is below min_version TLS13");
}

TEST_F(WebConfigTest, unknown_client_auth_type_names_the_valid_ones) {
  EXPECT_EQ(Error(kTls + "  client_auth_type: Always\n"),
            "web.yml:4:21: tls_server_config.client_auth_type: unknown client auth type \"Always\" (valid: "
            "NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
            "RequireAndVerifyClientCert)");
}

TEST_F(WebConfigTest, verifying_client_auth_without_client_ca_file_is_an_error) {
  EXPECT_EQ(Error(kTls + "  client_auth_type: RequireAndVerifyClientCert\n"),
            "web.yml:4:21: tls_server_config.client_auth_type: RequireAndVerifyClientCert needs client_ca_file to "
            "verify client certificates");
}

TEST_F(WebConfigTest, client_ca_file_without_client_auth_type_is_an_error) {
  EXPECT_EQ(Error(kTls + "  client_ca_file: ca.crt\n").rfind(
                "web.yml:4:19: tls_server_config.client_ca_file: set without client_auth_type", 0),
            0u);
}

TEST_F(WebConfigTest, missing_cert_file_key_is_an_error) {
  EXPECT_EQ(Error("tls_server_config:\n  key_file: server.key\n"),
            "web.yml:2:3: tls_server_config.cert_file: missing (required with tls_server_config)");
}

TEST_F(WebConfigTest, missing_key_file_key_is_an_error) {
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: server.crt\n"),
            "web.yml:2:3: tls_server_config.key_file: missing (required with tls_server_config)");
}

TEST_F(WebConfigTest, cert_file_that_does_not_exist_names_the_resolved_path) {
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n"),
            "web.yml:2:14: tls_server_config.cert_file: cannot read \"" + certs_->File("nope.crt") +
                "\": No such file or directory");
}

TEST_F(WebConfigTest, cert_file_that_is_not_a_certificate_is_an_error) {
  certs_->dir().Write("garbage.crt", "not a certificate\n");
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: garbage.crt\n  key_file: server.key\n")
                .rfind("web.yml:2:14: tls_server_config.cert_file: cannot load certificate \"" +
                           certs_->File("garbage.crt") + "\": ",
                       0),
            0u);
}

TEST_F(WebConfigTest, key_that_does_not_match_the_certificate_is_an_error) {
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n")
                .rfind("web.yml:3:13: tls_server_config.key_file: cannot load private key", 0),
            0u);
}

TEST_F(WebConfigTest, header_not_in_the_allow_list_is_an_error) {
  EXPECT_EQ(Error("http_server_config:\n  headers:\n    Set-Cookie: a=b\n"),
            "web.yml:3:5: http_server_config.headers.Set-Cookie: unknown key (valid keys: Content-Security-Policy, "
            "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection)");
}

TEST_F(WebConfigTest, header_with_a_value_it_does_not_allow_is_an_error) {
  EXPECT_EQ(Error("http_server_config:\n  headers:\n    X-Frame-Options: allow-from x\n"),
            "web.yml:3:22: http_server_config.headers.X-Frame-Options: invalid value \"allow-from x\" (valid: deny, "
            "sameorigin)");
}

TEST_F(WebConfigTest, http2_must_be_a_boolean) {
  EXPECT_EQ(Error("http_server_config:\n  http2: maybe\n"),
            "web.yml:2:10: http_server_config.http2: expected true or false, got \"maybe\"");
}

TEST_F(WebConfigTest, password_that_is_not_a_bcrypt_hash_names_the_user_but_not_the_value) {
  const std::string error = Error("basic_auth_users:\n  alice: plaintext-secret\n");
  EXPECT_EQ(error.rfind("web.yml:2:10: basic_auth_users.alice: the password of user \"alice\" is not a bcrypt hash", 0),
            0u)
      << error;
  EXPECT_EQ(error.find("plaintext-secret"), std::string::npos);
}

TEST_F(WebConfigTest, user_without_a_hash_is_an_error) {
  EXPECT_EQ(Error("basic_auth_users:\n  alice:\n").rfind(
                "web.yml:2:3: basic_auth_users.alice: expected a bcrypt hash for user \"alice\", got nothing", 0),
            0u);
}

TEST_F(WebConfigTest, invalid_yaml_names_line_and_column) {
  EXPECT_EQ(Error("tls_server_config: [\n").rfind("web.yml:2:1: invalid YAML: ", 0), 0u) << Error("tls_server_config: [\n");
}

// yaml-cpp 0.7's LoadAll loops forever on this (found by fuzz/fuzz_config).
TEST_F(WebConfigTest, stray_leading_comma_is_invalid_yaml_naming_line_and_column_not_a_hang) {
  EXPECT_EQ(Error(",basic_auth_users: {}\n"), "web.yml:1:1: invalid YAML: did not find expected node content");
}

}  // namespace
}  // namespace kpe::http
