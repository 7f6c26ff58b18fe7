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

#include "http/web_config.h"

namespace boost::asio {
class io_context;
}

namespace kpe::http {

/// One parsed HTTP request as handlers see it. A plain value; not synchronised.
struct Request {
  std::string method;  // "GET", "POST", ... exactly as sent (methods are case-sensitive)
  std::string path;    // percent-decoded target without the query string, e.g. "/metrics"; from an
                       // absolute-form target ("http://host/metrics") only the path is kept
  std::string query;   // raw (still percent-encoded) text after '?', "" when none
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  /// True when the peer connected from a loopback address (127.0.0.0/8 or ::1).
  bool from_loopback = false;

  /// Value of the first header named `name` (lower-case), "" when absent.
  std::string Header(const std::string& name) const;
  /// True when Accept-Encoding allows gzip: a "gzip" (or "x-gzip") coding with q > 0, or else a "*"
  /// with q > 0. Case-insensitive; all Accept-Encoding headers count; no header → false.
  bool AcceptsGzip() const;
};

/// One answer of a handler. A plain value; not synchronised.
struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Content-Encoding
  /// The body is `shared_body` (when set; sent without copying) followed by `body`.
  std::shared_ptr<const std::string> shared_body;
  std::string body;

  /// A text/plain; charset=utf-8 response with `text` as body.
  static Response Text(unsigned status, std::string text);
};

/// Answers one request. Runs on an io_context thread: must not block. An exception it throws becomes
/// a 500 answer (and a log line); the server keeps serving.
using Handler = std::function<Response(const Request&)>;

/// Maps (method, path) to handlers by exact path match. Unknown path → 404 "not found"; known path,
/// other method → 405 with an Allow header listing the path's methods. HEAD is routed to the GET
/// handler of a path that has no HEAD route of its own; the Server (not the Router) drops the body of
/// every answer to HEAD, keeping its Content-Length.
/// Thread-safety: Add() must not run concurrently with anything; Route() is thread-safe once built.
class Router {
 public:
  /// Registers `handler` for `method` (an upper-case token such as "GET") on `path` (starts with '/').
  /// Throws std::invalid_argument naming the method and path when either is malformed, the handler
  /// is empty, or the pair is already registered.
  void Add(const std::string& method, const std::string& path, Handler handler);
  /// Calls the matching handler and returns its answer (exceptions propagate), or 404/405.
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
  std::string host;      // "" = all interfaces (IPv6 and IPv4 where available)
  uint16_t port = 9308;  // 0 = any free port (see Server::port())
  // Open connections at most; a connection accepted beyond it is closed at once, without an answer.
  size_t max_connections = 512;
  // Whole request, headers and body; on a new connection it counts from the accept. Writing an
  // answer is bounded by idle_timeout. A request that times out is dropped without an answer.
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive connection with no request
  size_t max_header_bytes = 16 * 1024;            // request line and headers; more → 431, then close
  size_t max_body_bytes = 8 * 1024 * 1024;        // more → 413, then close
  /// The web config (`--web.config.file`: TLS, basic auth, extra headers); an empty function or a
  /// null result means plain HTTP, no auth, no extra headers. Called on io_context threads, for
  /// every accepted connection (HTTPS or HTTP, certificates) and every request (users, headers), so
  /// it must be thread-safe and cheap: e.g. an atomic load of a std::shared_ptr that a reload swaps.
  /// A change applies to new connections (TLS) and to the next request (users, headers).
  std::function<std::shared_ptr<const WebConfig>()> web_config;
  /// Certificate, key and CA files are looked at for changes (size, mtime, inode) at most this
  /// often, on new connections; changed files are loaded without a restart.
  std::chrono::milliseconds tls_reload_interval{1000};
};

/// HTTP/1.1 (and 1.0) with keep-alive and pipelining, on the given io_context, which the caller runs
/// on one or more threads: each connection runs on its own strand. Answers itself, then closes the
/// connection: 400 for a malformed request or a bad target (not starting with '/', a ".." segment,
/// NUL, bad %-escape, HTTP/1.1 without Host), 431 and 413 for the limits above. Every answer carries
/// "Server: kafka-perf-exporter" and a Content-Length.
/// With a web config (ServerOptions::web_config): HTTPS only when it has tls_server_config (a failed
/// handshake, e.g. plain HTTP, closes that connection; plain HTTP gets a short 400 first); with
/// basic_auth_users, a request without valid credentials gets 401 with `WWW-Authenticate: Basic
/// realm="kafka-perf-exporter"` and never reaches the handler (bcrypt runs on a thread of the
/// server's own, not on the io_context); http_server_config headers are added to every answer.
/// Thread-safety: Stop(), port() and connections() are thread-safe (any thread, also an io_context
/// one, also concurrently); Start() and the destructor must not run concurrently with each other.
class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds (reuse_address; "" host: dual-stack [::], else 0.0.0.0 when IPv6 is unavailable) and
  /// listens. Throws std::runtime_error("cannot listen on HOST:PORT: <reason>") on failure (e.g. in
  /// use, unknown host), std::runtime_error("cannot serve HTTPS: <key>: <reason>") when the web
  /// config's certificates cannot be loaded, std::invalid_argument naming the option when an option
  /// is out of range (0 connections, limits or timeouts), and std::logic_error when called twice.
  void Start();
  /// Stops accepting (the port is released when it returns) and closes every open connection, so
  /// that io_context::run() returns once nothing else keeps it busy. When it returns the handler is
  /// no longer running on another thread and will not be called again, so what it uses may be
  /// destroyed. May be called from the handler itself. Idempotent; the destructor calls it.
  void Stop();
  /// The bound port (useful with port 0). Valid after Start().
  uint16_t port() const;
  /// Connections open now (including ones being closed).
  size_t connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kpe::http
