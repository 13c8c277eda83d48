// README's third step: install sluice, build an app out of tree with
// find_package(sluice) + sluice_add_app, serve it with the installed binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/sluice_command.h"
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

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// README "Running in production": the unit and the example config are
// installed, the unit runs the installed binary on the installed config,
// and that config checks and names every setting.
TEST(OutOfTreeTest, InstallsTheServiceUnitAndAnExampleConfigThatChecks) {
  TempDir temp;
  ASSERT_FALSE(temp.path().empty());
  fs::path prefix = temp.path() / "prefix";
  ASSERT_OK(
      RunToCompletion(SLUICE_CMAKE, {"--install", SLUICE_BUILD_DIR, "--prefix", prefix.string()}));

  fs::path unit = prefix / "lib/systemd/system/sluice.service";
  fs::path config = prefix / "etc/sluice/sluice.toml";
  ASSERT_TRUE(fs::exists(unit));
  ASSERT_TRUE(fs::exists(config));
  EXPECT_TRUE(fs::exists(prefix / "etc/sluice/secrets.toml.example"));
  EXPECT_TRUE(fs::exists(prefix / "share/doc/sluice/examples/haproxy/sluice.cfg"));
  std::string text = ReadAll(unit);
  std::string sluice = (prefix / "bin/sluice").string();
  EXPECT_THAT(text, ::testing::HasSubstr("ExecStart=" + sluice + " serve --config " +
                                         config.string() + "\n"));
  for (const char* line : {"ExecReload=/bin/kill -HUP $MAINPID\n", "KillSignal=SIGTERM\n",
                           "NoNewPrivileges=yes\n", "LimitNOFILE=", "TasksMax=infinity\n",
                           "WantedBy=multi-user.target\n"}) {
    EXPECT_THAT(text, ::testing::HasSubstr(line));
  }

  // With the installed binary, as the unit's ExecStartPre runs it.
  ASSERT_OK(RunToCompletion(sluice, {"check-config", config.string()}));

  // Every flag of `serve --help` but --config and --help is a key of the
  // example, set or commented out.
  ASSERT_OK_AND_ASSIGN(CommandOutcome help, RunSluice({"serve", "--help"}));
  std::string example = ReadAll(config);
  std::regex flag(R"(^  --([a-z-]+) )");
  int flags = 0;
  for (const std::string& line : help.lines) {
    std::smatch match;
    if (!std::regex_search(line, match, flag)) continue;
    std::string name = match[1];
    if (name == "config" || name == "help") continue;
    ++flags;
    std::regex key("(^|\\n)(# )?" + name + " = ");
    EXPECT_TRUE(std::regex_search(example, key)) << name << " is missing from " << config;
  }
  EXPECT_GT(flags, 10);
}

}  // namespace
}  // namespace sluice::testing
