#include "broker/http_connection.h"

#include "broker/admin.h"
#include "broker/http_limits.h"
#include "broker/metrics.h"
#include "broker/origin_check.h"
#include "broker/page_connection.h"
#include "broker/server.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(30);
// A refused Origin is logged; this much of it is enough to name the site.
constexpr std::size_t kLoggedOriginBytes = 256;
constexpr std::string_view kWebSocketPath = "/_sluice/ws";
constexpr std::string_view kClearCachePath = "/admin/cache/clear";
constexpr std::string_view kSessionsPath = "/admin/sessions";
constexpr std::string_view kReloadPath = "/admin/reload";
// What the page may load and run: its own scripts only (no inline script,
// no eval: Vega interprets its expressions), styles of its own or set by
// its scripts, images of its own or from blob:/data: URLs (st::image), and
// connections to its own WebSocket. A blob: document inherits it, so an
// SVG image opened on its own in a tab runs no script. Embedding the page
// in a frame is left to the operator (no frame-ancestors).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' blob: data:; connect-src 'self' blob: ws: wss:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'";

http::response<http::string_body> Answer(const http::request<http::string_body>& request,
                                         http::status status, std::string_view content_type,
                                         std::string body) {
  http::response<http::string_body> response{status, request.version()};
  response.set(http::field::server, "sluice");
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-cache");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Content-Security-Policy", kContentSecurityPolicy);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

}  // namespace

HttpConnection::HttpConnection(tcp::socket socket, Server& server)
    : stream_(std::move(socket)), server_(server) {}

void HttpConnection::Run() { DoRead(); }

void HttpConnection::DoRead() {
  parser_.emplace();
  LimitRequestParser(*parser_);
  stream_.expires_after(kRequestTimeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->OnRead(ec); });
}

void HttpConnection::OnRead(boost::system::error_code ec) {
  if (ec == http::error::end_of_stream) {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return;
  }
  if (ec) return;  // timeouts, resets, oversized requests: just drop the connection
  http::request<http::string_body> request = parser_->release();
  std::string_view target(request.target().data(), request.target().size());

  if (websocket::is_upgrade(request)) {
    if (target != kWebSocketPath) {
      return Respond(Answer(request, http::status::not_found, "text/plain", "no such WebSocket\n"));
    }
    if (!OriginAllowed(request)) {
      return Respond(Answer(request, http::status::forbidden, "text/plain",
                            "this page's origin may not open a session here (see the broker's "
                            "--allowed-origins)\n"));
    }
    std::make_shared<PageConnection>(stream_.release_socket(), server_)->Run(std::move(request));
    return;
  }
  if (target == kClearCachePath) return ClearCache(std::move(request));
  if (target == kSessionsPath || target.starts_with(StrCat(kSessionsPath, "/"))) {
    return AdminSessions(std::move(request), target);
  }
  if (target == kReloadPath) return Reload(std::move(request));
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    auto response = Answer(request, http::status::method_not_allowed, "text/plain", "GET only\n");
    response.set(http::field::allow, "GET, HEAD");
    return Respond(std::move(response));
  }
  if (target == "/healthz") {
    return Respond(Answer(request, http::status::ok, "application/json", server_.HealthJson()));
  }
  if (target == "/readyz") {
    Server::Readiness readiness = server_.ReadyState();
    return Respond(Answer(request,
                          readiness.ready ? http::status::ok : http::status::service_unavailable,
                          "application/json", std::move(readiness.json)));
  }
  if (target == "/metrics") {
    return Respond(Answer(request, http::status::ok, kMetricsContentType, server_.MetricsText()));
  }
  if (const StaticFile* file = server_.files().Find(target)) {
    auto response = Answer(request, http::status::ok, file->content_type,
                           request.method() == http::verb::head ? std::string() : file->body);
    if (request.method() == http::verb::head) response.content_length(file->body.size());
    return Respond(std::move(response));
  }
  Respond(Answer(request, http::status::not_found, "text/plain", "not found\n"));
}

bool HttpConnection::OriginAllowed(const http::request<http::string_body>& request) {
  std::optional<std::string_view> origin;
  if (auto found = request.find(http::field::origin); found != request.end()) {
    origin = std::string_view(found->value().data(), found->value().size());
  }
  auto host = request[http::field::host];
  std::string_view host_text(host.data(), host.size());
  if (CheckOrigin(origin, host_text, server_.options().allowed_origins) !=
      OriginVerdict::kRefused) {
    return true;
  }
  ++server_.service_metrics().websocket_origin_refused;
  boost::system::error_code ignored;
  LogWarning("websocket_origin_refused",
             {{"origin", origin->substr(0, kLoggedOriginBytes)},
              {"host", host_text},
              {"remote", stream_.socket().remote_endpoint(ignored).address().to_string()}});
  return false;
}

