// st::read_csv and st::to_csv (sluice/csv.hpp): data::ReadCsv and
// data::WriteCsv, with their Status turned into the exceptions app code sees.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sluice/csv.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "data/csv_reader.h"
#include "data/csv_writer.h"
#include "runtime/frame_access.h"
#include "util/strings.h"
#include "util/unique_fd.h"

namespace st {
namespace {

namespace data = sluice::data;
using sluice::StrCat;

data::CsvOptions ToData(const CsvOptions& options) {
  data::CsvOptions out;
  out.delimiter = options.delimiter;
  out.header = options.header;
  out.quote = options.quote;
  out.null_values = options.null_values;
  out.max_rows = options.max_rows;
  for (const auto& [name, type] : options.column_types) {
    out.column_types.emplace(name, sluice::runtime::ToData(type));
  }
  return out;
}

// `what` names the input in the message: "st::read_csv" or
// "st::read_csv(data.csv)".
DataFrame Read(std::string_view text, const CsvOptions& options, std::string_view what) {
  absl::StatusOr<data::Table> table = data::ReadCsv(text, ToData(options));
  if (!table.ok()) throw std::runtime_error(StrCat(what, ": ", table.status().message()));
  return sluice::runtime::FrameOf(std::make_shared<const data::Table>(*std::move(table)));
}

// A file's bytes, mapped read-only while it is parsed (no copy into the
// heap); unmapped when this goes.
class MappedFile {
 public:
  MappedFile(void* base, std::size_t size) : base_(base), size_(size) {}
  ~MappedFile() {
    if (base_ != nullptr) ::munmap(base_, size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view text() const { return {static_cast<const char*>(base_), size_}; }

 private:
  void* base_;
  std::size_t size_;
};

[[noreturn]] void FileError(const std::filesystem::path& file, std::string_view doing, int error) {
  throw std::runtime_error(
      StrCat("st::read_csv: cannot ", doing, " '", file.string(), "': ", std::strerror(error)));
}

}  // namespace

DataFrame read_csv(std::string_view text, const CsvOptions& options) {
  return Read(text, options, "st::read_csv");
}
DataFrame read_csv(const std::string& text, const CsvOptions& options) {
  return Read(text, options, "st::read_csv");
}
DataFrame read_csv(const char* text, const CsvOptions& options) {
  return Read(text, options, "st::read_csv");
}
DataFrame read_csv(std::span<const std::byte> bytes, const CsvOptions& options) {
  return Read(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), options,
              "st::read_csv");
}
DataFrame read_csv(const UploadedFile& file, const CsvOptions& options) {
  return Read(file.text(), options, StrCat("st::read_csv(", file.name(), ")"));
}

DataFrame read_csv(const std::filesystem::path& file, const CsvOptions& options) {
  const std::string what = StrCat("st::read_csv(", file.string(), ")");
  sluice::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) FileError(file, "open", errno);
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) FileError(file, "stat", errno);
  if (S_ISDIR(status.st_mode)) FileError(file, "read", EISDIR);
  if (S_ISREG(status.st_mode) && status.st_size > 0) {
    auto size = static_cast<std::size_t>(status.st_size);
    void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (base == MAP_FAILED) FileError(file, "map", errno);
    MappedFile mapped(base, size);
    ::madvise(base, size, MADV_SEQUENTIAL);
    return Read(mapped.text(), options, what);
  }
  // A pipe, a device or an empty file: read it through.
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) FileError(file, "read", errno);
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return Read(text, options, what);
}

std::string to_csv(const DataFrame& frame, const CsvOptions& options) {
  return data::WriteCsv(*sluice::runtime::TableOf(frame), ToData(options));
}

}  // namespace st
