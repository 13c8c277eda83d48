// The st::cache_data runtime set up as sluice sets it up, with the bench in
// the broker's and the zygote's place: a real keeper process
// (`sluice __keeper`, started as broker/keeper_host.cc starts it), the
// sealed arena mapped read-only, PrepareCacheInZygote, and workers forked
// from this process that each get their own keeper socket and AttachKeeper
// (worker/become_worker.cc). A cached function called in such a worker runs
// the production hit and miss paths outside a session.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <span>

#include "shm_cache/arena.h"
#include "shm_cache/reader.h"
#include "util/unique_fd.h"

namespace sluice::bench {

class RealCache {
 public:
  // Starts the keeper over a fresh arena of `arena_bytes` and waits for its
  // ready event, maps the arena read-only and prepares this process as the
  // zygote (the app build is this executable). Exits the bench, with the
  // keeper's log, if any step fails. At most one per process: the runtime's
  // state is per process.
  static std::unique_ptr<RealCache> Start(std::size_t arena_bytes);
  // Closes the control socket (the keeper exits, as when the broker goes)
  // and reaps the keeper, killing it if it takes more than a few seconds.
  ~RealCache();
  RealCache(const RealCache&) = delete;
  RealCache& operator=(const RealCache&) = delete;

  // fork(); the child is a worker: a new socket pair, one end attached to
  // the keeper over the control socket, the other given to AttachKeeper.
  // Returns what fork() returns. The child should _exit (its socket closes
  // with it and the keeper forgets it).
  pid_t ForkWorker();

  // The read-only arena as every worker sees it.
  const shm_cache::Reader& reader() const { return reader_; }
  std::span<const std::byte> arena() const { return {arena_.data(), arena_.size()}; }
  // The arena's descriptor. The zygote closes its copy once mapped; the
  // bench keeps it for the MAP_PRIVATE measurement.
  int arena_fd() const { return arena_fd_.get(); }

 private:
  RealCache(pid_t keeper, UniqueFd control, UniqueFd log, UniqueFd arena_fd,
            shm_cache::Mapping arena, shm_cache::Reader reader)
      : keeper_(keeper),
        control_(std::move(control)),
        log_(std::move(log)),
        arena_fd_(std::move(arena_fd)),
        arena_(std::move(arena)),
        reader_(reader) {}

  pid_t keeper_;
  UniqueFd control_;
  UniqueFd log_;  // the keeper's stderr
  UniqueFd arena_fd_;
  shm_cache::Mapping arena_;
  shm_cache::Reader reader_;
};

}  // namespace sluice::bench
