#include "broker/upload_gate.h"

#include <algorithm>

#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr std::size_t kRememberFailed = 64;
constexpr std::uint32_t kLargestChunk = 256u << 10;
// An UploadChunk message's own fields and framing take well under this.
constexpr std::size_t kChunkEnvelope = 256;

}  // namespace

UploadLimits UploadLimitsFor(std::size_t max_message_bytes, std::uint64_t max_file_bytes) {
  UploadLimits limits;
  limits.max_file_bytes = max_file_bytes;
  std::size_t room =
      max_message_bytes > 2 * kChunkEnvelope ? max_message_bytes - kChunkEnvelope : kChunkEnvelope;
  limits.chunk_bytes = static_cast<std::uint32_t>(std::min<std::size_t>(kLargestChunk, room));
  return limits;
}

UploadVerdict UploadGate::Fail(std::uint32_t id, std::string message) {
  UploadVerdict verdict;
  verdict.action = UploadVerdict::Action::kFail;
  verdict.message = std::move(message);
  return Drop(id, std::move(verdict));
}

UploadVerdict UploadGate::Drop(std::uint32_t id, UploadVerdict verdict) {
  if (auto it = open_.find(id); it != open_.end()) {
    verdict.widget_id = it->second.widget_id;
    verdict.abort_worker = true;
    open_.erase(it);
  }
  RememberFailed(id);
  return verdict;
}

void UploadGate::RememberFailed(std::uint32_t id) {
  if (RecentlyFailed(id)) return;
  failed_.push_back(id);
  if (failed_.size() > kRememberFailed) failed_.pop_front();
}

bool UploadGate::RecentlyFailed(std::uint32_t id) const {
  return std::find(failed_.begin(), failed_.end(), id) != failed_.end();
}

UploadVerdict UploadGate::Begin(std::uint32_t id, const std::string& widget_id,
                                const std::string& name, std::uint64_t size) {
  if (open_.contains(id)) {
    // The page reused an id still in flight: both are broken.
    return Fail(id, StrCat("upload ", id, " was begun twice; its bytes were dropped"));
  }
  UploadVerdict verdict;
  verdict.widget_id = widget_id;
  if (static_cast<int>(open_.size()) >= limits_.max_open) {
    verdict.action = UploadVerdict::Action::kFail;
    verdict.message = StrCat("\"", name, "\" was refused: at most ", limits_.max_open,
                             " uploads may be in progress at once");
    RememberFailed(id);
    return verdict;
  }
  if (size > limits_.max_file_bytes) {
    verdict.action = UploadVerdict::Action::kFail;
    verdict.message =
        StrCat("\"", name, "\" is ", DescribeBytes(size), ", over this server's limit of ",
               DescribeBytes(limits_.max_file_bytes), " per file");
    RememberFailed(id);
    return verdict;
  }
  std::erase(failed_, id);
  open_.emplace(id, Open{widget_id, name, size, 0});
  return verdict;
}

UploadVerdict UploadGate::Chunk(std::uint32_t id, std::uint64_t offset, std::uint64_t bytes) {
  auto it = open_.find(id);
  if (it == open_.end()) {
    if (RecentlyFailed(id)) return {.action = UploadVerdict::Action::kIgnore};
    return Fail(id, StrCat("a chunk for unknown upload ", id, " was dropped"));
  }
  Open& open = it->second;
  if (offset != open.received) {
    return Fail(id, StrCat("\"", open.name, "\" failed: a chunk arrived out of order (offset ",
                           offset, ", expected ", open.received, "); its bytes were dropped"));
  }
  if (bytes > limits_.chunk_bytes) {
    return Fail(id, StrCat("\"", open.name, "\" failed: a chunk of ", bytes,
                           " bytes is larger than ", limits_.chunk_bytes));
  }
  if (bytes > open.size - open.received) {
    return Fail(id,
                StrCat("\"", open.name, "\" failed: more bytes arrived than the ",
                       DescribeBytes(open.size), " it was declared as; its bytes were dropped"));
  }
  open.received += bytes;
  return {.action = UploadVerdict::Action::kForward,
          .widget_id = open.widget_id,
          .received = open.received};
}

UploadVerdict UploadGate::End(std::uint32_t id) {
  auto it = open_.find(id);
  if (it == open_.end()) {
    if (RecentlyFailed(id)) return {.action = UploadVerdict::Action::kIgnore};
    return Fail(id, StrCat("the end of unknown upload ", id, " was ignored"));
  }
  Open& open = it->second;
  if (open.received != open.size) {
    return Fail(id, StrCat("\"", open.name, "\" failed: it ended after ", open.received, " of ",
                           open.size, " bytes (truncated); its bytes were dropped"));
  }
  UploadVerdict verdict{.action = UploadVerdict::Action::kForward,
                        .widget_id = open.widget_id,
                        .received = open.received};
  open_.erase(it);
  return verdict;
}

UploadVerdict UploadGate::Cancel(std::uint32_t id) {
  return Drop(id, UploadVerdict{.action = UploadVerdict::Action::kIgnore});
}

std::vector<std::uint32_t> UploadGate::CloseAll() {
  std::vector<std::uint32_t> ids;
  for (const auto& [id, open] : open_) ids.push_back(id);
  open_.clear();
  failed_.clear();
  return ids;
}

}  // namespace sluice::broker
