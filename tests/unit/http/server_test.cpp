#include "http/server.h"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>

#include "test_harness.h"

namespace kpe::http {
namespace {

namespace beast = testing::beast;
namespace net = testing::net;
using testing::kDeadline;
using testing::LoopbackOptions;
using testing::ServerHarness;
using testing::StringResponse;
using testing::TestClient;
using testing::WaitFor;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kMetricsBody = "kafka_brokers 3\n";

Handler TestRouter() {
  auto router = std::make_shared<Router>();
  router->Add("GET", "/metrics", [](const Request&) {
    Response response = Response::Text(200, std::string(kMetricsBody));
    response.content_type = "text/plain; version=0.0.4";
    response.headers.emplace_back("X-Extra", "yes");
    return response;
  });
  router->Add("GET", "/shared", [](const Request&) {
    Response response;
    response.shared_body = std::make_shared<const std::string>("shared-part;");
    response.body = "own-part";
    return response;
  });
  router->Add("POST", "/echo", [](const Request& request) {
    return Response::Text(200, request.method + " " + request.path + " ?" + request.query +
                                   " x-test=" + request.Header("x-test") + " body=" + request.body);
  });
  router->Add("GET", "/throw",
              [](const Request&) -> Response { throw std::runtime_error("handler exploded"); });
  return [router](const Request& request) { return router->Route(request); };
}

TEST(ServerTest, get_returns_200_with_body_content_type_extra_and_server_headers) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  const StringResponse response = client.Request("GET", "/metrics");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), kMetricsBody);
  EXPECT_EQ(response[testing::bhttp::field::content_type], "text/plain; version=0.0.4");
  EXPECT_EQ(response["X-Extra"], "yes");
  EXPECT_EQ(response[testing::bhttp::field::server], "kafka-perf-exporter");
  EXPECT_EQ(response[testing::bhttp::field::content_length], std::to_string(kMetricsBody.size()));
}

TEST(ServerTest, shared_body_is_followed_by_body_and_content_length_is_their_sum) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  const StringResponse response = client.Request("GET", "/shared");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), "shared-part;own-part");
  EXPECT_EQ(response[testing::bhttp::field::content_length], "20");
}

TEST(ServerTest, unknown_path_is_404_not_found) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  const StringResponse response = client.Request("GET", "/nope");
  EXPECT_EQ(response.result_int(), 404u);
  EXPECT_EQ(response.body(), "not found\n");
}

TEST(ServerTest, other_method_on_known_path_is_405_with_allow) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  const StringResponse response = client.Request("POST", "/metrics", "", "x");
  EXPECT_EQ(response.result_int(), 405u);
  EXPECT_EQ(response[testing::bhttp::field::allow], "GET, HEAD");
}

TEST(ServerTest, head_has_content_length_of_get_body_and_no_body) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  ASSERT_FALSE(client.Send("HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  const TestClient::Drained drained = client.ReadUntilClosed();
  ASSERT_TRUE(drained.closed()) << drained.error.message();
  EXPECT_NE(drained.data.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << drained.data;
  EXPECT_NE(drained.data.find("Content-Length: " + std::to_string(kMetricsBody.size()) + "\r\n"),
            std::string::npos)
      << drained.data;
  EXPECT_EQ(drained.data.substr(drained.data.size() - 4), "\r\n\r\n") << drained.data;
}

TEST(ServerTest, keep_alive_serves_two_requests_on_one_connection) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  EXPECT_EQ(client.Request("GET", "/metrics").body(), kMetricsBody);
  EXPECT_EQ(client.Request("GET", "/shared").body(), "shared-part;own-part");
  EXPECT_EQ(harness.server().connections(), 1u);
}

TEST(ServerTest, pipelined_requests_are_answered_in_order) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  ASSERT_FALSE(
      client.Send("GET /shared HTTP/1.1\r\nHost: t\r\n\r\nGET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));
  StringResponse first;
  StringResponse second;
  ASSERT_FALSE(client.Read(first));
  ASSERT_FALSE(client.Read(second));
  EXPECT_EQ(first.body(), "shared-part;own-part");
  EXPECT_EQ(second.body(), kMetricsBody);
}

TEST(ServerTest, method_path_query_lowercased_headers_and_body_reach_the_handler) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  const StringResponse response = client.Request("POST", "/echo?a=1&b=%20", "X-Test: Value\r\n", "payload");
  EXPECT_EQ(response.body(), "POST /echo ?a=1&b=%20 x-test=Value body=payload");
}

TEST(ServerTest, percent_encoded_path_is_decoded_before_routing) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  EXPECT_EQ(client.Request("GET", "/metr%69cs").result_int(), 200u);
}

