// st::file_uploader: the viewer picks a file in the page; the app gets its
// bytes. Upload limits: the server's --max-upload-mb for every file, and a
// widget's own .max_mb.
//
//   if (auto file = st::file_uploader("Data", {.types = {"csv", "txt"}})) {
//     st::text(std::string(file->name()) + ": " + std::to_string(file->size()) + " bytes");
//     parse(file->text());
//   }
//   for (const st::UploadedFile& f : st::file_uploader("Pictures", st::multiple_files)) ...
//
// Where the bytes are: only in the private memory of this session's worker
// process, in a mapping of their own that is left out of core dumps. They are
// never written to a file. They are wiped (overwritten with zeros) and
// released when the viewer replaces the file (single-file uploaders) or
// removes it with its x button, when a finished run did not show the
// uploader, and they go with the process when the tab closes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace st {

namespace detail {
struct UploadedFileData;  // the worker's; see runtime/upload_store.h
}  // namespace detail

// A handle to one uploaded file; cheap to copy (copies share the bytes).
// A handle kept after the viewer replaced or removed the file reads no bytes
// any more (bytes() and text() are empty): they were wiped then, whoever
// still holds a handle.
class UploadedFile {
 public:
  explicit UploadedFile(std::shared_ptr<const detail::UploadedFileData> data)
      : data_(std::move(data)) {}

  // The file's name as the viewer's browser gave it, without directories.
  const std::string& name() const;
  // The MIME type the browser reported ("text/csv"); may be
  // "application/octet-stream" when it did not know. Not verified.
  const std::string& type() const;
  // Bytes as uploaded.
  std::size_t size() const;
  // A read-only view of the contents, valid while this handle lives.
  std::span<const std::byte> bytes() const;
  // The same bytes as characters (for text formats such as CSV).
  std::string_view text() const;
  // Names this file in this session (unique per upload, also for two
  // uploads of the same file).
  const std::string& id() const;

 private:
  std::shared_ptr<const detail::UploadedFileData> data_;
};

struct FileUploaderOptions {
  // Accepted extensions, with or without the dot, any case: {"csv", ".txt"}.
  // Empty: any file. A file of another type is refused with a message.
  std::vector<std::string> types;
  // Largest file this uploader takes, in MiB (1024 * 1024 bytes); 0: the
  // server's --max-upload-mb. The smaller of the two applies.
  std::size_t max_mb = 0;
  std::string key;
  std::function<void()> on_change;  // a file was added, replaced or removed
};

// Selects the overload that keeps several files (Streamlit's
// accept_multiple_files=True); its return type is a list, so it is a tag
// rather than an option.
struct MultipleFiles {
  explicit MultipleFiles() = default;
};
inline constexpr MultipleFiles multiple_files{};

// One file: the last one the viewer uploaded, or nothing. A new upload
// replaces (and wipes) the previous file. A keyed uploader also keeps its
// value in session_state (as std::optional<st::UploadedFile>), read-only.
std::optional<UploadedFile> file_uploader(std::string_view label,
                                          const FileUploaderOptions& options = {});

// Several files, in the order they were uploaded; each has its own x button.
// A keyed uploader keeps its value in session_state as
// std::vector<st::UploadedFile>, read-only.
std::vector<UploadedFile> file_uploader(std::string_view label, MultipleFiles,
                                        const FileUploaderOptions& options = {});

}  // namespace st
