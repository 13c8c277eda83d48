// The broker's side of the cache keeper (keeper/keeper.h), shaped like the
// zygote host: starts the keeper with a fresh arena, gives every new worker
// a socket to it (ipc/keeper.capnp: attach), relays the operator's clear,
// and reads the arena's counters for /metrics through a read-only mapping.
// Lives on the broker's single io thread after Attach().
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/helper_channel.h"
#include "broker/net.h"
#include "ipc/keeper.capnp.h"
#include "shm_cache/arena.h"
#include "shm_cache/reader.h"
#include "util/unique_fd.h"

namespace sluice::broker {

class KeeperHost {
 public:
  // Called with how many entries the clear removed, or why it failed.
  using ClearCallback = std::function<void(absl::StatusOr<std::uint64_t>)>;

  // Creates an arena of `arena_bytes`, forks and execs the keeper, and
  // waits (bounded) until it has formatted and sealed the arena. Call
  // before the broker starts any thread. On failure the error says why in
  // one line and no keeper is left running. `wait_timeout`
  // (--cache-wait-timeout) bounds how long a worker may hold a key it was
  // told to compute; zero: no bound.
  static absl::StatusOr<std::unique_ptr<KeeperHost>> Start(std::size_t arena_bytes,
                                                           absl::Duration wait_timeout);
  // Closing the control socket makes the keeper exit; this waits for it.
  ~KeeperHost();
  KeeperHost(const KeeperHost&) = delete;
  KeeperHost& operator=(const KeeperHost&) = delete;

  // The sealed arena's descriptor, for the zygote to inherit, until
  // CloseArenaFd(); the broker itself keeps only its read-only mapping.
  int arena_fd() const { return arena_fd_.get(); }
  void CloseArenaFd() { arena_fd_.reset(); }
  std::size_t arena_bytes() const { return arena_.size(); }

  // Starts listening to the keeper on `io`. If the keeper dies the error is
  // logged once, and from then on new workers get no keeper socket.
  void Attach(asio::io_context& io);

  // A new worker's end of a socket whose other end goes to the keeper;
  // invalid once the keeper is gone.
  UniqueFd NewWorkerSocket();

  // Removes every entry; `done` runs later on the io thread (never inside
  // Clear itself) with the keeper's count, or Unavailable if it is gone.
  void Clear(ClearCallback done);

  bool alive() const { return !channel_.lost(); }
  pid_t pid() const { return pid_; }
  // The arena's counters as the keeper last wrote them.
  shm_cache::ArenaCounters counters() const { return reader_.counters(); }

 private:
  KeeperHost(pid_t pid, UniqueFd control, UniqueFd arena_fd, shm_cache::Mapping arena,
             shm_cache::Reader reader);

  void HandleEvent(ipc::KeeperEvent::Reader event);
  void OnKeeperLost(std::string_view why);

  pid_t pid_;
  UniqueFd arena_fd_;
  shm_cache::Mapping arena_;
  shm_cache::Reader reader_;
  HelperChannel channel_;
  std::uint64_t next_tag_ = 1;
  absl::flat_hash_map<std::uint64_t, ClearCallback> clears_;
};

}  // namespace sluice::broker