TEST(ServerTest, absolute_form_target_is_routed_by_its_path) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  const StringResponse response = client.Request("GET", "http://example.com:9308/metrics");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), kMetricsBody);
}

TEST(ServerTest, expect_100_continue_gets_interim_answer_then_body_is_read) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  ASSERT_FALSE(
      client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  StringResponse interim;
  ASSERT_FALSE(client.Read(interim));
  EXPECT_EQ(interim.result_int(), 100u);
  ASSERT_FALSE(client.Send("data"));
  StringResponse response;
  ASSERT_FALSE(client.Read(response));
  EXPECT_EQ(response.body(), "POST /echo ? x-test= body=data");
}

TEST(ServerTest, http10_request_without_keep_alive_is_answered_then_closed) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  ASSERT_FALSE(client.Send("GET /metrics HTTP/1.0\r\n\r\n"));
  const TestClient::Drained drained = client.ReadUntilClosed();
  EXPECT_TRUE(drained.closed()) << drained.error.message();
  EXPECT_EQ(drained.data.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << drained.data;
  EXPECT_EQ(drained.data.substr(drained.data.size() - kMetricsBody.size()), kMetricsBody);
}

// --- Bad input ---------------------------------------------------------------------------------

// Sends `raw` and expects one answer with `status` whose body contains `message`, then a close.
void ExpectErrorThenClose(uint16_t port, const std::string& raw, unsigned status,
                          const std::string& message) {
  TestClient client(port);
  ASSERT_FALSE(client.Send(raw));
  StringResponse response;
  const beast::error_code read_error = client.Read(response);
  ASSERT_FALSE(read_error) << read_error.message();
  EXPECT_EQ(response.result_int(), status);
  EXPECT_NE(response.body().find(message), std::string::npos) << response.body();
  EXPECT_EQ(response[testing::bhttp::field::connection], "close");
  const TestClient::Drained drained = client.ReadUntilClosed();
  EXPECT_TRUE(drained.closed()) << drained.error.message();
  EXPECT_EQ(drained.data, "");
}

TEST(ServerTest, header_larger_than_limit_is_431_naming_the_limit_then_close) {
  ServerOptions options = LoopbackOptions();
  options.max_header_bytes = 1024;
  ServerHarness harness(TestRouter(), options);
  ExpectErrorThenClose(harness.port(),
                       "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n",
                       431, "limit is 1024 bytes");
}

TEST(ServerTest, declared_body_larger_than_limit_is_413_naming_the_limit_then_close) {
  ServerOptions options = LoopbackOptions();
  options.max_body_bytes = 100;
  ServerHarness harness(TestRouter(), options);
  ExpectErrorThenClose(harness.port(), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n", 413,
                       "limit is 100 bytes");
}

TEST(ServerTest, chunked_body_larger_than_limit_is_413_then_close) {
  ServerOptions options = LoopbackOptions();
  options.max_body_bytes = 100;
  ServerHarness harness(TestRouter(), options);
  ExpectErrorThenClose(harness.port(),
                       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "c8\r\n" +
                           std::string(200, 'b') + "\r\n0\r\n\r\n",
                       413, "request body too large");
}

TEST(ServerTest, malformed_request_line_is_400_then_close) {
  ServerHarness harness(TestRouter());
  ExpectErrorThenClose(harness.port(), "GET /metrics NOTHTTP\r\nHost: t\r\n\r\n", 400, "bad request");
}

TEST(ServerTest, path_traversal_is_400_naming_the_target_then_close) {
  ServerHarness harness(TestRouter());
  ExpectErrorThenClose(harness.port(), "GET /a/../metrics HTTP/1.1\r\nHost: t\r\n\r\n", 400,
                       "\"/a/../metrics\": '..' segment in path");
}

TEST(ServerTest, encoded_path_traversal_is_400_then_close) {
  ServerHarness harness(TestRouter());
  ExpectErrorThenClose(harness.port(), "GET /%2e%2E/etc HTTP/1.1\r\nHost: t\r\n\r\n", 400,
                       "'..' segment in path");
}

TEST(ServerTest, encoded_nul_in_path_is_400_then_close) {
  ServerHarness harness(TestRouter());
  ExpectErrorThenClose(harness.port(), "GET /metrics%00 HTTP/1.1\r\nHost: t\r\n\r\n", 400,
                       "NUL byte in path");
}

