// The server with a web config: HTTPS, client certificates, TLS versions, certificate rotation,
// basic auth and extra headers, against certificates made in the test.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "http/basic_auth.h"
#include "http/tls_context.h"
#include "test_harness.h"
#include "tls_test_util.h"

namespace kpe::http {
namespace {

using namespace kpe::http::testing;  // NOLINT
namespace ssl = boost::asio::ssl;

struct ClientTls {
  std::string ca_file;  // "" = do not verify the server
  std::string cert_file;
  std::string key_file;
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
};

/// An HTTPS client on its own io_context; every operation has a deadline.
class TlsClient {
 public:
  TlsClient(uint16_t port, const ClientTls& tls) : context_(ssl::context::tls_client) {
    SSL_CTX* ctx = context_.native_handle();
    SSL_CTX_set_min_proto_version(ctx, tls.min_version);
    SSL_CTX_set_max_proto_version(ctx, tls.max_version);
    if (!tls.ca_file.empty()) {
      context_.load_verify_file(tls.ca_file);
      context_.set_verify_mode(ssl::verify_peer);
    }
    if (!tls.cert_file.empty()) {
      context_.use_certificate_chain_file(tls.cert_file);
      context_.use_private_key_file(tls.key_file, ssl::context::pem);
    }
    stream_.emplace(io_, context_);
    SSL_set1_host(stream_->native_handle(), "127.0.0.1");
    beast::get_lowest_layer(*stream_).expires_after(kDeadline);
    beast::error_code result;
    beast::get_lowest_layer(*stream_).async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                                                    [&](beast::error_code ec) { result = ec; });
    Run();
    if (result) {
      error_ = result;
      return;
    }
    stream_->async_handshake(ssl::stream_base::client, [&](beast::error_code ec) { result = ec; });
    Run();
    error_ = result;
  }

  /// The error of connecting or of the handshake.
  beast::error_code error() const { return error_; }

  /// Common name of the server's certificate.
  std::string PeerCommonName() {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (cert == nullptr) return "";
    std::array<char, 256> name{};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name.data(), name.size());
    X509_free(cert);
    return name.data();
  }

  /// Sends one request and reads the answer; the beast error when that fails.
  beast::error_code Request(const std::string& target, StringResponse& response, const std::string& headers = "") {
    const std::string raw = "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + headers + "\r\n";
    beast::error_code result;
    beast::get_lowest_layer(*stream_).expires_after(kDeadline);
    net::async_write(*stream_, net::buffer(raw), [&](beast::error_code ec, size_t) { result = ec; });
    Run();
    if (result) return result;
    bhttp::response_parser<bhttp::string_body> parser;
    bhttp::async_read(*stream_, buffer_, parser, [&](beast::error_code ec, size_t) { result = ec; });
    Run();
    if (!result) response = parser.release();
    return result;
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  net::io_context io_;
  ssl::context context_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
};

/// A web config the test can swap, as the app does on reload.
class ConfigHolder {
 public:
  void Set(WebConfig config) { config_.store(std::make_shared<const WebConfig>(std::move(config))); }
  std::shared_ptr<const WebConfig> Get() const { return config_.load(); }

 private:
  std::atomic<std::shared_ptr<const WebConfig>> config_;
};

WebConfig WithTls(TlsServerConfig tls) {
  WebConfig config;
  config.tls = std::move(tls);
  return config;
}

Response Ok(const Request& /*request*/) { return Response::Text(200, "ok\n"); }

class WebServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = std::make_unique<TestCertificates>(); }
  static void TearDownTestSuite() { certs_.reset(); }

  static TlsServerConfig ServerTls() {
    TlsServerConfig tls;
    tls.cert_file = certs_->File("server.crt");
    tls.key_file = certs_->File("server.key");
    return tls;
  }

  /// Starts a server whose web config is `holder_`'s.
  void Start(WebConfig config, std::chrono::milliseconds reload_interval = std::chrono::milliseconds(1000)) {
    holder_.Set(std::move(config));
    ServerOptions options = LoopbackOptions();
    options.web_config = [this] { return holder_.Get(); };
    options.tls_reload_interval = reload_interval;
    server_ = std::make_unique<ServerHarness>(Ok, options);
  }

  ClientTls TrustingClient() const { return ClientTls{certs_->File("ca.crt"), "", ""}; }

  static std::unique_ptr<TestCertificates> certs_;
  ConfigHolder holder_;
  std::unique_ptr<ServerHarness> server_;
};

