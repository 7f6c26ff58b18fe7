#include "util/gzip.h"

#include <zlib.h>

// Header-only: the hash functions are compiled in, so the binary needs no libxxhash at run time.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdexcept>
#include <unordered_map>

namespace kpe::util {

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16: write a gzip header and trailer instead of a zlib one.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const auto written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  out.resize(written);
  return out;
}

namespace {

// Raw deflate (no header) of `data`, ending with `flush` (Z_SYNC_FLUSH: byte-aligned, not final;
// Z_FINISH: the final block).
std::string RawDeflate(std::string_view data, int level, int flush) {
  // A window no larger than the data loses nothing (a match only refers to earlier data) and the
  // state shrinks with it: a scrape's tail of a few KB is deflated with ~16 KB of state, not 256 KB
  // (zlib's usage: 2^(windowBits+2) + 2^(memLevel+9) bytes, here with memLevel = windowBits - 7).
  int window_bits = 9;  // raw deflate's smallest
  while (window_bits < 15 && (size_t{1} << window_bits) < data.size()) ++window_bits;
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, -window_bits, window_bits - 7, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  // Expositions compress 20 to 30 times: start with 1/16 of the input and double while deflate
  // fills it, rather than zero-filling deflateBound (more than the input) for a 47 MB text.
  std::string out(data.size() / 16 + 64, '\0');
  size_t written = 0;
  int rc = Z_OK;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + written);
    zs.avail_out = static_cast<uInt>(out.size() - written);
    rc = deflate(&zs, flush);
    written = out.size() - zs.avail_out;
    if (rc != Z_OK || zs.avail_out != 0) break;
    out.resize(out.size() * 2);
  }
  const bool done = zs.avail_in == 0;
  deflateEnd(&zs);
  if ((flush == Z_FINISH && rc != Z_STREAM_END) || (flush != Z_FINISH && (rc != Z_OK || !done))) {
    throw std::runtime_error("gzip: deflate did not finish");
  }
  out.resize(written);
  return out;
}

void AppendLittleEndian32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

// Header: magic, deflate, no flags, no mtime, no extra flags, OS unknown (RFC 1952 §2.3).
constexpr char kHeader[] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, '\xff'};

namespace {

using ChunkKey = GzipChunkKey;

struct ChunkKeyHash {
  size_t operator()(const ChunkKey& key) const { return static_cast<size_t>(key.low); }
};

ChunkKey KeyOf(std::string_view data) {
  const XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return {h.low64, h.high64, data.size()};
}

}  // namespace

class GzipChunk {
 public:
  ChunkKey key;
  std::shared_ptr<const std::string> bytes;  // holds the deflate: the chunk's own, or a member's
  size_t offset = 0;
  size_t length = 0;
  uint32_t crc = 0;   // CRC-32 of the chunk's data
  uint64_t size = 0;  // length of the chunk's data

  // Raw deflate from an empty window, ended with a sync flush.
  std::string_view deflated() const { return std::string_view(*bytes).substr(offset, length); }
};

const GzipChunkKey& KeyOf(const GzipChunk& chunk) { return chunk.key; }

class GzipChunks {
 public:
  struct Entry {
    size_t offset = 0;
    size_t length = 0;
    uint32_t crc = 0;
    uint64_t size = 0;
  };
  std::shared_ptr<const std::string> bytes;  // the member the chunks were appended to
  std::unordered_map<ChunkKey, Entry, ChunkKeyHash> entries;
};

struct ChunkedGzipWriter::State {
  std::shared_ptr<const GzipChunks> reuse;
  // The chunks made so far (deflated or reused), for repeats within the member.
  std::unordered_map<ChunkKey, std::shared_ptr<const GzipChunk>, ChunkKeyHash> made;
  std::string bytes;  // the member
  std::unordered_map<ChunkKey, GzipChunks::Entry, ChunkKeyHash> appended;
  uint32_t crc = 0;
  uint64_t size = 0;
  z_stream zs{};
  bool zs_ready = false;
  std::string scratch;
  int level = 6;
  bool finished = false;
};

