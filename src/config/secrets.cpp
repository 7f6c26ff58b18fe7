#include "config/secrets.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace kpe::config {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string ReadFirstLine(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::invalid_argument("cannot read the secret file " + path + ": " + std::strerror(errno));
  }
  std::string line;
  std::getline(in, line);
  if (in.bad()) throw std::invalid_argument("cannot read the secret file " + path);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw std::invalid_argument("the secret file " + path + " is empty (its first line is read)");
  return line;
}

std::string ReadEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) throw std::invalid_argument("the environment variable " + name + " is not set");
  if (*value == '\0') throw std::invalid_argument("the environment variable " + name + " is empty");
  return value;
}

}  // namespace

bool IsSensitiveProperty(std::string_view name) {
  const std::string lower = Lower(name);
  static constexpr std::array<std::string_view, 5> kParts = {"password", "secret", "token", "credential",
                                                             "jaas"};
  for (const auto part : kParts) {
    if (lower.find(part) != std::string::npos) return true;
  }
  return lower.ends_with("key") || lower == "ssl.key.pem" || lower == "sasl.oauthbearer.config";
}

std::string RedactValue(std::string message, std::string_view secret) {
  if (secret.empty()) return message;
  // librdkafka may quote only a part of a value ("Unrecognized sasl.oauthbearer.config beginning at:
  // ..."): besides the whole value, every tail from a word on and every word of 4+ characters goes.
  std::vector<std::string_view> parts = {secret};
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  for (size_t i = 0; i < secret.size(); ++i) {
    if (is_space(secret[i]) || (i > 0 && !is_space(secret[i - 1]))) continue;
    size_t end = i;
    while (end < secret.size() && !is_space(secret[end])) ++end;
    if (i > 0) parts.push_back(secret.substr(i));
    if (end - i >= 4) parts.push_back(secret.substr(i, end - i));
  }
  std::stable_sort(parts.begin(), parts.end(), [](auto a, auto b) { return a.size() > b.size(); });
  for (const auto part : parts) {
    for (auto at = message.find(part); at != std::string::npos; at = message.find(part, at + kRedacted.size())) {
      message.replace(at, part.size(), kRedacted);
    }
  }
  return message;
}

std::string ResolveSecretReferences(const std::string& value, const std::string& base_dir) {
  std::string out;
  std::string::size_type at = 0;
  while (at < value.size()) {
    if (value.compare(at, 3, "$${") == 0) {
      out += "${";
      at += 3;
      continue;
    }
    const bool is_file = value.compare(at, 7, "${file:") == 0;
    const bool is_env = value.compare(at, 6, "${env:") == 0;
    if (!is_file && !is_env) {
      out += value[at++];
      continue;
    }
    const auto start = at + (is_file ? 7 : 6);
    const auto end = value.find('}', start);
    const char* kind = is_file ? "${file:...}" : "${env:...}";
    // The value may be a literal secret that merely contains "${file:": never echo it.
    if (end == std::string::npos) {
      throw std::invalid_argument(std::string("unterminated ") + kind + " reference (no closing '}'; write $${ for a literal ${)");
    }
    const std::string target = value.substr(start, end - start);
    if (target.empty()) {
      throw std::invalid_argument(std::string(kind) + (is_file ? " names no file" : " names no variable"));
    }
    if (is_file) {
      const bool relative = target.front() != '/' && !base_dir.empty();
      out += ReadFirstLine(relative ? base_dir + (base_dir.back() == '/' ? "" : "/") + target : target);
    } else {
      out += ReadEnvironment(target);
    }
    at = end + 1;
  }
  return out;
}

}  // namespace kpe::config
