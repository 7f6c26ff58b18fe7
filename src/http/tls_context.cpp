#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <array>
#include <boost/asio/ssl.hpp>

namespace kpe::http {
namespace {

namespace ssl = boost::asio::ssl;

// Session resumption with client certificates needs a session id context; any fixed value works.
constexpr std::array<unsigned char, 19> kSessionIdContext = {'k', 'a', 'f', 'k', 'a', '-', 'p', 'e', 'r', 'f',
                                                             '-', 'e', 'x', 'p', 'o', 'r', 't', 'e', 'r'};

/// OpenSSL's queued errors as one line (and clears the queue).
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    if (!out.empty()) out += "; ";
    out += text.data();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

[[noreturn]] void Fail(const std::string& key, const std::string& what, const std::string& file) {
  throw TlsContextError(key, "cannot load " + what + " \"" + file + "\": " + OpenSslErrors());
}

// Request/RequireAny: a certificate is asked for but any certificate is accepted, as in Go.
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) { return 1; }

int ToOpenSsl(TlsVersion version) { return version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION; }

}  // namespace

std::shared_ptr<ssl::context> MakeServerTlsContext(const TlsServerConfig& config) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(ctx, ToOpenSsl(config.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, ToOpenSsl(config.max_version)) != 1) {
    throw TlsContextError("min_version", "cannot set TLS versions: " + OpenSslErrors());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
    Fail("cert_file", "certificate", config.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    Fail("key_file", "private key", config.key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw TlsContextError("key_file", "private key \"" + config.key_file + "\" does not match certificate \"" +
                                          config.cert_file + "\": " + OpenSslErrors());
  }
  if (!config.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.client_ca_file.c_str(), nullptr) != 1) {
      Fail("client_ca_file", "CA certificates", config.client_ca_file);
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (names == nullptr) Fail("client_ca_file", "CA certificates", config.client_ca_file);
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  }
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext.data(), kSessionIdContext.size());
  switch (config.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyCertificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  return context;
}

// ---------------------------------------------------------------------------------------------------
// TlsContextCache

struct TlsContextCache::Files {
  struct Stamp {
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    long long mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  std::array<Stamp, 3> stamps;
  bool operator==(const Files&) const = default;

  static Files Of(const TlsServerConfig& config) {
    Files files;
    const std::array<const std::string*, 3> paths = {&config.cert_file, &config.key_file, &config.client_ca_file};
    for (size_t i = 0; i < paths.size(); ++i) {
      struct stat info {};
      if (paths[i]->empty() || ::stat(paths[i]->c_str(), &info) != 0) continue;
      files.stamps[i] = Stamp{true, info.st_dev, info.st_ino, info.st_size,
                              static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL + info.st_mtim.tv_nsec};
    }
    return files;
  }
};

TlsContextCache::TlsContextCache(std::chrono::milliseconds check_interval, std::function<Clock::time_point()> now)
    : check_interval_(check_interval), now_(std::move(now)) {}

TlsContextCache::~TlsContextCache() = default;

std::string TlsContextCache::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

std::shared_ptr<ssl::context> TlsContextCache::Get(const TlsServerConfig& config) {
  std::lock_guard lock(mutex_);
  const Clock::time_point now = now_();
  const bool config_changed = !config_ || *config_ != config;
  if (!config_changed && now - last_check_ < check_interval_) return context_;
  last_check_ = now;
  // Stamped before loading: a file replaced while loading is seen as changed on the next check.
  Files files = Files::Of(config);
  if (!config_changed && files_ && *files_ == files) return context_;
  config_ = config;
  files_ = std::make_unique<Files>(files);
  try {
    context_ = MakeServerTlsContext(config);
    if (!last_error_.empty()) spdlog::info("http: TLS certificates loaded again");
    last_error_.clear();
    spdlog::debug("http: TLS context built from {}", config.cert_file);
  } catch (const TlsContextError& e) {
    const std::string error = std::string("tls_server_config.") + e.key() + ": " + e.what();
    if (error != last_error_) {
      spdlog::error("http: {}; {}", error,
                    context_ ? "still serving the previous certificate" : "refusing TLS connections");
    }
    last_error_ = error;
  }
  return context_;
}

}  // namespace kpe::http
