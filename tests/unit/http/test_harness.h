#pragma once
// Test helpers for the http module: a server on loopback with its io_context on background threads,
// and a client whose every wait is bounded by a deadline.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/server.h"

namespace kpe::http::testing {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using StringResponse = bhttp::response<bhttp::string_body>;

inline constexpr std::chrono::milliseconds kDeadline{5000};

/// Polls `condition` until it holds or `deadline` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds deadline = kDeadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline ServerOptions LoopbackOptions() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  return options;
}

/// A started Server with `threads` threads running its io_context.
class ServerHarness {
 public:
  explicit ServerHarness(Handler handler, ServerOptions options = LoopbackOptions(), int threads = 1)
      : guard_(net::make_work_guard(io_)), server_(io_, std::move(options), std::move(handler)) {
    server_.Start();
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        io_.run();
        ++returned_;
      });
    }
  }

  ~ServerHarness() { StopAndJoin(); }

  ServerHarness(const ServerHarness&) = delete;
  ServerHarness& operator=(const ServerHarness&) = delete;

  Server& server() { return server_; }
  uint16_t port() const { return server_.port(); }
  net::io_context& io() { return io_; }

  /// Stops the server and releases the work guard. True when every run() returned by the deadline
  /// (otherwise the io_context is stopped by force so the threads can be joined).
  bool StopAndJoin() {
    if (joined_) return true;
    joined_ = true;
    server_.Stop();
    guard_.reset();
    const bool returned = WaitFor([this] { return returned_ == static_cast<int>(threads_.size()); });
    if (!returned) io_.stop();
    for (std::thread& thread : threads_) thread.join();
    return returned;
  }

 private:
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> guard_;
  Server server_;
  std::vector<std::thread> threads_;
  std::atomic<int> returned_{0};
  bool joined_ = false;
};

/// A synchronous-looking HTTP client on its own io_context; every operation has a deadline.
class TestClient {
 public:
  explicit TestClient(uint16_t port) : stream_(io_) {
    stream_.expires_after(kDeadline);
    stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                          [this](beast::error_code ec) { connect_error_ = ec; });
    Run();
  }

  beast::error_code connect_error() const { return connect_error_; }

  /// Writes raw bytes.
  beast::error_code Send(std::string_view raw) {
    beast::error_code result;
    stream_.expires_after(kDeadline);
    net::async_write(stream_, net::buffer(raw.data(), raw.size()),
                     [&](beast::error_code ec, size_t) { result = ec; });
    Run();
    return result;
  }

  /// Reads one response (an interim 1xx response counts as one).
  beast::error_code Read(StringResponse& response) {
    beast::error_code result;
    bhttp::response_parser<bhttp::string_body> parser;
    stream_.expires_after(kDeadline);
    bhttp::async_read(stream_, buffer_, parser, [&](beast::error_code ec, size_t) { result = ec; });
    Run();
    if (!result) response = parser.release();
    return result;
  }

  /// Sends a request with a Host header and reads the response; fails the test on errors.
  StringResponse Request(const std::string& method, const std::string& target,
                         const std::string& extra_headers = "", const std::string& body = "") {
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers;
    if (!body.empty()) raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    raw += "\r\n" + body;
    StringResponse response;
    const beast::error_code send_error = Send(raw);
    EXPECT_FALSE(send_error) << send_error.message();
    const beast::error_code read_error = Read(response);
    EXPECT_FALSE(read_error) << read_error.message();
    return response;
  }

  struct Drained {
    std::string data;         // everything received, including what Read() left buffered
    beast::error_code error;  // eof/connection_reset when the server closed; timeout otherwise
    bool closed() const { return error == net::error::eof || error == net::error::connection_reset; }
  };

  /// Reads until the server closes the connection or `deadline` passes.
  Drained ReadUntilClosed(std::chrono::milliseconds deadline = kDeadline) {
    Drained drained;
    drained.data = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    stream_.expires_after(deadline);
    std::array<char, 4096> chunk{};
    std::function<void()> read_more = [&] {
      stream_.async_read_some(net::buffer(chunk), [&](beast::error_code ec, size_t bytes) {
        drained.data.append(chunk.data(), bytes);
        if (ec) {
          drained.error = ec;
          return;
        }
        read_more();
      });
    };
    read_more();
    Run();
    return drained;
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code connect_error_;
};

}  // namespace kpe::http::testing
