// st::file_uploader end to end over real WebSockets to the real broker
// (tests/apps/upload_app.cc): what the app gets, who else sees it, what
// replacing, removing and closing leave behind (nothing, in the worker's
// memory or on disk), the limits, and broken chunk streams.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/fnv1a.h"
#include "tests/support/leak_probe.h"
#include "tests/support/process_probe.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using State = ipc::UploadStatus::State;

constexpr size_t kChunk = 64 << 10;

// 32 random hex digits: a needle nothing else in memory or on disk holds.
std::string RandomMarker() {
  std::random_device random;
  std::string marker = "MARK";
  for (int i = 0; i < 28; ++i) marker += "0123456789abcdef"[random() % 16];
  return marker;
}

// A file of `size` bytes with `marker` at its start, middle and end.
std::string FileWith(const std::string& marker, size_t size) {
  std::string content(size, '.');
  for (size_t i = 0; i < size; ++i) content[i] = static_cast<char>('a' + (i * 7) % 26);
  for (size_t at : {size_t{0}, size / 2, size - marker.size()})
    content.replace(at, marker.size(), marker);
  return content;
}

class UploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    started_ = fs::file_time_type::clock::now();
    ASSERT_OK_AND_ASSIGN(
        broker_, BrokerProcess::Start(kUploadApp, {"--max-upload-mb", "2", "--cache-size", "0"}));
    ASSERT_OK_AND_ASSIGN(tab_, AppSession::Open(broker_->port()));
    ASSERT_TRUE(page().HasText("no file")) << page().DebugString();
  }

  PageModel& page() { return tab_->page(); }
  WsClient& client() { return tab_->client(); }

  std::string WidgetId(std::string_view label) {
    std::optional<WidgetInfo> widget = page().FindWidget(label);
    return widget ? widget->id : std::string("(no widget '") + std::string(label) + "')";
  }

  // Sends a whole file in order and waits until it settles; after a
  // success, also for the run that follows.
  absl::StatusOr<UploadStatusInfo> Upload(std::string_view label, std::string_view name,
                                          std::string_view content,
                                          std::string_view type = "text/csv") {
    uint32_t id = next_id_++;
    RETURN_IF_ERROR(client().SendUploadBegin(id, WidgetId(label), name, type, content.size()));
    for (size_t offset = 0; offset < content.size(); offset += kChunk) {
      RETURN_IF_ERROR(client().SendUploadChunk(id, offset, content.substr(offset, kChunk)));
    }
    RETURN_IF_ERROR(client().SendUploadEnd(id));
    return Settle(id);
  }

  absl::StatusOr<UploadStatusInfo> Settle(uint32_t id) {
    absl::StatusOr<UploadStatusInfo> status = page().ReceiveUntilUploadSettled(client(), id);
    if (status.ok() && status->state == State::DONE) {
      RETURN_IF_ERROR(page().RunUntilFinished(client()));
    }
    return status;
  }

  // Checks that the session still takes a good upload after a bad one.
  void ExpectStillWorks() {
    std::string content = "a,b\n1,2\n";
    ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("Data file", "good.csv", content));
    EXPECT_EQ(status.state, State::DONE) << status.message;
    EXPECT_TRUE(page().HasText("name: good.csv")) << page().DebugString();
    EXPECT_TRUE(page().HasText("digest: " + Fnv1aHex(content))) << page().DebugString();
  }

  pid_t WorkerPid() {
    std::optional<pid_t> pid = tab_->WorkerPid();
    return pid.value_or(-1);
  }

  fs::file_time_type started_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> tab_;
  uint32_t next_id_ = 1;
};

