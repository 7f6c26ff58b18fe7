#pragma once

#include <cstddef>
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
/// complete single-member gzip stream. `bytes` is shared with the GzipChunks a ChunkedGzipWriter
/// made it with (the next member's writer copies reused chunks from it), so an exposition and the
/// chunks kept for the next render hold the deflated text once. Immutable; thread-safe to share.
struct OpenGzip {
  std::shared_ptr<const std::string> bytes;  // null only when default-constructed (no member)
  uint32_t crc = 0;   // CRC-32 of `data`
  uint64_t size = 0;  // length of `data`

  /// *bytes, or "" when null.
  const std::string& Bytes() const;
  std::size_t byte_size() const { return Bytes().size(); }
};

/// Opens a member with `data` (see OpenGzip): a ChunkedGzipWriter given `data` as its one chunk.
OpenGzip GzipOpen(std::string_view data, int level = 6);

/// The deflated chunks a ChunkedGzipWriter made one member of, by content, for the writer of the next
/// member to reuse. Immutable; thread-safe to share.
class GzipChunks;

/// One chunk a ChunkedGzipWriter deflated (or found in the chunks it reuses). Immutable; thread-safe
/// to share.
class GzipChunk;

/// What a chunk is known by: the length and the 128-bit XXH3 hash of its data.
struct GzipChunkKey {
  uint64_t low = 0;
  uint64_t high = 0;
  uint64_t size = 0;
  bool operator==(const GzipChunkKey&) const = default;
};

/// The key of `chunk`.
const GzipChunkKey& KeyOf(const GzipChunk& chunk);

/// Opens a member of the concatenation of the chunks, deflated one by one: each from an empty window and ended with a sync flush, so that its bytes refer to nothing
/// before them and are valid at any byte-aligned place of any raw deflate stream (as pigz joins its
/// blocks). A chunk whose content is one of `reuse`'s (same length and 128-bit XXH3 hash) is copied
/// from there instead of deflated again: when few chunks of a big text change between two members,
/// only those are compressed. The member is a little larger than one deflate of the whole text (each
/// chunk starts with an empty window, and its flush adds 5 bytes). Not thread-safe.
class ChunkedGzipWriter {
 public:
  explicit ChunkedGzipWriter(std::shared_ptr<const GzipChunks> reuse = nullptr, int level = 6);
  ~ChunkedGzipWriter();
  ChunkedGzipWriter(const ChunkedGzipWriter&) = delete;
  ChunkedGzipWriter& operator=(const ChunkedGzipWriter&) = delete;

  /// Deflates `data` as one chunk, or finds it among the chunks to reuse, without appending it:
  /// a caller that produces its chunks out of order appends them in order later (Append). Only
  /// appended chunks are kept for the next member (Finish's `chunks`). nullptr for empty data.
  std::shared_ptr<const GzipChunk> Make(std::string_view data);
  /// The chunk of key `key` among the ones made so far or the ones to reuse, without its data (a
  /// caller that knows a chunk is unchanged need not produce its text again); nullptr when there
  /// is none. Like Make, does not append it.
  std::shared_ptr<const GzipChunk> Reuse(const GzipChunkKey& key);
  /// Appends a chunk this writer made (nothing for nullptr).
  void Append(const std::shared_ptr<const GzipChunk>& chunk);
  /// Appends one chunk (nothing for an empty one): Append(Make(data)).
  void AppendChunk(std::string_view data) { Append(Make(data)); }
  /// Gives the open member; `chunks`, when not null, receives the chunks appended to it (as places
  /// in its bytes), for the writer of the next member. The writer takes no more data.
  OpenGzip Finish(std::shared_ptr<const GzipChunks>* chunks = nullptr);

  size_t reused_chunks() const { return reused_; }
  size_t deflated_chunks() const { return deflated_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  size_t reused_ = 0;
  size_t deflated_ = 0;
};

/// The data an open member holds (what it was opened with). Throws std::runtime_error when the
/// bytes do not inflate to `open.size` bytes of that CRC-32.
std::string GzipOpenContents(const OpenGzip& open);

/// Text deflated once to be placed between an open member and the tail of many closes (GzipClose):
/// its raw deflate from an empty window, ended with a sync flush (like a ChunkedGzipWriter's chunks),
/// with the CRC-32 and length of the text. Immutable; thread-safe to share.
struct GzipPart {
  std::string deflated;  // "" for an empty text
  uint32_t crc = 0;      // CRC-32 of the text
  uint64_t size = 0;     // length of the text
};

/// Deflates `data` as a GzipPart.
GzipPart GzipDeflatePart(std::string_view data, int level = 6);

/// The bytes that, appended to `open.Bytes()`, make one gzip member of `data + tail`: the raw deflate of
/// `tail` with the final block, then the CRC-32 and length of the whole (zlib's crc32_combine). Every
/// gzip reader, including the ones that read only the first member of a stream (curl), reads it.
std::string GzipClose(const OpenGzip& open, std::string_view tail, int level = 6);

/// The same with `middle` between the member's data and the tail: one member of
/// `data + middle's text + tail`, of which only `tail` is deflated here.
std::string GzipClose(const OpenGzip& open, const GzipPart& middle, std::string_view tail, int level = 6);

/// Decompresses every member of a gzip stream. Throws std::runtime_error on malformed input.
std::string GzipDecompress(std::string_view data);

}  // namespace kpe::util
