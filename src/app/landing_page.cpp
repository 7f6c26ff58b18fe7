#include "app/landing_page.h"

namespace kpe::app {

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderLandingPage(const config::Config& config, const metrics::BuildInfo& build,
                              const metrics::SnapshotList& snapshots) {
  const std::string metrics_path = HtmlEscape(config.web.telemetry_path);
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kafka-perf-exporter</title>\n"
      "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:left}</style>"
      "</head>\n<body>\n<h1>kafka-perf-exporter</h1>\n<p>Version " +
      HtmlEscape(build.version) + ", librdkafka " + HtmlEscape(build.librdkafka_version) +
      (config.demo ? ". <strong>Demo mode</strong>: watching an embedded mock cluster." : ".") +
      "</p>\n<ul>\n<li><a href=\"" + metrics_path + "\">Metrics</a> (" + metrics_path +
      ")</li>\n<li><a href=\"/advice\">Tuning advice</a> (/advice)</li>\n<li><a href=\"/healthz\">/healthz</a></li>\n<li><a href=\"/readyz\">/readyz</a></li>\n</ul>\n"
      "<h2>Clusters</h2>\n<table>\n<tr><th>cluster</th><th>state</th><th>brokers</th><th>topics</th>"
      "<th>problems</th></tr>\n";
  for (const auto& snapshot : snapshots) {
    std::string problems;
    for (const auto& status : snapshot->collectors) {
      if (!status.success) problems += status.name + ": " + status.last_error + " ";
    }
    const char* state = snapshot->generation == 0 ? "starting" : (snapshot->up ? "up" : "unreachable");
    html += "<tr><td>" + HtmlEscape(snapshot->cluster) + "</td><td>" + state + "</td><td>" +
            std::to_string(snapshot->brokers.size()) + "</td><td>" + std::to_string(snapshot->topics.size()) +
            "</td><td>" + HtmlEscape(problems) + "</td></tr>\n";
  }
  html += "</table>\n</body></html>\n";
  return html;
}

}  // namespace kpe::app