TEST_F(UploadTest, AppShowsNameSizeTypeAndTheExactBytes) {
  std::string content = FileWith(RandomMarker(), 300 * 1024 + 17);  // several chunks
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("Data file", "sales.csv", content));
  ASSERT_EQ(status.state, State::DONE) << status.message;
  EXPECT_EQ(status.widget_id, WidgetId("Data file"));
  EXPECT_THAT(page().Texts(), Contains("name: sales.csv")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains(absl::StrCat("size: ", content.size())));
  EXPECT_THAT(page().Texts(), Contains("type: text/csv"));
  EXPECT_THAT(page().Texts(), Contains("digest: " + Fnv1aHex(content)));
  EXPECT_THAT(page().Texts(), Contains("changes: 1"));  // on_change ran before the rerun
  // The widget lists the file, and progress was reported up to every byte.
  std::optional<WidgetInfo> widget = page().FindWidget("Data file");
  ASSERT_TRUE(widget.has_value());
  ASSERT_THAT(widget->files, SizeIs(1));
  EXPECT_EQ(widget->files[0].name, "sales.csv");
  EXPECT_EQ(widget->files[0].size, content.size());
  EXPECT_EQ(widget->max_bytes, 1u << 20);  // the widget's 1 MB, under the server's 2
  EXPECT_THAT(widget->types, ::testing::ElementsAre(".csv", ".txt"));
  uint64_t progress = 0;
  for (const UploadStatusInfo& s : page().upload_statuses()) {
    if (s.upload_id == 1 && s.state == State::PROGRESS) progress = std::max(progress, s.received);
  }
  EXPECT_EQ(progress, content.size());
  ASSERT_TRUE(page().session().has_value());
  EXPECT_EQ(page().session()->max_upload_bytes, 2u << 20);
  EXPECT_GT(page().session()->upload_chunk_bytes, 0u);
  EXPECT_THAT(page().protocol_errors(), IsEmpty());
  // The operator's /metrics counts the bytes passed on to the worker.
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker_->port()));
  EXPECT_EQ(metrics.Value("sluice_upload_bytes_total"), static_cast<double>(content.size()));
}

TEST_F(UploadTest, AnEmptyFileIsAFileToo) {
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("Data file", "empty.txt", ""));
  ASSERT_EQ(status.state, State::DONE) << status.message;
  EXPECT_THAT(page().Texts(), Contains("name: empty.txt")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("size: 0"));
  EXPECT_THAT(page().Texts(), Contains("type: text/csv"));
}

TEST_F(UploadTest, ASecondSessionDoesNotSeeTheFile) {
  std::string content = FileWith(RandomMarker(), 4096);
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("Data file", "mine.csv", content));
  ASSERT_EQ(status.state, State::DONE) << status.message;
  ASSERT_OK_AND_ASSIGN(auto other, AppSession::Open(broker_->port()));
  EXPECT_TRUE(other->page().HasText("no file")) << other->page().DebugString();
  EXPECT_THAT(other->page().FindWidget("Data file")->files, IsEmpty());
  EXPECT_NE(other->WorkerPid(), tab_->WorkerPid());
  // The second session cannot name the first one's uploader into a file
  // either: its own worker has no such file.
  ASSERT_OK(other->client().SendWidgetChange(
      WidgetId("Data file"), WidgetInput::RemoveFile(page().FindWidget("Data file")->files[0].id)));
  ASSERT_OK(other->page().RunUntilFinished(other->client()));
  EXPECT_TRUE(other->page().HasText("no file"));
  EXPECT_TRUE(page().HasText("name: mine.csv"));
}

TEST_F(UploadTest, ReplacingAFileLeavesNoCopyOfTheOldBytesInTheWorker) {
  pid_t pid = WorkerPid();
  ASSERT_GT(pid, 0) << page().DebugString();
  std::string old_marker = RandomMarker();
  std::string new_marker = RandomMarker();
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo first,
                       Upload("Data file", "v1.csv", FileWith(old_marker, 200 * 1024)));
  ASSERT_EQ(first.state, State::DONE) << first.message;
  // The scan finds an upload that is there (or the assertion below proves
  // nothing).
  ASSERT_OK_AND_ASSIGN(bool old_present, MemoryContains(pid, old_marker));
  ASSERT_TRUE(old_present) << "the probe does not see the file the worker holds";

  ASSERT_OK_AND_ASSIGN(UploadStatusInfo second,
                       Upload("Data file", "v2.csv", FileWith(new_marker, 200 * 1024)));
  ASSERT_EQ(second.state, State::DONE) << second.message;
  EXPECT_TRUE(page().HasText("name: v2.csv")) << page().DebugString();
  EXPECT_THAT(page().FindWidget("Data file")->files, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(bool old_left, MemoryContains(pid, old_marker));
  EXPECT_FALSE(old_left) << "the replaced file's bytes are still in the worker's memory";
  ASSERT_OK_AND_ASSIGN(bool new_present, MemoryContains(pid, new_marker));
  EXPECT_TRUE(new_present);
}

