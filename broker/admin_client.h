// The client side of the admin endpoints, shared by `sluice cache clear`
// and `sluice sessions`: a server URL and one bearer-token HTTP request.
#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// Exit codes of the admin commands (`sluice cache clear`, `sluice sessions`).
inline constexpr int kAdminFailed = 1;      // unreachable, refused, or an unexpected answer
inline constexpr int kAdminUsageError = 2;  // bad flags, token file or URL

// kAdminUsageError for InvalidArgument (what ParseAdminCommandLine and
// CallAdmin say about the command line), else kAdminFailed.
int AdminExitCode(const absl::Status& status);

// The flags part of every admin command's --help, after its own text.
inline constexpr char kAdminFlagsHelp[] = R"(
flags:
  --url URL          the server (default http://127.0.0.1:8501)
  --token-file FILE  the file holding the server's admin token
  --help             this text
)";

// Prints a command's `usage` and kAdminFlagsHelp on `out`.
void PrintAdminUsage(std::FILE* out, const char* usage);

// Prints "sluice COMMAND: MESSAGE" on stderr and returns `code`, the exit
// code; `command` is "cache clear", "sessions", ...
int AdminCommandError(std::string_view command, int code, std::string_view message);

// The arguments every admin command takes: --url URL and --token-file FILE
// (as "--flag value" or "--flag=value"); anything not starting with "--"
// is kept, in order, in `operands`.
struct AdminCommandLine {
  std::string url = "http://127.0.0.1:8501";
  std::string token_file;
  std::vector<std::string> operands;
  bool help = false;  // --help or -h was given
};

// InvalidArgument "NAME: unknown flag (see sluice COMMAND --help)" or
// "NAME: needs a value"; `command` is "cache", "sessions", ...
absl::StatusOr<AdminCommandLine> ParseAdminCommandLine(std::span<const std::string> args,
                                                       std::string_view command);

// Reads the token file and sends `method` `target` to the command's --url.
// InvalidArgument (a usage error) for a missing or unreadable token file or
// a bad URL; Unavailable "cannot reach URL: why" when the call fails.
absl::StatusOr<AdminAnswer> CallAdmin(const AdminCommandLine& command, http::verb method,
                                      const std::string& target);

// One line for an answer that is not 200: the token refused (401), no
// admin endpoints (404), or the status and body.
std::string DescribeAdminRefusal(const AdminCommandLine& command, const AdminAnswer& answer);

}  // namespace sluice::broker
