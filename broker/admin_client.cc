#include "broker/admin_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>

#include "absl/strings/numbers.h"
#include "broker/admin.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr auto kTimeout = std::chrono::seconds(30);

asio::awaitable<http::response<http::string_body>> Send(AdminServer server, std::string token,
                                                        http::verb method, std::string target) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto results = co_await resolver.async_resolve(server.host, server.port, asio::use_awaitable);
  beast::tcp_stream stream(executor);
  stream.expires_after(kTimeout);
  co_await stream.async_connect(results, asio::use_awaitable);
  http::request<http::empty_body> request{method, target, 11};
  request.set(http::field::host, StrCat(server.host, ":", server.port));
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

}  // namespace

absl::StatusOr<AdminServer> ParseAdminUrl(std::string_view url) {
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
  AdminServer endpoint{std::string(rest), "80"};
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

absl::StatusOr<AdminAnswer> CallAdmin(const AdminServer& server, const std::string& token,
                                      http::verb method, const std::string& target) {
  asio::io_context io;
  std::optional<http::response<http::string_body>> response;
  std::string error;
  asio::co_spawn(io, Send(server, token, method, target),
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
  if (!response) return absl::UnavailableError(error);
  return AdminAnswer{static_cast<int>(response->result_int()), std::move(response->body())};
}

void PrintAdminUsage(std::FILE* out, const char* usage) {
  std::fputs(usage, out);
  std::fputs(kAdminFlagsHelp, out);
}

int AdminCommandError(std::string_view command, int code, std::string_view message) {
  std::fprintf(stderr, "sluice %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
  return code;
}

int AdminExitCode(const absl::Status& status) {
  return absl::IsInvalidArgument(status) ? kAdminUsageError : kAdminFailed;
}

absl::StatusOr<AdminCommandLine> ParseAdminCommandLine(std::span<const std::string> args,
                                                       std::string_view command) {
  AdminCommandLine parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      parsed.operands.push_back(arg);
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
      return absl::InvalidArgumentError(
          StrCat(name, ": unknown flag (see sluice ", command, " --help)"));
    }
    if (!value) return absl::InvalidArgumentError(StrCat(name, ": needs a value"));
    (name == "--url" ? parsed.url : parsed.token_file) = *value;
  }
  return parsed;
}

absl::StatusOr<AdminAnswer> CallAdmin(const AdminCommandLine& command, http::verb method,
                                      const std::string& target) {
  if (command.token_file.empty()) return absl::InvalidArgumentError("--token-file is required");
  absl::StatusOr<std::string> token = ReadTokenFile(command.token_file);
  if (!token.ok()) return absl::InvalidArgumentError(token.status().message());
  absl::StatusOr<AdminServer> server = ParseAdminUrl(command.url);
  if (!server.ok()) return server.status();
  absl::StatusOr<AdminAnswer> answer = CallAdmin(*server, *token, method, target);
  if (!answer.ok()) {
    return absl::UnavailableError(
        StrCat("cannot reach ", command.url, ": ", answer.status().message()));
  }
  return answer;
}

std::string DescribeAdminRefusal(const AdminCommandLine& command, const AdminAnswer& answer) {
  switch (static_cast<http::status>(answer.status)) {
    case http::status::unauthorized:
      return StrCat(command.url, " refused the token in ", command.token_file, " (401)");
    case http::status::not_found:
      return StrCat(command.url, " has no admin endpoints (404); start it with --admin-token-file");
    default:
      return StrCat(command.url, " answered ", answer.status, ": ", answer.body);
  }
}

}  // namespace sluice::broker
