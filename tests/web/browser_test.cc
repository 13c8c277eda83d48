// Runs tests/web/browser_test.mjs (playwright-core driving headless Debian
// chromium) against `sluice serve` on the demo app and on a test app, and
// reports its output.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kChromium[] = "/usr/bin/chromium";

// `name` resolved through $PATH, or empty.
std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// Serves `app` (with `serve_args`) and runs the script's `suite` of checks
// against it. A suite that closes a tab prints "closed tab's worker pid: N";
// that worker must then exit.
void RunBrowserSuite(const std::string& app, const std::string& suite,
                     std::vector<std::string> serve_args = {}) {
  const fs::path source_dir = SLUICE_SOURCE_DIR;
  const fs::path playwright = source_dir / "web/node_modules/playwright-core";
  const std::string node = FindInPath("node");
  std::string missing;
  if (!fs::exists(kChromium)) missing += absl::StrCat(" ", kChromium);
  if (!fs::exists(playwright)) missing += absl::StrCat(" ", playwright.string());
  if (node.empty()) missing += " node";
  if (!missing.empty()) {
    // A developer without the browser tool chain may skip; CI must not.
    if (std::getenv("CI") != nullptr) {
      FAIL() << "browser test prerequisites missing under CI:" << missing;
    }
    GTEST_SKIP() << "missing" << missing << " (install chromium and run npm ci in web/)";
  }

  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(app, std::move(serve_args)));
  std::string url = absl::StrCat("http://127.0.0.1:", broker->port(), "/");
  ChildProcess::Options options;
  options.program = node;
  options.args = {(source_dir / "tests/web/browser_test.mjs").string(), url, suite};
  options.capture_stdout = true;
  ASSERT_OK_AND_ASSIGN(auto script, ChildProcess::Spawn(std::move(options)));
  absl::StatusOr<int> status = script->Wait(After(std::chrono::seconds(150)));
  script->WaitForOutputEnd(After(std::chrono::seconds(5)));
  std::string output = script->Output();
  std::cout << "---- browser_test.mjs " << url << " " << suite << " ----\n" << output << "\n----\n";
  ASSERT_OK(status);
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "browser_test.mjs " << DescribeWaitStatus(*status) << ":\n"
      << output << "\nbroker log:\n"
      << broker->process().Output();
  constexpr std::string_view kClosed = "closed tab's worker pid: ";
  if (size_t at = output.find(kClosed); at != std::string::npos) {
    // The page shows the pid the app sees, which under --sandbox=strict is
    // the zygote's pid namespace's number: find the worker by it. (Numbers
    // in that namespace are handed out in order, so a newer worker does not
    // take it meanwhile.) Not found: it is gone already.
    pid_t shown = std::atoi(output.c_str() + at + kClosed.size());
    ASSERT_GT(shown, 0);
    if (std::optional<pid_t> pid = DescendantByInnerPid(broker->pid(), shown)) {
      EXPECT_TRUE(WaitForExit(*pid, After(kStepTimeout)))
          << "worker " << *pid << " outlived its closed tab; broker log:\n"
          << broker->process().Output();
    }
  }
}

TEST(BrowserTest, DemoAppWorksInHeadlessChromium) { RunBrowserSuite(SLUICE_HELLO_APP, "demo"); }

TEST(BrowserTest, ColumnsCountChangeIsRenderedByThePage) {
  RunBrowserSuite(SLUICE_COLUMNS_APP, "columns");
}

TEST(BrowserTest, FileUploaderWorksInHeadlessChromium) {
  RunBrowserSuite(SLUICE_UPLOAD_APP, "uploads", {"--max-upload-mb", "2"});
}

TEST(BrowserTest, MetricAndJsonAreReadableAndKeyboardOperable) {
  RunBrowserSuite(SLUICE_DISPLAY_APP, "display");
}

TEST(BrowserTest, ImagesOfEveryFormatShowWithAltTextAndFreeTheirBytesWhenGone) {
  RunBrowserSuite(SLUICE_IMAGE_APP, "image");
}

TEST(BrowserTest, VegaLiteChartDrawsUnderAStrictContentSecurityPolicy) {
  RunBrowserSuite(SLUICE_VEGA_APP, "vega");
}

TEST(BrowserTest, LiveElementsMoveDuringARunAndSettleAfterIt) {
  RunBrowserSuite(SLUICE_LIVE_APP, "live");
}

TEST(BrowserTest, ChartsDrawTenMillionPointsZoomByQueryAndStreamAddedRows) {
  RunBrowserSuite(SLUICE_CHART_APP, "charts");
}

TEST(BrowserTest, DataFrameGridReachesTheLastRowAndSortsInTheWorker) {
  RunBrowserSuite(SLUICE_DATA_APP, "grid");
}

TEST(BrowserTest, DownloadButtonSavesTheWorkersBytes) {
  RunBrowserSuite(SLUICE_DATA_APP, "downloads", {"--cache-size", "0"});
}

TEST(BrowserTest, CsvExplorerUploadFilterDownload) {
  RunBrowserSuite(SLUICE_CSV_EXPLORER_APP, "explorer");
}

TEST(BrowserTest, QueuedTabShowsItsPlaceThenGetsTheApp) {
  RunBrowserSuite(SLUICE_HELLO_APP, "queue", {"--workers", "1"});
}

}  // namespace
}  // namespace sluice::testing
