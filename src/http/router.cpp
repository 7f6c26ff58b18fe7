#include <set>
#include <stdexcept>

#include "http/server.h"

namespace kpe::http {
namespace {

bool IsMethodToken(const std::string& method) {
  if (method.empty()) return false;
  for (char c : method) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace

void Router::Add(const std::string& method, const std::string& path, Handler handler) {
  const std::string where = "route " + method + " \"" + path + "\"";
  if (!IsMethodToken(method)) {
    throw std::invalid_argument(where + ": method must be an upper-case token such as GET");
  }
  if (path.empty() || path.front() != '/') {
    throw std::invalid_argument(where + ": path must start with '/'");
  }
  if (!handler) {
    throw std::invalid_argument(where + ": handler is empty");
  }
  for (const Route_& route : routes_) {
    if (route.method == method && route.path == path) {
      throw std::invalid_argument(where + ": already registered");
    }
  }
  routes_.push_back(Route_{method, path, std::move(handler)});
}

Response Router::Route(const Request& request) const {
  const Route_* get = nullptr;
  std::set<std::string> allowed;
  for (const Route_& route : routes_) {
    if (route.path != request.path) continue;
    if (route.method == request.method) return route.handler(request);
    if (route.method == "GET") {
      get = &route;
      allowed.insert("HEAD");
    }
    allowed.insert(route.method);
  }
  if (allowed.empty()) return Response::Text(404, "not found\n");
  // The server drops the body of any answer to HEAD; the GET handler gives the headers.
  if (request.method == "HEAD" && get != nullptr) return get->handler(request);

  Response response = Response::Text(405, "method not allowed\n");
  std::string allow;
  for (const std::string& method : allowed) {
    allow += allow.empty() ? method : ", " + method;
  }
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

}  // namespace kpe::http
