#include "worker/output_reader.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/time/clock.h"
#include "sandbox/denials.h"
#include "util/log.h"

namespace sluice::worker {

namespace {

enum Stream { kStdout = 0, kStderr = 1, kDenials = 2 };
constexpr const char* kStreamNames[] = {"stdout", "stderr", "denials"};

// One read(2) per ready pipe and turn: enough to drain a pipe's default
// 64 KiB in a few turns, small enough that a flooder's turn stays short.
constexpr std::size_t kReadBytes = 16 * 1024;
// Events taken per turn; the rest stay ready for the next one (level
// triggered, handed out round-robin by the kernel).
constexpr int kEventsPerTurn = 64;
// Lines of a worker the broker has not named yet, held back until it does.
constexpr std::size_t kMaxHeldLines = 32;
// What a dead worker's pipes may still give: its last writes fit in the
// pipe buffers; more means someone else holds a write end.
constexpr std::size_t kMaxDrainBytes = 1 << 20;

}  // namespace

struct OutputReader::Source {
  Process* owner;
  int stream;
  UniqueFd fd;
};

struct OutputReader::Process {
  Process(pid_t p, const OutputLimits& limits)
      : pid(p),
        out(limits.line_bytes),
        err(limits.line_bytes),
        budget(limits.lines_per_second, absl::Now()) {}

  pid_t pid;             // as the reaper numbers it
  pid_t broker_pid = 0;  // as the broker numbers it, once named
  bool zygote = false;
  bool named = false;
  std::string session;
  LineSplitter out;
  LineSplitter err;
  LineBudget budget;
  std::uint64_t dropped_unreported = 0;
  int denials_counted = 0;
  bool denial_cap_logged = false;
  std::string denial_partial;  // a report split across reads (< 4 bytes)
  struct Held {
    int stream;
    std::string text;
    bool cut;
  };
  std::vector<Held> held;
  std::unique_ptr<Source> sources[3];

  pid_t shown_pid() const { return named ? broker_pid : pid; }
};

OutputReader::OutputReader(OutputLimits limits, ReaperCounters* counters)
    : limits_(limits), counters_(counters), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) {
    LogSyscallError("epoll_create1", errno);
    _exit(1);
  }
}

OutputReader::~OutputReader() = default;

void OutputReader::Watch(Process& process, int index, UniqueFd fd) {
  if (!fd) return;
  auto source = std::make_unique<Source>(Source{&process, index, std::move(fd)});
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = source.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, source->fd.get(), &event) != 0) {
    // Unread, the pipe closes here: the worker's writes then fail (EPIPE).
    LogSyscallError("epoll_ctl(EPOLL_CTL_ADD)", errno, {{"worker_pid", process.pid}});
    return;
  }
  process.sources[index] = std::move(source);
}

void OutputReader::AddWorker(pid_t pid, UniqueFd stdout_read, UniqueFd stderr_read,
                             UniqueFd denials_read) {
  auto& slot = processes_[pid];
  if (slot) WorkerExited(pid);  // a reused pid whose exit we missed
  auto process = std::make_unique<Process>(pid, limits_);
  Watch(*process, kStdout, std::move(stdout_read));
  Watch(*process, kStderr, std::move(stderr_read));
  Watch(*process, kDenials, std::move(denials_read));
  processes_[pid] = std::move(process);
}

void OutputReader::AddZygote(pid_t pid, UniqueFd denials_read) {
  auto process = std::make_unique<Process>(pid, limits_);
  process->zygote = true;
  Watch(*process, kDenials, std::move(denials_read));
  processes_[pid] = std::move(process);
}

void OutputReader::NameWorker(pid_t pid, std::string session, pid_t broker_pid) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return;
  Process& process = *it->second;
  process.named = true;
  process.session = std::move(session);
  process.broker_pid = broker_pid > 0 ? broker_pid : pid;
  std::vector<Process::Held> held = std::move(process.held);
  for (const Process::Held& line : held) Emit(process, line.stream, line.text, line.cut);
}

void OutputReader::WorkerExited(pid_t pid) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return;
  Process& process = *it->second;
  for (auto& source : process.sources) {
    if (!source) continue;
    std::size_t drained = 0;
    // A pipe whose writer is gone reads to its end; stop at EAGAIN too
    // (someone else holds a write end) and after a bound.
    while (drained < kMaxDrainBytes && ReadOnce(*source) == Read::kData) drained += kReadBytes;
    if (source) Close(*source);
  }
  // Held lines of a worker never named go out without a session.
  for (const Process::Held& line : process.held) Emit(process, line.stream, line.text, line.cut);
  process.held.clear();
  ReportDrops(process);
  processes_.erase(it);
}