TEST_F(UploadTest, RemovingTheFileWipesItAndTheUploaderReturnsNothing) {
  pid_t pid = WorkerPid();
  std::string marker = RandomMarker();
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status,
                       Upload("Data file", "gone.csv", FileWith(marker, 100 * 1024)));
  ASSERT_EQ(status.state, State::DONE) << status.message;
  std::optional<WidgetInfo> widget = page().FindWidget("Data file");
  ASSERT_THAT(widget->files, SizeIs(1));
  ASSERT_OK(tab_->Change("Data file", WidgetInput::RemoveFile(widget->files[0].id)));
  EXPECT_TRUE(page().HasText("no file")) << page().DebugString();
  EXPECT_THAT(page().FindWidget("Data file")->files, IsEmpty());
  EXPECT_THAT(page().Texts(), Contains("changes: 2"));
  ASSERT_OK_AND_ASSIGN(bool left, MemoryContains(pid, marker));
  EXPECT_FALSE(left) << "a removed file's bytes are still in the worker's memory";
}

TEST_F(UploadTest, MultipleUploaderKeepsEveryFileAndRemovesOne) {
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo a, Upload("Attachments", "a.bin", "aaaa", ""));
  ASSERT_EQ(a.state, State::DONE) << a.message;
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo b,
                       Upload("Attachments", "b.md", "bbbbbb", "text/markdown"));
  ASSERT_EQ(b.state, State::DONE) << b.message;
  EXPECT_THAT(page().Texts(), Contains("attachments: 2 a.bin b.md")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("attachments in state: 2"));
  std::vector<WidgetInfo::File> files = page().FindWidget("Attachments")->files;
  ASSERT_THAT(files, SizeIs(2));
  EXPECT_NE(files[0].id, files[1].id);
  ASSERT_OK(tab_->Change("Attachments", WidgetInput::RemoveFile(files[0].id)));
  EXPECT_THAT(page().Texts(), Contains("attachments: 1 b.md")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("attachments in state: 1"));
}

TEST_F(UploadTest, ClosingTheTabEndsTheWorkerAndItsFiles) {
  pid_t pid = WorkerPid();
  ASSERT_GT(pid, 0);
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status,
                       Upload("Data file", "x.csv", FileWith(RandomMarker(), 8192)));
  ASSERT_EQ(status.state, State::DONE) << status.message;
  ASSERT_OK(client().Close());
  EXPECT_TRUE(WaitForExit(pid, After(kStepTimeout))) << "worker " << pid << " outlived its tab";
}

TEST_F(UploadTest, NoUploadedByteIsWrittenToAnyFile) {
  pid_t pid = WorkerPid();
  std::string marker = RandomMarker();
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo first,
                       Upload("Data file", "secret.csv", FileWith(marker, 700 * 1024)));
  ASSERT_EQ(first.state, State::DONE) << first.message;
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo second,
                       Upload("Attachments", "secret.bin", FileWith(marker, 1500 * 1024), ""));
  ASSERT_EQ(second.state, State::DONE) << second.message;

  std::vector<fs::path> roots = {"/tmp", "/dev/shm", "/var/tmp", fs::temp_directory_path()};
  if (const char* dir = std::getenv("TEST_TMPDIR")) roots.emplace_back(dir);
  EXPECT_THAT(FilesContaining(roots, started_, marker), IsEmpty());
  EXPECT_THAT(OpenFilesContaining(pid, marker), IsEmpty());
  EXPECT_THAT(OpenFilesContaining(broker_->pid(), marker), IsEmpty());
  // Positive control: the bytes are where they belong.
  ASSERT_OK_AND_ASSIGN(bool in_memory, MemoryContains(pid, marker));
  EXPECT_TRUE(in_memory);
}

