// One TCP connection before it becomes a WebSocket: reads HTTP requests
// (Beast's parser, with size limits) and answers GET for the page's assets,
// /healthz, /readyz and /metrics, and the operator's admin calls
// (POST /admin/cache/clear, POST /admin/reload, GET /admin/sessions,
// DELETE /admin/sessions/ID). An
// upgrade request to /_sluice/ws hands the socket to a PageConnection, if
// its Origin may open a session (broker/origin_check.h); else 403.
#pragma once

#include <memory>
#include <optional>

#include "broker/net.h"

namespace sluice::broker {

class Server;

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(tcp::socket socket, Server& server);
  void Run();

 private:
  void DoRead();
  void OnRead(boost::system::error_code ec);
  // Whether an upgrade's Origin may open a session; logs and counts one
  // that may not.
  bool OriginAllowed(const http::request<http::string_body>& request);
  void ClearCache(http::request<http::string_body> request);
  // POST /admin/reload: answers once the new app serves, or why not.
  void Reload(http::request<http::string_body> request);
  void AdminSessions(http::request<http::string_body> request, std::string_view target);
  // The admin endpoints' gate: false after answering 404 (no admin token
  // set), 405 (`method` is the only one allowed) or 401 (no valid bearer
  // token).
  bool AdminAllowed(const http::request<http::string_body>& request, http::verb method,
                    std::string_view path);
  void Respond(http::response<http::string_body> response);

  beast::tcp_stream stream_;
  Server& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace sluice::broker
