#include "worker/app_library.h"

#include <dlfcn.h>

#include "util/strings.h"

namespace sluice::worker {

absl::StatusOr<const AppDescriptor*> LoadApp(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return absl::InvalidArgumentError(StrCat("cannot load ", path, ": ", why ? why : "?"));
  }
  using Entry = const AppDescriptor* (*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(handle, "sluice_app_v1"));
  if (entry == nullptr) {
    return absl::InvalidArgumentError(
        StrCat(path, " is not a sluice app: it has no SLUICE_APP(...) registration"));
  }
  const AppDescriptor* descriptor = entry();
  if (descriptor == nullptr || descriptor->entry == nullptr) {
    return absl::InvalidArgumentError(StrCat(path, ": SLUICE_APP registered no function"));
  }
  if (descriptor->abi_version != kAppAbiVersion) {
    return absl::InvalidArgumentError(StrCat(path, " was built for app ABI ",
                                             descriptor->abi_version, "; this sluice runs ",
                                             kAppAbiVersion, ": rebuild the app"));
  }
  return descriptor;
}

}  // namespace sluice::worker
