// libFuzzer target: the HTTP request path, in process and without sockets. The input is the raw byte
// stream of one connection; it goes through what http::Server does with each request on it:
// Beast's request_parser with the server's default header limit (body limit lowered to keep runs
// fast), then ParseTarget, the HTTP/1.1 Host check, http::Request (headers lower-cased), Basic
// credentials, Accept-Encoding, Router::Route to handlers like the exporter's (a gzipped /metrics, a
// statistics POST parsed by clientstats::ParseStatistics), and the answer serialized as the server
// writes it. Pipelined requests are handled in turn until the stream ends or one is refused.

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "clientstats/stats_parser.h"
#include "http/basic_auth.h"
#include "http/server.h"
#include "http/target.h"
#include "util/gzip.h"

namespace {

namespace bhttp = boost::beast::http;
using kpe::http::Request;
using kpe::http::Response;

constexpr size_t kMaxHeaderBytes = 16 * 1024;  // ServerOptions' default
constexpr size_t kMaxBodyBytes = 64 * 1024;
constexpr int kMaxRequests = 16;  // per input: enough for pipelining, bounded run time

std::string_view View(boost::beast::string_view text) { return {text.data(), text.size()}; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

kpe::http::Router MakeRouter() {
  kpe::http::Router router;
  router.Add("GET", "/metrics", [](const Request& request) {
    Response response = Response::Text(200, "# query: " + request.query + "\nup 1\n");
    if (request.AcceptsGzip()) {
      response.body = kpe::util::GzipCompress(response.body);
      response.headers.emplace_back("Content-Encoding", "gzip");
    }
    return response;
  });
  router.Add("GET", "/healthz", [](const Request&) { return Response::Text(200, "ok\n"); });
  router.Add("POST", "/api/v1/librdkafka/stats", [](const Request& request) {
    const kpe::clientstats::ParseResult result = kpe::clientstats::ParseStatistics(request.body);
    return result.ok() ? Response::Text(204, "") : Response::Text(400, result.error + "\n");
  });
  return router;
}

// The answer as the server would write it; only its size matters here.
size_t Serialize(Response response, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> message;
  message.result(response.status);
  message.version(version);
  message.set(bhttp::field::server, "kafka-perf-exporter");
  message.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) message.insert(name, value);
  message.body() = (response.shared_body ? *response.shared_body : std::string()) + response.body;
  message.prepare_payload();
  message.keep_alive(keep_alive);
  std::ostringstream out;
  out << message;
  return out.str().size();
}

// Handles one parsed request like Session::HandleRequest; false when the server would close.
bool Handle(const kpe::http::Router& router, bhttp::request<bhttp::string_body> message) {
  kpe::http::Target target = kpe::http::ParseTarget(View(message.target()));
  if (!target.error.empty()) return false;  // 400
  if (!target.path.starts_with('/')) std::abort();
  if (message.version() >= 11 && message.find(bhttp::field::host) == message.end()) return false;  // 400

  Request request;
  request.method = std::string(message.method_string());
  request.path = std::move(target.path);
  request.query = std::move(target.query);
  for (const auto& field : message) {
    request.headers.emplace_back(Lower(View(field.name_string())), std::string(field.value()));
  }
  request.body = std::move(message.body());
  (void)kpe::http::ParseBasicAuthorization(request.Header("authorization"));
  const Response response = router.Route(request);
  if (response.status < 100 || response.status > 999) std::abort();
  Serialize(response, message.version(), message.keep_alive());
  return message.keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kpe::http::Router router = MakeRouter();
  const char* rest = reinterpret_cast<const char*>(data);
  size_t left = size;
  for (int i = 0; i < kMaxRequests && left > 0; ++i) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    parser.body_limit(kMaxBodyBytes);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      const size_t used = parser.put(boost::asio::const_buffer(rest, left), ec);
      if (used > left) std::abort();
      rest += used;
      left -= used;
      // Nothing consumed without an error also means more is needed (e.g. a chunk not complete yet).
      if (ec == bhttp::error::need_more || (!ec && used == 0)) {
        if (left > 0 && used > 0) continue;
        parser.put_eof(ec);  // the client closed the connection
        if (ec) return 0;
        break;
      }
      if (ec) return 0;  // 400 / 413 / 431, then close
    }
    if (!parser.is_done()) return 0;
    if (!Handle(router, parser.release())) return 0;
  }
  return 0;
}
