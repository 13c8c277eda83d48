// The real cache keeper (`sluice __keeper`) started the way the broker
// starts it, and test workers that talk to it over real SOCK_SEQPACKET
// sockets with ipc/keeper.capnp messages.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ipc/keeper.capnp.h"
#include "shm_cache/arena.h"
#include "shm_cache/reader.h"
#include "tests/support/deadline.h"
#include "util/unique_fd.h"

namespace sluice::testing {

struct CacheReplyInfo {
  std::uint64_t id;
  bool compute;  // false: ready, or a pin's answer (below)
  bool pinned = false;
  bool refused = false;
  UniqueFd fd;  // what came with the reply (the arena's, with pinned)
};

// One test worker: its end of a keeper socket.
class TestWorker {
 public:
  explicit TestWorker(UniqueFd socket) : socket_(std::move(socket)) {}

  int fd() const { return socket_.get(); }
  void Close() { socket_.reset(); }
  UniqueFd Release() { return std::move(socket_); }

  absl::Status Claim(std::uint64_t id, const shm_cache::Key& key, std::uint32_t function = 1);
  // Publishes `value` inline.
  absl::Status Publish(const shm_cache::Key& key, std::span<const std::byte> value,
                       std::uint32_t function = 1, std::uint64_t ttl_ms = 0,
                       std::uint32_t max_entries = 0);
  // Publishes `size` bytes by sending `value_fd` (a memfd) along.
  absl::Status PublishFd(const shm_cache::Key& key, std::uint64_t size, int value_fd,
                         std::uint32_t function = 1);
  absl::Status Abandon(const shm_cache::Key& key);
  absl::Status Touch(const std::vector<shm_cache::Key>& keys);
  absl::Status Hits(std::uint64_t count);
  // Which: "all", "function", "key".
  absl::Status ClearAll(std::uint64_t id);
  absl::Status ClearFunction(std::uint64_t id, std::uint32_t function);
  absl::Status ClearKey(std::uint64_t id, const shm_cache::Key& key);
  absl::Status Pin(std::uint64_t id, const shm_cache::Key& key, std::uint64_t file_offset,
                   std::uint64_t size);
  absl::Status Unpin(std::uint64_t file_offset);
  absl::Status SendRaw(std::span<const std::byte> bytes, int fd = -1);

  // The next reply; an error if none comes by the deadline or the keeper
  // closed the socket (NotFound then).
  absl::StatusOr<CacheReplyInfo> Next(Deadline deadline = After(kStepTimeout));
  // Round trip through the keeper: clears a key nobody uses and waits for
  // that reply, so every earlier request of this worker has been handled.
  // Fails if another reply comes first (returned in the message).
  absl::Status Sync(Deadline deadline = After(kStepTimeout));
  // True once the keeper closed its end (it dropped this worker).
  bool WaitForHangup(Deadline deadline = After(kStepTimeout));

 private:
  absl::Status Send(capnp::MessageBuilder& message, int fd = -1);

  UniqueFd socket_;
  std::uint64_t next_sync_id_ = 1'000'000'000;
};

class KeeperProcess {
 public:
  // Starts `sluice __keeper` with a fresh arena of `arena_bytes` and waits
  // for its ready event. Its stderr goes to a file read by Log().
  static absl::StatusOr<std::unique_ptr<KeeperProcess>> Start(std::size_t arena_bytes);
  // Closes the control socket and reaps the keeper (SIGKILL if it does not
  // exit in time); fails the test on a sanitizer report in its log.
  ~KeeperProcess();

  pid_t pid() const { return pid_; }
  // A new worker socket, its other end attached to the keeper.
  absl::StatusOr<TestWorker> Attach();
  // The broker's clear; returns the entries removed.
  absl::StatusOr<std::uint64_t> Clear(std::uint64_t tag, Deadline deadline = After(kStepTimeout));
  // Closes the control socket, as a broker that exits does.
  void CloseControl() { control_.reset(); }
  // Waits for the keeper to exit; its wait status.
  absl::StatusOr<int> WaitForExit(Deadline deadline = After(kStepTimeout));

  // The test's copy of the arena's descriptor, as the zygote would hold it.
  int arena_fd() const { return arena_fd_.get(); }
  const shm_cache::Reader& reader() const { return *reader_; }
  shm_cache::ArenaCounters counters() const { return reader_->counters(); }
  // The value of `key` in the arena now, if any.
  std::optional<std::vector<std::byte>> Get(const shm_cache::Key& key) const;
  // Everything the keeper logged so far.
  std::string Log() const;

 private:
  KeeperProcess() = default;

  pid_t pid_ = -1;
  std::optional<int> wait_status_;
  UniqueFd control_;
  UniqueFd log_;
  UniqueFd arena_fd_;
  shm_cache::Mapping arena_;
  std::optional<shm_cache::Reader> reader_;
};

// `size` bytes of a recognisable pattern seeded by `seed`.
std::vector<std::byte> Pattern(std::size_t size, unsigned seed);
// A memfd holding `bytes`, sealed with `seals` (0: not sealed).
absl::StatusOr<UniqueFd> ValueMemfd(std::span<const std::byte> bytes, int seals);

}  // namespace sluice::testing
