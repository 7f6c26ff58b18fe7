#include <gtest/gtest.h>

#include <stdexcept>

#include "http/server.h"

namespace kpe::http {
namespace {

Request MakeRequest(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

Handler Answer(std::string text) {
  return [text](const Request&) { return Response::Text(200, text); };
}

std::string AllowOf(const Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Allow") return value;
  }
  return "<none>";
}

std::string AddError(Router& router, const std::string& method, const std::string& path, Handler handler) {
  try {
    router.Add(method, path, std::move(handler));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(RouterTest, exact_method_and_path_call_the_handler) {
  Router router;
  router.Add("GET", "/metrics", Answer("metrics"));
  router.Add("POST", "/metrics", Answer("posted"));
  EXPECT_EQ(router.Route(MakeRequest("POST", "/metrics")).body, "posted");
}

TEST(RouterTest, path_match_is_exact_not_prefix) {
  Router router;
  router.Add("GET", "/metrics", Answer("metrics"));
  EXPECT_EQ(router.Route(MakeRequest("GET", "/metrics/")).status, 404u);
}

TEST(RouterTest, unknown_path_is_404_not_found) {
  Router router;
  router.Add("GET", "/metrics", Answer("metrics"));
  const Response response = router.Route(MakeRequest("GET", "/other"));
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(response.body, "not found\n");
}

TEST(RouterTest, other_method_is_405_with_sorted_allow_including_head_for_get) {
  Router router;
  router.Add("POST", "/x", Answer("post"));
  router.Add("GET", "/x", Answer("get"));
  const Response response = router.Route(MakeRequest("DELETE", "/x"));
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(AllowOf(response), "GET, HEAD, POST");
}

TEST(RouterTest, head_without_get_route_is_405) {
  Router router;
  router.Add("POST", "/ingest", Answer("post"));
  const Response response = router.Route(MakeRequest("HEAD", "/ingest"));
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(AllowOf(response), "POST");
}

TEST(RouterTest, head_is_answered_by_the_get_handler) {
  Router router;
  router.Add("GET", "/metrics", Answer("metrics"));
  const Response response = router.Route(MakeRequest("HEAD", "/metrics"));
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "metrics");
}

TEST(RouterTest, explicit_head_route_wins_over_get) {
  Router router;
  router.Add("GET", "/metrics", Answer("get"));
  router.Add("HEAD", "/metrics", Answer("head"));
  EXPECT_EQ(router.Route(MakeRequest("HEAD", "/metrics")).body, "head");
}

TEST(RouterTest, handler_exception_propagates_to_the_caller) {
  Router router;
  router.Add("GET", "/boom", [](const Request&) -> Response { throw std::runtime_error("boom"); });
  EXPECT_THROW(router.Route(MakeRequest("GET", "/boom")), std::runtime_error);
}

TEST(RouterTest, duplicate_route_is_an_error_naming_it) {
  Router router;
  router.Add("GET", "/metrics", Answer("a"));
  EXPECT_EQ(AddError(router, "GET", "/metrics", Answer("b")), "route GET \"/metrics\": already registered");
}

TEST(RouterTest, lower_case_method_is_an_error_naming_it) {
  Router router;
  EXPECT_EQ(AddError(router, "get", "/metrics", Answer("a")),
            "route get \"/metrics\": method must be an upper-case token such as GET");
}

TEST(RouterTest, path_without_leading_slash_is_an_error_naming_it) {
  Router router;
  EXPECT_EQ(AddError(router, "GET", "metrics", Answer("a")),
            "route GET \"metrics\": path must start with '/'");
}

TEST(RouterTest, empty_handler_is_an_error_naming_the_route) {
  Router router;
  EXPECT_EQ(AddError(router, "GET", "/metrics", Handler()), "route GET \"/metrics\": handler is empty");
}

}  // namespace
}  // namespace kpe::http
