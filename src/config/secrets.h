#pragma once
// Secrets in librdkafka properties: `${file:PATH}` and `${env:NAME}` references resolved when the
// configuration is loaded, and the redaction of sensitive values wherever a message could echo them.

#include <string>
#include <string_view>

namespace kpe::config {

/// True for librdkafka property names whose values are secrets: names containing "password",
/// "secret", "token", "credential" or "jaas", ending in "key" (ssl_key), and ssl.key.pem and
/// sasl.oauthbearer.config (a JWT or client secret in librdkafka's own syntax). Case-insensitive.
bool IsSensitiveProperty(std::string_view name);

/// What stands for a redacted value in messages.
inline constexpr std::string_view kRedacted = "[redacted]";

/// `message` with every occurrence of `secret` replaced by kRedacted, and of the parts of it a message
/// may quote alone: each tail starting at a word and each word of 4 or more characters (unchanged when
/// `secret` is empty).
std::string RedactValue(std::string message, std::string_view secret);

/// Resolves the references in a property value: `${file:PATH}` is the first line of the file (without
/// its line end; PATH relative to `base_dir` unless absolute), `${env:NAME}` is the environment
/// variable NAME; `$${` stands for a literal `${`. Other text is kept as written, so a value without
/// references is returned unchanged. Throws std::invalid_argument with a message naming the file or
/// the variable and the problem (unreadable, empty, unset, unterminated reference) but never any part
/// of the value read or written; the caller prefixes the key path.
std::string ResolveSecretReferences(const std::string& value, const std::string& base_dir);

}  // namespace kpe::config
