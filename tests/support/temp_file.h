// A file holding given contents (an admin token, say) for one test, removed
// with the object.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace sluice::testing {

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    static int serial = 0;
    path_ = std::filesystem::temp_directory_path() /
            absl::StrCat("sluice-test-file-", getpid(), "-", ++serial);
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace sluice::testing
