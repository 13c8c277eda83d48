#include "broker/sessions_command.h"

#include <cstdio>
#include <optional>
#include <span>

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
)";

namespace {

int Say(int code, std::string_view message) { return AdminCommandError("sessions", code, message); }

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
    PrintAdminUsage(args.empty() ? stderr : stdout, kSessionsUsage);
    return args.empty() ? kAdminUsageError : 0;
  }
  const std::string& subcommand = args.front();
  if (subcommand != "list" && subcommand != "end") {
    return Say(kAdminUsageError,
               StrCat("unknown subcommand '", subcommand, "' (see sluice sessions --help)"));
  }
  absl::StatusOr<AdminCommandLine> command =
      ParseAdminCommandLine(std::span<const std::string>(args).subspan(1), "sessions");
  if (!command.ok()) return Say(kAdminUsageError, ToStd(command.status().message()));
  if (command->help) {
    PrintAdminUsage(stdout, kSessionsUsage);
    return 0;
  }
  std::optional<std::string> id;
  for (const std::string& operand : command->operands) {
    if (subcommand != "end" || id)
      return Say(kAdminUsageError, StrCat("unexpected '", operand, "'"));
    id = operand;
  }
  if (subcommand == "end" && !id) return Say(kAdminUsageError, "end needs a session id");
  if (id && !LooksLikeSessionId(*id)) {
    return Say(kAdminUsageError, StrCat("'", *id, "' is not a session id (lower-case hex)"));
  }
  absl::StatusOr<AdminAnswer> answer =
      id ? CallAdmin(*command, http::verb::delete_, StrCat("/admin/sessions/", *id))
         : CallAdmin(*command, http::verb::get, "/admin/sessions");
  if (!answer.ok()) return Say(AdminExitCode(answer.status()), ToStd(answer.status().message()));
  if (id && answer->status == static_cast<int>(http::status::not_found) &&
      answer->body.find("no such session") != std::string::npos) {
    return Say(kAdminFailed, StrCat("no session ", *id, " on ", command->url));
  }
  if (answer->status != static_cast<int>(http::status::ok)) {
    return Say(kAdminFailed, DescribeAdminRefusal(*command, *answer));
  }
  if (id) {
    std::printf("ended session %s\n", id->c_str());
  } else {
    std::fputs(answer->body.c_str(), stdout);
  }
  return 0;
}

}  // namespace sluice::broker