ChunkedGzipWriter::ChunkedGzipWriter(std::shared_ptr<const GzipChunks> reuse, int level)
    : state_(std::make_unique<State>()) {
  state_->reuse = std::move(reuse);
  state_->level = level;
  state_->bytes.assign(kHeader, sizeof(kHeader));
  state_->crc = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
}

ChunkedGzipWriter::~ChunkedGzipWriter() {
  if (state_->zs_ready) deflateEnd(&state_->zs);
}

std::shared_ptr<const GzipChunk> ChunkedGzipWriter::Reuse(const GzipChunkKey& key) {
  State& s = *state_;
  if (s.finished) throw std::logic_error("gzip: Reuse after Finish");
  if (const auto it = s.made.find(key); it != s.made.end()) {
    ++reused_;
    return it->second;
  }
  if (s.reuse == nullptr) return nullptr;
  const auto old = s.reuse->entries.find(key);
  if (old == s.reuse->entries.end()) return nullptr;
  const GzipChunks::Entry& e = old->second;
  auto chunk = std::make_shared<const GzipChunk>(GzipChunk{key, s.reuse->bytes, e.offset, e.length, e.crc, e.size});
  ++reused_;
  s.made.emplace(key, chunk);
  return chunk;
}

std::shared_ptr<const GzipChunk> ChunkedGzipWriter::Make(std::string_view data) {
  State& s = *state_;
  if (s.finished) throw std::logic_error("gzip: Make after Finish");
  if (data.empty()) return nullptr;
  const ChunkKey key = KeyOf(data);
  std::shared_ptr<const GzipChunk> chunk = Reuse(key);
  if (chunk != nullptr) return chunk;
  if (!s.zs_ready) {
    if (deflateInit2(&s.zs, s.level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("gzip: deflateInit2 failed");
    }
    s.zs_ready = true;
  } else if (deflateReset(&s.zs) != Z_OK) {
    throw std::runtime_error("gzip: deflateReset failed");
  }
  // Deflated into a scratch buffer kept across chunks (zero-filled only when it grows), then copied
  // at its exact size: deflateBound (plus the sync flush's marker) always suffices.
  std::string& out = s.scratch;
  const size_t bound = deflateBound(&s.zs, static_cast<uLong>(data.size())) + 16;
  if (out.size() < bound) out.resize(bound);
  s.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.zs.avail_in = static_cast<uInt>(data.size());
  s.zs.next_out = reinterpret_cast<Bytef*>(out.data());
  s.zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&s.zs, Z_SYNC_FLUSH);
  if (rc != Z_OK || s.zs.avail_in != 0 || s.zs.avail_out == 0) {
    throw std::runtime_error("gzip: deflate of a chunk did not finish");
  }
  const size_t length = out.size() - s.zs.avail_out;
  chunk = std::make_shared<const GzipChunk>(GzipChunk{
      key, std::make_shared<const std::string>(out.data(), length), 0, length,
      static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()))),
      data.size()});
  ++deflated_;
  s.made.emplace(key, chunk);
  return chunk;
}

void ChunkedGzipWriter::Append(const std::shared_ptr<const GzipChunk>& chunk) {
  State& s = *state_;
  if (s.finished) throw std::logic_error("gzip: Append after Finish");
  if (chunk == nullptr) return;
  s.appended.try_emplace(chunk->key, GzipChunks::Entry{s.bytes.size(), chunk->length, chunk->crc, chunk->size});
  s.bytes += chunk->deflated();
  s.crc = static_cast<uint32_t>(crc32_combine(s.crc, chunk->crc, static_cast<z_off_t>(chunk->size)));
  s.size += chunk->size;
}

