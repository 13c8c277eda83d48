// st::file_uploader and st::UploadedFile. The files themselves are kept by
// the session's UploadStore (runtime/upload_store.h); this shows the widget
// and hands out handles.
#include <algorithm>
#include <cctype>
#include <string>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "sluice/file_uploader.hpp"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::runtime::AppRunner;
using sluice::runtime::StoredFile;
using sluice::runtime::WidgetKind;
using sluice::runtime::WidgetSpec;

const std::string& UploadedFile::name() const { return data_->name; }
const std::string& UploadedFile::type() const { return data_->type; }
std::size_t UploadedFile::size() const { return data_->size; }
const std::string& UploadedFile::id() const { return data_->id; }

std::span<const std::byte> UploadedFile::bytes() const {
  return data_->buffer ? data_->buffer->bytes() : std::span<const std::byte>();
}

std::string_view UploadedFile::text() const {
  std::span<const std::byte> all = bytes();
  return {reinterpret_cast<const char*>(all.data()), all.size()};
}

namespace {

// ".csv" for "csv", ".CSV" or ".csv".
std::vector<std::string> NormalizedTypes(const std::vector<std::string>& types) {
  std::vector<std::string> normalized;
  for (const std::string& type : types) {
    if (type.empty() || type == ".") continue;
    std::string t = type[0] == '.' ? type : "." + type;
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(normalized.begin(), normalized.end(), t) == normalized.end()) {
      normalized.push_back(std::move(t));
    }
  }
  return normalized;
}

std::vector<StoredFile> ShowUploader(std::string_view label, const FileUploaderOptions& options,
                                     bool multiple) {
  AppRunner& session = AppRunner::Current();
  session.CheckInterrupt();
  std::uint64_t max_bytes = session.max_upload_bytes();
  if (options.max_mb > 0) {
    std::uint64_t own = std::uint64_t{options.max_mb} << 20;
    max_bytes = max_bytes == 0 ? own : std::min(max_bytes, own);
  }
  WidgetSpec spec{.kind = WidgetKind::kFileUploader,
                  .key = options.key,
                  .types = NormalizedTypes(options.types),
                  .max_bytes = max_bytes,
                  .multiple = multiple,
                  .callback = options.on_change};
  std::vector<std::string> types = spec.types;
  std::string id = session.widgets().Register(label, std::move(spec));
  std::vector<StoredFile> files = session.uploads().Files(id);
  session.Emit([&](Element::Builder e) {
    auto widget = e.initWidget();
    widget.adoptId(NewText(widget, id));
    widget.adoptLabel(NewText(widget, label));
    auto uploader = widget.initFileUploader();
    auto accepted = uploader.initTypes(static_cast<unsigned>(types.size()));
    for (unsigned i = 0; i < types.size(); ++i) accepted.adopt(i, NewText(accepted, types[i]));
    uploader.setMultiple(multiple);
    uploader.setMaxBytes(max_bytes);
    auto shown = uploader.initFiles(static_cast<unsigned>(files.size()));
    for (unsigned i = 0; i < files.size(); ++i) {
      shown[i].adoptId(NewText(shown, files[i]->id));
      shown[i].adoptName(NewText(shown, files[i]->name));
      shown[i].setSize(files[i]->size);
    }
  });
  return files;
}

}  // namespace

std::optional<UploadedFile> file_uploader(std::string_view label,
                                          const FileUploaderOptions& options) {
  std::vector<StoredFile> files = ShowUploader(label, options, /*multiple=*/false);
  std::optional<UploadedFile> file;
  if (!files.empty()) file.emplace(files.back());
  if (!options.key.empty()) AppRunner::Current().state().assign(options.key, file);
  return file;
}

std::vector<UploadedFile> file_uploader(std::string_view label, MultipleFiles,
                                        const FileUploaderOptions& options) {
  std::vector<StoredFile> stored = ShowUploader(label, options, /*multiple=*/true);
  std::vector<UploadedFile> files(stored.begin(), stored.end());
  if (!options.key.empty()) AppRunner::Current().state().assign(options.key, files);
  return files;
}

}  // namespace st
