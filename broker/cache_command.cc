#include "broker/cache_command.h"

#include <cstdio>
#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "broker/admin.h"
#include "broker/admin_client.h"
#include "broker/net.h"
#include "util/strings.h"

namespace sluice::broker {

const char kCacheUsage[] = R"(usage: sluice cache clear [--url URL] --token-file FILE

Clears the shared st::cache_data cache of a running `sluice serve` (which
must have been started with --admin-token-file).
)";

namespace {

constexpr std::string_view kClearPath = "/admin/cache/clear";

int Say(int code, std::string_view message) {
  return AdminCommandError("cache clear", code, message);
}

// The N of {"cleared":N}.
std::optional<std::uint64_t> ClearedCount(std::string_view body) {
  constexpr std::string_view kField = "\"cleared\":";
  std::size_t at = body.find(kField);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view digits = body.substr(at + kField.size());
  std::size_t n = 0;
  while (n < digits.size() && digits[n] >= '0' && digits[n] <= '9') ++n;
  std::uint64_t count = 0;
  if (!absl::SimpleAtoi(ToAbsl(digits.substr(0, n)), &count)) return std::nullopt;
  return count;
}

int Clear(std::span<const std::string> args) {
  absl::StatusOr<AdminCommandLine> command = ParseAdminCommandLine(args, "cache");
  if (!command.ok()) return Say(kAdminUsageError, ToStd(command.status().message()));
  if (command->help) {
    PrintAdminUsage(stdout, kCacheUsage);
    return 0;
  }
  if (!command->operands.empty()) {
    return Say(kAdminUsageError,
               StrCat(command->operands.front(), ": unknown flag (see sluice cache --help)"));
  }
  absl::StatusOr<AdminAnswer> response =
      CallAdmin(*command, http::verb::post, std::string(kClearPath));
  if (!response.ok())
    return Say(AdminExitCode(response.status()), ToStd(response.status().message()));
  if (response->status != static_cast<int>(http::status::ok)) {
    return Say(kAdminFailed, DescribeAdminRefusal(*command, *response));
  }
  std::optional<std::uint64_t> cleared = ClearedCount(response->body);
  if (!cleared) return Say(kAdminFailed, StrCat("unexpected answer: ", response->body));
  std::printf("cleared %llu cache entries\n", static_cast<unsigned long long>(*cleared));
  return 0;
}

}  // namespace

int RunCacheCommand(const std::vector<std::string>& args) {
  if (args.empty() || args.front() == "--help" || args.front() == "-h" || args.front() == "help") {
    PrintAdminUsage(args.empty() ? stderr : stdout, kCacheUsage);
    return args.empty() ? kAdminUsageError : 0;
  }
  if (args.front() != "clear") {
    return Say(kAdminUsageError,
               StrCat("unknown subcommand '", args.front(), "' (see sluice cache --help)"));
  }
  return Clear(std::span<const std::string>(args).subspan(1));
}

}  // namespace sluice::broker
