#pragma once
// PackedOptional<T>: an optional number stored in the number itself, one value of T meaning "none"
// (INT64_MIN for int64_t, NaN for double), so it takes sizeof(T) instead of std::optional's 2 x.
// For the fields held once per committed partition of every group (75,000 of them on the `large`
// benchmark), where std::optional<double>'s padding alone was 8 bytes each.
//
// Reads like std::optional (has_value, operator bool, *, value, value_or, == std::nullopt) and
// converts to and from it. Storing the sentinel itself (INT64_MIN, or any NaN) stores "none": use it
// only for values that cannot take it (a lag, an age in seconds). A value type; no shared state.

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>

namespace kpe::util {

template <class T>
struct PackedNone;

template <>
struct PackedNone<int64_t> {
  static constexpr int64_t kValue = std::numeric_limits<int64_t>::min();
  static constexpr bool Is(int64_t v) { return v == kValue; }
};

template <>
struct PackedNone<double> {
  static constexpr double kValue = std::numeric_limits<double>::quiet_NaN();
  static bool Is(double v) { return std::isnan(v); }
};

template <class T>
class PackedOptional {
  using None = PackedNone<T>;

 public:
  constexpr PackedOptional() noexcept = default;
  constexpr PackedOptional(std::nullopt_t) noexcept {}  // NOLINT: converts like std::optional
  constexpr PackedOptional(T value) noexcept : value_(value) {}  // NOLINT
  constexpr PackedOptional(const std::optional<T>& value) noexcept  // NOLINT
      : value_(value.has_value() ? *value : None::kValue) {}

  operator std::optional<T>() const {  // NOLINT
    if (!has_value()) return std::nullopt;
    return value_;
  }

  bool has_value() const noexcept { return !None::Is(value_); }
  explicit operator bool() const noexcept { return has_value(); }
  /// The value; undefined (the sentinel) when there is none, as for std::optional.
  T operator*() const noexcept { return value_; }
  T value() const {
    if (!has_value()) throw std::bad_optional_access();
    return value_;
  }
  T value_or(T fallback) const noexcept { return has_value() ? value_ : fallback; }
  void reset() noexcept { value_ = None::kValue; }

  friend bool operator==(const PackedOptional& a, const PackedOptional& b) noexcept {
    return a.has_value() == b.has_value() && (!a.has_value() || a.value_ == b.value_);
  }
  friend bool operator==(const PackedOptional& a, std::nullopt_t) noexcept { return !a.has_value(); }
  friend std::ostream& operator<<(std::ostream& out, const PackedOptional& v) {
    if (!v.has_value()) return out << "(none)";
    return out << v.value_;
  }

 private:
  T value_ = None::kValue;
};

}  // namespace kpe::util
