#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <vector>

namespace kpe::http {
namespace {

constexpr std::string_view kScheme = "basic";

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  for (const char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') return std::nullopt;
  }
  std::vector<unsigned char> out(text.size() / 4 * 3);
  const int size = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                   static_cast<int>(text.size()));
  if (size < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as data.
  size_t length = static_cast<size_t>(size);
  if (text.ends_with("==")) {
    length -= 2;
  } else if (text.ends_with("=")) {
    length -= 1;
  }
  return std::string(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(length));
}

/// bcrypt's cost ("$2y$10$..." → 10); 0 when not a bcrypt hash.
int BcryptCost(const std::string& hash) {
  if (hash.size() < 7 || hash.compare(0, 2, "$2") != 0 || hash[3] != '$' || hash[6] != '$') return 0;
  if (!std::isdigit(static_cast<unsigned char>(hash[4])) || !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    return 0;
  }
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header) {
  header = Trim(header);
  if (header.size() <= kScheme.size() || (header[kScheme.size()] != ' ' && header[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  const std::optional<std::string> decoded = DecodeBase64(Trim(header.substr(kScheme.size())));
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

bool VerifyPassword(const std::string& password, const std::string& hash) {
  // crypt_data is large (about 32 KiB): not for the stack of an io thread.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  if (out == nullptr || out[0] == '*') return false;
  const std::string_view computed(out);
  return computed.size() == hash.size() && CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

BasicAuthenticator::BasicAuthenticator(std::chrono::seconds ttl, size_t capacity,
                                       std::function<Clock::time_point()> now)
    : ttl_(ttl), capacity_(capacity), now_(std::move(now)) {}

std::string BasicAuthenticator::CacheKey(const std::string& user, const std::string& hash,
                                         const std::string& password) const {
  std::string input = user;
  input += '\0';
  input += hash;
  input += '\0';
  input += password;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest.data()), size);
}

std::optional<bool> BasicAuthenticator::CheckCached(const Users& users, std::string_view authorization) {
  const auto credentials = ParseBasicAuthorization(authorization);
  if (!credentials || users.empty()) return false;
  const auto user = users.find(credentials->first);
  if (user == users.end()) return std::nullopt;  // the unknown user pays a bcrypt too
  const std::string key = CacheKey(user->first, user->second, credentials->second);
  std::lock_guard lock(mutex_);
  const auto entry = cache_.find(key);
  if (entry == cache_.end()) return std::nullopt;
  if (entry->second <= now_()) {
    cache_.erase(entry);
    return std::nullopt;
  }
  return true;
}

bool BasicAuthenticator::Check(const Users& users, std::string_view authorization) {
  if (const std::optional<bool> cached = CheckCached(users, authorization)) return *cached;
  const auto credentials = ParseBasicAuthorization(authorization);
  const auto user = users.find(credentials->first);
  if (user == users.end()) {
    int cost = 0;
    for (const auto& [name, hash] : users) cost = std::max(cost, BcryptCost(hash));
    VerifyPassword(credentials->second, DummyHash(cost == 0 ? 10 : cost));
    return false;
  }
  if (!VerifyPassword(credentials->second, user->second)) return false;
  const std::string key = CacheKey(user->first, user->second, credentials->second);
  std::lock_guard lock(mutex_);
  const Clock::time_point now = now_();
  if (cache_.size() >= capacity_) {
    std::erase_if(cache_, [now](const auto& entry) { return entry.second <= now; });
    // Still full (many distinct live credentials): start over rather than track recency.
    if (cache_.size() >= capacity_) cache_.clear();
  }
  cache_[key] = now + ttl_;
  return true;
}

size_t BasicAuthenticator::cached() const {
  std::lock_guard lock(mutex_);
  return cache_.size();
}

std::string BasicAuthenticator::DummyHash(int cost) {
  {
    std::lock_guard lock(mutex_);
    if (const auto it = dummy_hashes_.find(cost); it != dummy_hashes_.end()) return it->second;
  }
  std::array<unsigned char, 16> random{};
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1 ||
      crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), reinterpret_cast<const char*>(random.data()),
                       static_cast<int>(random.size()), salt.data(), static_cast<int>(salt.size())) == nullptr) {
    throw std::runtime_error("cannot make a bcrypt salt");
  }
  auto data = std::make_unique<crypt_data>();
  std::string password(reinterpret_cast<const char*>(random.data()), 8);
  for (char& c : password) c = static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
  const char* out = crypt_rn(password.c_str(), salt.data(), data.get(), static_cast<int>(sizeof(crypt_data)));
  if (out == nullptr || out[0] == '*') throw std::runtime_error("cannot make a bcrypt hash");
  std::lock_guard lock(mutex_);
  return dummy_hashes_.emplace(cost, out).first->second;
}

}  // namespace kpe::http
