#include "sandbox/watchdog.h"

#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "sandbox/exit_codes.h"
#include "util/strings.h"

namespace sluice::sandbox {

namespace {

itimerval g_run_budget{};  // zero: runs are not timed

void Say(const char* line) {
  ssize_t ignored = ::write(STDERR_FILENO, line, std::strlen(line));
  (void)ignored;
}

void OnRunTimeout(int) {
  Say("{\"level\":\"warning\",\"process\":\"worker\",\"event\":\"rerun_timeout\"}\n");
  ::_exit(kExitRerunTimeout);
}

// Unwinding from here would let the app catch std::bad_alloc and go on at
// the edge of its memory; the session ends instead, with a clear message.
void OnOutOfMemory() {
  Say("{\"level\":\"warning\",\"process\":\"worker\",\"event\":\"out_of_memory\"}\n");
  ::_exit(kExitOutOfMemory);
}

}  // namespace

absl::Status InstallWatchdogs(absl::Duration rerun_timeout) {
  std::set_new_handler(OnOutOfMemory);
  g_run_budget = {};
  if (rerun_timeout <= absl::ZeroDuration()) return absl::OkStatus();
  g_run_budget.it_value = absl::ToTimeval(rerun_timeout);
  struct sigaction action {};
  action.sa_handler = OnRunTimeout;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGPROF, &action, nullptr) != 0) {
    return absl::InternalError(StrCat("sigaction(SIGPROF): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void ArmRunWatchdog() {
  if (g_run_budget.it_value.tv_sec == 0 && g_run_budget.it_value.tv_usec == 0) return;
  ::setitimer(ITIMER_PROF, &g_run_budget, nullptr);
}

void DisarmRunWatchdog() {
  if (g_run_budget.it_value.tv_sec == 0 && g_run_budget.it_value.tv_usec == 0) return;
  itimerval off{};
  ::setitimer(ITIMER_PROF, &off, nullptr);
}

}  // namespace sluice::sandbox
