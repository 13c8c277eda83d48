#include "broker/cache_command.h"

#include <cstdio>
#include <optional>

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

flags:
  --url URL          the server (default http://127.0.0.1:8501)
  --token-file FILE  the file holding the server's admin token
  --help             this text
)";

namespace {

constexpr int kFailed = 1;
constexpr int kUsageError = 2;
constexpr std::string_view kClearPath = "/admin/cache/clear";

int Say(int code, std::string_view message) {
  std::fprintf(stderr, "sluice cache clear: %.*s\n", static_cast<int>(message.size()),
               message.data());
  return code;
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

int Clear(const std::vector<std::string>& args) {
  std::string url = "http://127.0.0.1:8501";
  std::string token_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kCacheUsage, stdout);
      return 0;
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
      return Say(kUsageError, StrCat(name, ": unknown flag (see sluice cache --help)"));
    }
    if (!value) return Say(kUsageError, StrCat(name, ": needs a value"));
    (name == "--url" ? url : token_file) = *value;
  }
  if (token_file.empty()) return Say(kUsageError, "--token-file is required");
  absl::StatusOr<std::string> token = ReadTokenFile(token_file);
  if (!token.ok()) return Say(kUsageError, ToStd(token.status().message()));
  absl::StatusOr<AdminServer> server = ParseAdminUrl(url);
  if (!server.ok()) return Say(kUsageError, ToStd(server.status().message()));

  absl::StatusOr<AdminAnswer> response =
      CallAdmin(*server, *token, http::verb::post, std::string(kClearPath));
  if (!response.ok()) {
    return Say(kFailed, StrCat("cannot reach ", url, ": ", response.status().message()));
  }
  switch (static_cast<http::status>(response->status)) {
    case http::status::ok:
      break;
    case http::status::unauthorized:
      return Say(kFailed, StrCat(url, " refused the token in ", token_file, " (401)"));
    case http::status::not_found:
      return Say(kFailed, StrCat(url,
                                 " has no admin endpoints (404); start it with "
                                 "--admin-token-file"));
    default:
      return Say(kFailed, StrCat(url, " answered ", response->status, ": ", response->body));
  }
  std::optional<std::uint64_t> cleared = ClearedCount(response->body);
  if (!cleared) return Say(kFailed, StrCat("unexpected answer: ", response->body));
  std::printf("cleared %llu cache entries\n", static_cast<unsigned long long>(*cleared));
  return 0;
}

}  // namespace

int RunCacheCommand(const std::vector<std::string>& args) {
  if (args.empty() || args.front() == "--help" || args.front() == "-h" || args.front() == "help") {
    std::fputs(kCacheUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kUsageError : 0;
  }
  if (args.front() != "clear") {
    return Say(kUsageError,
               StrCat("unknown subcommand '", args.front(), "' (see sluice cache --help)"));
  }
  return Clear(std::vector<std::string>(args.begin() + 1, args.end()));
}

}  // namespace sluice::broker
