// --watch: notices when the app library is replaced, so the broker can
// serve the new version (ZygoteGenerations::Reload). Watches the library's
// directory with inotify through Asio, because the usual way to replace a
// file (write a new one, rename it over the old) gives the path a new
// inode that a watch on the file itself would never see; a rewrite in place
// is noticed too. Events are debounced: the callback runs once the
// directory has been quiet for a moment, so a copy in many writes is one
// reload. Single-threaded: lives on the broker's io thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "broker/net.h"
#include "util/unique_fd.h"

namespace sluice::broker {

class AppWatch {
 public:
  // Starts watching `path`'s directory. Errors (no inotify, no such
  // directory) name the path and the failed call.
  static absl::StatusOr<std::unique_ptr<AppWatch>> Start(asio::io_context& io,
                                                         const std::string& path,
                                                         std::function<void()> on_replaced);
  ~AppWatch();
  AppWatch(const AppWatch&) = delete;
  AppWatch& operator=(const AppWatch&) = delete;

 private:
  AppWatch(asio::io_context& io, int inotify_fd, std::string name,
           std::function<void()> on_replaced);
  void Read();
  void OnEvents(std::size_t bytes);

  asio::posix::stream_descriptor inotify_;  // owns the inotify descriptor
  asio::steady_timer quiet_;
  std::string name_;  // the library's file name in the watched directory
  std::function<void()> on_replaced_;
  alignas(8) char buffer_[4096];
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::broker
