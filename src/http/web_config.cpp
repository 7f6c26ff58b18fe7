#include "http/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string_view>

#include "http/tls_context.h"
#include "util/yaml_documents.h"
#include "util/yaml_text.h"

namespace kpe::http {
namespace {

using Keys = std::vector<std::string_view>;

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Describe(const YAML::Node& node) {
  return util::DescribeYamlNode(node, [](const std::string& text) { return Quote(text); });
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The response headers exporter-toolkit allows, with the values it allows ("" = any); a blank value
// leaves the header unset.
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;
};
const std::array<AllowedHeader, 5> kAllowedHeaders = {{
    {"Content-Security-Policy", {}},
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
}};

const std::array<std::pair<std::string_view, ClientAuth>, 6> kClientAuthTypes = {{
    {"NoClientCert", ClientAuth::kNoClientCert},
    {"RequestClientCert", ClientAuth::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
    {"RequireClientCert", ClientAuth::kRequireAnyClientCert},  // exporter-toolkit's older name
    {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
}};

/// Reads one web config document. Not thread-safe; one instance per parse.
class Reader {
 public:
  Reader(std::string source, std::string base_dir) : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

  std::string Where(const YAML::Mark& mark) const {
    if (mark.is_null()) return source_;
    return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }

  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& path, const std::string& message) const {
    throw WebConfigError(Where(mark) + ": " + path + ": " + message);
  }

  WebConfig Read(const YAML::Node& root) {
    WebConfig config;
    config.source = source_;
    static const Keys kKeys = {"tls_server_config", "http_server_config", "basic_auth_users"};
    static const Keys kUnsupported = {"rate_limit"};
    ForEachEntry(root, root.Mark(), "", kKeys, kUnsupported, [&](const std::string& key, const Value& value) {
      if (key == "tls_server_config") config.tls = ReadTls(value);
      if (key == "http_server_config") config.headers = ReadHttp(value);
      if (key == "basic_auth_users") config.basic_auth_users = ReadUsers(value);
    });
    return config;
  }

 private:
  struct Value {
    YAML::Node node;
    YAML::Mark mark;
    std::string path;
  };
  using EntryHandler = std::function<void(const std::string& key, const Value& value)>;

  // Calls `handler` for each entry of the mapping `node`; rejects unknown and duplicate keys, and
  // names keys of exporter-toolkit that this exporter does not implement. A null node has no entries.
  // An empty `valid_keys` accepts any key.
  void ForEachEntry(const YAML::Node& node, const YAML::Mark& mark, const std::string& path, const Keys& valid_keys,
                    const Keys& unsupported, const EntryHandler& handler) {
    if (node.IsNull()) return;
    if (!node.IsMap()) Fail(mark, path.empty() ? "(top level)" : path, "expected a mapping, got " + Describe(node));
    std::map<std::string, YAML::Mark> seen;
    for (const auto& entry : node) {
      const YAML::Mark key_mark = entry.first.Mark();
      if (!entry.first.IsScalar()) {
        Fail(key_mark, path.empty() ? "(top level)" : path, "expected a plain key, got " + Describe(entry.first));
      }
      const std::string key = entry.first.Scalar();
      const std::string key_path = path.empty() ? key : path + "." + key;
      if (std::find(unsupported.begin(), unsupported.end(), key) != unsupported.end()) {
        Fail(key_mark, key_path,
             "exporter-toolkit option not supported by kafka-perf-exporter (supported keys: " +
                 util::JoinKeys(valid_keys) + ")");
      }
      if (!valid_keys.empty() && std::find(valid_keys.begin(), valid_keys.end(), key) == valid_keys.end()) {
        Fail(key_mark, key_path, "unknown key (valid keys: " + util::JoinKeys(valid_keys) + ")");
      }
      if (const auto [it, inserted] = seen.emplace(key, key_mark); !inserted) {
        Fail(key_mark, key_path, "duplicate key (first set at " + Where(it->second) + ")");
      }
      // A missing value ("key:") is placed by yaml-cpp at the next token; point at the key instead.
      const YAML::Mark value_mark =
          entry.second.IsNull() || entry.second.Mark().is_null() ? key_mark : entry.second.Mark();
      handler(key, Value{entry.second, value_mark, key_path});
    }
  }

  std::string ReadString(const Value& value) {
    if (!value.node.IsScalar()) Fail(value.mark, value.path, "expected a string, got " + Describe(value.node));
    return value.node.Scalar();
  }

  std::string ReadFile(const Value& value) {
    const std::string text = ReadString(value);
    if (text.empty()) Fail(value.mark, value.path, "expected a file name, got \"\"");
    std::filesystem::path file(text);
    if (file.is_relative() && !base_dir_.empty()) file = std::filesystem::path(base_dir_) / file;
    std::ifstream stream(file);
    if (!stream) {
      Fail(value.mark, value.path, "cannot read " + Quote(file.string()) + ": " + std::strerror(errno));
    }
    return file.string();
  }

  TlsVersion ReadVersion(const Value& value) {
    const std::string text = ReadString(value);
    if (text == "TLS12") return TlsVersion::kTls12;
    if (text == "TLS13") return TlsVersion::kTls13;
    if (text == "TLS10" || text == "TLS11") {
      Fail(value.mark, value.path, "version " + Quote(text) + " is refused: below TLS 1.2 (valid: TLS12, TLS13)");
    }
    Fail(value.mark, value.path, "unknown version " + Quote(text) + " (valid: TLS12, TLS13)");
  }

  std::optional<TlsServerConfig> ReadTls(const Value& section) {
    static const Keys kKeys = {"cert_file",        "key_file",    "client_ca_file",
                               "client_auth_type", "min_version", "max_version"};
    static const Keys kUnsupported = {"cert",          "key", "client_ca", "client_allowed_sans", "cipher_suites",
                                      "prefer_server_cipher_suites", "curve_preferences"};
    TlsServerConfig tls;
    std::map<std::string, Value> values;
    ForEachEntry(section.node, section.mark, section.path, kKeys, kUnsupported,
                 [&](const std::string& key, const Value& value) {
                   values.emplace(key, value);
                   if (key == "cert_file") tls.cert_file = ReadFile(value);
                   if (key == "key_file") tls.key_file = ReadFile(value);
                   if (key == "client_ca_file") tls.client_ca_file = ReadFile(value);
                   if (key == "min_version") tls.min_version = ReadVersion(value);
                   if (key == "max_version") tls.max_version = ReadVersion(value);
                   if (key == "client_auth_type") tls.client_auth = ReadClientAuth(value);
                 });
    // An empty section means no TLS, as in exporter-toolkit.
    if (values.empty()) return std::nullopt;
    const std::string& path = section.path;
    if (tls.cert_file.empty()) Fail(section.mark, path + ".cert_file", "missing (required with tls_server_config)");
    if (tls.key_file.empty()) Fail(section.mark, path + ".key_file", "missing (required with tls_server_config)");
    if (tls.min_version > tls.max_version) {
      const Value& max = values.at("max_version");
      Fail(max.mark, max.path,
           ToString(tls.max_version) + " is below min_version " + ToString(tls.min_version));
    }
    const bool verifies = tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                          tls.client_auth == ClientAuth::kRequireAndVerifyClientCert;
    if (verifies && tls.client_ca_file.empty()) {
      const Value& type = values.at("client_auth_type");
      Fail(type.mark, type.path, ToString(tls.client_auth) + " needs client_ca_file to verify client certificates");
    }
    if (!tls.client_ca_file.empty() && tls.client_auth == ClientAuth::kNoClientCert) {
      const Value& ca = values.at("client_ca_file");
      Fail(ca.mark, ca.path,
           "set without client_auth_type (client certificates are not asked for; use "
           "RequireAndVerifyClientCert for mTLS)");
    }
    try {
      MakeServerTlsContext(tls);
    } catch (const TlsContextError& e) {
      const auto it = values.find(e.key());
      if (it == values.end()) Fail(section.mark, path, e.what());
      Fail(it->second.mark, it->second.path, e.what());
    }
    return tls;
  }

  ClientAuth ReadClientAuth(const Value& value) {
    const std::string text = ReadString(value);
    std::string valid;
    for (const auto& [name, type] : kClientAuthTypes) {
      if (text == name) return type;
      if (name != "RequireClientCert") valid += (valid.empty() ? "" : ", ") + std::string(name);
    }
    Fail(value.mark, value.path, "unknown client auth type " + Quote(text) + " (valid: " + valid + ")");
  }

  std::vector<std::pair<std::string, std::string>> ReadHttp(const Value& section) {
    static const Keys kKeys = {"headers", "http2"};
    std::vector<std::pair<std::string, std::string>> headers;
    ForEachEntry(section.node, section.mark, section.path, kKeys, {}, [&](const std::string& key, const Value& value) {
      if (key == "headers") headers = ReadHeaders(value);
      // HTTP/2 is an optimisation this server does not offer; accepted so that shared files load.
      if (key == "http2" && ReadString(value) != "true" && ReadString(value) != "false") {
        Fail(value.mark, value.path, "expected true or false, got " + Describe(value.node));
      }
    });
    return headers;
  }

  std::vector<std::pair<std::string, std::string>> ReadHeaders(const Value& section) {
    Keys names;
    for (const AllowedHeader& header : kAllowedHeaders) names.push_back(header.name);
    std::vector<std::pair<std::string, std::string>> headers;
    ForEachEntry(section.node, section.mark, section.path, names, {}, [&](const std::string& key, const Value& value) {
      const std::string text = value.node.IsNull() ? std::string() : ReadString(value);
      if (text.empty()) return;  // blank: unset
      if (text.find_first_of("\r\n") != std::string::npos || text.find('\0') != std::string::npos) {
        Fail(value.mark, value.path, "a header value cannot contain a line break");
      }
      const AllowedHeader& allowed =
          *std::find_if(kAllowedHeaders.begin(), kAllowedHeaders.end(), [&](const auto& h) { return h.name == key; });
      if (!allowed.values.empty() &&
          std::find(allowed.values.begin(), allowed.values.end(), Lower(text)) == allowed.values.end()) {
        Fail(value.mark, value.path, "invalid value " + Quote(text) + " (valid: " + util::JoinKeys(allowed.values) + ")");
      }
      headers.emplace_back(key, text);
    });
    return headers;
  }

  std::map<std::string, std::string> ReadUsers(const Value& section) {
    // bcrypt: $2a$/$2b$/$2y$ (what libxcrypt verifies), a two-digit cost 04..31, 22 characters of salt
    // and 31 of hash in bcrypt's base64.
    static const std::regex kBcrypt(R"(\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53})");
    std::map<std::string, std::string> users;
    ForEachEntry(section.node, section.mark, section.path, {}, {}, [&](const std::string& user, const Value& value) {
      if (user.empty()) Fail(value.mark, section.path, "empty user name");
      if (user.find(':') != std::string::npos) {
        Fail(value.mark, value.path, "a user name cannot contain ':' (Basic auth separates it from the password)");
      }
      if (!value.node.IsScalar()) {
        Fail(value.mark, value.path, "expected a bcrypt hash for user " + Quote(user) + ", got " + Describe(value.node));
      }
      // The hash is not quoted back: it is a secret.
      if (!std::regex_match(value.node.Scalar(), kBcrypt)) {
        Fail(value.mark, value.path,
             "the password of user " + Quote(user) +
                 " is not a bcrypt hash (expected $2y$, $2b$ or $2a$, a cost from 04 to 31 and 53 characters, "
                 "e.g. from `htpasswd -nBC 10 \"\" | tr -d ':\\n'`)");
      }
      users.emplace(user, value.node.Scalar());
    });
    return users;
  }

  std::string source_;
  std::string base_dir_;
};

}  // namespace

std::string ToString(ClientAuth value) {
  for (const auto& [name, type] : kClientAuthTypes) {
    if (type == value) return std::string(name);
  }
  return "?";
}

std::string ToString(TlsVersion value) { return value == TlsVersion::kTls13 ? "TLS13" : "TLS12"; }

WebConfig ParseWebConfig(const std::string& yaml, const std::string& source, const std::string& base_dir) {
  std::vector<YAML::Node> documents;
  try {
    documents = util::LoadAllYaml(yaml);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) throw WebConfigError(source + ": " + e.msg);
    throw WebConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                         ": invalid YAML: " + e.msg);
  }
  if (documents.size() > 1) {
    const YAML::Mark mark = documents[1].Mark();
    throw WebConfigError(source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) +
                         ": more than one YAML document (a web config file holds one)");
  }
  Reader reader(source, base_dir);
  if (documents.empty()) return reader.Read(YAML::Node());
  return reader.Read(documents[0]);
}

WebConfig LoadWebConfig(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw WebConfigError("cannot read web config file " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << stream.rdbuf();
  if (stream.bad()) throw WebConfigError("cannot read web config file " + path + ": " + std::strerror(errno));
  return ParseWebConfig(text.str(), path, std::filesystem::path(path).parent_path().string());
}

}  // namespace kpe::http