std::unique_ptr<TestCertificates> WebServerTest::certs_;

std::string Basic(const std::string& user, const std::string& password) {
  const std::string text = user + ":" + password;
  std::string encoded(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                   reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  encoded.resize(static_cast<size_t>(size));
  return "Authorization: Basic " + encoded + "\r\n";
}

// ---------------------------------------------------------------------------------------------------
// TLS

TEST_F(WebServerTest, https_request_succeeds_with_the_right_ca) {
  Start(WithTls(ServerTls()));
  TlsClient client(server_->port(), TrustingClient());
  ASSERT_FALSE(client.error()) << client.error().message();
  StringResponse response;
  ASSERT_FALSE(client.Request("/", response));
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), "ok\n");
  EXPECT_EQ(client.PeerCommonName(), "server");
}

TEST_F(WebServerTest, client_with_another_ca_rejects_the_server) {
  Start(WithTls(ServerTls()));
  TlsClient client(server_->port(), ClientTls{certs_->File("rogue-ca.crt"), "", ""});
  EXPECT_TRUE(client.error());
}

TEST_F(WebServerTest, plain_http_to_the_tls_port_is_closed_and_the_server_keeps_serving) {
  Start(WithTls(ServerTls()));
  {
    TestClient plain(server_->port());
    ASSERT_FALSE(plain.connect_error());
    ASSERT_FALSE(plain.Send("GET / HTTP/1.1\r\nHost: test\r\n\r\n"));
    const TestClient::Drained drained = plain.ReadUntilClosed();
    EXPECT_TRUE(drained.closed()) << drained.error.message();
    EXPECT_EQ(drained.data.rfind("HTTP/1.0 400 Bad Request\r\n", 0), 0u) << drained.data;
    EXPECT_NE(drained.data.find("Client sent an HTTP request to an HTTPS server."), std::string::npos);
  }
  TlsClient client(server_->port(), TrustingClient());
  ASSERT_FALSE(client.error()) << client.error().message();
  StringResponse response;
  ASSERT_FALSE(client.Request("/", response));
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_TRUE(WaitFor([&] { return server_->server().connections() == 1; }));
}

TEST_F(WebServerTest, garbage_to_the_tls_port_is_closed) {
  Start(WithTls(ServerTls()));
  TestClient plain(server_->port());
  ASSERT_FALSE(plain.Send(std::string("\x16\x03\x01\x00\x05garbage", 12)));
  EXPECT_TRUE(plain.ReadUntilClosed().closed());
}

TlsServerConfig MutualTls(TlsServerConfig tls, const std::string& ca) {
  tls.client_ca_file = ca;
  tls.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  return tls;
}

// With TLS 1.3 the server checks the client certificate after the client's handshake has finished:
// the refusal shows on the first request.
bool Refused(TlsClient& client) {
  if (client.error()) return true;
  StringResponse response;
  return static_cast<bool>(client.Request("/", response));
}

TEST_F(WebServerTest, required_client_certificate_missing_fails_the_handshake) {
  Start(WithTls(MutualTls(ServerTls(), certs_->File("ca.crt"))));
  TlsClient client(server_->port(), TrustingClient());
  EXPECT_TRUE(Refused(client));
}

TEST_F(WebServerTest, client_certificate_from_another_ca_is_refused) {
  Start(WithTls(MutualTls(ServerTls(), certs_->File("ca.crt"))));
  TlsClient client(server_->port(),
                   ClientTls{certs_->File("ca.crt"), certs_->File("rogue.crt"), certs_->File("rogue.key")});
  EXPECT_TRUE(Refused(client));
}

TEST_F(WebServerTest, client_certificate_signed_by_the_client_ca_is_served) {
  Start(WithTls(MutualTls(ServerTls(), certs_->File("ca.crt"))));
  TlsClient client(server_->port(),
                   ClientTls{certs_->File("ca.crt"), certs_->File("client.crt"), certs_->File("client.key")});
  ASSERT_FALSE(client.error()) << client.error().message();
  StringResponse response;
  ASSERT_FALSE(client.Request("/", response));
  EXPECT_EQ(response.result_int(), 200u);
}