TEST_F(UploadTest, AFileOverTheServerLimitIsRefusedWithAMessage) {
  // 3 MB to the uploader that only the server's 2 MB (--max-upload-mb 2) limits.
  std::string content(3 << 20, 'x');
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("Attachments", "huge.bin", content, ""));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message, HasSubstr("\"huge.bin\" is 3 MB, over this server's limit of 2 MB"));
  EXPECT_EQ(status.widget_id, WidgetId("Attachments"));
  EXPECT_THAT(page().FindWidget("Attachments")->files, IsEmpty());
  ExpectStillWorks();
}

TEST_F(UploadTest, AFileOverTheWidgetsLimitIsRefusedWithAMessage) {
  std::string content((1 << 20) + 1, 'x');  // "Data file" takes 1 MB
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("Data file", "big.csv", content));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message,
              HasSubstr("\"big.csv\" is 1.0 MB, over this uploader's limit of 1 MB"));
  EXPECT_TRUE(page().HasText("no file"));
  ExpectStillWorks();
}

TEST_F(UploadTest, AFileOfAnotherTypeIsRefusedWithAMessage) {
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("Data file", "notes.md", "# hi"));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message, HasSubstr("\"notes.md\" is not an accepted file type (.csv, .txt)"));
  // Upper case and either listed extension are fine.
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo ok, Upload("Data file", "NOTES.TXT", "hi"));
  EXPECT_EQ(ok.state, State::DONE) << ok.message;
}

TEST_F(UploadTest, AChunkOutOfOrderFailsTheUploadAndDropsIt) {
  std::string id = WidgetId("Data file");
  ASSERT_OK(client().SendUploadBegin(7, id, "skip.csv", "text/csv", 20));
  ASSERT_OK(client().SendUploadChunk(7, 0, "0123456789"));
  ASSERT_OK(client().SendUploadChunk(7, 15, "56789"));  // 10..14 never sent
  ASSERT_OK(client().SendUploadChunk(7, 10, "01234"));  // late: dropped quietly
  ASSERT_OK(client().SendUploadEnd(7));
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Settle(7));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message, HasSubstr("out of order"));
  ExpectStillWorks();
}

TEST_F(UploadTest, AChunkForAnUnknownUploadIsRefused) {
  ASSERT_OK(client().SendUploadChunk(99, 0, "who am I"));
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Settle(99));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message, HasSubstr("unknown upload 99"));
  ExpectStillWorks();
}

TEST_F(UploadTest, ATruncatedUploadFailsAndIsDropped) {
  ASSERT_OK(client().SendUploadBegin(3, WidgetId("Data file"), "short.csv", "text/csv", 100));
  ASSERT_OK(client().SendUploadChunk(3, 0, std::string(60, 'y')));
  ASSERT_OK(client().SendUploadEnd(3));
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Settle(3));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message, HasSubstr("truncated"));
  EXPECT_TRUE(page().HasText("no file"));
  ExpectStillWorks();
}

TEST_F(UploadTest, MoreBytesThanDeclaredFailTheUpload) {
  ASSERT_OK(client().SendUploadBegin(4, WidgetId("Data file"), "long.csv", "text/csv", 5));
  ASSERT_OK(client().SendUploadChunk(4, 0, "0123456789"));
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Settle(4));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message, HasSubstr("more bytes arrived than"));
  ExpectStillWorks();
}

TEST_F(UploadTest, TooManyUploadsAtOnceAreRefused) {
  std::string id = WidgetId("Attachments");
  for (uint32_t upload = 10; upload < 15; ++upload) {
    ASSERT_OK(client().SendUploadBegin(upload, id, absl::StrCat("f", upload, ".bin"), "", 10));
  }
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Settle(14));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message, HasSubstr("at most 4 uploads"));
  // The four that were let in can still finish.
  for (uint32_t upload = 10; upload < 14; ++upload) {
    ASSERT_OK(client().SendUploadChunk(upload, 0, "0123456789"));
    ASSERT_OK(client().SendUploadEnd(upload));
    ASSERT_OK_AND_ASSIGN(UploadStatusInfo done, Settle(upload));
    EXPECT_EQ(done.state, State::DONE) << done.message;
  }
  EXPECT_THAT(page().FindWidget("Attachments")->files, SizeIs(4)) << page().DebugString();
}