OpenGzip ChunkedGzipWriter::Finish(std::shared_ptr<const GzipChunks>* chunks) {
  State& s = *state_;
  if (s.finished) throw std::logic_error("gzip: Finish called twice");
  s.finished = true;
  s.bytes.shrink_to_fit();
  OpenGzip open;
  open.bytes = std::make_shared<const std::string>(std::move(s.bytes));
  open.crc = s.crc;
  open.size = s.size;
  if (chunks != nullptr) {
    // The next member's writer copies reused chunks from this member's bytes: held once, by both.
    auto made = std::make_shared<GzipChunks>();
    made->bytes = open.bytes;
    made->entries = std::move(s.appended);
    *chunks = std::move(made);
  }
  s.made.clear();
  s.reuse.reset();
  s.scratch = std::string();
  return open;
}

OpenGzip GzipOpen(std::string_view data, int level) {
  ChunkedGzipWriter writer(nullptr, level);
  writer.AppendChunk(data);
  return writer.Finish();
}

const std::string& OpenGzip::Bytes() const {
  static const std::string kEmpty;
  return bytes != nullptr ? *bytes : kEmpty;
}

std::string GzipOpenContents(const OpenGzip& open) {
  const std::string& bytes = open.Bytes();
  if (bytes.size() < sizeof(kHeader)) throw std::runtime_error("gzip: open member without header");
  if (open.size == 0) return {};
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) throw std::runtime_error("gzip: inflateInit2 failed");
  std::string out(open.size, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + sizeof(kHeader)));
  zs.avail_in = static_cast<uInt>(bytes.size() - sizeof(kHeader));
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_SYNC_FLUSH);
  // With the output full, inflate may leave the empty block of the sync flush unread.
  const bool whole = zs.total_out == open.size;
  inflateEnd(&zs);
  if ((rc != Z_OK && rc != Z_BUF_ERROR) || !whole ||
      crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())) != open.crc) {
    throw std::runtime_error("gzip: open member does not inflate to its size and CRC");
  }
  return out;
}

GzipPart GzipDeflatePart(std::string_view data, int level) {
  GzipPart part;
  if (data.empty()) return part;  // nothing to flush: an empty part adds no bytes
  part.deflated = RawDeflate(data, level, Z_SYNC_FLUSH);
  part.crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  part.size = data.size();
  return part;
}

std::string GzipClose(const OpenGzip& open, std::string_view tail, int level) {
  return GzipClose(open, GzipPart{}, tail, level);
}

std::string GzipClose(const OpenGzip& open, const GzipPart& middle, std::string_view tail, int level) {
  const std::string deflated_tail = RawDeflate(tail, level, Z_FINISH);
  std::string out;
  out.reserve(middle.deflated.size() + deflated_tail.size() + 8);
  out += middle.deflated;
  out += deflated_tail;
  uLong crc = crc32_combine(open.crc, middle.crc, static_cast<z_off_t>(middle.size));
  const uLong tail_crc =
      crc32(0L, reinterpret_cast<const Bytef*>(tail.data()), static_cast<uInt>(tail.size()));
  crc = crc32_combine(crc, tail_crc, static_cast<z_off_t>(tail.size()));
  AppendLittleEndian32(out, static_cast<uint32_t>(crc));
  AppendLittleEndian32(out, static_cast<uint32_t>((open.size + middle.size + tail.size()) & 0xffffffffu));
  return out;
}

std::string GzipDecompress(std::string_view data) {
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("gzip: inflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + pos));
    zs.avail_in = static_cast<uInt>(data.size() - pos);
    char buf[16384];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&zs);
        throw std::runtime_error("gzip: malformed data");
      }
      out.append(buf, sizeof(buf) - zs.avail_out);
      if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
        inflateEnd(&zs);
        throw std::runtime_error("gzip: truncated data");
      }
    }
    pos += zs.total_in;
    inflateEnd(&zs);
  }
  return out;
}

}  // namespace kpe::util
