#pragma once
// Test certificates made with Debian's openssl CLI in a temporary folder, and bcrypt hashes made
// with libxcrypt at a low cost.

#include <crypt.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

namespace kpe::http::testing {

/// A temporary folder, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kpe-web-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

  /// Writes `text` to `name` through a temporary file and a rename, as certificate tools do.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string tmp = File(name + ".tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
    }
    std::filesystem::rename(tmp, File(name));
    return File(name);
  }

 private:
  std::filesystem::path path_;
};

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Runs a shell command in `dir`; throws with the command when it fails.
inline void Shell(const TempDir& dir, const std::string& command) {
  const std::string full = "cd '" + dir.path().string() + "' && (" + command + ") >openssl.log 2>&1";
  if (std::system(full.c_str()) != 0) {
    throw std::runtime_error("command failed: " + command + "\n" + ReadText(dir.File("openssl.log")));
  }
}

/// Certificates in a temp dir: ca.crt/ca.key; server.crt/server.key (CN=server, SAN 127.0.0.1 and
/// localhost) and rotated.crt/rotated.key (CN=rotated, same SANs), both signed by ca; client.crt/
/// client.key signed by ca; rogue.crt/rogue.key signed by rogue-ca (not trusted by the server).
class TestCertificates {
 public:
  TestCertificates() {
    Shell(dir_, "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext");
    MakeCa("ca");
    MakeCa("rogue-ca");
    Sign("server", "ca", "server.ext");
    Sign("rotated", "ca", "server.ext");
    Sign("client", "ca", "");
    Sign("rogue", "rogue-ca", "");
  }

  std::string File(const std::string& name) const { return dir_.File(name); }
  const TempDir& dir() const { return dir_; }

 private:
  void MakeCa(const std::string& name) {
    Shell(dir_, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name +
                    ".key -out " + name + ".crt -subj /CN=" + name + " -days 2");
  }
  void Sign(const std::string& name, const std::string& ca, const std::string& ext) {
    Shell(dir_, "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name +
                    ".key -out " + name + ".csr -subj /CN=" + name);
    Shell(dir_, "openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca + ".key -set_serial " +
                    std::to_string(std::rand() % 1000000 + 1) + " -days 2 -out " + name + ".crt" +
                    (ext.empty() ? "" : " -extfile " + ext));
  }

  TempDir dir_;
};

/// A bcrypt hash of `password` at cost 5 (fast), with a random salt.
inline std::string BcryptHash(const std::string& password, const char* prefix = "$2b$") {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
  if (crypt_gensalt_rn(prefix, 5, nullptr, 0, salt.data(), static_cast<int>(salt.size())) == nullptr) {
    throw std::runtime_error("crypt_gensalt_rn failed");
  }
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), salt.data(), data.get(), static_cast<int>(sizeof(crypt_data)));
  if (out == nullptr || out[0] == '*') throw std::runtime_error("crypt_rn failed");
  return out;
}

}  // namespace kpe::http::testing