TEST_F(WebServerTest, verify_if_given_serves_a_client_without_certificate_but_refuses_a_rogue_one) {
  TlsServerConfig tls = MutualTls(ServerTls(), certs_->File("ca.crt"));
  tls.client_auth = ClientAuth::kVerifyClientCertIfGiven;
  Start(WithTls(tls));
  TlsClient without(server_->port(), TrustingClient());
  EXPECT_FALSE(Refused(without));
  TlsClient rogue(server_->port(),
                  ClientTls{certs_->File("ca.crt"), certs_->File("rogue.crt"), certs_->File("rogue.key")});
  EXPECT_TRUE(Refused(rogue));
}

TEST_F(WebServerTest, require_any_client_cert_accepts_an_unverified_certificate_but_not_none) {
  TlsServerConfig tls = ServerTls();
  tls.client_auth = ClientAuth::kRequireAnyClientCert;
  Start(WithTls(tls));
  TlsClient rogue(server_->port(),
                  ClientTls{certs_->File("ca.crt"), certs_->File("rogue.crt"), certs_->File("rogue.key")});
  EXPECT_FALSE(Refused(rogue));
  TlsClient without(server_->port(), TrustingClient());
  EXPECT_TRUE(Refused(without));
}

TEST_F(WebServerTest, tls13_only_server_refuses_a_tls12_client) {
  TlsServerConfig tls = ServerTls();
  tls.min_version = TlsVersion::kTls13;
  Start(WithTls(tls));
  ClientTls tls12 = TrustingClient();
  tls12.max_version = TLS1_2_VERSION;
  TlsClient old_client(server_->port(), tls12);
  EXPECT_TRUE(old_client.error());
  TlsClient new_client(server_->port(), TrustingClient());
  EXPECT_FALSE(new_client.error()) << new_client.error().message();
}

TEST_F(WebServerTest, tls12_max_server_serves_a_tls12_client) {
  TlsServerConfig tls = ServerTls();
  tls.max_version = TlsVersion::kTls12;
  Start(WithTls(tls));
  ClientTls tls12 = TrustingClient();
  tls12.max_version = TLS1_2_VERSION;
  TlsClient client(server_->port(), tls12);
  EXPECT_FALSE(client.error()) << client.error().message();
}

TEST(TlsContextTest, context_never_allows_below_tls12) {
  // The client side cannot reliably attempt TLS 1.1 (OpenSSL 3's security level refuses it), so the
  // server's own floor is asserted.
  TestCertificates certs;
  TlsServerConfig tls;
  tls.cert_file = certs.File("server.crt");
  tls.key_file = certs.File("server.key");
  const auto context = MakeServerTlsContext(tls);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(context->native_handle()), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(context->native_handle()), TLS1_3_VERSION);
}

TEST_F(WebServerTest, tls11_client_is_refused) {
  Start(WithTls(ServerTls()));
  ClientTls tls11 = TrustingClient();
  tls11.min_version = TLS1_1_VERSION;
  tls11.max_version = TLS1_1_VERSION;
  TlsClient client(server_->port(), tls11);
  EXPECT_TRUE(client.error());
}

TEST_F(WebServerTest, rotated_certificate_is_served_without_a_restart) {
  const TempDir dir;
  TlsServerConfig tls;
  tls.cert_file = dir.Write("tls.crt", ReadText(certs_->File("server.crt")));
  tls.key_file = dir.Write("tls.key", ReadText(certs_->File("server.key")));
  Start(WithTls(tls), std::chrono::milliseconds(0));
  {
    TlsClient client(server_->port(), TrustingClient());
    ASSERT_FALSE(client.error()) << client.error().message();
    EXPECT_EQ(client.PeerCommonName(), "server");
  }
  dir.Write("tls.key", ReadText(certs_->File("rotated.key")));
  dir.Write("tls.crt", ReadText(certs_->File("rotated.crt")));
  EXPECT_TRUE(WaitFor([&] {
    TlsClient client(server_->port(), TrustingClient());
    return !client.error() && client.PeerCommonName() == "rotated";
  }));
}

