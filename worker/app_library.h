// Loading the app: the zygote dlopens the app library once; workers inherit it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "sluice/app.hpp"

namespace sluice::worker {

// dlopens `path` (kept loaded for the life of the process) and returns its
// SLUICE_APP descriptor. Errors name the file and what is wrong with it.
absl::StatusOr<const AppDescriptor*> LoadApp(const std::string& path);

}  // namespace sluice::worker
