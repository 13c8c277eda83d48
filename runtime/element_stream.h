// Turns the elements of a run into RunUpdate frames for the page.
//
// It remembers what the page already shows (a hash per path) and sends only
// elements that changed, so a rerun that changes one line sends one delta.
// Deltas are batched: a run's updates go out when the run finishes, or every
// kStreamInterval while a long run is still producing, so elements stream.
#pragma once

#include <capnp/message.h>
#include <xxhash.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include "ipc/page.capnp.h"
#include "runtime/channel.h"
#include "runtime/containers.h"

namespace sluice::runtime {

class ElementStream {
 public:
  static constexpr std::chrono::milliseconds kStreamInterval{50};

  explicit ElementStream(Channel& channel) : channel_(channel) {}

  // Starts run `run_id`; drops unsent deltas of an interrupted run.
  void BeginRun(std::uint64_t run_id);
  // Sets the element at `path` (the page gets it only if it changed).
  void Put(const Path& path, ipc::Element::Reader element);
  // Sends what is pending if the run has been quiet for kStreamInterval.
  void MaybeFlush();
  // Sends what is pending now (a spinner must show before a long compute).
  void FlushNow();
  // Ends the run: sends the rest and the container lengths.
  void Finish(const std::vector<std::pair<Path, std::uint32_t>>& lengths);
  // The page lost what it showed (it reconnected): resend everything.
  void ForgetSent() { sent_.clear(); }

 private:
  struct Pending {
    Path path;
    kj::Array<capnp::word> canonical;
    XXH128_hash_t hash;
  };
  void Flush(bool finished, const std::vector<std::pair<Path, std::uint32_t>>* lengths);
  void Record(const Pending& delta);
  void Trim(const Path& container, std::uint32_t length);

  Channel& channel_;
  std::map<Path, XXH128_hash_t> sent_;  // what the page shows now
  std::vector<Pending> pending_;
  std::uint64_t run_id_ = 0;
  bool started_sent_ = false;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace sluice::runtime
