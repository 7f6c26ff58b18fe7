#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kpe::util {

/// Compresses `data` into one complete gzip member (RFC 1952). Members can be concatenated: a reader
/// that follows the RFC (Go's compress/gzip used by Prometheus, zlib's gunzip) yields the
/// concatenation of their contents. Thread-safe.
std::string GzipCompress(std::string_view data, int level = 6);

/// A gzip member left open so that more data can be appended to it later: the gzip header and the raw
/// deflate of `data`, ended with a sync flush (byte-aligned, no final block), plus what the trailer
/// will need. Made once; closed many times with different tails (GzipClose), each close producing one
/// complete single-member gzip stream. Immutable; thread-safe to share.
struct OpenGzip {
  std::string bytes;
  uint32_t crc = 0;   // CRC-32 of `data`
  uint64_t size = 0;  // length of `data`
};

/// Opens a member with `data` (see OpenGzip).
OpenGzip GzipOpen(std::string_view data, int level = 6);

/// Opens a member from data given in pieces, so that the whole of it never has to be held at once:
/// Finish gives what GzipOpen gives for the concatenation of the pieces. Not thread-safe.
class GzipWriter {
 public:
  explicit GzipWriter(int level = 6);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  void Append(std::string_view data);
  /// Ends the deflate with a sync flush and gives the open member; the writer takes no more data.
  OpenGzip Finish();

 private:
  struct Stream;
  void Deflate(std::string_view data, int flush);

  std::unique_ptr<Stream> stream_;
  OpenGzip open_;
  bool finished_ = false;
};

/// The data an open member holds (what it was opened with). Throws std::runtime_error when the
/// bytes do not inflate to `open.size` bytes of that CRC-32.
std::string GzipOpenContents(const OpenGzip& open);

/// The bytes that, appended to `open.bytes`, make one gzip member of `data + tail`: the raw deflate of
/// `tail` with the final block, then the CRC-32 and length of the whole (zlib's crc32_combine). Every
/// gzip reader, including the ones that read only the first member of a stream (curl), reads it.
std::string GzipClose(const OpenGzip& open, std::string_view tail, int level = 6);

/// Decompresses every member of a gzip stream. Throws std::runtime_error on malformed input.
std::string GzipDecompress(std::string_view data);

}  // namespace kpe::util
