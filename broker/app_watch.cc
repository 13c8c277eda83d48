#include "broker/app_watch.h"

#include <sys/inotify.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

// How long the directory must be quiet after a change before the reload.
constexpr std::chrono::milliseconds kQuietFor{300};

// A new file moved or linked over the name, a write that finished, a new
// file at the name.
constexpr std::uint32_t kReplacedMask = IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE;

}  // namespace

absl::StatusOr<std::unique_ptr<AppWatch>> AppWatch::Start(asio::io_context& io,
                                                          const std::string& path,
                                                          std::function<void()> on_replaced) {
  std::filesystem::path file = std::filesystem::absolute(path);
  std::string directory = file.parent_path().string();
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(StrCat("--watch: inotify_init1: ", std::strerror(errno)));
  }
  UniqueFd owned(fd);
  if (::inotify_add_watch(fd, directory.c_str(), kReplacedMask | IN_ONLYDIR) < 0) {
    return absl::UnavailableError(
        StrCat("--watch: inotify_add_watch(", directory, "): ", std::strerror(errno)));
  }
  LogInfo("app_watch", {{"directory", directory}, {"file", file.filename().string()}});
  auto watch = std::unique_ptr<AppWatch>(
      new AppWatch(io, owned.release(), file.filename().string(), std::move(on_replaced)));
  watch->Read();
  return watch;
}

AppWatch::AppWatch(asio::io_context& io, int inotify_fd, std::string name,
                   std::function<void()> on_replaced)
    : inotify_(io, inotify_fd),
      quiet_(io),
      name_(std::move(name)),
      on_replaced_(std::move(on_replaced)) {}

AppWatch::~AppWatch() {
  *alive_ = false;
  quiet_.cancel();
  boost::system::error_code ignored;
  inotify_.close(ignored);
}

void AppWatch::Read() {
  inotify_.async_read_some(asio::buffer(buffer_, sizeof(buffer_)),
                           [this, alive = alive_](boost::system::error_code ec, std::size_t bytes) {
                             if (!*alive || ec == asio::error::operation_aborted) return;
                             if (ec) {
                               LogError("app_watch_failed", {{"error", ec.message()}});
                               return;
                             }
                             OnEvents(bytes);
                             Read();
                           });
}

void AppWatch::OnEvents(std::size_t bytes) {
  bool ours = false;
  std::size_t offset = 0;
  while (offset + sizeof(inotify_event) <= bytes) {
    const auto* event = reinterpret_cast<const inotify_event*>(buffer_ + offset);
    if (event->len > 0 && (event->mask & kReplacedMask) && name_ == event->name) ours = true;
    if (event->mask & IN_Q_OVERFLOW) ours = true;  // lost events: look anyway
    offset += sizeof(inotify_event) + event->len;
  }
  if (!ours) return;
  quiet_.expires_after(kQuietFor);
  quiet_.async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (ec || !*alive) return;
    LogInfo("app_file_replaced", {{"file", name_}});
    on_replaced_();
  });
}

}  // namespace sluice::broker
