#include "runtime/upload_store.h"

#include "util/log.h"
#include "util/strings.h"

namespace sluice::runtime {

namespace {

std::string JoinTypes(const std::vector<std::string>& types) {
  std::string joined;
  for (const std::string& type : types) {
    if (!joined.empty()) joined += ", ";
    joined += type;
  }
  return joined;
}

}  // namespace

void UploadStore::Release(StoredFile& file) {
  if (file && file->buffer) file->buffer->Wipe();
  file.reset();  // unmapped now, or when the app's last handle goes
}

absl::Status UploadStore::Begin(std::uint32_t id, const std::string& widget_id,
                                const WidgetSpec& spec, const std::string& name,
                                const std::string& type, std::uint64_t size) {
  if (pending_.contains(id)) {
    Abort(id);
    return absl::InvalidArgumentError(StrCat("upload ", id, " was begun twice"));
  }
  if (static_cast<int>(pending_.size()) >= kMaxPending) {
    return absl::ResourceExhaustedError(
        StrCat("\"", name, "\" was refused: too many uploads at once"));
  }
  if (!TypeAccepted(spec.types, name)) {
    return absl::InvalidArgumentError(
        StrCat("\"", name, "\" is not an accepted file type (", JoinTypes(spec.types), ")"));
  }
  if (size > spec.max_bytes) {
    return absl::OutOfRangeError(StrCat("\"", name, "\" is ", DescribeBytes(size),
                                        ", over this uploader's limit of ",
                                        DescribeBytes(spec.max_bytes), " per file"));
  }
  auto buffer = UploadBuffer::Create(size);
  if (!buffer.ok()) {
    return absl::ResourceExhaustedError(
        StrCat("\"", name, "\" was refused: ", buffer.status().message()));
  }
  auto file = std::make_shared<st::detail::UploadedFileData>();
  file->id = StrCat("file-", next_file_++);
  file->name = name;
  file->type = type.empty() ? "application/octet-stream" : type;
  file->size = size;
  file->buffer = std::move(*buffer);
  pending_.emplace(id, Pending{widget_id, spec.multiple, std::move(file)});
  return absl::OkStatus();
}

absl::Status UploadStore::Append(std::uint32_t id, std::span<const std::byte> data) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return absl::NotFoundError(StrCat("no upload ", id));
  if (!it->second.file->buffer->Append(data)) {
    std::string name = it->second.file->name;
    Abort(id);
    return absl::OutOfRangeError(StrCat("\"", name, "\" sent more bytes than it declared"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> UploadStore::Finish(std::uint32_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return absl::NotFoundError(StrCat("no upload ", id));
  Pending pending = std::move(it->second);
  pending_.erase(it);
  const UploadBuffer& buffer = *pending.file->buffer;
  if (buffer.size() != buffer.capacity()) {
    std::string name = pending.file->name;
    Release(pending.file);
    return absl::DataLossError(StrCat("\"", name, "\" ended before all of its bytes arrived"));
  }
  std::vector<StoredFile>& files = files_[pending.widget_id];
  if (!pending.multiple) {
    for (StoredFile& old : files) Release(old);
    files.clear();
  }
  files.push_back(std::move(pending.file));
  return pending.widget_id;
}

void UploadStore::Abort(std::uint32_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Release(it->second.file);
  pending_.erase(it);
}

std::string UploadStore::WidgetOf(std::uint32_t id) const {
  auto it = pending_.find(id);
  return it == pending_.end() ? std::string() : it->second.widget_id;
}

std::vector<StoredFile> UploadStore::Files(const std::string& widget_id) const {
  auto it = files_.find(widget_id);
  return it == files_.end() ? std::vector<StoredFile>() : it->second;
}

bool UploadStore::Remove(const std::string& widget_id, const std::string& file_id) {
  auto it = files_.find(widget_id);
  if (it == files_.end()) return false;
  std::vector<StoredFile>& files = it->second;
  for (auto file = files.begin(); file != files.end(); ++file) {
    if ((*file)->id != file_id) continue;
    Release(*file);
    files.erase(file);
    if (files.empty()) files_.erase(it);
    return true;
  }
  return false;
}

void UploadStore::RemoveUnless(const std::function<bool(const std::string& widget_id)>& keep) {
  for (auto it = files_.begin(); it != files_.end();) {
    auto next = std::next(it);
    if (!keep(it->first)) {
      for (StoredFile& file : it->second) Release(file);
      files_.erase(it);
    }
    it = next;
  }
}

}  // namespace sluice::runtime
