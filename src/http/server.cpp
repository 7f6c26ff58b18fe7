#include "http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "http/basic_auth.h"
#include "http/target.h"
#include "http/tls_context.h"

namespace kpe::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::string_view kServerName = "kafka-perf-exporter";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After an error answer the unread rest of the request is drained for a while before closing:
// closing with unread data sends a TCP reset that can destroy the answer before the client reads it.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr size_t kMaxLingerBytes = 256 * 1024;
constexpr size_t kReadChunk = 4096;
// Accept errors such as EMFILE repeat at once; retrying after a pause avoids a busy loop.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::string_view kAuthenticate = "Basic realm=\"kafka-perf-exporter\"";
// What Go's net/http answers to plain HTTP on a TLS port.
constexpr std::string_view kPlainHttpToTls =
    "HTTP/1.0 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "Client sent an HTTP request to an HTTPS server.\n";

/// Body of `shared` (may be null) followed by `tail`, written as one gather write without copying.
struct SharedBufferBody {
  struct value_type {
    std::shared_ptr<const std::string> shared;
    std::string tail;
  };

  static std::uint64_t size(const value_type& body) {
    return (body.shared ? body.shared->size() : 0) + body.tail.size();
  }

  class writer {
   public:
    using const_buffers_type = std::array<net::const_buffer, 2>;

    template <bool kIsRequest, class Fields>
    writer(const bhttp::header<kIsRequest, Fields>& /*header*/, const value_type& body) : body_(body) {}

    void init(beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      const_buffers_type buffers{body_.shared ? net::buffer(*body_.shared) : net::const_buffer(),
                                 net::buffer(body_.tail)};
      return {{buffers, false}};
    }

   private:
    const value_type& body_;
  };
};
static_assert(bhttp::is_body<SharedBufferBody>::value);
static_assert(bhttp::is_body_writer<SharedBufferBody>::value);

std::string FormatAddress(const std::string& host, uint16_t port) {
  const bool bracket = host.find(':') != std::string::npos;
  return (bracket ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string_view View(beast::string_view text) { return {text.data(), text.size()}; }

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class Listener;

// The listener whose handler the current thread is running, so that Stop() called from inside a
// handler does not wait for itself.
thread_local const Listener* t_handler_of = nullptr;

/// One connection. All of its work runs on the strand of its socket; Close() may be called from any
/// thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Listener> listener, tcp::socket socket, std::shared_ptr<net::ssl::context> tls);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Run();
  void Close();

 private:
  void OnHandshake(beast::error_code ec);
  void ReadRequest(bool first);
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnBody(beast::error_code ec);
  void OnReadError(beast::error_code ec);
  void HandleRequest();
  void Authorize(Request request, bool keep_alive, unsigned version);
  void Dispatch(const Request& request, bool keep_alive, unsigned version);
  void SendError(unsigned status, std::string text);
  void Send(Response response, bool head, bool keep_alive, unsigned version);
  void OnWrite(bool keep_alive, beast::error_code ec, size_t bytes);
  void ShutdownGracefully();
  void Drain();
  void CloseNow();
  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  /// Calls `f` with the stream requests are read from and answers written to.
  template <class F>
  void WithStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }

  const std::shared_ptr<Listener> listener_;
  const net::any_io_executor executor_;  // the connection's strand
  // The SSL object keeps its own reference to the OpenSSL context; this keeps Asio's wrapper too.
  const std::shared_ptr<net::ssl::context> tls_context_;
  std::optional<beast::tcp_stream> plain_;  // exactly one of plain_ and tls_ is set
  std::optional<TlsStream> tls_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<SharedBufferBody>> response_;
  std::string remote_;
  bool from_loopback_ = false;
  // For the one log line per request.
  std::string log_method_;
  std::string log_target_;
  unsigned log_status_ = 0;
  Clock::time_point request_start_;
  size_t drained_ = 0;
};

