// The reaper's reading of what workers print and what they report of
// refused system calls. Each worker's stdin is /dev/null and its stdout and
// stderr are pipes of its own (worker/stdio_pipes.h), so no worker shares an
// open file description with the broker: it cannot write the broker's log,
// change its flags (O_NONBLOCK), truncate a log file or read the broker's
// stdin. The reaper holds the read ends and writes what an app prints as
// log lines of its own:
//   {"event":"app_output","worker_pid":...,"session":...,"stream":"stdout","text":...}
// bounded per worker (worker/app_output.h): lines past the rate are dropped
// and counted (ReaperCounters::app_output_lines_dropped), a long line is cut
// and marked "cut":true. The reaper reads each ready pipe once per turn of
// its loop and never blocks on one, so a flooding worker costs the others
// nothing; the flooder itself may block in write() on its full pipe, which
// stops only its own thread. Lines of a worker not yet named to a session
// are held (a few) until the broker names it, so the first lines of a run
// carry the session id.
//
// It also counts each process's denial reports (sandbox/denials.h), at most
// OutputLimits::denials_per_worker per process, into
// ReaperCounters::denied_syscalls, logging each counted one.
//
// The reaper is the reader, not the zygote: it outlives a crashed zygote
// together with the workers it keeps, runs no app code, and is idle
// otherwise, so reading output never delays a fork. Single-threaded.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "util/unique_fd.h"
#include "worker/app_output.h"
#include "worker/reaper_counters.h"

namespace sluice::worker {

class OutputReader {
 public:
  // `counters` (may be null: nothing counted) must outlive the reader.
  // Creating the epoll set may fail: the error is logged and the process exits.
  OutputReader(OutputLimits limits, ReaperCounters* counters);
  ~OutputReader();
  OutputReader(const OutputReader&) = delete;
  OutputReader& operator=(const OutputReader&) = delete;

  // Readable (poll) when a pipe has something.
  int fd() const { return epoll_.get(); }

  // A new worker (`pid` as the reaper's pid namespace numbers it) and the
  // read ends of its stdout, stderr and denial-report pipes.
  void AddWorker(pid_t pid, UniqueFd stdout_read, UniqueFd stderr_read, UniqueFd denials_read);
  // The zygote's own denial reports.
  void AddZygote(pid_t pid, UniqueFd denials_read);
  // The broker named the session `pid` serves; held lines go out now.
  void NameWorker(pid_t pid, std::string session, pid_t broker_pid);
  // The worker ended: what it left in its pipes is read and logged, then
  // it is forgotten.
  void WorkerExited(pid_t pid);
  // Reads once from each pipe that is ready.
  void OnReadable();

  struct Process;
  struct Source;

 private:
  void Watch(Process& process, int index, UniqueFd fd);
  enum class Read { kData, kNothing, kEnd };
  // Reads once from `source` and handles what came.
  Read ReadOnce(Source& source);
  void Close(Source& source);
  void OnDenials(Process& process, std::string_view bytes);
  void Line(Process& process, int stream, std::string_view text, bool cut);
  void Emit(Process& process, int stream, std::string_view text, bool cut);
  void Drop(Process& process);
  void ReportDrops(Process& process);

  OutputLimits limits_;
  ReaperCounters* counters_;
  UniqueFd epoll_;
  absl::flat_hash_map<pid_t, std::unique_ptr<Process>> processes_;
};

}  // namespace sluice::worker
