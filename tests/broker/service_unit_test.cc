// The systemd unit's process restrictions that can be reproduced without
// systemd: its CapabilityBoundingSet= and NoNewPrivileges=, read from the
// unit file itself and applied with setpriv(1) (util-linux). At each
// sandbox level a session opens, runs, and ends, and its worker goes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_dir.h"

namespace sluice::testing {
namespace {

constexpr char kUnit[] = SLUICE_SOURCE_DIR "/examples/service/sluice.service.in";
constexpr char kSetpriv[] = "/usr/bin/setpriv";

// The value of `key=` in the unit ("" if absent).
std::string UnitValue(std::string_view key) {
  std::ifstream in(kUnit);
  std::string line;
  std::string prefix = std::string(key) + "=";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

// "CAP_SETUID CAP_KILL" -> "-all,+setuid,+kill", setpriv's --bounding-set.
std::string BoundingSetFor(const std::string& capabilities) {
  std::string out = "-all";
  for (absl::string_view cap : absl::StrSplit(capabilities, ' ', absl::SkipEmpty())) {
    std::string name = absl::AsciiStrToLower(cap);
    if (name.rfind("cap_", 0) == 0) name = name.substr(4);
    out += ",+" + name;
  }
  return out;
}

class ServiceUnitTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ServiceUnitTest, ServesUnderTheUnitsCapabilitiesAndNoNewPrivileges) {
  if (::geteuid() != 0) GTEST_SKIP() << "the unit runs sluice as root";
  if (!std::filesystem::exists(kSetpriv)) GTEST_SKIP() << "no setpriv";
  std::string capabilities = UnitValue("CapabilityBoundingSet");
  ASSERT_FALSE(capabilities.empty()) << kUnit;
  ASSERT_EQ(UnitValue("NoNewPrivileges"), "yes");

  TempDir dir;
  std::string wrapper = dir.Write("sluice-as-the-unit",
                                  "#!/bin/sh\nexec " + std::string(kSetpriv) +
                                      " --no-new-privs --bounding-set " +
                                      BoundingSetFor(capabilities) + " " + SluiceBinary() +
                                      " \"$@\"\n",
                                  0700);
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::StartBinary(wrapper, kStateApp,
                                                               {"--sandbox", GetParam()}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  ASSERT_OK(tab->Click("Add one"));
  EXPECT_TRUE(tab->page().HasText("clicks: 1")) << tab->page().DebugString();
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker.has_value());
  // Ending the session needs the zygote to kill a worker of another uid.
  ASSERT_OK(tab->client().Close());
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(*worker); }, After(kStepTimeout)))
      << "worker " << *worker << " outlived its session";
  EXPECT_THAT(broker->process().Output(), ::testing::Not(::testing::HasSubstr("\"level\":\"error\"")));
}

INSTANTIATE_TEST_SUITE_P(Levels, ServiceUnitTest, ::testing::Values("strict", "standard"));

}  // namespace
}  // namespace sluice::testing