/// Owns the acceptor and tracks the sessions. Thread-safe.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& io, ServerOptions options, Handler handler)
      : io_(io),
        options_(std::move(options)),
        handler_(std::move(handler)),
        tls_contexts_(options_.tls_reload_interval) {}

  void Start();
  void Stop();
  void ReleaseAcceptor();
  uint16_t port() const { return port_.load(); }
  size_t connections() const {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.size();
  }

  const ServerOptions& options() const { return options_; }
  bool stopped() const { return stopped_.load(); }
  /// Calls the handler unless stopped; nullopt when stopped. Exceptions become a 500.
  std::optional<Response> CallHandler(const Request& request);
  void Unregister(const Session* session);
  /// The web config now; null when none.
  std::shared_ptr<const WebConfig> CurrentWebConfig() const {
    return options_.web_config ? options_.web_config() : nullptr;
  }
  BasicAuthenticator& authenticator() { return authenticator_; }
  /// Runs the bcrypt check on the server's auth thread, then `done(ok)` on `executor`. False when
  /// stopped (`done` is not called).
  bool CheckAsync(std::shared_ptr<const WebConfig> config, std::string authorization,
                  const net::any_io_executor& executor, std::function<void(bool)> done);

 private:
  void Accept();  // requires mutex_
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void WarnOnce(const std::string& key, const std::string& message);
  void OpenAndListen(const tcp::endpoint& endpoint, bool dual_stack, beast::error_code& ec);

  net::io_context& io_;
  const ServerOptions options_;
  const Handler handler_;
  TlsContextCache tls_contexts_;
  BasicAuthenticator authenticator_;
  std::atomic<bool> stopped_{false};
  std::atomic<uint16_t> port_{0};

  std::mutex mutex_;
  bool started_ = false;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::steady_timer> retry_timer_;
  std::set<std::string> warned_;
  bool at_limit_ = false;

  mutable std::mutex sessions_mutex_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;

  std::mutex handler_mutex_;
  std::condition_variable handler_done_;
  size_t handlers_running_ = 0;
  bool handlers_closed_ = false;

  // One thread for bcrypt, created on first need: a slow hash must not hold an io_context thread,
  // and one thread bounds what failed logins can cost.
  std::mutex auth_pool_mutex_;
  std::unique_ptr<net::thread_pool> auth_pool_;
};

// ---------------------------------------------------------------------------------------------------
// Listener

void Listener::OpenAndListen(const tcp::endpoint& endpoint, bool dual_stack, beast::error_code& ec) {
  acceptor_.emplace(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec && dual_stack) acceptor_->set_option(net::ip::v6_only(false), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) acceptor_.reset();
}

void ValidateOptions(const ServerOptions& options) {
  const auto bad = [](const std::string& what) { throw std::invalid_argument("http server option " + what); };
  if (options.max_connections == 0) bad("max_connections is 0: must be at least 1");
  if (options.read_timeout.count() <= 0) {
    bad("read_timeout is " + std::to_string(options.read_timeout.count()) + "ms: must be positive");
  }
  if (options.idle_timeout.count() <= 0) {
    bad("idle_timeout is " + std::to_string(options.idle_timeout.count()) + "ms: must be positive");
  }
  if (options.max_header_bytes == 0) bad("max_header_bytes is 0: must be at least 1");
  if (options.tls_reload_interval.count() < 0) {
    bad("tls_reload_interval is " + std::to_string(options.tls_reload_interval.count()) + "ms: must not be negative");
  }
}

void Listener::Start() {
  std::lock_guard lock(mutex_);
  if (started_) throw std::logic_error("http::Server::Start() called twice");
  ValidateOptions(options_);
  if (const std::shared_ptr<const WebConfig> config = CurrentWebConfig(); config && config->tls) {
    if (!tls_contexts_.Get(*config->tls)) {
      throw std::runtime_error("cannot serve HTTPS: " + tls_contexts_.last_error());
    }
  }
  started_ = true;
  // What the messages call the address: as configured, or the wildcard actually tried for "".
  std::string host = options_.host;
  beast::error_code ec;
  if (options_.host.empty()) {
    host = "::";
    OpenAndListen(tcp::endpoint(net::ip::address_v6::any(), options_.port), true, ec);
    // IPv6 unavailable (disabled kernel or container): all IPv4 interfaces instead. A busy or
    // forbidden port is reported as such, not hidden behind the fallback.
    if (ec && ec != net::error::address_in_use && ec != net::error::access_denied) {
      spdlog::debug("http: IPv6 listen on [::]:{} failed ({}), using IPv4", options_.port, ec.message());
      host = "0.0.0.0";
      ec = {};
      OpenAndListen(tcp::endpoint(net::ip::address_v4::any(), options_.port), false, ec);
    }
  } else {
    const net::ip::address ip = net::ip::make_address(options_.host, ec);
    if (!ec) {
      OpenAndListen(tcp::endpoint(ip, options_.port), false, ec);
    } else {
      ec = {};
      tcp::resolver resolver(io_);
      const auto results =
          resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
      if (!ec && results.empty()) ec = net::error::host_not_found;
      if (!ec) OpenAndListen(results.begin()->endpoint(), false, ec);
    }
  }
  if (ec) {
    throw std::runtime_error("cannot listen on " + FormatAddress(host, options_.port) + ": " + ec.message());
  }
  port_ = acceptor_->local_endpoint().port();
  if (stopped_) {  // Stop() ran on another thread before the acceptor existed
    acceptor_.reset();
    return;
  }
  spdlog::info("http: listening on {}", FormatAddress(host, port_));
  Accept();
}

