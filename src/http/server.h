#pragma once
// HTTP/1.1 server on Boost.Beast. It knows handlers, not collectors: every answer comes from a Handler
// that must not block (serve prepared bytes).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace kpe::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query string, e.g. "/metrics"
  std::string query;   // after '?', "" when none
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  /// Value of the first header named `name` (lower-case), "" when absent.
  std::string Header(const std::string& name) const;
  /// True when Accept-Encoding allows gzip (a q=0 entry forbids it).
  bool AcceptsGzip() const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Content-Encoding
  /// The body is `shared_body` (when set; sent without copying) followed by `body`.
  std::shared_ptr<const std::string> shared_body;
  std::string body;

  static Response Text(unsigned status, std::string text);
};

using Handler = std::function<Response(const Request&)>;

/// Maps (method, path) to handlers. Unknown path → 404; known path, other method → 405 with Allow.
/// HEAD is answered for every GET route, without a body. Not thread-safe to modify; thread-safe to
/// Route() once built.
class Router {
 public:
  void Add(const std::string& method, const std::string& path, Handler handler);
  Response Route(const Request& request) const;

 private:
  struct Route_ {
    std::string method;
    std::string path;
    Handler handler;
  };
  std::vector<Route_> routes_;
};

struct ServerOptions {
  std::string host;  // "" = all interfaces (IPv6 and IPv4 where available)
  uint16_t port = 9308;  // 0 = any free port (see Server::port())
  size_t max_connections = 512;
  std::chrono::milliseconds read_timeout{10000};  // whole request, headers and body
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive connection with no request
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
};

/// Accepts connections on the given io_context (which the caller runs on one or more threads).
/// Start() and Stop() must be called from one thread; handlers run on the io_context's threads.
class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens. Throws std::runtime_error naming the address on failure (e.g. in use).
  void Start();
  /// Stops accepting and closes open connections.
  void Stop();
  /// The bound port (useful with port 0). Valid after Start().
  uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kpe::http