TEST_F(WebServerTest, bad_new_certificate_keeps_the_old_one_in_service) {
  const TempDir dir;
  TlsServerConfig tls;
  tls.cert_file = dir.Write("tls.crt", ReadText(certs_->File("server.crt")));
  tls.key_file = dir.Write("tls.key", ReadText(certs_->File("server.key")));
  Start(WithTls(tls), std::chrono::milliseconds(0));
  {
    TlsClient client(server_->port(), TrustingClient());
    ASSERT_FALSE(client.error()) << client.error().message();
  }
  dir.Write("tls.crt", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  for (int i = 0; i < 3; ++i) {
    TlsClient client(server_->port(), TrustingClient());
    ASSERT_FALSE(client.error()) << client.error().message();
    EXPECT_EQ(client.PeerCommonName(), "server");
  }
}

TEST_F(WebServerTest, config_swap_to_tls_applies_to_new_connections) {
  Start(WebConfig{});
  {
    TestClient plain(server_->port());
    EXPECT_EQ(plain.Request("GET", "/").result_int(), 200u);
  }
  holder_.Set(WithTls(ServerTls()));
  TlsClient client(server_->port(), TrustingClient());
  EXPECT_FALSE(client.error()) << client.error().message();
}

TEST(TlsContextCacheTest, changed_files_are_seen_only_after_the_check_interval) {
  TestCertificates certs;
  const TempDir dir;
  TlsServerConfig tls;
  tls.cert_file = dir.Write("tls.crt", ReadText(certs.File("server.crt")));
  tls.key_file = dir.Write("tls.key", ReadText(certs.File("server.key")));
  TlsContextCache::Clock::time_point now{std::chrono::hours(1)};
  TlsContextCache cache(std::chrono::seconds(1), [&] { return now; });
  const auto first = cache.Get(tls);
  ASSERT_TRUE(first);
  EXPECT_EQ(cache.Get(tls), first);
  dir.Write("tls.key", ReadText(certs.File("rotated.key")));
  dir.Write("tls.crt", ReadText(certs.File("rotated.crt")));
  now += std::chrono::milliseconds(999);
  EXPECT_EQ(cache.Get(tls), first);
  now += std::chrono::milliseconds(1);
  const auto second = cache.Get(tls);
  ASSERT_TRUE(second);
  EXPECT_NE(second, first);
}

TEST(TlsContextCacheTest, unusable_first_certificate_gives_no_context) {
  const TempDir dir;
  TlsServerConfig tls;
  tls.cert_file = dir.Write("tls.crt", "garbage");
  tls.key_file = dir.Write("tls.key", "garbage");
  TlsContextCache cache;
  EXPECT_FALSE(cache.Get(tls));
}

TEST_F(WebServerTest, start_with_unusable_certificates_is_an_error_naming_the_key) {
  const TempDir dir;
  TlsServerConfig tls;
  tls.cert_file = dir.Write("tls.crt", "garbage");
  tls.key_file = dir.Write("tls.key", "garbage");
  auto config = std::make_shared<const WebConfig>(WithTls(tls));
  ServerOptions options = LoopbackOptions();
  options.web_config = [config] { return config; };
  net::io_context io;
  Server server(io, options, Ok);
  try {
    server.Start();
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot serve HTTPS: tls_server_config.cert_file: cannot load certificate \"" +
                                              tls.cert_file + "\"",
                                          0),
              0u)
        << e.what();
  }
}

TEST_F(WebServerTest, connection_is_closed_when_a_new_config_has_no_usable_certificate) {
  const TempDir dir;
  TlsServerConfig tls;
  tls.cert_file = dir.Write("tls.crt", "garbage");
  tls.key_file = dir.Write("tls.key", "garbage");
  Start(WebConfig{});
  holder_.Set(WithTls(tls));
  TestClient plain(server_->port());
  ASSERT_FALSE(plain.Send("GET / HTTP/1.1\r\nHost: test\r\n\r\n"));
  const TestClient::Drained drained = plain.ReadUntilClosed();
  EXPECT_TRUE(drained.closed());
  EXPECT_EQ(drained.data, "");  // never plain HTTP
}

// ---------------------------------------------------------------------------------------------------
// Basic auth and headers

class BasicAuthServerTest : public WebServerTest {
 protected:
  void SetUp() override {
    WebConfig config;
    config.basic_auth_users = {{"alice", BcryptHash("wonderland")}, {"bob", BcryptHash("builder", "$2y$")}};
    Start(config);
  }
};

