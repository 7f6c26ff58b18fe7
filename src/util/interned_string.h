#pragma once
// InternedString: a string held once per process however many objects name it (Boost.Flyweight).
//
// The exporter names the same few topics in hundreds of thousands of places (every committed
// partition of every group, each commit window, each committed offset read): 75,000 group partitions
// on 200 topics on the `large` benchmark. A std::string there costs 32 bytes, plus a heap block when
// the name is longer than 15 characters (most real topic names); an InternedString costs 8 bytes.
//
// Construction looks the value up in a process-wide hash table under a mutex (~60 ns); copies only
// count references. Converts implicitly to const std::string&; compares equal by identity, orders by
// value. Thread-safe: any thread may create, copy and destroy them. None may outlive main() (the
// table is a static object), so never keep one in a static.

#include <compare>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include <boost/flyweight.hpp>

namespace kpe::util {

/// A boost::flyweight<std::string> that converts implicitly from strings (as std::string does from
/// literals, so that structs holding one stay aggregates that braces initialise) and compares like a
/// std::string: == by identity (one object per value), ordering by value.
class InternedString {
 public:
  InternedString() = default;
  InternedString(const std::string& value) : value_(value) {}  // NOLINT: implicit on purpose
  InternedString(std::string&& value) : value_(std::move(value)) {}  // NOLINT
  InternedString(const char* value) : value_(std::string(value)) {}  // NOLINT
  InternedString(std::string_view value) : value_(std::string(value)) {}  // NOLINT

  const std::string& get() const { return value_.get(); }
  operator const std::string&() const { return value_.get(); }  // NOLINT
  operator std::string_view() const { return value_.get(); }    // NOLINT
  bool empty() const { return get().empty(); }

  friend bool operator==(const InternedString& a, const InternedString& b) { return a.value_ == b.value_; }
  friend std::strong_ordering operator<=>(const InternedString& a, const InternedString& b) {
    return a.value_ == b.value_ ? std::strong_ordering::equal : a.get() <=> b.get();
  }
  friend bool operator==(const InternedString& a, const std::string& b) { return a.get() == b; }
  friend std::strong_ordering operator<=>(const InternedString& a, const std::string& b) { return a.get() <=> b; }
  friend bool operator==(const InternedString& a, std::string_view b) { return std::string_view(a.get()) == b; }
  friend std::strong_ordering operator<=>(const InternedString& a, std::string_view b) {
    return std::string_view(a.get()) <=> b;
  }
  friend bool operator==(const InternedString& a, const char* b) { return a.get() == b; }
  friend std::strong_ordering operator<=>(const InternedString& a, const char* b) { return a.get() <=> b; }
  friend std::ostream& operator<<(std::ostream& out, const InternedString& s) { return out << s.get(); }

 private:
  boost::flyweight<std::string> value_;
};

}  // namespace kpe::util