TEST(ServerTest, asterisk_target_is_400_then_close) {
  ServerHarness harness(TestRouter());
  ExpectErrorThenClose(harness.port(), "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 400,
                       "path must start with '/'");
}

TEST(ServerTest, http11_request_without_host_is_400_then_close) {
  ServerHarness harness(TestRouter());
  ExpectErrorThenClose(harness.port(), "GET /metrics HTTP/1.1\r\n\r\n", 400, "without a Host header");
}

TEST(ServerTest, handler_exception_is_500_and_next_request_on_same_connection_works) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  const StringResponse failed = client.Request("GET", "/throw");
  EXPECT_EQ(failed.result_int(), 500u);
  EXPECT_EQ(failed.body(), "internal server error\n");
  EXPECT_EQ(client.Request("GET", "/metrics").body(), kMetricsBody);
}

TEST(ServerTest, invalid_status_from_handler_is_500) {
  ServerHarness harness([](const Request&) { return Response::Text(7, "bad"); });
  TestClient client(harness.port());
  EXPECT_EQ(client.Request("GET", "/").result_int(), 500u);
}

// --- Timeouts and limits -------------------------------------------------------------------------

TEST(ServerTest, client_sending_half_a_request_is_disconnected_after_read_timeout) {
  ServerOptions options = LoopbackOptions();
  options.read_timeout = std::chrono::milliseconds(300);
  ServerHarness harness(TestRouter(), options);
  TestClient client(harness.port());
  const auto start = Clock::now();
  ASSERT_FALSE(client.Send("GET /metrics HTTP/1.1\r\nHost: t\r\n"));
  const TestClient::Drained drained = client.ReadUntilClosed();
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(drained.closed()) << drained.error.message();
  EXPECT_EQ(drained.data, "");
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
}

TEST(ServerTest, idle_keep_alive_connection_is_closed_after_idle_timeout) {
  ServerOptions options = LoopbackOptions();
  options.idle_timeout = std::chrono::milliseconds(300);
  ServerHarness harness(TestRouter(), options);
  TestClient client(harness.port());
  EXPECT_EQ(client.Request("GET", "/metrics").result_int(), 200u);
  const auto start = Clock::now();
  const TestClient::Drained drained = client.ReadUntilClosed();
  EXPECT_TRUE(drained.closed()) << drained.error.message();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(250));
}

TEST(ServerTest, connections_beyond_max_are_closed_and_accepted_again_when_one_ends) {
  ServerOptions options = LoopbackOptions();
  options.max_connections = 2;
  ServerHarness harness(TestRouter(), options);
  auto first = std::make_unique<TestClient>(harness.port());
  TestClient second(harness.port());
  ASSERT_TRUE(WaitFor([&] { return harness.server().connections() == 2; }));

  TestClient refused(harness.port());
  ASSERT_FALSE(refused.connect_error());
  const TestClient::Drained drained = refused.ReadUntilClosed();
  EXPECT_TRUE(drained.closed()) << drained.error.message();
  EXPECT_EQ(drained.data, "");

  first.reset();
  ASSERT_TRUE(WaitFor([&] { return harness.server().connections() == 1; }));
  TestClient later(harness.port());
  EXPECT_EQ(later.Request("GET", "/metrics").result_int(), 200u);
}

// --- Lifecycle -----------------------------------------------------------------------------------

TEST(ServerTest, stop_closes_open_connections_and_makes_run_return) {
  ServerHarness harness(TestRouter());
  TestClient client(harness.port());
  EXPECT_EQ(client.Request("GET", "/metrics").result_int(), 200u);
  EXPECT_TRUE(harness.StopAndJoin());
  EXPECT_TRUE(client.ReadUntilClosed().closed());
}

TEST(ServerTest, stop_releases_the_port) {
  ServerHarness harness(TestRouter());
  const uint16_t port = harness.port();
  harness.server().Stop();
  net::io_context io;
  ServerOptions options = LoopbackOptions();
  options.port = port;
  Server again(io, options, TestRouter());
  EXPECT_NO_THROW(again.Start());
}

TEST(ServerTest, serves_concurrent_clients_with_io_context_on_several_threads) {
  ServerHarness harness(TestRouter(), LoopbackOptions(), 3);
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<TestClient>(harness.port()));
  for (int round = 0; round < 5; ++round) {
    for (auto& client : clients) EXPECT_EQ(client->Request("GET", "/shared").body(), "shared-part;own-part");
  }
  EXPECT_EQ(harness.server().connections(), 8u);
}