TEST_F(UploadTest, AnUploadForAWidgetThatIsNoUploaderIsRefused) {
  ASSERT_OK(client().SendUploadBegin(5, "no such widget", "x.csv", "text/csv", 3));
  ASSERT_OK(client().SendUploadChunk(5, 0, "abc"));
  ASSERT_OK(client().SendUploadEnd(5));
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Settle(5));
  EXPECT_EQ(status.state, State::FAILED);
  EXPECT_THAT(status.message, HasSubstr("there is no file uploader"));
  ExpectStillWorks();
}

TEST_F(UploadTest, ACancelledUploadLeavesNothing) {
  pid_t pid = WorkerPid();
  std::string marker = RandomMarker();
  std::string content = FileWith(marker, 200 * 1024);
  ASSERT_OK(
      client().SendUploadBegin(6, WidgetId("Data file"), "c.csv", "text/csv", content.size()));
  ASSERT_OK(client().SendUploadChunk(6, 0, content.substr(0, kChunk)));
  ASSERT_OK(client().SendUploadCancel(6));
  ASSERT_OK(client().SendUploadChunk(6, kChunk, content.substr(kChunk, kChunk)));  // in flight
  ExpectStillWorks();
  EXPECT_THAT(page().FindWidget("Data file")->files, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(bool left, MemoryContains(pid, marker));
  EXPECT_FALSE(left) << "a cancelled upload's bytes are still in the worker's memory";
}

TEST_F(UploadTest, AnUploadFileNameIsNeverAPath) {
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("Data file", "../../etc/passwd.txt", "x"));
  ASSERT_EQ(status.state, State::DONE) << status.message;
  EXPECT_TRUE(page().HasText("name: passwd.txt")) << page().DebugString();
}

// The broker streams chunks through and never collects a file: its peak
// memory grows by far less than a large upload, sent as fast as the socket
// takes it, without waiting for acknowledgements.
TEST(UploadMemoryTest, ALargeUploadDoesNotGrowTheBroker) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kUploadApp, {"--cache-size", "0"}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  std::optional<long> before = StatusKiB(broker->pid(), "VmHWM");
  ASSERT_TRUE(before.has_value());

  constexpr size_t kSize = 96 << 20;
  std::string chunk(256 << 10, 'z');
  std::optional<WidgetInfo> widget = tab->page().FindWidget("Attachments");
  ASSERT_TRUE(widget.has_value());
  ASSERT_OK(tab->client().SendUploadBegin(1, widget->id, "large.bin", "", kSize));
  for (size_t offset = 0; offset < kSize; offset += chunk.size()) {
    absl::Status sent = tab->client().SendUploadChunk(1, offset, chunk);
    ASSERT_TRUE(sent.ok()) << sent << " at " << offset << "\n" << broker->process().Output();
  }
  ASSERT_OK(tab->client().SendUploadEnd(1));
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status,
                       tab->page().ReceiveUntilUploadSettled(tab->client(), 1));
  ASSERT_EQ(status.state, State::DONE) << status.message;
  ASSERT_OK(tab->page().RunUntilFinished(tab->client()));
  EXPECT_TRUE(tab->page().HasText("attachments: 1 large.bin")) << tab->page().DebugString();

  std::optional<long> after = StatusKiB(broker->pid(), "VmHWM");
  ASSERT_TRUE(after.has_value());
  // Sanitizer builds keep freed memory in quarantine, which is not the
  // broker's doing.
  if (std::string(SLUICE_SANITIZE).empty()) {
    EXPECT_LT(*after - *before, 32 * 1024)
        << "the broker's peak memory grew by " << (*after - *before) << " KiB for a 96 MiB upload";
  }
}

}  // namespace
}  // namespace sluice::testing