TEST_F(BasicAuthServerTest, request_without_credentials_gets_401_with_www_authenticate) {
  TestClient client(server_->port());
  const StringResponse response = client.Request("GET", "/metrics");
  EXPECT_EQ(response.result_int(), 401u);
  EXPECT_EQ(response[bhttp::field::www_authenticate], "Basic realm=\"kafka-perf-exporter\"");
}

TEST_F(BasicAuthServerTest, wrong_password_gets_401) {
  TestClient client(server_->port());
  EXPECT_EQ(client.Request("GET", "/", Basic("alice", "wrong")).result_int(), 401u);
}

TEST_F(BasicAuthServerTest, unknown_user_gets_401) {
  TestClient client(server_->port());
  EXPECT_EQ(client.Request("GET", "/", Basic("mallory", "wonderland")).result_int(), 401u);
}

TEST_F(BasicAuthServerTest, other_scheme_gets_401) {
  TestClient client(server_->port());
  EXPECT_EQ(client.Request("GET", "/", "Authorization: Bearer abc\r\n").result_int(), 401u);
}

TEST_F(BasicAuthServerTest, right_password_gets_200_also_for_a_2y_hash) {
  TestClient client(server_->port());
  EXPECT_EQ(client.Request("GET", "/", Basic("alice", "wonderland")).result_int(), 200u);
  EXPECT_EQ(client.Request("GET", "/", Basic("bob", "builder")).result_int(), 200u);
}

TEST_F(BasicAuthServerTest, connection_stays_open_after_a_401_for_the_retry_with_credentials) {
  TestClient client(server_->port());
  EXPECT_EQ(client.Request("GET", "/").result_int(), 401u);
  EXPECT_EQ(client.Request("GET", "/", Basic("alice", "wonderland")).result_int(), 200u);
}

TEST_F(BasicAuthServerTest, reloaded_users_apply_to_the_next_request) {
  TestClient client(server_->port());
  EXPECT_EQ(client.Request("GET", "/", Basic("alice", "wonderland")).result_int(), 200u);
  WebConfig config;
  config.basic_auth_users = {{"alice", BcryptHash("changed")}};
  holder_.Set(config);
  EXPECT_EQ(client.Request("GET", "/", Basic("alice", "wonderland")).result_int(), 401u);
  EXPECT_EQ(client.Request("GET", "/", Basic("alice", "changed")).result_int(), 200u);
}

TEST_F(WebServerTest, basic_auth_over_https) {
  WebConfig config = WithTls(ServerTls());
  config.basic_auth_users = {{"alice", BcryptHash("wonderland")}};
  Start(config);
  TlsClient client(server_->port(), TrustingClient());
  ASSERT_FALSE(client.error()) << client.error().message();
  StringResponse response;
  ASSERT_FALSE(client.Request("/", response));
  EXPECT_EQ(response.result_int(), 401u);
  ASSERT_FALSE(client.Request("/", response, Basic("alice", "wonderland")));
  EXPECT_EQ(response.result_int(), 200u);
}

TEST_F(WebServerTest, configured_headers_are_on_every_answer_including_errors) {
  WebConfig config;
  config.headers = {{"X-Frame-Options", "deny"}, {"X-Content-Type-Options", "nosniff"}};
  config.basic_auth_users = {{"alice", BcryptHash("wonderland")}};
  Start(config);
  TestClient client(server_->port());
  const StringResponse unauthorized = client.Request("GET", "/");
  EXPECT_EQ(unauthorized.result_int(), 401u);
  EXPECT_EQ(unauthorized["X-Frame-Options"], "deny");
  const StringResponse ok = client.Request("GET", "/", Basic("alice", "wonderland"));
  EXPECT_EQ(ok.result_int(), 200u);
  EXPECT_EQ(ok["X-Frame-Options"], "deny");
  EXPECT_EQ(ok["X-Content-Type-Options"], "nosniff");
  const StringResponse bad = client.Request("GET", "/../x");
  EXPECT_EQ(bad.result_int(), 400u);
  EXPECT_EQ(bad["X-Frame-Options"], "deny");
}

TEST_F(WebServerTest, without_web_config_nothing_changes) {
  ServerHarness server(Ok);
  TestClient client(server.port());
  const StringResponse response = client.Request("GET", "/");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.count(bhttp::field::www_authenticate), 0u);
}

}  // namespace
}  // namespace kpe::http
