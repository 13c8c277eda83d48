// Turns the elements of a run into RunUpdate frames for the page.
//
// It remembers what the page already shows (an identity per path) and sends
// only elements that changed, so a rerun that changes one line sends one
// delta. Deltas are batched: a run's updates go out when the run finishes,
// or every stream interval while a long run is still producing, so elements
// stream.
//
// A path set again before its delta went out (a live element: st::empty's
// slot, st::progress, replaced in place many times within one interval)
// keeps one delta, the latest: the page gets the last content once, not
// every step. The rule that keeps the order right: setting a path drops the
// unsent deltas at that path and under it (children put before their block
// was set again belong to its old content; a block's new children always
// come after it), then queues the new one last.
#pragma once

#include <capnp/message.h>
#include <xxhash.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "ipc/page.capnp.h"
#include "runtime/channel.h"
#include "runtime/containers.h"

namespace sluice::runtime {

// What "this element is unchanged" is decided by: the stream resends the
// element at a path exactly when its identity differs from the one the page
// was last sent there.
//
// By default it is XXH3-128 of the element's canonical encoding, so it
// covers every byte the page gets. An element kind may bring its own (say, a
// large element whose body the page fetches by content hash, so hashing its
// body on every rerun would cost more than the rerun): then the identity
// MUST cover everything the page renders for the element (every field of the
// element as sent, and the content of any body it refers to), so that two
// elements with one identity look the same on the page; and it MUST be a
// 128-bit hash from a seeded or domain-separated XXH3-128 (or stronger), so
// it collides neither with another kind's identity nor with a content hash.
// An identity that misses a field makes a change of that field invisible
// until the page resyncs.
struct ElementIdentity {
  XXH128_hash_t hash;
  friend bool operator==(const ElementIdentity& a, const ElementIdentity& b) {
    return XXH128_isEqual(a.hash, b.hash) != 0;
  }
};

// One emitted element in canonical form (a one-segment message) with its
// identity: made once per element, then shared, without copying or hashing
// again, by the stream and by every open cache capture. Immutable.
struct CanonicalElement {
  kj::Array<capnp::word> words;
  ElementIdentity identity;
};

// XXH3-128 of a canonical encoding: the default identity.
ElementIdentity ContentIdentity(kj::ArrayPtr<const capnp::word> canonical);

// Canonicalizes `element`. Its identity is `identity` when the caller has
// one (see ElementIdentity for what it must cover), else ContentIdentity.
std::shared_ptr<const CanonicalElement> Canonicalize(
    ipc::Element::Reader element, std::optional<ElementIdentity> identity = std::nullopt);

class ElementStream {
 public:
  // 25 ms: a frame every 33 ms (a 30 fps camera through st::empty().image)
  // leaves the worker whole; at 50 ms every other one was dropped, 15 fps
  // painted (bench/image_bench.mjs). A run that sets elements without pause
  // sends at most 40 messages a second; 16 ms (60) bought nothing more a
  // 30 fps source needs.
  static constexpr std::chrono::milliseconds kStreamInterval{25};

  // `stream_interval`: how long a run may produce before its pending deltas
  // are sent (tests that must not depend on timing pass a long one).
  explicit ElementStream(Channel& channel,
                         std::chrono::milliseconds stream_interval = kStreamInterval)
      : channel_(channel), stream_interval_(stream_interval) {}

  // Starts run `run_id`; drops unsent deltas of an interrupted run.
  void BeginRun(std::uint64_t run_id);
  // Sets the element at `path` (the page gets it only if it changed). With
  // an `identity` equal to what the page has at `path`, the element is
  // neither canonicalized nor hashed; with another one it is canonicalized
  // (to be sent) but not hashed.
  void Put(const Path& path, ipc::Element::Reader element,
           std::optional<ElementIdentity> identity = std::nullopt);
  // The same for an element already canonicalized (shared with captures).
  void Put(const Path& path, std::shared_ptr<const CanonicalElement> element);
  // Whether a delta for `path` is waiting to be sent (set this run and not
  // yet flushed): a live element's handle may then fold more into it
  // instead of sending a new one.
  bool Unsent(const Path& path) const { return pending_index_.contains(path); }
  // Sends what is pending if the run has been quiet for the stream interval.
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
    std::shared_ptr<const CanonicalElement> element;  // null: set again since
  };
  // Whether the page shows an element with `identity` at `path`.
  bool Shows(const Path& path, const ElementIdentity& identity) const;
  void Flush(bool finished, const std::vector<std::pair<Path, std::uint32_t>>* lengths);
  void ForgetChildren(const Path& path);
  // Drops the unsent deltas at `path` and under it.
  void DropPending(const Path& path);
  void Record(const Pending& delta);
  void Trim(const Path& container, std::uint32_t length);

  Channel& channel_;
  std::chrono::milliseconds stream_interval_;
  std::map<Path, ElementIdentity> sent_;       // what the page shows now
  std::vector<Pending> pending_;               // in the order the page must apply them
  std::map<Path, std::size_t> pending_index_;  // the live entries of pending_
  std::uint64_t run_id_ = 0;
  bool started_sent_ = false;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace sluice::runtime
