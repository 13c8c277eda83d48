// A cheap look at the app library before anything is forked: it must exist,
// be readable, be an ELF shared object for this machine and export the
// SLUICE_APP entry point. The broker only reads the file, never loads it;
// the zygote loads it and reports anything this cannot see.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace sluice::broker {

absl::Status CheckAppLibrary(const std::string& path);

}  // namespace sluice::broker
