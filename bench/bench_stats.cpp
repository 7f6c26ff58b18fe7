// Client statistics ingest cost (issue 5): parse + update of large librdkafka statistics documents.
//
// Generates realistic documents of about --sizes MB each by extending a real fixture (a document a
// librdkafka 2.0.2 client emitted, tests/unit/clientstats/data/): its top-level fields are kept, its
// broker entry (all windows: int_latency, outbuf_latency, rtt, throttle, the req counters) is repeated for
// --brokers brokers, and its topic entry (batchsize and batchcnt windows) for as many topics of
// --partitions partitions (each the fixture's partition entry, renumbered) as it takes to reach the size;
// every broker's toppars list the partitions it leads. Then times, over --iterations runs per document:
//   simdjson   simdjson::dom::parser::parse alone (a reused parser): the floor any DOM parse costs
//   parse      clientstats::ParseStatistics (simdjson + building Statistics)
//   ingest     ClientRegistry::Ingest (parse + store, replacing the client's previous report)
//   snapshot   ClientRegistry::Snapshot after an ingest (a new ClientsSnapshot sharing the reports)
//   render     metrics::RenderClients of that snapshot (the kafka_client_* text a scrape gets)
// and prints per-op mean / p50 / p99 in ms, MB/s (document bytes per second of the op), the rendered
// series count and the peak RSS (VmHWM) of the process after each document size.

#include <simdjson.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "clientstats/client_registry.h"
#include "clientstats/stats_parser.h"
#include "metrics/clients_exposition.h"