void Listener::Accept() {
  acceptor_->async_accept(net::make_strand(io_),
                          [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                            self->OnAccept(ec, std::move(socket));
                          });
}

void Listener::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopped_ || ec == net::error::operation_aborted) return;
  std::shared_ptr<net::ssl::context> tls;
  if (!ec) {
    if (const std::shared_ptr<const WebConfig> config = CurrentWebConfig(); config && config->tls) {
      tls = tls_contexts_.Get(*config->tls);
      if (!tls) {  // no usable certificate: never fall back to plain HTTP (the error is logged)
        beast::error_code close_ec;
        socket.close(close_ec);
        std::lock_guard lock(mutex_);
        if (!stopped_ && acceptor_) Accept();
        return;
      }
    }
  }
  if (ec) {
    WarnOnce("accept:" + std::string(ec.category().name()) + ":" + std::to_string(ec.value()),
             "http: accept failed: " + ec.message());
    std::lock_guard lock(mutex_);
    if (stopped_ || !acceptor_) return;
    retry_timer_.emplace(io_, kAcceptRetryDelay);
    retry_timer_->async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      std::lock_guard retry_lock(self->mutex_);
      if (!wait_ec && !self->stopped_ && self->acceptor_) self->Accept();
    });
    return;
  }

  std::shared_ptr<Session> session;
  bool rejected = false;
  {
    std::lock_guard lock(sessions_mutex_);
    if (stopped_) return;  // `socket` closes as it goes out of scope
    if (sessions_.size() >= options_.max_connections) {
      rejected = true;
    } else {
      session = std::make_shared<Session>(shared_from_this(), std::move(socket), std::move(tls));
      sessions_.emplace(session.get(), session);
    }
  }
  {
    std::lock_guard lock(mutex_);
    // One warning per episode of being at the limit, not one per refused connection.
    if (rejected && !at_limit_) {
      spdlog::warn("http: {} connections open (max_connections); closing new connections until one ends",
                   options_.max_connections);
    }
    at_limit_ = rejected;
    if (!stopped_ && acceptor_) Accept();
  }
  if (rejected) {
    beast::error_code close_ec;
    socket.close(close_ec);
    return;
  }
  session->Run();
}

void Listener::WarnOnce(const std::string& key, const std::string& message) {
  std::lock_guard lock(mutex_);
  if (warned_.insert(key).second) spdlog::warn("{}", message);
}

std::optional<Response> Listener::CallHandler(const Request& request) {
  {
    std::lock_guard lock(handler_mutex_);
    if (handlers_closed_) return std::nullopt;
    ++handlers_running_;
  }
  std::optional<Response> response;
  t_handler_of = this;
  try {
    response = handler_(request);
  } catch (const std::exception& e) {
    spdlog::error("http: handler for {} {} threw: {}", request.method, request.path, e.what());
    response = Response::Text(500, "internal server error\n");
  } catch (...) {
    spdlog::error("http: handler for {} {} threw a non-standard exception", request.method, request.path);
    response = Response::Text(500, "internal server error\n");
  }
  t_handler_of = nullptr;
  {
    std::lock_guard lock(handler_mutex_);
    --handlers_running_;
  }
  handler_done_.notify_all();
  return response;
}

