// The broker's check of one session's upload streams (ipc/page.capnp
// UploadBegin/UploadChunk/end/cancel) as the bytes arrive: the file size
// against --max-upload-mb, consecutive offsets, no more bytes than declared,
// known upload ids, and how many uploads may be open at once. It holds no
// file bytes: a chunk that passes is forwarded to the worker at once.
//
// Single-threaded (the broker's io thread), one per session.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace sluice::broker {

struct UploadLimits {
  std::uint64_t max_file_bytes = 200ull << 20;  // --max-upload-mb
  std::uint32_t chunk_bytes = 256 << 10;        // largest chunk a page may send
  int max_open = 4;                             // uploads in flight per session
};

// The limits for a server whose pages may send messages of up to
// `max_message_bytes`: chunks leave room for the message around them.
UploadLimits UploadLimitsFor(std::size_t max_message_bytes, std::uint64_t max_file_bytes);

// What to do with one upload message.
struct UploadVerdict {
  enum class Action {
    kForward,  // pass it to the worker
    kIgnore,   // drop it silently: its upload already failed and was reported
    kFail,     // drop it, tell the page `message`
  };
  Action action = Action::kForward;
  std::string widget_id;  // of the upload, if it is known
  std::string message;    // kFail: one sentence for the viewer
  // kFail of an upload the worker has begun: it must drop what it holds.
  bool abort_worker = false;
  std::uint64_t received = 0;  // kForward of a chunk: bytes passed on so far
};

class UploadGate {
 public:
  explicit UploadGate(UploadLimits limits) : limits_(limits) {}

  const UploadLimits& limits() const { return limits_; }

  UploadVerdict Begin(std::uint32_t id, const std::string& widget_id, const std::string& name,
                      std::uint64_t size);
  UploadVerdict Chunk(std::uint32_t id, std::uint64_t offset, std::uint64_t bytes);
  // Every declared byte must have arrived; the upload is then closed.
  UploadVerdict End(std::uint32_t id);
  // The viewer cancelled: closed, and the worker told to drop it if it was open.
  UploadVerdict Cancel(std::uint32_t id);
  // The page went away: every open upload is closed; returns their ids, for
  // the worker to drop.
  std::vector<std::uint32_t> CloseAll();

  int open_uploads() const { return static_cast<int>(open_.size()); }

 private:
  struct Open {
    std::string widget_id;
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t received = 0;
  };
  UploadVerdict Fail(std::uint32_t id, std::string message);
  // Ends upload `id` with `verdict`: forgets it (telling its worker to drop
  // what it holds, if it had begun) and remembers it failed.
  UploadVerdict Drop(std::uint32_t id, UploadVerdict verdict);
  void RememberFailed(std::uint32_t id);
  bool RecentlyFailed(std::uint32_t id) const;

  UploadLimits limits_;
  absl::flat_hash_map<std::uint32_t, Open> open_;
  // Uploads that failed or were cancelled lately: chunks the page sent before
  // it heard are dropped without another message.
  std::deque<std::uint32_t> failed_;
};

}  // namespace sluice::broker
