// How a st::DataFrame is stored in st::cache_data (sluice/internal/dataframe.hpp):
//
//   u32 magic, u64 columns, u64 rows,
//   per column: u64 name length, name, u8 type, then its buffers
//   (validity, then values; or validity, offsets, bytes), each a u64 byte
//   length and, from the next 64-byte boundary, the bytes.
//
// The alignment lets a hit decoded from the worker's private mapping of the
// entry keep its buffers where they are (as st::Column does); otherwise
// each buffer is copied once. The bytes may come from a worker that was
// taken over, so every length is checked before it is used, and the
// columns go through data::Column::Make, which checks sizes and offsets.
#include <cstdint>
#include <cstring>
#include <memory>
#include <sluice/dataframe.hpp>
#include <string>
#include <utility>
#include <vector>

#include "data/buffer.h"
#include "data/table.h"
#include "runtime/frame_access.h"

namespace st::detail {
namespace {

namespace data = sluice::data;

constexpr std::uint32_t kMagic = 0x46'52'4d'31;  // "FRM1"
constexpr std::uint8_t kTypes = 5;

void PutBuffer(ValueWriter& out, const data::Buffer& buffer, std::size_t size) {
  out.put(static_cast<std::uint64_t>(size));
  out.align(kArrayAlignment);
  out.put_bytes(buffer.data(), size);
}

// Reads one buffer: points into the mapping when the reader has one and
// the bytes are aligned for `alignment`, else copies them. `*mapped` turns
// false at the first copy.
bool TakeBuffer(ValueReader& in, std::size_t alignment, data::Buffer* buffer, bool* mapped) {
  std::uint64_t size = 0;
  if (!in.get(size) || !in.align(kArrayAlignment) || !in.has(size, 1)) return false;
  const std::byte* from = in.take(size);
  if (from == nullptr) return false;
  if (size == 0) {
    *buffer = data::Buffer();
    return true;
  }
  std::byte* own = in.mapped(from);
  if (own != nullptr && reinterpret_cast<std::uintptr_t>(own) % alignment == 0) {
    *buffer = data::Buffer(own, size, in.mapping());
    return true;
  }
  *mapped = false;
  // operator new[] aligns for any scalar, so for int64 and double too.
  std::shared_ptr<std::byte[]> copy(new std::byte[size]);
  std::byte* to = copy.get();
  std::memcpy(to, from, size);
  *buffer = data::Buffer(to, size, std::move(copy));
  return true;
}

}  // namespace

void EncodeFrame(ValueWriter& out, const DataFrame& frame) {
  const data::Table& table = *FrameAccess::Table(frame);
  out.put(kMagic);
  out.put(static_cast<std::uint64_t>(table.num_columns()));
  out.put(static_cast<std::uint64_t>(table.num_rows()));
  for (const data::Column& column : table.columns()) {
    out.put(static_cast<std::uint64_t>(column.name().size()));
    out.put_bytes(column.name().data(), column.name().size());
    out.put(static_cast<std::uint8_t>(column.type()));
    std::span<const std::uint8_t> validity = column.validity();
    PutBuffer(out, column.validity_buffer(), validity.size());
    std::size_t width = data::ValueWidth(column.type());
    if (width != 0) {
      PutBuffer(out, column.values_buffer(), column.size() * width);
    } else {
      PutBuffer(out, column.offsets_buffer(), column.offsets().size_bytes());
      PutBuffer(out, column.bytes_buffer(), column.bytes().size());
    }
  }
}

bool DecodeFrame(ValueReader& in, DataFrame& frame) {
  std::uint32_t magic = 0;
  std::uint64_t count = 0;
  std::uint64_t rows = 0;
  if (!in.get(magic) || magic != kMagic || !in.get(count) || !in.get(rows)) return false;
  // Each column takes at least its name length, type and three lengths.
  if (!in.has(count, 8 + 1 + 8 + 8)) return false;
  bool mapped = in.mapping() != nullptr && count != 0;
  std::vector<data::Column> columns;
  columns.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t name_size = 0;
    if (!in.get(name_size)) return false;
    const std::byte* name = in.take(name_size);
    std::uint8_t type = 0;
    if (name == nullptr || !in.get(type) || type >= kTypes) return false;
    auto column_type = static_cast<data::ColumnType>(type);
    data::Buffer validity;
    if (!TakeBuffer(in, 1, &validity, &mapped)) return false;
    std::string column_name(reinterpret_cast<const char*>(name), name_size);
    absl::StatusOr<data::Column> column;
    if (column_type == data::ColumnType::kString) {
      data::Buffer offsets;
      data::Buffer bytes;
      if (!TakeBuffer(in, alignof(std::int64_t), &offsets, &mapped) ||
          !TakeBuffer(in, 1, &bytes, &mapped)) {
        return false;
      }
      column = data::Column::MakeStrings(std::move(column_name), rows, std::move(offsets),
                                         std::move(bytes), std::move(validity));
    } else {
      data::Buffer values;
      if (!TakeBuffer(in, data::ValueWidth(column_type), &values, &mapped)) return false;
      column = data::Column::Make(std::move(column_name), column_type, rows, std::move(values),
                                  std::move(validity));
    }
    if (!column.ok()) return false;
    columns.push_back(*std::move(column));
  }
  absl::StatusOr<data::Table> table = data::Table::Make(std::move(columns));
  if (!table.ok()) return false;
  frame = FrameAccess::Make(std::make_shared<const data::Table>(*std::move(table)), mapped);
  return true;
}

}  // namespace st::detail
