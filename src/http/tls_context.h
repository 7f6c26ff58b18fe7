#pragma once
// Server TLS contexts built from a web config's tls_server_config, and re-built when the
// certificate files change on disk (certificate rotation without a restart).

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "http/web_config.h"

namespace boost::asio::ssl {
class context;
}

namespace kpe::http {

/// A TLS context that cannot be built. `key` is the tls_server_config key at fault ("cert_file",
/// "key_file" or "client_ca_file"); what() names the file and OpenSSL's reason.
class TlsContextError : public std::runtime_error {
 public:
  TlsContextError(std::string key, const std::string& message)
      : std::runtime_error(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

/// Builds a server context: protocol versions (never below TLS 1.2), certificate chain and key
/// (checked to match), and client certificate policy per `config.client_auth` against
/// `config.client_ca_file`. Throws TlsContextError. Thread-safe.
std::shared_ptr<boost::asio::ssl::context> MakeServerTlsContext(const TlsServerConfig& config);

/// The context for new connections. Rebuilt at once when the config changes, and when the cert, key
/// or CA file changed on disk (size, mtime, inode; looked at no more than once per `check_interval`).
/// When a rebuild fails the error is logged once and the previous context stays in use.
/// Thread-safe.
class TlsContextCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TlsContextCache(std::chrono::milliseconds check_interval = std::chrono::seconds(1),
                           std::function<Clock::time_point()> now = Clock::now);
  ~TlsContextCache();
  TlsContextCache(const TlsContextCache&) = delete;
  TlsContextCache& operator=(const TlsContextCache&) = delete;

  /// The context for `config`; null when none could be built for it yet (the error is logged).
  std::shared_ptr<boost::asio::ssl::context> Get(const TlsServerConfig& config);
  /// Why the last build failed ("" after a success).
  std::string last_error() const;

 private:
  struct Files;
  const std::chrono::milliseconds check_interval_;
  const std::function<Clock::time_point()> now_;

  mutable std::mutex mutex_;
  std::optional<TlsServerConfig> config_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::unique_ptr<Files> files_;  // what the files looked like when context_ was built
  Clock::time_point last_check_{};
  std::string last_error_;
};

}  // namespace kpe::http
