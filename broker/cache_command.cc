#include "broker/cache_command.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "broker/admin.h"
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
constexpr auto kTimeout = std::chrono::seconds(30);
constexpr std::string_view kClearPath = "/admin/cache/clear";

struct Endpoint {
  std::string host;
  std::string port;
};

int Say(int code, std::string_view message) {
  std::fprintf(stderr, "sluice cache clear: %.*s\n", static_cast<int>(message.size()),
               message.data());
  return code;
}

// http://HOST[:PORT][/], HOST may be [IPv6].
absl::StatusOr<Endpoint> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("--url: ", why, ", got '", url, "'"));
  };
  if (url.substr(0, kScheme.size()) != kScheme) return bad("expected http://HOST:PORT");
  std::string_view rest = url.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") return bad("expected no path");
    rest = rest.substr(0, slash);
  }
  Endpoint endpoint{std::string(rest), "80"};
  std::size_t host_end = rest.size();
  if (!rest.empty() && rest.front() == '[') {
    host_end = rest.find(']');
    if (host_end == std::string_view::npos) return bad("unterminated [IPv6 address]");
    endpoint.host = std::string(rest.substr(1, host_end - 1));
    ++host_end;
  } else {
    host_end = rest.find(':');
    if (host_end == std::string_view::npos) host_end = rest.size();
    endpoint.host = std::string(rest.substr(0, host_end));
  }
  if (host_end < rest.size()) {
    if (rest[host_end] != ':') return bad("expected :PORT after the host");
    std::uint32_t port = 0;
    if (!absl::SimpleAtoi(ToAbsl(rest.substr(host_end + 1)), &port) || port == 0 || port > 65535) {
      return bad("bad port");
    }
    endpoint.port = StrCat(port);
  }
  if (endpoint.host.empty()) return bad("no host");
  return endpoint;
}

asio::awaitable<http::response<http::string_body>> Post(Endpoint endpoint, std::string token) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto results = co_await resolver.async_resolve(endpoint.host, endpoint.port, asio::use_awaitable);
  beast::tcp_stream stream(executor);
  stream.expires_after(kTimeout);
  co_await stream.async_connect(results, asio::use_awaitable);
  http::request<http::empty_body> request{http::verb::post, std::string(kClearPath), 11};
  request.set(http::field::host, StrCat(endpoint.host, ":", endpoint.port));
  request.set(http::field::authorization, StrCat("Bearer ", token));
  request.set(http::field::connection, "close");
  request.set(http::field::user_agent, "sluice-cli");
  request.prepare_payload();
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return response;
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
  absl::StatusOr<Endpoint> endpoint = ParseUrl(url);
  if (!endpoint.ok()) return Say(kUsageError, ToStd(endpoint.status().message()));

  asio::io_context io;
  std::optional<http::response<http::string_body>> response;
  std::string error;
  asio::co_spawn(io, Post(*endpoint, *token),
                 [&](std::exception_ptr failure, http::response<http::string_body> answer) {
                   if (!failure) {
                     response = std::move(answer);
                     return;
                   }
                   try {
                     std::rethrow_exception(failure);
                   } catch (const std::exception& e) {
                     error = e.what();
                   }
                 });
  io.run();
  if (!response) return Say(kFailed, StrCat("cannot reach ", url, ": ", error));
  switch (response->result()) {
    case http::status::ok:
      break;
    case http::status::unauthorized:
      return Say(kFailed, StrCat(url, " refused the token in ", token_file, " (401)"));
    case http::status::not_found:
      return Say(kFailed, StrCat(url,
                                 " has no admin endpoints (404); start it with "
                                 "--admin-token-file"));
    default:
      return Say(kFailed,
                 StrCat(url, " answered ", response->result_int(), ": ", response->body()));
  }
  std::optional<std::uint64_t> cleared = ClearedCount(response->body());
  if (!cleared) return Say(kFailed, StrCat("unexpected answer: ", response->body()));
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
