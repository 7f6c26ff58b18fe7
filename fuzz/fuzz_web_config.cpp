// libFuzzer target: the web config (`--web.config.file`). http::ParseWebConfig may only refuse an
// input with a WebConfigError (with a message).
//
// Relative certificate paths resolve against a folder made once per process holding a matching
// certificate and key (server.crt, server.key, ca.crt) and a key of another pair (other.key), so
// that the TLS checks run too. Inputs naming a certificate file outside that folder (an absolute
// path or a ".." segment) are skipped: the parser opens and reads whatever it is given, and a
// device such as /dev/zero or /dev/stdin would never end.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "http/web_config.h"
#include "util/yaml_documents.h"

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FileClose {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using FilePtr = std::unique_ptr<std::FILE, FileClose>;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_web_config: cannot make test certificates: %s\n", what);
    std::abort();
  }
}

KeyPtr MakeKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

void WriteKey(const std::filesystem::path& file, EVP_PKEY* key) {
  const FilePtr out(std::fopen(file.c_str(), "w"));
  Check(out && PEM_write_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
}

void WriteCert(const std::filesystem::path& file, X509* cert) {
  const FilePtr out(std::fopen(file.c_str(), "w"));
  Check(out && PEM_write_X509(out.get(), cert) == 1, "write certificate");
}

// A self-signed certificate for "localhost", valid for a day; it is also its own CA.
CertPtr MakeCert(EVP_PKEY* key) {
  CertPtr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  Check(X509_sign(cert.get(), key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

// The folder with the test certificates, made on first use and removed at exit.
class CertificateFolder {
 public:
  CertificateFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kpe-fuzz-web-XXXXXX").string();
    Check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    path_ = pattern;
    const KeyPtr key = MakeKey();
    const CertPtr cert = MakeCert(key.get());
    WriteKey(path_ / "server.key", key.get());
    WriteCert(path_ / "server.crt", cert.get());
    WriteCert(path_ / "ca.crt", cert.get());
    WriteKey(path_ / "other.key", MakeKey().get());
  }
  ~CertificateFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  CertificateFolder(const CertificateFolder&) = delete;
  CertificateFolder& operator=(const CertificateFolder&) = delete;

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

const std::string& CertificateDir() {
  static const CertificateFolder folder;
  static const std::string path = folder.path();
  return path;
}

// True when a scalar under tls_server_config (the only values opened as files) leaves the folder.
bool NamesOutsideFile(const YAML::Node& node, int depth) {
  if (depth > 16) return true;  // deeper than any file value; not worth walking
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    return text.starts_with('/') || text.find("..") != std::string::npos;
  }
  if (node.IsSequence() || node.IsMap()) {
    for (const auto& entry : node) {
      if (node.IsMap() ? NamesOutsideFile(entry.second, depth + 1) : NamesOutsideFile(entry, depth + 1)) {
        return true;
      }
    }
  }
  return false;
}

bool NamesOutsideFile(const std::string& yaml) {
  std::vector<YAML::Node> documents;
  try {
    documents = kpe::util::LoadAllYaml(yaml);
  } catch (const YAML::Exception&) {
    return false;  // the parser refuses it too, before opening anything
  }
  for (const YAML::Node& document : documents) {
    if (!document.IsMap()) continue;
    for (const auto& entry : document) {
      const bool tls = entry.first.IsScalar() && entry.first.Scalar() == "tls_server_config";
      if (tls && NamesOutsideFile(entry.second, 0)) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  if (NamesOutsideFile(yaml)) return 0;
  try {
    const kpe::http::WebConfig config = kpe::http::ParseWebConfig(yaml, "fuzz-web.yml", CertificateDir());
    if (config.source != "fuzz-web.yml") std::abort();
  } catch (const kpe::http::WebConfigError& e) {
    if (*e.what() == '\0') std::abort();  // a refusal must say why
  }
  return 0;
}
