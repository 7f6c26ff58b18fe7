#include <re2/re2.h>

#include <memory>
#include <string>

#include "config/checks.h"
#include "config/config.h"
#include "config/loader.h"

namespace kpe::config {
namespace {

std::unique_ptr<re2::RE2> Compile(const std::string& pattern, const std::string& path) {
  RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_unique<re2::RE2>(pattern, options);
  if (!regex->ok()) {
    throw ConfigError(path + ": invalid regular expression " + detail::Quote(pattern) + ": " +
                      regex->error());
  }
  return regex;
}

}  // namespace

NameFilter::NameFilter(const FilterConfig& config, const std::string& where)
    : include_(Compile(config.filter, where + ".filter")),
      exclude_(Compile(config.exclude, where + ".exclude")) {}

NameFilter::~NameFilter() = default;
NameFilter::NameFilter(NameFilter&&) noexcept = default;
NameFilter& NameFilter::operator=(NameFilter&&) noexcept = default;

// Unanchored search, like kafka_exporter's Go regexp.MatchString, so its users' flags select the same
// topics and groups here; anchor with ^...$ to match whole names.
bool NameFilter::Matches(const std::string& name) const {
  return RE2::PartialMatch(name, *include_) && !RE2::PartialMatch(name, *exclude_);
}

}  // namespace kpe::config
