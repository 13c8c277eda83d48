#include "util/not_dumpable.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>

#include "util/log.h"

namespace sluice {

void KeepWorkersOutOfOurMemory() {
  if (::geteuid() == 0) return;
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    LogSyscallError("prctl(PR_SET_DUMPABLE)", errno);
    return;
  }
  LogInfo("not_dumpable", {{"why", "workers share our uid (not root)"}});
}

}  // namespace sluice
