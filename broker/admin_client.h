// The client side of the admin endpoints, shared by `sluice cache clear`
// and `sluice sessions`: a server URL and one bearer-token HTTP request.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "broker/net.h"

namespace sluice::broker {

struct AdminServer {
  std::string host;
  std::string port;
};

// http://HOST[:PORT][/], HOST may be [IPv6]. InvalidArgument naming --url
// otherwise.
absl::StatusOr<AdminServer> ParseAdminUrl(std::string_view url);

struct AdminAnswer {
  int status = 0;
  std::string body;
};

// Sends `method` `target` with "Authorization: Bearer `token`" and reads
// the answer (30 s at most). Unavailable with the reason when the server
// cannot be reached.
absl::StatusOr<AdminAnswer> CallAdmin(const AdminServer& server, const std::string& token,
                                      http::verb method, const std::string& target);

}  // namespace sluice::broker
