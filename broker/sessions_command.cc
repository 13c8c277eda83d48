#include "broker/sessions_command.h"

#include <cstdio>
#include <optional>

#include "absl/status/statusor.h"
#include "broker/admin.h"
#include "broker/admin_client.h"
#include "util/strings.h"

namespace sluice::broker {

const char kSessionsUsage[] = R"(usage: sluice sessions list [--url URL] --token-file FILE
       sluice sessions end ID [--url URL] --token-file FILE

Lists the sessions of a running `sluice serve` (started with
--admin-token-file) as JSON: id, worker pid, age, memory, client address.
`end` ends one session; its page says it was ended by the operator.

flags:
  --url URL          the server (default http://127.0.0.1:8501)
  --token-file FILE  the file holding the server's admin token
  --help             this text
)";

namespace {

constexpr int kFailed = 1;
constexpr int kUsageError = 2;

int Say(int code, std::string_view message) {
  std::fprintf(stderr, "sluice sessions: %.*s\n", static_cast<int>(message.size()), message.data());
  return code;
}

// Hex ids only: anything else cannot name a session and must not reach the
// URL unescaped.
bool LooksLikeSessionId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

int RunSessionsCommand(const std::vector<std::string>& args) {
  if (args.empty() || args.front() == "--help" || args.front() == "-h" || args.front() == "help") {
    std::fputs(kSessionsUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kUsageError : 0;
  }
  const std::string& subcommand = args.front();
  if (subcommand != "list" && subcommand != "end") {
    return Say(kUsageError,
               StrCat("unknown subcommand '", subcommand, "' (see sluice sessions --help)"));
  }
  std::string url = "http://127.0.0.1:8501";
  std::string token_file;
  std::optional<std::string> id;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kSessionsUsage, stdout);
      return 0;
    }
    if (arg.rfind("--", 0) != 0) {
      if (subcommand != "end" || id) return Say(kUsageError, StrCat("unexpected '", arg, "'"));
      id = arg;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    }
    if (name != "--url" && name != "--token-file") {
      return Say(kUsageError, StrCat(name, ": unknown flag (see sluice sessions --help)"));
    }
    if (!value) return Say(kUsageError, StrCat(name, ": needs a value"));
    (name == "--url" ? url : token_file) = *value;
  }
  if (subcommand == "end" && !id) return Say(kUsageError, "end needs a session id");
  if (id && !LooksLikeSessionId(*id)) {
    return Say(kUsageError, StrCat("'", *id, "' is not a session id (lower-case hex)"));
  }
  if (token_file.empty()) return Say(kUsageError, "--token-file is required");
  absl::StatusOr<std::string> token = ReadTokenFile(token_file);
  if (!token.ok()) return Say(kUsageError, ToStd(token.status().message()));
  absl::StatusOr<AdminServer> server = ParseAdminUrl(url);
  if (!server.ok()) return Say(kUsageError, ToStd(server.status().message()));

  absl::StatusOr<AdminAnswer> answer =
      id ? CallAdmin(*server, *token, http::verb::delete_, StrCat("/admin/sessions/", *id))
         : CallAdmin(*server, *token, http::verb::get, "/admin/sessions");
  if (!answer.ok()) {
    return Say(kFailed, StrCat("cannot reach ", url, ": ", answer.status().message()));
  }
  switch (static_cast<http::status>(answer->status)) {
    case http::status::ok:
      break;
    case http::status::unauthorized:
      return Say(kFailed, StrCat(url, " refused the token in ", token_file, " (401)"));
    case http::status::not_found:
      if (id && answer->body.find("no such session") != std::string::npos) {
        return Say(kFailed, StrCat("no session ", *id, " on ", url));
      }
      return Say(kFailed, StrCat(url,
                                 " has no admin endpoints (404); start it with "
                                 "--admin-token-file"));
    default:
      return Say(kFailed, StrCat(url, " answered ", answer->status, ": ", answer->body));
  }
  if (id) {
    std::printf("ended session %s\n", id->c_str());
  } else {
    std::fputs(answer->body.c_str(), stdout);
  }
  return 0;
}

}  // namespace sluice::broker