void OutputReader::OnReadable() {
  epoll_event events[kEventsPerTurn];
  int n = ::epoll_wait(epoll_.get(), events, kEventsPerTurn, 0);
  if (n < 0) {
    if (errno != EINTR) LogSyscallError("epoll_wait", errno);
    return;
  }
  // A source closed in this turn is its own last event in it: the others
  // stay valid.
  for (int i = 0; i < n; ++i) {
    auto* source = static_cast<Source*>(events[i].data.ptr);
    if (ReadOnce(*source) == Read::kEnd) Close(*source);
  }
}

OutputReader::Read OutputReader::ReadOnce(Source& source) {
  if (!source.fd) return Read::kEnd;
  char buffer[kReadBytes];
  ssize_t n;
  do {
    n = ::read(source.fd.get(), buffer, sizeof(buffer));
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return Read::kNothing;
  if (n <= 0) return Read::kEnd;
  Process& process = *source.owner;
  std::string_view bytes(buffer, static_cast<std::size_t>(n));
  int stream = source.stream;
  if (stream == kDenials) {
    OnDenials(process, bytes);
  } else {
    LineSplitter& splitter = stream == kStdout ? process.out : process.err;
    splitter.Feed(bytes,
                  [&](std::string_view text, bool cut) { Line(process, stream, text, cut); });
  }
  return Read::kData;
}

void OutputReader::Close(Source& source) {
  Process& process = *source.owner;
  int stream = source.stream;
  if (stream != kDenials) {
    LineSplitter& splitter = stream == kStdout ? process.out : process.err;
    splitter.Finish([&](std::string_view text, bool cut) { Line(process, stream, text, cut); });
  }
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, source.fd.get(), nullptr);
  process.sources[stream].reset();  // `source` is gone from here on
}

void OutputReader::OnDenials(Process& process, std::string_view bytes) {
  process.denial_partial.append(bytes);
  std::size_t whole = process.denial_partial.size() / sizeof(sandbox::DenialReport);
  for (std::size_t i = 0; i < whole; ++i) {
    sandbox::DenialReport report;
    std::memcpy(&report, process.denial_partial.data() + i * sizeof(report), sizeof(report));
    if (process.denials_counted >= limits_.denials_per_worker) {
      if (!process.denial_cap_logged) {
        process.denial_cap_logged = true;
        LogWarning("denial_reports_capped", {{"worker_pid", process.shown_pid()},
                                             {"session", process.session},
                                             {"counted", process.denials_counted}});
      }
      continue;
    }
    ++process.denials_counted;
    if (counters_ != nullptr) counters_->denied_syscalls.fetch_add(1, std::memory_order_relaxed);
    // Bounded by the cap. The number is the process's own word for it.
    LogInfo("syscall_denied", {{"worker_pid", process.shown_pid()},
                               {"session", process.session},
                               {"zygote", process.zygote},
                               {"syscall", report.syscall}});
  }
  process.denial_partial.erase(0, whole * sizeof(sandbox::DenialReport));
}

void OutputReader::Line(Process& process, int stream, std::string_view text, bool cut) {
  // Above info, app output is neither logged nor counted as dropped.
  if (!LogEnabled(LogLevel::kInfo)) return;
  if (!process.budget.Take(absl::Now())) return Drop(process);
  if (!process.named) {
    if (process.held.size() >= kMaxHeldLines) return Drop(process);
    process.held.push_back({stream, std::string(text), cut});
    return;
  }
  Emit(process, stream, text, cut);
}

void OutputReader::Emit(Process& process, int stream, std::string_view text, bool cut) {
  ReportDrops(process);
  std::string valid = ToValidUtf8(text);
  if (cut) {
    LogInfo("app_output", {{"worker_pid", process.shown_pid()},
                           {"session", process.session},
                           {"stream", kStreamNames[stream]},
                           {"text", valid},
                           {"cut", true}});
  } else {
    LogInfo("app_output", {{"worker_pid", process.shown_pid()},
                           {"session", process.session},
                           {"stream", kStreamNames[stream]},
                           {"text", valid}});
  }
}

void OutputReader::Drop(Process& process) {
  ++process.dropped_unreported;
  if (counters_ != nullptr) {
    counters_->app_output_lines_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

// One line for a run of dropped lines, written before the next line that
// is logged (or at the worker's end): at most one per logged line.
void OutputReader::ReportDrops(Process& process) {
  if (process.dropped_unreported == 0) return;
  LogWarning("app_output_dropped", {{"worker_pid", process.shown_pid()},
                                    {"session", process.session},
                                    {"lines", process.dropped_unreported}});
  process.dropped_unreported = 0;
}

}  // namespace sluice::worker
