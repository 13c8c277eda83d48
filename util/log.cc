#include "util/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sluice {

namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
char g_role[16] = "broker";
std::atomic<std::uint64_t> g_dropped{0};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void AppendValue(std::string* out, const LogValue& value) {
  if (auto* s = std::get_if<std::string_view>(&value)) {
    AppendJsonString(out, *s);
  } else if (auto* i = std::get_if<std::int64_t>(&value)) {
    absl::StrAppend(out, *i);
  } else if (auto* d = std::get_if<double>(&value)) {
    absl::StrAppendFormat(out, "%.6g", *d);
  } else {
    out->append(std::get<bool>(value) ? "true" : "false");
  }
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (text == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

void SetLogProcess(std::string_view role) {
  size_t n = std::min(role.size(), sizeof(g_role) - 1);
  std::memcpy(g_role, role.data(), n);
  g_role[n] = '\0';
}

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

namespace {

void WriteLine(LogLevel level, std::string_view event, std::initializer_list<LogField> first,
               std::initializer_list<LogField> second) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  std::string line;
  line.reserve(160);
  absl::StrAppend(&line, "{\"ts\":\"",
                  absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                  "\",\"level\":\"", LevelName(level), "\",\"process\":\"", g_role,
                  "\",\"pid\":", getpid(), ",\"event\":");
  AppendJsonString(&line, event);
  for (auto list : {first, second}) {
    for (const LogField& field : list) {
      line.push_back(',');
      AppendJsonString(&line, field.name);
      line.push_back(':');
      AppendValue(&line, field.value);
    }
  }
  line.append("}\n");
  // One write per line keeps lines whole when several processes share stderr.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // stderr gone or full: logging must never take the server down
      g_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

std::uint64_t LogLinesDropped() { return g_dropped.load(std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  WriteLine(level, event, fields, {});
}

void LogSyscallError(std::string_view call, int err, std::initializer_list<LogField> fields) {
  char buf[128];
  const char* text = strerror_r(err, buf, sizeof(buf));
  WriteLine(LogLevel::kError, "syscall_failed",
            {{"call", call}, {"errno", err}, {"error", std::string_view(text)}}, fields);
}

}  // namespace sluice