bool Listener::CheckAsync(std::shared_ptr<const WebConfig> config, std::string authorization,
                          const net::any_io_executor& executor, std::function<void(bool)> done) {
  std::lock_guard lock(auth_pool_mutex_);
  if (stopped_) return false;
  if (!auth_pool_) auth_pool_ = std::make_unique<net::thread_pool>(1);
  net::post(*auth_pool_, [this, config = std::move(config), authorization = std::move(authorization), executor,
                          done = std::move(done)]() mutable {
    bool ok = false;
    try {
      ok = authenticator_.Check(config->basic_auth_users, authorization);
    } catch (const std::exception& e) {
      spdlog::error("http: basic auth check failed: {}", e.what());
    }
    // `done` (which keeps the session) moves on, so that nothing of it is released on this thread.
    net::post(executor, [done = std::move(done), ok] { done(ok); });
  });
  return true;
}

void Listener::Stop() {
  stopped_ = true;
  std::unique_ptr<net::thread_pool> auth_pool;
  {
    std::lock_guard lock(auth_pool_mutex_);
    auth_pool = std::move(auth_pool_);
  }
  if (auth_pool) {
    // Checks not yet run are dropped with their sessions; a running one finishes first.
    auth_pool->stop();
    auth_pool->join();
    auth_pool.reset();
  }
  {
    std::lock_guard lock(mutex_);
    beast::error_code ec;
    if (acceptor_ && acceptor_->is_open()) acceptor_->close(ec);
    if (retry_timer_) retry_timer_->cancel();
  }
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(sessions_mutex_);
    for (const auto& [key, weak] : sessions_) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (const auto& session : open) session->Close();
  // Callers may destroy what the handler uses once Stop() returns: wait for running handlers.
  std::unique_lock lock(handler_mutex_);
  handlers_closed_ = true;
  const size_t own = t_handler_of == this ? 1 : 0;
  handler_done_.wait(lock, [&] { return handlers_running_ <= own; });
}

void Listener::ReleaseAcceptor() {
  std::lock_guard lock(mutex_);
  acceptor_.reset();
  retry_timer_.reset();
}

void Listener::Unregister(const Session* session) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.erase(session);
}

// ---------------------------------------------------------------------------------------------------
// Session

Session::Session(std::shared_ptr<Listener> listener, tcp::socket socket, std::shared_ptr<net::ssl::context> tls)
    : listener_(std::move(listener)), executor_(socket.get_executor()), tls_context_(std::move(tls)) {
  beast::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  remote_ = ec ? "?" : FormatAddress(remote.address().to_string(), remote.port());
  if (!ec) {
    const auto address = remote.address();
    from_loopback_ = address.is_loopback() ||
                     (address.is_v6() && address.to_v6().is_v4_mapped() &&
                      net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).is_loopback());
  }
  if (tls_context_) {
    tls_.emplace(std::move(socket), *tls_context_);
  } else {
    plain_.emplace(std::move(socket));
  }
}

Session::~Session() { listener_->Unregister(this); }

void Session::Run() {
  net::dispatch(executor_, [self = shared_from_this()] {
    if (!self->tls_) return self->ReadRequest(true);
    // The handshake counts against the first request's read_timeout.
    self->Lowest().expires_after(self->listener_->options().read_timeout);
    self->tls_->async_handshake(net::ssl::stream_base::server,
                                [self](beast::error_code ec) { self->OnHandshake(ec); });
  });
}

void Session::OnHandshake(beast::error_code ec) {
  if (!ec) return ReadRequest(true);
  spdlog::debug("http: {} TLS handshake failed: {}", remote_, ec.message());
  if (ec.category() == net::error::get_ssl_category() && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
                                                              SSL_R_HTTP_REQUEST) {
    // Plain HTTP: say so in plain HTTP, then close.
    Lowest().expires_after(kLingerTimeout);
    return net::async_write(Lowest(), net::buffer(kPlainHttpToTls.data(), kPlainHttpToTls.size()),
                            [self = shared_from_this()](beast::error_code, size_t) { self->CloseNow(); });
  }
  CloseNow();
}

void Session::Close() {
  net::post(executor_, [self = shared_from_this()] { self->CloseNow(); });
}

