// README's third step: install sluice, build an app out of tree with
// find_package(sluice) + sluice_add_app, serve it with the installed binary.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

constexpr auto kBuildTimeout = std::chrono::minutes(5);

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sluice-install-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? fs::path(pattern) : fs::path();
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs `program args...` to completion; its output on failure.
absl::Status RunToCompletion(const std::string& program, std::vector<std::string> args) {
  ChildProcess::Options options;
  options.program = program;
  options.args = std::move(args);
  options.capture_stdout = true;
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Spawn(std::move(options));
  if (!process.ok()) return process.status();
  absl::StatusOr<int> status = (*process)->Wait(After(kBuildTimeout));
  if (!status.ok()) return status.status();
  (*process)->WaitForOutputEnd(After(kStepTimeout));
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::InternalError(absl::StrCat(program, " failed (", DescribeWaitStatus(*status),
                                            "):\n", (*process)->Output()));
  }
  return absl::OkStatus();
}

TEST(OutOfTreeTest, InstalledSluiceBuildsAndServesAnApp) {
  TempDir temp;
  ASSERT_FALSE(temp.path().empty());
  fs::path prefix = temp.path() / "prefix";
  fs::path app_build = temp.path() / "app-build";

  ASSERT_OK(
      RunToCompletion(SLUICE_CMAKE, {"--install", SLUICE_BUILD_DIR, "--prefix", prefix.string()}));
  ASSERT_OK(RunToCompletion(
      SLUICE_CMAKE, {"-S", SLUICE_SOURCE_DIR "/examples/out_of_tree", "-B", app_build.string(),
                     "-G", "Ninja", "-DCMAKE_PREFIX_PATH=" + prefix.string()}));
  ASSERT_OK(RunToCompletion(SLUICE_CMAKE, {"--build", app_build.string()}));
  ASSERT_TRUE(fs::exists(app_build / "myapp.so"));

  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::StartBinary((prefix / "bin" / "sluice").string(),
                                                               (app_build / "myapp.so").string()));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  EXPECT_TRUE(tab->page().HasText("My app"));
  ASSERT_OK(tab->Click("Count"));
  EXPECT_TRUE(tab->page().HasText("count = 1"));
}

}  // namespace
}  // namespace sluice::testing
