#pragma once

#include <string>
#include <string_view>

namespace kpe::util {

/// Compresses `data` into one complete gzip member (RFC 1952). Members can be concatenated: a reader
/// that follows the RFC (Go's compress/gzip used by Prometheus, zlib's gunzip) yields the
/// concatenation of their contents. Thread-safe.
std::string GzipCompress(std::string_view data, int level = 6);

/// Decompresses every member of a gzip stream. Throws std::runtime_error on malformed input.
std::string GzipDecompress(std::string_view data);

}  // namespace kpe::util