void Session::CloseNow() {
  beast::error_code ec;
  Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  Lowest().close();
}

void Session::ReadRequest(bool first) {
  if (listener_->stopped()) return CloseNow();
  const ServerOptions& options = listener_->options();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(options.max_body_bytes);
  if (first || buffer_.size() > 0) {
    Lowest().expires_after(options.read_timeout);
    return ReadHeader();
  }
  // Keep-alive: wait up to idle_timeout for the first byte; the request then has read_timeout.
  Lowest().expires_after(options.idle_timeout);
  WithStream([&](auto& stream) {
    stream.async_read_some(buffer_.prepare(kReadChunk), [self = shared_from_this()](beast::error_code ec, size_t bytes) {
      self->buffer_.commit(bytes);
      if (ec) return self->OnReadError(ec);
      self->Lowest().expires_after(self->listener_->options().read_timeout);
      self->ReadHeader();
    });
  });
}

void Session::ReadHeader() {
  request_start_ = Clock::now();
  WithStream([&](auto& stream) {
    bhttp::async_read_header(stream, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnHeader(ec);
    });
  });
}

void Session::OnHeader(beast::error_code ec) {
  if (ec) return OnReadError(ec);
  if (parser_->is_done()) return HandleRequest();
  if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
    return WithStream([&](auto& stream) {
      net::async_write(stream, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code write_ec, size_t) {
                         if (write_ec) return self->CloseNow();
                         self->ReadBody();
                       });
    });
  }
  ReadBody();
}

void Session::ReadBody() {
  WithStream([&](auto& stream) {
    bhttp::async_read(stream, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  });
}

void Session::OnBody(beast::error_code ec) {
  if (ec) return OnReadError(ec);
  HandleRequest();
}

void Session::OnReadError(beast::error_code ec) {
  const ServerOptions& options = listener_->options();
  if (ec == bhttp::error::header_limit) {
    return SendError(431, "request header fields too large: limit is " +
                              std::to_string(options.max_header_bytes) + " bytes\n");
  }
  if (ec == bhttp::error::body_limit) {
    return SendError(
        413, "request body too large: limit is " + std::to_string(options.max_body_bytes) + " bytes\n");
  }
  // The client went away (between or in the middle of requests), timed out, or we were stopped.
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == net::error::eof ||
      ec == beast::error::timeout || ec == net::error::operation_aborted ||
      ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) {
    if (ec == beast::error::timeout) spdlog::debug("http: {} timed out reading a request", remote_);
    return CloseNow();
  }
  SendError(400, "bad request: " + ec.message() + "\n");
}

