#include "tests/support/http_client.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <optional>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sluice::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Every operation on the stream shares the one expiry, so the whole exchange
// is bounded by the deadline.
net::awaitable<HttpResponse> Exchange(uint16_t port, http::request<http::string_body> request,
                                      Deadline deadline) {
  beast::tcp_stream stream(co_await net::this_coro::executor);
  stream.expires_at(deadline);
  co_await stream.async_connect(net::ip::tcp::endpoint(net::ip::address_v4::loopback(), port),
                                net::use_awaitable);
  co_await http::async_write(stream, request, net::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, net::use_awaitable);
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  HttpResponse answer{static_cast<int>(response.result_int()), std::move(response.body()), {}};
  for (const auto& field : response) {
    answer.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  co_return answer;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (beast::iequals(field, name)) return value;
  }
  return {};
}

absl::StatusOr<HttpResponse> HttpRequest(uint16_t port, std::string_view method,
                                         std::string_view target,
                                         absl::Span<const HttpHeader> headers,
                                         std::string_view body, Deadline deadline) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(http::field::host, absl::StrCat("127.0.0.1:", port));
  for (const auto& [name, value] : headers) request.set(name, value);
  request.set(http::field::connection, "close");
  request.body() = std::string(body);
  request.prepare_payload();

  net::io_context context;
  std::optional<absl::StatusOr<HttpResponse>> result;
  net::co_spawn(
      context, Exchange(port, std::move(request), deadline),
      [&](std::exception_ptr error, HttpResponse response) {
        if (!error) {
          result = std::move(response);
          return;
        }
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          result = absl::UnavailableError(absl::StrCat(
              std::string(method), " ", std::string(target), " on port ", port, ": ", e.what()));
        }
      });
  context.run();
  return *result;
}

absl::StatusOr<HttpResponse> HttpGet(uint16_t port, std::string_view target, Deadline deadline) {
  return HttpRequest(port, "GET", target, {}, "", deadline);
}

absl::StatusOr<long> MostOutputBufferedBytes(uint16_t port, std::string_view token) {
  std::string bearer = "Bearer " + std::string(token);
  std::vector<HttpHeader> headers = {{"Authorization", bearer}};
  absl::StatusOr<HttpResponse> sessions =
      HttpRequest(port, "GET", "/admin/sessions", headers, "", After(kStepTimeout));
  if (!sessions.ok()) return sessions.status();
  long most = 0;
  static const std::regex kField("\"output_buffered_bytes\":(\\d+)");
  for (std::sregex_iterator it(sessions->body.begin(), sessions->body.end(), kField), end;
       it != end; ++it) {
    long value = 0;
    if (!absl::SimpleAtoi((*it)[1].str(), &value)) return absl::DataLossError(sessions->body);
    most = std::max(most, value);
  }
  return most;
}

}  // namespace sluice::testing
