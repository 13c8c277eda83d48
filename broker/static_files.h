// The page's assets, read into memory once at start. Serving from a map
// means no request path ever reaches the filesystem.
#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace sluice::broker {

struct StaticFile {
  std::string body;
  std::string content_type;
};

class StaticFiles {
 public:
  // Loads every regular file directly in `dir`. "/" serves index.html.
  static absl::StatusOr<StaticFiles> Load(const std::string& dir);
  // An empty set whose "/" explains that the page was not built.
  static StaticFiles Missing(std::string_view why);

  // The file for a request target ("/app.js?v=1" finds app.js), or null.
  const StaticFile* Find(std::string_view target) const;

 private:
  absl::flat_hash_map<std::string, StaticFile> files_;
};

// Where the page's assets are: the flag if given, else the install layout
// next to the binary, else the build tree.
std::string DefaultWebDir();

}  // namespace sluice::broker
