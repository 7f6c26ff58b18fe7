#include "metrics/family_set.h"

#include <algorithm>
#include <stdexcept>

namespace kpe::metrics::internal {

void FamilySet::Add(size_t family, const LabelText& labels, double value) {
  const FamilySpec& spec = kFamilies[family];
  Family& f = families_[family];
  if (f.series == 0) {
    AppendHeader(f.text, spec.name, spec.help, spec.type);
    if (chunk_lines_ > 0) Cut(family);
    const size_t header = f.text.size();
    AppendSample(f.text, spec.name, labels.View(), value);
    f.lines = static_cast<size_t>(std::count(f.text.begin(), f.text.end(), '\n'));
    // Lines of one family differ in their values and label values only: size the text for the
    // expected series (at most a chunk's worth) from the first line, with room for longer values.
    constexpr size_t kSlack = 8;
    const size_t expected = chunk_lines_ > 0 ? std::min(f.expected, chunk_lines_) : f.expected;
    if (expected > 1) f.text.reserve(header + expected * (f.text.size() - header + kSlack));
  } else {
    AppendSample(f.text, spec.name, labels.View(), value);
    ++f.lines;
  }
  ++f.series;
  ++series_;
  if (chunk_lines_ > 0 && f.lines >= chunk_lines_) Cut(family);
}

void FamilySet::Cut(size_t family) {
  Family& f = families_[family];
  if (chunk_lines_ == 0 || f.text.empty()) return;
  chunk_sink_(family, f.text);
  f.text.clear();  // keeps its capacity for the next chunk
  f.lines = 0;
}

void FamilySet::Splice(size_t family, size_t series) {
  if (chunk_lines_ == 0) throw std::logic_error("FamilySet::Splice without ChunkEvery");
  if (series == 0) return;
  Cut(family);
  Family& f = families_[family];
  if (f.series == 0) {
    const FamilySpec& spec = kFamilies[family];
    AppendHeader(f.text, spec.name, spec.help, spec.type);
    Cut(family);
  }
  f.series += series;
  series_ += series;
}

std::string FamilySet::Serialize(Part part, size_t* series) {
  size_t size = 0;
  size_t samples = 0;
  for (size_t i = 0; i < kFamilyCount; ++i) {
    if (kFamilies[i].part != part) continue;
    size += families_[i].text.size();
    samples += families_[i].series;
  }
  if (series != nullptr) *series = samples;
  std::string text;
  text.reserve(size);
  for (size_t i = 0; i < kFamilyCount; ++i) {
    if (kFamilies[i].part != part) continue;
    text += families_[i].text;
    families_[i] = Family();  // its memory is not needed any more
  }
  return text;
}

void FamilySet::SerializeTo(Part part, size_t* series,
                            const std::function<void(size_t, std::string_view)>& sink) {
  size_t samples = 0;
  for (size_t i = 0; i < kFamilyCount; ++i) {
    if (kFamilies[i].part != part) continue;
    samples += families_[i].series;
    if (families_[i].series > 0) sink(i, families_[i].text);
    families_[i] = Family();
  }
  if (series != nullptr) *series = samples;
}

}  // namespace kpe::metrics::internal
