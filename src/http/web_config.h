#pragma once
// `--web.config.file`: the exporter-toolkit web configuration shared by Prometheus exporters (TLS,
// basic auth, extra response headers), parsed strictly. Parsing is split from the server so that it is
// a pure, tested function of the file.

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kpe::http {

/// A web config that cannot be used. what() names FILE:LINE:COL (when known), the key path, the bad
/// value and the valid choices, e.g.
/// `web.yml:3:16: tls_server_config.min_version: unknown version "TLS10" (valid: TLS12, TLS13)`.
class WebConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Go's crypto/tls ClientAuthType, as exporter-toolkit names it.
enum class ClientAuth {
  kNoClientCert,                // no certificate asked for (default)
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified (insecure: any certificate passes)
  kVerifyClientCertIfGiven,     // not required; verified against client_ca_file when sent
  kRequireAndVerifyClientCert,  // required and verified against client_ca_file (mTLS)
};

enum class TlsVersion { kTls12, kTls13 };

/// tls_server_config. Paths are absolute or relative to the working directory: relative paths in the
/// file are resolved against the web config file's folder when loading.
struct TlsServerConfig {
  std::string cert_file;       // PEM certificate chain, leaf first
  std::string key_file;        // PEM private key of the leaf
  std::string client_ca_file;  // PEM CA certificates for client certificates; "" = none
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;

  bool operator==(const TlsServerConfig&) const = default;
};

/// One loaded web config. A plain value; share it as std::shared_ptr<const WebConfig> across threads.
struct WebConfig {
  std::string source;                  // the file it was read from ("" when built in code)
  std::optional<TlsServerConfig> tls;  // set: serve HTTPS only
  /// http_server_config.headers: allow-listed names with their canonical spelling, added to every
  /// response.
  std::vector<std::pair<std::string, std::string>> headers;
  /// basic_auth_users: user → bcrypt hash. Non-empty: every request needs one of them.
  std::map<std::string, std::string> basic_auth_users;
};

/// Parses the YAML text of a web config. `source` names it in messages (e.g. the file name) and
/// `base_dir` is the folder relative paths are resolved against ("" = the working directory).
/// Checks that cert/key/CA files exist and load (certificate and key match). Throws WebConfigError.
/// Thread-safe.
WebConfig ParseWebConfig(const std::string& yaml, const std::string& source, const std::string& base_dir);

/// Reads and parses the file at `path` (see ParseWebConfig); relative paths in it resolve against
/// the file's folder. Throws WebConfigError, also when the file cannot be read. Thread-safe.
WebConfig LoadWebConfig(const std::string& path);

/// The name exporter-toolkit uses for `value` ("NoClientCert", "TLS12", ...).
std::string ToString(ClientAuth value);
std::string ToString(TlsVersion value);

}  // namespace kpe::http
