#pragma once
// HTTP Basic authentication against bcrypt hashes (web config `basic_auth_users`).

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace kpe::http {

/// User name and password of an `Authorization: Basic <base64(user:password)>` header value (scheme
/// case-insensitive); nullopt when it is absent, another scheme or malformed. Thread-safe (pure).
std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header);

/// True when `password` hashes to `hash` (bcrypt through libxcrypt's crypt_rn; any hash crypt knows).
/// The comparison takes constant time. False for a malformed hash. Thread-safe.
bool VerifyPassword(const std::string& password, const std::string& hash);

/// Users are `user → bcrypt hash`. Checking costs one bcrypt (slow by design), also for an unknown
/// user (verified against a dummy hash of the highest cost among the users), so that the time taken
/// does not tell whether a user exists. Successful checks are cached for `ttl` (keyed by a SHA-256 of
/// user, hash and password; at most `capacity` entries), so a scrape every few seconds costs no bcrypt.
/// A cached entry is only valid for the same hash, so a reload that changes a password takes effect.
/// Thread-safe.
class BasicAuthenticator {
 public:
  using Users = std::map<std::string, std::string>;
  using Clock = std::chrono::steady_clock;

  explicit BasicAuthenticator(std::chrono::seconds ttl = std::chrono::minutes(5), size_t capacity = 1024,
                              std::function<Clock::time_point()> now = Clock::now);

  /// The answer when it needs no bcrypt: false for a missing or malformed header, true for a cached
  /// success; nullopt when Check() must run.
  std::optional<bool> CheckCached(const Users& users, std::string_view authorization);
  /// The full check (CheckCached first, then bcrypt). Blocks for one bcrypt when not cached.
  bool Check(const Users& users, std::string_view authorization);

  /// Cached successes now (for tests and diagnostics).
  size_t cached() const;

 private:
  std::string CacheKey(const std::string& user, const std::string& hash, const std::string& password) const;
  std::string DummyHash(int cost);

  const std::chrono::seconds ttl_;
  const size_t capacity_;
  const std::function<Clock::time_point()> now_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> cache_;  // key → expiry
  std::map<int, std::string> dummy_hashes_;                   // cost → hash of a random password
};

}  // namespace kpe::http
