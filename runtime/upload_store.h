// A session's uploaded files, inside its worker: uploads being received
// (UploadBegin .. UploadEnd from the broker) and the files each
// file_uploader holds. The bytes live in UploadBuffers (their own private,
// undumpable mappings); every way a file leaves the store wipes them:
// replaced, removed, aborted, its uploader not shown by a finished run.
//
// Single-threaded, like the worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "runtime/upload_buffer.h"
#include "runtime/widget_registry.h"

namespace st::detail {

// What an st::UploadedFile refers to. The store wipes `buffer` when the file
// leaves it; handles the app kept then read no bytes.
struct UploadedFileData {
  std::string id;
  std::string name;
  std::string type;
  std::size_t size = 0;
  std::unique_ptr<sluice::runtime::UploadBuffer> buffer;
};

}  // namespace st::detail

namespace sluice::runtime {

using StoredFile = std::shared_ptr<st::detail::UploadedFileData>;

class UploadStore {
 public:
  // Most uploads received at once (the broker allows fewer).
  static constexpr int kMaxPending = 8;

  // Starts receiving upload `id` for the uploader `spec` (whose widget is
  // `widget_id`). Fails with a message for the viewer if the file's type or
  // size is not accepted, or there is no memory for it.
  absl::Status Begin(std::uint32_t id, const std::string& widget_id, const WidgetSpec& spec,
                     const std::string& name, const std::string& type, std::uint64_t size);
  // Appends the next bytes. NotFound for an upload that is not being
  // received (refused or aborted before): the caller drops them quietly.
  absl::Status Append(std::uint32_t id, std::span<const std::byte> data);
  // Every byte arrived: the file joins its uploader's files (replacing the
  // previous one unless the uploader keeps several). Returns the widget id.
  absl::StatusOr<std::string> Finish(std::uint32_t id);
  // Drops an upload being received, wiping what arrived.
  void Abort(std::uint32_t id);
  // The widget of an upload being received, or empty.
  std::string WidgetOf(std::uint32_t id) const;

  // The files of uploader `widget_id`, oldest first.
  std::vector<StoredFile> Files(const std::string& widget_id) const;
  // Removes (and wipes) one file; false if the uploader has no such file.
  bool Remove(const std::string& widget_id, const std::string& file_id);
  // Removes (and wipes) the files of every uploader `keep` says no to.
  void RemoveUnless(const std::function<bool(const std::string& widget_id)>& keep);

 private:
  struct Pending {
    std::string widget_id;
    bool multiple = false;
    StoredFile file;
  };
  static void Release(StoredFile& file);

  absl::flat_hash_map<std::uint32_t, Pending> pending_;
  absl::flat_hash_map<std::string, std::vector<StoredFile>> files_;
  std::uint64_t next_file_ = 1;
};

}  // namespace sluice::runtime
