// Structured logs: one JSON object per line on stderr, so journald and log
// shippers can parse them. Safe to call from any thread and any process of
// sluice (each line is one write(2)).
//
//   LogInfo("session_started", {{"session", id}, {"pid", pid}});
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "absl/strings/string_view.h"

namespace sluice {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using LogValue = std::variant<std::string_view, std::int64_t, double, bool>;

struct LogField {
  std::string_view name;
  LogValue value;
  LogField(std::string_view n, std::string_view v) : name(n), value(v) {}
  LogField(std::string_view n, const std::string& v) : name(n), value(std::string_view(v)) {}
  LogField(std::string_view n, const char* v) : name(n), value(std::string_view(v)) {}
  // Debian's Abseil has its own string_view (absl::Status::message() returns one).
  LogField(std::string_view n, absl::string_view v)
      : name(n), value(std::string_view(v.data(), v.size())) {}
  LogField(std::string_view n, bool v) : name(n), value(v) {}
  LogField(std::string_view n, double v) : name(n), value(v) {}
  template <class I>
  requires std::is_integral_v<I> LogField(std::string_view n, I v)
      : name(n), value(static_cast<std::int64_t>(v)) {}
};

void SetLogLevel(LogLevel level);
// Whether a line at `level` would be written: for work that only feeds one.
bool LogEnabled(LogLevel level);
// "debug", "info", "warning", "error"; false if unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);
// Names the process in every line ("broker", "zygote", "worker").
void SetLogProcess(std::string_view role);

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

inline void LogDebug(std::string_view e, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kDebug, e, f);
}
inline void LogInfo(std::string_view e, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kInfo, e, f);
}
inline void LogWarning(std::string_view e, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kWarning, e, f);
}
inline void LogError(std::string_view e, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kError, e, f);
}

// Logs a failed system call with errno: {"call": call, "errno": ..., "error": strerror}.
void LogSyscallError(std::string_view call, int err, std::initializer_list<LogField> fields = {});

// Lines this process could not write (stderr closed, a full disk, a pipe
// nobody reads): logging never blocks or fails the caller, it counts.
std::uint64_t LogLinesDropped();

// JSON string escaping, shared with the tiny JSON bodies the broker serves.
void AppendJsonString(std::string* out, std::string_view text);

}  // namespace sluice
