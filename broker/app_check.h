// A cheap look at the app library before anything is forked: it must exist,
// be readable and be an ELF shared object. The broker never loads it; the
// zygote does, and reports anything this cannot see (a missing SLUICE_APP).
#pragma once

#include <string>

#include "absl/status/status.h"

namespace sluice::broker {

absl::Status CheckAppLibrary(const std::string& path);

}  // namespace sluice::broker
