#include "sandbox/credentials.h"

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace sluice::sandbox {

absl::Status DropToWorkerIds(int slot, std::string* how) {
  if (::geteuid() != 0) {
    *how = StrCat("kept_uid_", ::geteuid());
    return absl::OkStatus();
  }
  uid_t id = kWorkerIdBase + static_cast<uid_t>(slot);
  auto fail = [](const char* call) {
    return absl::InternalError(StrCat(call, ": ", std::strerror(errno)));
  };
  if (::getgroups(0, nullptr) != 0 && ::setgroups(0, nullptr) != 0) return fail("setgroups");
  if (::setresgid(id, id, id) != 0) return fail("setresgid");
  // Leaving uid 0 for good also clears every capability.
  if (::setresuid(id, id, id) != 0) return fail("setresuid");
  *how = StrCat("uid_", id);
  return absl::OkStatus();
}

absl::Status DropSupplementaryGroups() {
  if (::geteuid() != 0 || ::getgroups(0, nullptr) == 0) return absl::OkStatus();
  if (::setgroups(0, nullptr) != 0) {
    return absl::InternalError(StrCat("setgroups: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace sluice::sandbox