// POST /admin/cache/clear: 404 unless an admin token is set, 405 for other
// methods, 401 without the right bearer token; else 200 {"cleared":N} once
// the keeper has cleared.
void HttpConnection::ClearCache(http::request<http::string_body> request) {
  if (!AdminAllowed(request, http::verb::post, kClearCachePath)) return;
  auto pending = std::make_shared<http::request<http::string_body>>(std::move(request));
  server_.ClearCache([self = shared_from_this(), pending](absl::StatusOr<std::uint64_t> entries) {
    if (!entries.ok()) {
      std::string body = "{\"error\":";
      AppendJsonString(&body, ToStd(entries.status().message()));
      body.append("}\n");
      return self->Respond(
          Answer(*pending, http::status::service_unavailable, "application/json", std::move(body)));
    }
    self->Respond(Answer(*pending, http::status::ok, "application/json",
                         StrCat("{\"cleared\":", *entries, "}\n")));
  });
}

// POST /admin/reload: the same checks; then 200 {"reloaded":true,...} once
// new sessions get the new app, or 422 {"error":...} saying why the old
// one keeps serving.
void HttpConnection::Reload(http::request<http::string_body> request) {
  if (!AdminAllowed(request, http::verb::post, kReloadPath)) return;
  auto pending = std::make_shared<http::request<http::string_body>>(std::move(request));
  server_.ReloadApp("admin", [self = shared_from_this(), pending](absl::Status status) {
    if (!status.ok()) {
      std::string body = "{\"error\":";
      AppendJsonString(&body, ToStd(status.message()));
      body.append("}\n");
      return self->Respond(Answer(*pending, http::status::unprocessable_entity, "application/json",
                                  std::move(body)));
    }
    self->Respond(Answer(*pending, http::status::ok, "application/json", "{\"reloaded\":true}\n"));
  });
}

bool HttpConnection::AdminAllowed(const http::request<http::string_body>& request,
                                  http::verb method, std::string_view path) {
  const std::string& token = server_.options().admin_token;
  if (token.empty()) {
    Respond(Answer(request, http::status::not_found, "text/plain", "not found\n"));
    return false;
  }
  if (request.method() != method) {
    auto verb = http::to_string(method);
    std::string name(verb.data(), verb.size());
    auto response =
        Answer(request, http::status::method_not_allowed, "text/plain", StrCat(name, " only\n"));
    response.set(http::field::allow, name);
    Respond(std::move(response));
    return false;
  }
  auto authorization = request[http::field::authorization];
  if (!BearerTokenMatches(std::string_view(authorization.data(), authorization.size()), token)) {
    boost::system::error_code ignored;
    LogWarning("admin_unauthorized",
               {{"path", path},
                {"remote", stream_.socket().remote_endpoint(ignored).address().to_string()}});
    auto response = Answer(request, http::status::unauthorized, "application/json",
                           "{\"error\":\"a valid bearer token is required\"}\n");
    response.set(http::field::www_authenticate, "Bearer");
    Respond(std::move(response));
    return false;
  }
  return true;
}

// GET /admin/sessions: the session list. DELETE /admin/sessions/ID: ends
// that session ("ended by the operator" on its page); 404 if none has it.
void HttpConnection::AdminSessions(http::request<http::string_body> request,
                                   std::string_view target) {
  if (target == kSessionsPath) {
    if (!AdminAllowed(request, http::verb::get, kSessionsPath)) return;
    return server_.ListSessions(
        [self = shared_from_this(), request = std::move(request)](std::string json) {
          self->Respond(Answer(request, http::status::ok, "application/json", std::move(json)));
        });
  }
  if (!AdminAllowed(request, http::verb::delete_, kSessionsPath)) return;
  std::string_view id = target.substr(kSessionsPath.size() + 1);
  if (!server_.EndSessionByOperator(id)) {
    std::string body = "{\"error\":\"no such session\",\"id\":";
    AppendJsonString(&body, id);
    body.append("}\n");
    return Respond(Answer(request, http::status::not_found, "application/json", std::move(body)));
  }
  std::string body = "{\"ended\":";
  AppendJsonString(&body, id);
  body.append("}\n");
  Respond(Answer(request, http::status::ok, "application/json", std::move(body)));
}

void HttpConnection::Respond(http::response<http::string_body> response) {
  auto shared = std::make_shared<http::response<http::string_body>>(std::move(response));
  bool keep_alive = shared->keep_alive();
  http::async_write(
      stream_, *shared,
      [self = shared_from_this(), shared, keep_alive](boost::system::error_code ec, std::size_t) {
        if (ec) return;
        if (!keep_alive) {
          boost::system::error_code ignored;
          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
          return;
        }
        self->DoRead();
      });
}

}  // namespace sluice::broker
