#pragma once
// Which replica owns what: consumer groups and topics are split across `shard.count` replicas by a
// stable hash of their name, so the replicas never overlap and together miss nothing.

#include <cstdint>
#include <string_view>

#include "config/config.h"

namespace kpe::collect {

/// 64-bit FNV-1a of `text`: stable across builds, platforms and releases (the shard of a name must
/// not change when the exporter is upgraded).
constexpr uint64_t StableHash(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

/// True when this replica owns the topic or group `name`.
constexpr bool Owns(const config::ShardConfig& shard, std::string_view name) {
  return shard.count <= 1 || StableHash(name) % static_cast<uint64_t>(shard.count) ==
                                 static_cast<uint64_t>(shard.index);
}

}  // namespace kpe::collect
