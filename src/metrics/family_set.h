#pragma once
// Internal to the metrics module: the text of the families under construction for the renderers
// (exposition.cpp, clients_exposition.cpp, advice_exposition.cpp), one slot per row of kFamilies.

#include <array>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/names.h"
#include "metrics/text_writer.h"

namespace kpe::metrics::internal {

/// Families under construction, one slot per row of kFamilies. Each sample line is written into
/// its family's text when it is added, so no per-series objects exist; Serialize concatenates the
/// non-empty families of one Part in table (name) order. Not thread-safe; used by one render call.
class FamilySet {
 public:
  /// From now on, hands a family's HELP and TYPE lines to `sink` on their own, then its sample lines
  /// each time they reach `lines` lines, emptying its text each time, so no family's text is held
  /// whole: the caller deflates each chunk at once and puts the chunks in order later. SerializeTo
  /// then gives what is left of each.
  void ChunkEvery(size_t lines, std::function<void(size_t family, std::string_view text)> sink) {
    chunk_lines_ = lines;
    chunk_sink_ = std::move(sink);
  }

  /// Expects about `n` series of `family`, to size its text once its first line shows how long one
  /// is.
  void Reserve(size_t family, size_t n) { families_[family].expected = n; }

  /// Series added so far, over all families.
  size_t SeriesCount() const { return series_; }
  /// Series of `family` added so far.
  size_t SeriesCount(size_t family) const { return families_[family].series; }

  /// With ChunkEvery: hands what `family` holds to the sink now (nothing when it holds nothing), so
  /// the lines added next start a chunk.
  void Cut(size_t family);
  /// With ChunkEvery: counts `series` series of `family` that the caller puts in place itself (chunks
  /// it kept from an earlier render, whose lines are those of the same series), after Cut(family)
  /// and, when the family had no series yet, its header.
  void Splice(size_t family, size_t series);

  /// Adds a series labelled `labels` (a block LabelText formatted).
  void Add(size_t family, const LabelText& labels, double value);
  /// Adds a series labelled with the sorted `base` merged with `extra` (see LabelText).
  void Add(size_t family, std::span<const Label> base, std::initializer_list<Label> extra,
           double value) {
    scratch_.Assign(base, extra);
    Add(family, scratch_, value);
  }
  void Add(size_t family, std::span<const Label> labels, double value) {
    Add(family, labels, {}, value);
  }
  /// Adds a series without labels.
  void Add(size_t family, double value) { Add(family, LabelText(), value); }

  /// Moves the text of the families of `part` out, in table order; `series` (when not null)
  /// receives their sample count.
  std::string Serialize(Part part, size_t* series);
  /// Like Serialize, but gives the text family by family to `sink` (every family of `part` with a
  /// series, even when ChunkEvery left none of its text), freeing each one's memory once it is
  /// given, so the whole text is never held twice.
  void SerializeTo(Part part, size_t* series,
                   const std::function<void(size_t family, std::string_view text)>& sink);

 private:
  struct Family {
    std::string text;  // HELP and TYPE lines, then the sample lines
    size_t series = 0;
    size_t expected = 0;
    size_t lines = 0;  // in `text`
  };

  std::array<Family, kFamilyCount> families_;
  size_t series_ = 0;
  LabelText scratch_;
  size_t chunk_lines_ = 0;  // 0: never hand text out before SerializeTo
  std::function<void(size_t, std::string_view)> chunk_sink_;
};

}  // namespace kpe::metrics::internal
