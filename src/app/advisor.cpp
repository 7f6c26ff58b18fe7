#include "app/advisor.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>

#include "advice/client_rules.h"
#include "advice/output.h"
#include "advice/rules.h"
#include "config/loader.h"

namespace kpe::app {
namespace {

advice::Thresholds ThresholdsFrom(const config::Config& config) {
  advice::Thresholds thresholds;
  for (const auto& [name, value] : config.advice) {
    const std::string error = advice::SetThreshold(thresholds, name, value);
    if (error.empty()) continue;
    const auto origin = config.origins.find("advice." + name);
    throw config::ConfigError(origin == config.origins.end() ? error : origin->second + ": " + error);
  }
  return thresholds;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The q parameter of one Accept element's parameters ("; q=0.5; level=1"): 1 when absent, nullopt when
// malformed or outside 0..1.
std::optional<double> Quality(std::string_view params) {
  double q = 1;
  while (!params.empty()) {
    const size_t next = params.find(';');
    const std::string_view param = Trim(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    const size_t equals = param.find('=');
    if (equals == std::string_view::npos || Lower(Trim(param.substr(0, equals))) != "q") continue;
    const std::string_view value = Trim(param.substr(equals + 1));
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (ec != std::errc() || end != value.data() + value.size() || q < 0 || q > 1) return std::nullopt;
  }
  return q;
}

}  // namespace

Advisor::Advisor(const config::Config& config) : thresholds_(ThresholdsFrom(config)) {}

void Advisor::Observe(const std::vector<std::shared_ptr<const state::ClusterSnapshot>>& snapshots) {
  const auto min_interval = std::chrono::duration_cast<state::WallClock::duration>(
      std::chrono::duration<double>(thresholds_.min_rate_interval_seconds));
  std::lock_guard lock(mutex_);
  for (const auto& snapshot : snapshots) {
    if (snapshot == nullptr) continue;
    auto& kept = history_[snapshot->cluster];
    if (!kept.empty() && kept.back() == snapshot) continue;
    kept.push_back(snapshot);
    // Drop the front while the next one is already old enough: the front stays the newest snapshot
    // at least min_interval older than the latest.
    while (kept.size() >= 2 && snapshot->collected_at - kept[1]->collected_at >= min_interval) kept.pop_front();
    while (kept.size() > kMaxHistory) kept.pop_front();
  }
}

std::vector<advice::Finding> Advisor::Findings(const clientstats::ClientsSnapshot* clients) const {
  std::vector<std::pair<SnapshotPtr, SnapshotPtr>> pairs;  // latest, earlier (may be null)
  {
    std::lock_guard lock(mutex_);
    for (const auto& [cluster, kept] : history_) {
      if (kept.empty()) continue;
      pairs.emplace_back(kept.back(), kept.size() >= 2 ? kept.front() : nullptr);
    }
  }
  const auto min_interval = std::chrono::duration<double>(thresholds_.min_rate_interval_seconds);
  std::vector<advice::Finding> findings;
  for (const auto& [latest, earlier] : pairs) {
    const bool rates = earlier != nullptr && latest->collected_at - earlier->collected_at >= min_interval;
    auto found = advice::Evaluate(*latest, rates ? earlier.get() : nullptr, thresholds_);
    findings.insert(findings.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  if (clients != nullptr) {
    auto found = advice::EvaluateClients(*clients, thresholds_);
    findings.insert(findings.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  advice::SortFindings(findings);
  return findings;
}

bool PrefersHtml(const std::string& accept) {
  std::optional<double> html;
  std::optional<double> json;
  size_t html_at = 0;
  size_t json_at = 0;
  std::string_view list = accept;
  for (size_t index = 0; !list.empty(); ++index) {
    const size_t comma = list.find(',');
    const std::string_view element = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t semicolon = element.find(';');
    const std::string type = Lower(Trim(element.substr(0, semicolon)));
    const auto q = Quality(semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon + 1));
    if (!q) continue;  // a malformed q-value is ignored rather than guessed at
    if (type == "text/html" && !html) {
      html = q;
      html_at = index;
    } else if (type == "application/json" && !json) {
      json = q;
      json_at = index;
    }
  }
  if (!html || *html <= 0) return false;
  if (!json) return true;
  return *html > *json || (*html == *json && html_at < json_at);
}

http::Response AdviceResponse(const std::vector<advice::Finding>& findings, const http::Request& request) {
  http::Response response;
  if (PrefersHtml(request.Header("accept"))) {
    response.content_type = "text/html; charset=utf-8";
    response.body = advice::FindingsToHtml(findings);
  } else {
    response.content_type = "application/json";
    response.body = advice::FindingsToJson(findings);
  }
  response.headers.emplace_back("Vary", "Accept");
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace kpe::app