void Session::HandleRequest() {
  bhttp::request<bhttp::string_body> message = parser_->release();
  log_method_ = std::string(message.method_string());
  log_target_ = std::string(message.target());
  Target target = ParseTarget(View(message.target()));
  if (!target.error.empty()) return SendError(400, target.error + "\n");
  if (message.version() >= 11 && message.find(bhttp::field::host) == message.end()) {
    return SendError(400, "bad request: HTTP/1.1 request without a Host header\n");
  }

  Request request;
  request.method = log_method_;
  request.path = std::move(target.path);
  request.query = std::move(target.query);
  request.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    request.headers.emplace_back(Lower(View(field.name_string())), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.from_loopback = from_loopback_;
  Authorize(std::move(request), message.keep_alive(), message.version());
}

void Session::Authorize(Request request, bool keep_alive, unsigned version) {
  std::shared_ptr<const WebConfig> config = listener_->CurrentWebConfig();
  if (!config || config->basic_auth_users.empty()) return Dispatch(request, keep_alive, version);
  const auto answer = [this, keep_alive, version](const Request& checked, bool ok) {
    if (ok) return Dispatch(checked, keep_alive, version);
    Response response = Response::Text(401, "Unauthorized\n");
    response.headers.emplace_back("WWW-Authenticate", std::string(kAuthenticate));
    Send(std::move(response), checked.method == "HEAD", keep_alive && !listener_->stopped(), version);
  };
  std::string authorization = request.Header("authorization");
  if (const std::optional<bool> ok = listener_->authenticator().CheckCached(config->basic_auth_users, authorization)) {
    return answer(request, *ok);
  }
  // No reads or writes are pending while the check runs: the session waits for its answer.
  auto pending = std::make_shared<Request>(std::move(request));
  const bool started = listener_->CheckAsync(
      std::move(config), std::move(authorization), executor_,
      [self = shared_from_this(), pending, answer](bool ok) {
        if (self->listener_->stopped()) return self->CloseNow();
        answer(*pending, ok);
      });
  if (!started) CloseNow();
}

void Session::Dispatch(const Request& request, bool keep_alive, unsigned version) {
  std::optional<Response> response = listener_->CallHandler(request);
  if (!response) return CloseNow();  // stopped
  Send(std::move(*response), request.method == "HEAD", keep_alive && !listener_->stopped(), version);
}

void Session::SendError(unsigned status, std::string text) {
  Send(Response::Text(status, std::move(text)), false, false, 11);
}

void Session::Send(Response response, bool head, bool keep_alive, unsigned version) {
  if (response.status < 100 || response.status > 999) {
    spdlog::error("http: handler returned invalid status {} for {}", response.status, log_target_);
    response = Response::Text(500, "internal server error\n");
  }
  log_status_ = response.status;
  response_.emplace();
  bhttp::response<SharedBufferBody>& message = *response_;
  message.result(response.status);
  message.version(version);
  message.set(bhttp::field::server, beast::string_view(kServerName.data(), kServerName.size()));
  message.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) message.insert(name, value);
  if (const std::shared_ptr<const WebConfig> config = listener_->CurrentWebConfig()) {
    for (const auto& [name, value] : config->headers) message.set(name, value);
  }
  const std::uint64_t size = (response.shared_body ? response.shared_body->size() : 0) + response.body.size();
  message.content_length(size);
  message.keep_alive(keep_alive);
  if (!head) {
    message.body().shared = std::move(response.shared_body);
    message.body().tail = std::move(response.body);
  }
  Lowest().expires_after(listener_->options().idle_timeout);
  WithStream([&](auto& stream) {
    bhttp::async_write(stream, message, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t bytes) {
      self->OnWrite(keep_alive, ec, bytes);
    });
  });
}

void Session::OnWrite(bool keep_alive, beast::error_code ec, size_t bytes) {
  if (spdlog::should_log(spdlog::level::debug)) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - request_start_).count();
    spdlog::debug("http: {} \"{} {}\" {} {}B {}us{}", remote_, log_method_, log_target_, log_status_, bytes,
                  micros, ec ? " write failed: " + ec.message() : std::string());
  }
  response_.reset();
  log_method_.clear();
  log_target_.clear();
  if (ec) return CloseNow();
  if (!keep_alive) return ShutdownGracefully();
  ReadRequest(false);
}

void Session::ShutdownGracefully() {
  Lowest().expires_after(std::min<Clock::duration>(listener_->options().read_timeout, kLingerTimeout));
  if (tls_) {
    // close_notify, then wait (bounded) for the peer's before closing the socket.
    return tls_->async_shutdown([self = shared_from_this()](beast::error_code) { self->CloseNow(); });
  }
  beast::error_code ec;
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return CloseNow();
  buffer_.clear();
  Drain();
}

void Session::Drain() {
  Lowest().async_read_some(buffer_.prepare(kReadChunk), [self = shared_from_this()](beast::error_code ec, size_t bytes) {
    self->drained_ += bytes;
    if (ec || self->drained_ >= kMaxLingerBytes) return self->CloseNow();
    self->Drain();
  });
}

}  // namespace

// -----------------------------------------------------------------------------------------------------
// Server

struct Server::Impl {
  std::shared_ptr<Listener> listener;
};

Server::Server(boost::asio::io_context& io, ServerOptions options, Handler handler)
    : impl_(std::make_shared<Impl>(
          Impl{std::make_shared<Listener>(io, std::move(options), std::move(handler))})) {}

Server::~Server() {
  impl_->listener->Stop();
  // The acceptor must go while the io_context lives; pending handlers may keep the listener longer.
  impl_->listener->ReleaseAcceptor();
}

void Server::Start() { impl_->listener->Start(); }

void Server::Stop() { impl_->listener->Stop(); }

uint16_t Server::port() const { return impl_->listener->port(); }

size_t Server::connections() const { return impl_->listener->connections(); }

}  // namespace kpe::http