TEST(ServerTest, port_zero_binds_a_free_port) {
  ServerHarness harness(TestRouter());
  EXPECT_NE(harness.port(), 0);
}

TEST(ServerTest, empty_host_listens_on_all_interfaces_including_ipv4_loopback) {
  ServerOptions options;
  options.port = 0;
  ServerHarness harness(TestRouter(), options);
  TestClient client(harness.port());
  EXPECT_EQ(client.Request("GET", "/metrics").result_int(), 200u);
}

TEST(ServerTest, binding_a_used_port_throws_naming_the_address_and_reason) {
  ServerHarness harness(TestRouter());
  net::io_context io;
  ServerOptions options = LoopbackOptions();
  options.port = harness.port();
  Server second(io, options, TestRouter());
  try {
    second.Start();
    FAIL() << "Start() did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on 127.0.0.1:" + std::to_string(harness.port()) + ": Address already in use");
  }
}

TEST(ServerTest, binding_an_address_not_on_this_host_throws_naming_it) {
  net::io_context io;
  ServerOptions options = LoopbackOptions();
  options.host = "192.0.2.1";  // TEST-NET-1, never local
  Server server(io, options, TestRouter());
  try {
    server.Start();
    FAIL() << "Start() did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot listen on 192.0.2.1:0: ", 0), 0u) << e.what();
  }
}

TEST(ServerTest, stop_waits_for_a_handler_running_on_another_thread) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ServerHarness harness([&entered, released](const Request&) {
    entered.set_value();
    released.wait_for(kDeadline);
    return Response::Text(200, "late");
  });
  TestClient client(harness.port());
  ASSERT_FALSE(client.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_EQ(entered.get_future().wait_for(kDeadline), std::future_status::ready);

  std::future<void> stopped = std::async(std::launch::async, [&] { harness.server().Stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  release.set_value();
  EXPECT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
}

TEST(ServerTest, stop_called_from_a_handler_does_not_wait_for_itself) {
  Server* server = nullptr;
  ServerHarness harness([&server](const Request&) {
    server->Stop();
    return Response::Text(200, "stopping");
  });
  server = &harness.server();
  TestClient client(harness.port());
  ASSERT_FALSE(client.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_TRUE(client.ReadUntilClosed().closed());
  EXPECT_TRUE(harness.StopAndJoin());
}

std::string StartError(ServerOptions options) {
  net::io_context io;
  Server server(io, std::move(options), TestRouter());
  try {
    server.Start();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ServerTest, zero_max_connections_is_an_error_naming_the_option) {
  ServerOptions options = LoopbackOptions();
  options.max_connections = 0;
  EXPECT_EQ(StartError(options), "http server option max_connections is 0: must be at least 1");
}

TEST(ServerTest, non_positive_read_timeout_is_an_error_naming_the_option) {
  ServerOptions options = LoopbackOptions();
  options.read_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(StartError(options), "http server option read_timeout is 0ms: must be positive");
}

TEST(ServerTest, non_positive_idle_timeout_is_an_error_naming_the_option) {
  ServerOptions options = LoopbackOptions();
  options.idle_timeout = std::chrono::milliseconds(-5);
  EXPECT_EQ(StartError(options), "http server option idle_timeout is -5ms: must be positive");
}

TEST(ServerTest, zero_max_header_bytes_is_an_error_naming_the_option) {
  ServerOptions options = LoopbackOptions();
  options.max_header_bytes = 0;
  EXPECT_EQ(StartError(options), "http server option max_header_bytes is 0: must be at least 1");
}

TEST(ServerTest, start_after_stop_does_not_listen) {
  net::io_context io;
  Server server(io, LoopbackOptions(), TestRouter());
  server.Stop();
  server.Start();
  TestClient client(server.port());
  EXPECT_EQ(client.connect_error(), net::error::connection_refused);
}

TEST(ServerTest, start_twice_is_a_logic_error) {
  ServerHarness harness(TestRouter());
  EXPECT_THROW(harness.server().Start(), std::logic_error);
}

}  // namespace
}  // namespace kpe::http

namespace kpe::http {
namespace {

TEST(ServerTest, requests_from_loopback_are_marked_as_such) {
  auto router = std::make_shared<Router>();
  router->Add("GET", "/who", [](const Request& request) {
    return Response::Text(200, request.from_loopback ? "loopback" : "remote");
  });
  testing::ServerHarness harness([router](const Request& r) { return router->Route(r); });
  testing::TestClient client(harness.port());
  EXPECT_EQ(client.Request("GET", "/who").body(), "loopback");
}

}  // namespace
}  // namespace kpe::http
