// HTTP requests as the broker reads them before any upgrade
// (broker/http_connection.cc): Beast's request parser with the broker's
// limits (LimitRequestParser), one connection's keep-alive requests in
// turn through one buffer, the bytes arriving in reads of the size the
// input's first byte picks. Each parsed request then meets what the broker
// does with it that needs no server: the upgrade test, the Origin check
// (against the Host, with and without an allowed list) and the target's
// route, the admin bearer token check, the session id echoed in JSON, the
// static file lookup, and a response written for it.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "broker/admin.h"
#include "broker/http_limits.h"
#include "broker/net.h"
#include "broker/origin_check.h"
#include "broker/static_files.h"
#include "util/log.h"

namespace sluice::broker {
namespace {

// A SyncReadStream over the input: at most `read_bytes` per read_some.
class InputStream {
 public:
  InputStream(std::string_view bytes, std::size_t read_bytes)
      : bytes_(bytes), read_bytes_(read_bytes) {}

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    ec = {};
    if (bytes_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    std::size_t n = asio::buffer_copy(
        buffers, asio::buffer(bytes_.data(), std::min(read_bytes_, bytes_.size())));
    bytes_.remove_prefix(n);
    return n;
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view bytes_;
  std::size_t read_bytes_;
};

constexpr std::string_view kAdminToken = "fuzz-admin-token-0123456789";

void Route(const http::request<http::string_body>& request) {
  std::string_view target(request.target().data(), request.target().size());
  http::status status = http::status::not_found;
  std::string body;
  if (websocket::is_upgrade(request)) {
    std::optional<std::string_view> origin;
    if (auto found = request.find(http::field::origin); found != request.end()) {
      origin = std::string_view(found->value().data(), found->value().size());
    }
    auto host = request[http::field::host];
    std::string_view host_text(host.data(), host.size());
    static const std::vector<std::string> kAllowed = {"https://dashboards.example.com",
                                                      "http://[::1]:8501"};
    static const std::vector<std::string> kAny = {"*"};
    OriginVerdict verdict = CheckOrigin(origin, host_text, {});
    // An allowed list only ever widens what is accepted; "*" accepts all.
    if (verdict != OriginVerdict::kRefused &&
        CheckOrigin(origin, host_text, kAllowed) == OriginVerdict::kRefused) {
      std::abort();
    }
    if (CheckOrigin(origin, host_text, kAny) == OriginVerdict::kRefused) std::abort();
    if (!origin && verdict != OriginVerdict::kNoOrigin) std::abort();
    if (verdict == OriginVerdict::kRefused) {
      status = http::status::forbidden;
    } else {
      status =
          target == "/_sluice/ws" ? http::status::switching_protocols : http::status::not_found;
    }
  } else if (target == "/admin/cache/clear" || target == "/admin/reload" ||
             target == "/admin/sessions" || target.starts_with("/admin/sessions/")) {
    auto authorization = request[http::field::authorization];
    bool allowed = BearerTokenMatches(std::string_view(authorization.data(), authorization.size()),
                                      kAdminToken);
    status = allowed ? http::status::ok : http::status::unauthorized;
    if (allowed && target.starts_with("/admin/sessions/")) {
      body = "{\"ended\":";
      AppendJsonString(&body, target.substr(std::string_view("/admin/sessions/").size()));
      body.append("}\n");
    }
  } else {
    static const StaticFiles files = StaticFiles::Missing("the page was not built");
    if (const StaticFile* file = files.Find(target)) {
      status = http::status::ok;
      body = file->body;
    }
  }
  http::response<http::string_body> response{status, request.version()};
  response.set(http::field::server, "sluice");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  std::ostringstream out;
  out << response;
}

}  // namespace
}  // namespace sluice::broker

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice::broker;
  if (size == 0) return 0;
  std::size_t read_bytes = std::size_t{1} << (data[0] % 15);
  InputStream stream(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1),
                     read_bytes);
  beast::flat_buffer buffer;
  for (;;) {
    RequestParser parser;
    LimitRequestParser(parser);
    boost::system::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) return 0;  // the broker drops the connection
    http::request<http::string_body> request = parser.release();
    if (request.body().size() > kMaxRequestBodyBytes) std::abort();
    Route(request);
    if (!request.keep_alive()) return 0;
  }
}
