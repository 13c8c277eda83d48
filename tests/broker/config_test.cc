// The settings table and the --config loader on their own: what a file sets,
// how each kind of mistake is reported (file, line, key), and how flags and
// the file combine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/config_file.h"
#include "broker/options.h"
#include "broker/settings.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_dir.h"

namespace sluice::broker {
namespace {

using ::sluice::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string ErrorOf(const absl::Status& status) { return std::string(status.message()); }

TEST(ConfigFileTest, GoodFileSetsEveryKindOfValue) {
  TempDir dir;
  std::string file = dir.Write("sluice.toml", R"(# a comment
app = "app.so"
host = "0.0.0.0"
workers = 64
max-upload-mb = 50
cache-size = "512M"
rerun-timeout = "30s"
allow-read = ["/tmp", "/"]
sandbox = "standard"
log-level = "warning"
)");
  ServeOptions options;
  ASSERT_OK(LoadConfigFile(file, &options));
  EXPECT_EQ(options.app_path, (dir.path() / "app.so").string());  // relative to the file
  EXPECT_EQ(options.host, "0.0.0.0");
  EXPECT_EQ(options.workers, 64);
  EXPECT_EQ(options.max_upload_mb, 50u);
  EXPECT_EQ(options.cache_bytes, std::size_t{512} << 20);
  EXPECT_EQ(options.rerun_timeout, absl::Seconds(30));
  EXPECT_THAT(options.allow_read, ElementsAre("/tmp", "/"));
  EXPECT_EQ(options.sandbox, sandbox::Level::kStandard);
  EXPECT_EQ(options.log_level, LogLevel::kWarning);
  EXPECT_EQ(options.port, ServeOptions{}.port);  // not named: the default
}

TEST(ConfigFileTest, SizeMayBeAPlainInteger) {
  TempDir dir;
  ServeOptions options;
  ASSERT_OK(LoadConfigFile(dir.Write("c.toml", "cache-size = 0\n"), &options));
  EXPECT_EQ(options.cache_bytes, 0u);
}

TEST(ConfigFileTest, UnknownKeyNamesFileLineAndKey) {
  TempDir dir;
  std::string file = dir.Write("c.toml", "workers = 4\n\nworkerz = 5\n");
  ServeOptions options;
  absl::Status status = LoadConfigFile(file, &options);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(ErrorOf(status), AllOf(StartsWith(file + ":3: workerz:"), HasSubstr("unknown key")));
}

TEST(ConfigFileTest, SectionIsAnUnknownKey) {
  TempDir dir;
  std::string file = dir.Write("c.toml", "[serve]\nworkers = 4\n");
  ServeOptions options;
  EXPECT_THAT(ErrorOf(LoadConfigFile(file, &options)),
              AllOf(StartsWith(file + ":1: serve:"), HasSubstr("unknown key")));
}

TEST(ConfigFileTest, WrongTypeNamesLineKeyAndBothTypes) {
  TempDir dir;
  ServeOptions options;
  std::string file = dir.Write("c.toml", "port = 8000\nworkers = \"64\"\n");
  EXPECT_EQ(ErrorOf(LoadConfigFile(file, &options)),
            file + ":2: workers: expected an integer, got a string");

  file = dir.Write("d.toml", "allow-read = \"/data\"\n");
  EXPECT_EQ(ErrorOf(LoadConfigFile(file, &options)),
            file + ":1: allow-read: expected an array of strings, got a string");

  file = dir.Write("e.toml", "allow-read = [\n  \"/tmp\",\n  3,\n]\n");
  EXPECT_THAT(ErrorOf(LoadConfigFile(file, &options)),
              StartsWith(file + ":3: allow-read: expected an array of strings"));

  file = dir.Write("f.toml", "rerun-timeout = 30\n");
  EXPECT_EQ(ErrorOf(LoadConfigFile(file, &options)),
            file + ":1: rerun-timeout: expected a string, got an integer");
}

TEST(ConfigFileTest, ImpossibleValueNamesLineKeyAndRange) {
  TempDir dir;
  ServeOptions options;
  std::string file = dir.Write("c.toml", "workers = 0\n");
  EXPECT_EQ(ErrorOf(LoadConfigFile(file, &options)),
            file + ":1: workers: expected a whole number from 1 to 100000, got '0'");

  file = dir.Write("d.toml", "\ncache-size = \"12 parsecs\"\n");
  EXPECT_THAT(ErrorOf(LoadConfigFile(file, &options)), StartsWith(file + ":2: cache-size: "));

  file = dir.Write("e.toml", "sandbox = \"loose\"\n");
  EXPECT_THAT(ErrorOf(LoadConfigFile(file, &options)),
              AllOf(StartsWith(file + ":1: sandbox: "), HasSubstr("'loose'")));

  file = dir.Write("f.toml", "allow-read = [\"/no/such/dir\"]\n");
  EXPECT_THAT(ErrorOf(LoadConfigFile(file, &options)),
              StartsWith(file + ":1: allow-read: '/no/such/dir'"));
}

TEST(ConfigFileTest, AllowedOriginsAreAnArrayOfOrigins) {
  TempDir dir;
  ServeOptions options;
  std::string file =
      dir.Write("c.toml",
                "allowed-origins = [\"https://dashboards.example.com\", \"http://10.0.0.5:8080\"]\n"
                "write-timeout = \"5s\"\n");
  ASSERT_OK(LoadConfigFile(file, &options));
  EXPECT_THAT(options.allowed_origins,
              ElementsAre("https://dashboards.example.com", "http://10.0.0.5:8080"));
  EXPECT_EQ(options.write_timeout, absl::Seconds(5));

  file = dir.Write("d.toml", "allowed-origins = [\n  \"*\",\n  \"dashboards.example.com\",\n]\n");
  EXPECT_THAT(ErrorOf(LoadConfigFile(file, &options)),
              AllOf(StartsWith(file + ":3: allowed-origins: expected an origin like"),
                    HasSubstr("'dashboards.example.com'")));
}

TEST(ConfigFileTest, SyntaxErrorNamesLineAndColumn) {
  TempDir dir;
  ServeOptions options;
  std::string file = dir.Write("c.toml", "workers = 4\nport = \n");
  EXPECT_THAT(ErrorOf(LoadConfigFile(file, &options)), StartsWith(file + ":2:"));
}

TEST(ConfigFileTest, MissingFileIsOneLine) {
  ServeOptions options;
  absl::Status status = LoadConfigFile("/no/such/sluice.toml", &options);
  EXPECT_THAT(ErrorOf(status), StartsWith("/no/such/sluice.toml: "));
  EXPECT_EQ(ErrorOf(status).find('\n'), std::string::npos);
}

TEST(ConfigFileTest, SwitchIsABoolean) {
  TempDir dir;
  ServeOptions options;
  ASSERT_OK(
      LoadConfigFile(dir.Write("on.toml", "watch = true\nidle-timeout = \"0s\"\n"), &options));
  EXPECT_TRUE(options.watch_app);
  EXPECT_EQ(options.idle_timeout, absl::ZeroDuration());
  std::string bad = dir.Write("bad.toml", "watch = \"yes\"\n");
  EXPECT_EQ(ErrorOf(LoadConfigFile(bad, &options)),
            bad + ":1: watch: expected true or false, got a string");
}

TEST(ServeOptionsTest, SwitchFlagTakesNoValue) {
  ASSERT_OK_AND_ASSIGN(ServeOptions on, ParseServeOptions({"--watch", "app.so"}));
  EXPECT_TRUE(on.watch_app);
  EXPECT_EQ(on.app_path, "app.so") << "the switch did not take the next argument as its value";
  ASSERT_OK_AND_ASSIGN(ServeOptions off, ParseServeOptions({"app.so", "--watch=false"}));
  EXPECT_FALSE(off.watch_app);
  EXPECT_EQ(ParseServeOptions({"app.so", "--watch=maybe"}).status().message(),
            "--watch: expected true or false, got 'maybe'");
}

TEST(ServeOptionsTest, FlagsOverrideTheFile) {
  TempDir dir;
  std::string file = dir.Write("c.toml", "workers = 64\nprefork = 8\nallow-read = [\"/tmp\"]\n");
  ASSERT_OK_AND_ASSIGN(
      ServeOptions options,
      ParseServeOptions({"app.so", "--config", file, "--workers", "5", "--allow-read", "/"}));
  EXPECT_EQ(options.workers, 5);
  EXPECT_EQ(options.prefork, 5);                      // the file's 8, held to the flag's --workers
  EXPECT_THAT(options.allow_read, ElementsAre("/"));  // a flag's list replaces the file's
  EXPECT_EQ(options.config_file, file);
}

TEST(ServeOptionsTest, FlagsOrderDoesNotMatterForConfig) {
  TempDir dir;
  std::string file = dir.Write("c.toml", "workers = 64\n");
  ASSERT_OK_AND_ASSIGN(ServeOptions options,
                       ParseServeOptions({"--workers=7", "app.so", "--config=" + file}));
  EXPECT_EQ(options.workers, 7);
}

TEST(ServeOptionsTest, AppMayComeFromTheFile) {
  TempDir dir;
  std::string file = dir.Write("c.toml", "app = \"/srv/app.so\"\n");
  ASSERT_OK_AND_ASSIGN(ServeOptions options, ParseServeOptions({"--config", file}));
  EXPECT_EQ(options.app_path, "/srv/app.so");
  EXPECT_FALSE(ParseServeOptions({}).ok());
}

TEST(ServeOptionsTest, BadConfigIsTheWholeError) {
  TempDir dir;
  std::string file = dir.Write("c.toml", "workers = -1\n");
  absl::StatusOr<ServeOptions> options = ParseServeOptions({"app.so", "--config", file});
  EXPECT_THAT(ErrorOf(options.status()), StartsWith(file + ":1: workers: "));
  EXPECT_THAT(ErrorOf(ParseServeOptions({"app.so", "--config"}).status()),
              HasSubstr("--config: needs a value"));
}

TEST(ServeOptionsTest, SecretsBesideTheConfigAreFound) {
  TempDir dir;
  std::string file = dir.Write("c.toml", "workers = 3\n");
  ASSERT_OK_AND_ASSIGN(ServeOptions without, ParseServeOptions({"app.so", "--config", file}));
  EXPECT_THAT(without.secrets_file, IsEmpty());
  std::string secrets = dir.Write("secrets.toml", "k = \"v\"\n");
  ASSERT_OK_AND_ASSIGN(ServeOptions with, ParseServeOptions({"app.so", "--config", file}));
  EXPECT_EQ(with.secrets_file, secrets);
  ASSERT_OK_AND_ASSIGN(ServeOptions named,
                       ParseServeOptions({"app.so", "--config", file, "--secrets", "/x.toml"}));
  EXPECT_EQ(named.secrets_file, "/x.toml");
}

TEST(SettingsTest, EveryRowIsAFlagInHelpWithItsDefault) {
  std::string usage = ServeUsage();
  for (const Setting& setting : Settings()) {
    EXPECT_THAT(usage, HasSubstr("--" + std::string(setting.name) + " ")) << setting.name;
  }
  EXPECT_THAT(usage, HasSubstr("(default 256; SIGHUP applies it)"));
  EXPECT_THAT(usage, HasSubstr("--config FILE"));
}

TEST(SettingsTest, EveryRowParsesItsOwnDefaultBack) {
  const ServeOptions defaults;
  for (const Setting& setting : Settings()) {
    std::string text = setting.show(defaults);
    if (text.empty() || text == "auto") continue;  // unset: no value to give
    ServeOptions options;
    EXPECT_TRUE(setting.parse(text, &options).ok()) << setting.name;
    EXPECT_EQ(setting.show(options), text) << setting.name;
  }
}

TEST(SettingsTest, CacheWaitTimeoutIsADurationDefaultingToAMinute) {
  EXPECT_EQ(ServeOptions().cache_wait_timeout, absl::Seconds(60));
  ASSERT_OK_AND_ASSIGN(ServeOptions options,
                       ParseServeOptions({"app.so", "--cache-wait-timeout", "500ms"}));
  EXPECT_EQ(options.cache_wait_timeout, absl::Milliseconds(500));
  EXPECT_THAT(ErrorOf(ParseServeOptions({"app.so", "--cache-wait-timeout", "-1s"}).status()),
              HasSubstr("cache-wait-timeout"));
}

// "inf" parses as a duration, and a timer or deadline that far off
// overflows the clock it is added to: every wait would end at once.
TEST(SettingsTest, DurationsAreFiniteAndAtMostAYear) {
  for (std::string_view flag : {"--cache-wait-timeout", "--write-timeout", "--idle-timeout"}) {
    for (std::string_view value : {"inf", "8761h", "1000000h"}) {
      EXPECT_THAT(
          ErrorOf(ParseServeOptions({"app.so", std::string(flag), std::string(value)}).status()),
          HasSubstr("at most 8760h"))
          << flag << " " << value;
    }
  }
  ASSERT_OK_AND_ASSIGN(ServeOptions options,
                       ParseServeOptions({"app.so", "--write-timeout", "8760h"}));
  EXPECT_EQ(options.write_timeout, absl::Hours(8760));
}

TEST(SettingsTest, DiffSaysWhatIsLiveAndWhatNeedsARestart) {
  ServeOptions before;
  ServeOptions after;
  after.workers = 64;
  after.log_level = LogLevel::kDebug;
  after.port = 9000;
  SettingsDiff diff = DiffSettings(before, after);
  EXPECT_THAT(diff.live, ElementsAre("workers", "log-level"));
  EXPECT_THAT(diff.restart, ElementsAre("port"));
  EXPECT_THAT(diff.changes,
              ElementsAre("port: 8501 -> 9000", "workers: 256 -> 64", "log-level: info -> debug"));

  ServeOptions copy = before;
  CopyLiveSettings(after, &copy);
  EXPECT_EQ(copy.workers, 64);
  EXPECT_EQ(copy.port, before.port);  // not live: left alone
}

}  // namespace
}  // namespace sluice::broker