namespace {

using Clock = std::chrono::steady_clock;
using simdjson::dom::element;
using simdjson::dom::object;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// The object's fields as JSON text, with `overrides` (key -> JSON text) replacing or adding fields and
// the keys in `drop` left out.
std::string ObjectText(object obj, const std::map<std::string, std::string>& overrides,
                       const std::vector<std::string>& drop = {}) {
  std::string out = "{";
  bool first = true;
  auto add = [&](std::string_view key, const std::string& value) {
    out += (first ? "" : ",") + Quote(key) + ":" + value;
    first = false;
  };
  for (auto field : obj) {
    const std::string key(field.key);
    if (std::find(drop.begin(), drop.end(), key) != drop.end()) continue;
    const auto it = overrides.find(key);
    add(key, it != overrides.end() ? it->second : simdjson::minify(field.value));
  }
  for (const auto& [key, value] : overrides) {
    if (obj.at_key(key).error() == simdjson::NO_SUCH_FIELD) add(key, value);
  }
  return out + "}";
}

object FirstObject(element e) {
  for (auto field : object(e)) return object(field.value);
  throw std::runtime_error("fixture: empty object");
}

// A statistics document of at least `target_bytes`, built from the fixture as the file comment says.
std::string Generate(const std::string& fixture, size_t target_bytes, int brokers, int partitions) {
  simdjson::dom::parser parser;
  element root = parser.parse(fixture);
  const object broker = FirstObject(root["brokers"]);
  const object topic = FirstObject(root["topics"]);
  object partition;
  for (auto field : object(topic["partitions"])) {
    if (field.key != "-1") {
      partition = object(field.value);
      break;
    }
  }
  // Topics first (their size decides how many), then the brokers' toppars for them.
  std::vector<std::string> topic_texts;
  std::vector<std::vector<std::string>> toppars(static_cast<size_t>(brokers));
  size_t bytes = 0;
  const size_t broker_bytes = simdjson::minify(broker).size() * static_cast<size_t>(brokers);
  for (int t = 0; bytes + broker_bytes < target_bytes; ++t) {
    const std::string name = "topic-" + std::to_string(t);
    std::string parts = "{";
    for (int p = 0; p < partitions; ++p) {
      const int leader = (t + p) % brokers + 1;
      parts += (p == 0 ? "" : ",") + Quote(std::to_string(p)) + ":" +
               ObjectText(partition, {{"partition", std::to_string(p)}, {"leader", std::to_string(leader)}});
      auto& list = toppars[static_cast<size_t>(leader - 1)];
      list.push_back(Quote(name + "-" + std::to_string(p)) + ":{\"topic\":" + Quote(name) +
                     ",\"partition\":" + std::to_string(p) + "}");
      bytes += list.back().size() + 1;
    }
    parts += "}";
    topic_texts.push_back(Quote(name) + ":" + ObjectText(topic, {{"topic", Quote(name)}, {"partitions", parts}}));
    bytes += topic_texts.back().size() + 1;
  }
  std::string broker_texts;
  for (int b = 1; b <= brokers; ++b) {
    const std::string name = "kafka-" + std::to_string(b) + ".example:9092/" + std::to_string(b);
    std::string pars = "{";
    const auto& list = toppars[static_cast<size_t>(b - 1)];
    for (size_t i = 0; i < list.size(); ++i) pars += (i == 0 ? "" : ",") + list[i];
    pars += "}";
    broker_texts += (b == 1 ? "" : ",") + Quote(name) + ":" +
                    ObjectText(broker, {{"name", Quote(name)},
                                        {"nodeid", std::to_string(b)},
                                        {"nodename", Quote(name.substr(0, name.rfind('/')))},
                                        {"toppars", pars}});
  }
  std::string topics_text = "{";
  for (size_t i = 0; i < topic_texts.size(); ++i) topics_text += (i == 0 ? "" : ",") + topic_texts[i];
  topics_text += "}";
  return ObjectText(object(root), {{"brokers", "{" + broker_texts + "}"}, {"topics", topics_text}});
}

struct Stats {
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

Stats Summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  Stats s;
  for (double v : ms) s.mean_ms += v;
  s.mean_ms /= static_cast<double>(ms.size());
  auto at = [&](double q) {
    const auto i = static_cast<size_t>(q * static_cast<double>(ms.size() - 1) + 0.5);
    return ms[std::min(i, ms.size() - 1)];
  };
  s.p50_ms = at(0.5);
  s.p99_ms = at(0.99);
  return s;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

long PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

size_t CountSamples(const std::string& text) {
  size_t lines = 0;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (text[start] != '#') ++lines;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

void PrintRow(const char* op, const Stats& s, size_t doc_bytes) {
  const double mb = static_cast<double>(doc_bytes) / 1e6;
  std::printf("| %-8s | %8.3f | %8.3f | %8.3f | %8.0f |\n", op, s.mean_ms, s.p50_ms, s.p99_ms,
              mb / (s.mean_ms / 1000));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Times parse + update of large librdkafka statistics documents (see bench/README.md)");
  std::string fixture_path = std::string(KPE_SOURCE_DIR) + "/tests/unit/clientstats/data/producer_linger50.json";
  std::vector<double> sizes_mb = {1, 5};
  int iterations = 50;
  int brokers = 6;
  int partitions = 12;
  std::string write_dir;
  app.add_option("--fixture", fixture_path, "a real statistics document to extend")->check(CLI::ExistingFile);
  app.add_option("--sizes", sizes_mb, "document sizes to generate, in MB (10^6 bytes)");
  app.add_option("--iterations", iterations, "timed runs per op and size")->check(CLI::Range(2, 100000));
  app.add_option("--brokers", brokers, "brokers in the document")->check(CLI::Range(1, 1000));
  app.add_option("--partitions", partitions, "partitions per topic")->check(CLI::Range(1, 100000));
  app.add_option("--write-dir", write_dir, "also write the generated documents here");
  CLI11_PARSE(app, argc, argv);

  try {
    const std::string fixture = ReadFile(fixture_path);
    std::printf("fixture %s (%zu bytes), %d brokers, %d partitions per topic, %d iterations\n",
                fixture_path.c_str(), fixture.size(), brokers, partitions, iterations);
    for (double mb : sizes_mb) {
      const std::string doc = Generate(fixture, static_cast<size_t>(mb * 1e6), brokers, partitions);
      if (!write_dir.empty()) {
        std::ofstream(write_dir + "/stats-" + std::to_string(doc.size()) + ".json", std::ios::binary) << doc;
      }
      const auto check = kpe::clientstats::ParseStatistics(doc);
      if (!check.ok()) throw std::runtime_error("generated document refused: " + check.error);
      size_t partition_count = 0;
      for (const auto& t : check.statistics->topics) partition_count += t.partitions.size();

      std::vector<double> raw;
      std::vector<double> parse;
      std::vector<double> ingest;
      std::vector<double> snapshot;
      std::vector<double> render;
      simdjson::dom::parser parser;
      kpe::clientstats::ClientRegistry registry(10);
      size_t rendered_bytes = 0;
      size_t series = 0;
      for (int i = 0; i < iterations + 1; ++i) {  // run 0 warms up (buffers, caches) and is not counted
        auto t0 = Clock::now();
        simdjson::dom::element e;
        if (parser.parse(doc).get(e) != simdjson::SUCCESS) throw std::runtime_error("simdjson refused it");
        auto t1 = Clock::now();
        const auto parsed = kpe::clientstats::ParseStatistics(doc);
        auto t2 = Clock::now();
        const auto result = registry.Ingest(doc, "bench", kpe::state::WallClock::now());
        auto t3 = Clock::now();
        const auto snap = registry.Snapshot();
        auto t4 = Clock::now();
        const std::string text = kpe::metrics::RenderClients(*snap, kpe::state::WallClock::now());
        auto t5 = Clock::now();
        if (!parsed.ok() || !result.ok()) throw std::runtime_error("ingest failed: " + result.reason);
        if (i == 0) {
          rendered_bytes = text.size();
          series = CountSamples(text);
          continue;
        }
        raw.push_back(Ms(t1 - t0));
        parse.push_back(Ms(t2 - t1));
        ingest.push_back(Ms(t3 - t2));
        snapshot.push_back(Ms(t4 - t3));
        render.push_back(Ms(t5 - t4));
      }
      std::printf("\ndocument %.2f MB: %zu topics, %zu partitions, %d brokers; rendered %zu series, %.2f MB\n",
                  static_cast<double>(doc.size()) / 1e6, check.statistics->topics.size(), partition_count,
                  brokers, series, static_cast<double>(rendered_bytes) / 1e6);
      std::printf("| op       | mean ms  | p50 ms   | p99 ms   | MB/s     |\n|---|--:|--:|--:|--:|\n");
      PrintRow("simdjson", Summarize(raw), doc.size());
      PrintRow("parse", Summarize(parse), doc.size());
      PrintRow("ingest", Summarize(ingest), doc.size());
      PrintRow("snapshot", Summarize(snapshot), doc.size());
      PrintRow("render", Summarize(render), doc.size());
      std::printf("peak RSS so far: %.1f MiB\n", static_cast<double>(PeakRssKiB()) / 1024);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kpe-bench-stats: %s\n", e.what());
    return 1;
  }
  return 0;
}
