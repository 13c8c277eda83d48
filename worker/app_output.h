// What an app prints, turned into bounded log lines: the pure part of the
// reaper's output reader (worker/output_reader.h), with no descriptors.
// A stream of bytes is split on '\n'; a line longer than the limit is cut
// there (and marked cut), the rest of it up to the next '\n' discarded; a
// per-worker token bucket decides which lines are logged and which are
// dropped (and counted). Text is made valid UTF-8 for the JSON log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace sluice::worker {

// The settings rows --app-output-lines-per-second, --app-output-line-bytes
// and --max-denials-per-worker (README, "App output" and "Sandbox").
struct OutputLimits {
  int lines_per_second = 100;     // per worker, also its burst; 0: every line dropped
  std::size_t line_bytes = 4096;  // a longer line is cut here
  int denials_per_worker = 1000;  // SIGSYS reports counted for one process, at most
};

// One stream's line splitting. Not thread-safe (one reader owns it).
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line_bytes) : max_(max_line_bytes ? max_line_bytes : 1) {}

  // Feeds `bytes`; calls `emit(std::string_view text, bool cut)` for each
  // finished line, without its '\n'. A line that exceeds the limit is
  // emitted then (cut = true), at most once per line. Holds at most the
  // limit in bytes between calls.
  template <class Emit>
  void Feed(std::string_view bytes, Emit&& emit) {
    while (!bytes.empty()) {
      std::size_t newline = bytes.find('\n');
      std::string_view piece = bytes.substr(0, newline);
      if (!skipping_) {
        std::size_t room = max_ - partial_.size();
        partial_.append(piece.substr(0, room));
        if (piece.size() > room) {
          // Past the limit (a line of exactly the limit waits for its '\n').
          emit(std::string_view(partial_), true);
          partial_.clear();
          skipping_ = true;
        }
      }
      if (newline == std::string_view::npos) return;
      if (!skipping_) emit(std::string_view(partial_), false);
      partial_.clear();
      skipping_ = false;
      bytes.remove_prefix(newline + 1);
    }
  }

  // At the end of the stream: the unterminated rest, if any.
  template <class Emit>
  void Finish(Emit&& emit) {
    if (!partial_.empty()) emit(std::string_view(partial_), false);
    partial_.clear();
    skipping_ = false;
  }

 private:
  std::size_t max_;
  std::string partial_;
  bool skipping_ = false;  // past the limit: discarding up to the next '\n'
};

// A token bucket of `per_second` lines, full at the start, holding at most
// one second's worth.
class LineBudget {
 public:
  LineBudget(int per_second, absl::Time now)
      : per_second_(per_second), tokens_(per_second), last_(now) {}
  // Whether one more line may be logged at `now` (and takes it if so).
  bool Take(absl::Time now);

 private:
  double per_second_;
  double tokens_;
  absl::Time last_;
};

// `text` with every byte that is not part of valid UTF-8 (a stray
// continuation byte, a truncated or overlong sequence, a surrogate) replaced
// by U+FFFD, so the JSON log stays valid.
std::string ToValidUtf8(std::string_view text);

}  // namespace sluice::worker
