// A cache_data hit as a worker reads it: the input is an entry of the
// shared cache, which any worker may have published (a taken-over one
// too). Byte 0 picks the function's return type, byte 1 the entry kind
// the arena gives beside it; the rest is the entry. The worker splits it
// (SplitEntry), decodes the value the way st::cache_data's hit does
// (sluice/cache_value.hpp; from a copy, or from a private mapping for
// st::Column and st::DataFrame), reads every field of the result as an app would, and
// replays the recorded elements (ForEachRecordedElement, then the
// canonical copy Session::Place makes of each).
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <sluice/cache_value.hpp>
#include <sluice/column.hpp>
#include <sluice/dataframe.hpp>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/cache_value_types.h"
#include "runtime/cache_entry.h"
#include "runtime/element_kinds.h"
#include "util/log.h"

namespace {

using sluice::fuzz::Point;
using sluice::fuzz::Shade;
using sluice::fuzz::Table;

// Reads every byte of the value the way an app does (loads of each
// field: a bool that is neither 0 nor 1 is undefined behaviour here).
std::uint64_t Use(double v) { return static_cast<std::uint64_t>(v == v); }
std::uint64_t Use(bool v) { return v ? 1 : 0; }
std::uint64_t Use(Shade v) { return v == Shade::kDark ? 1 : 0; }
std::uint64_t Use(std::int64_t v) { return static_cast<std::uint64_t>(v); }
std::uint64_t Use(const std::string& v) { return v.empty() ? 0 : v.front() + v.back(); }
std::uint64_t Use(std::string_view v) { return v.empty() ? 0 : v.front() + v.back(); }
std::uint64_t Use(const Point& v) { return Use(v.x) + Use(v.y) + Use(v.visible) + Use(v.shade); }
template <class T>
std::uint64_t Use(const std::vector<T>& v) {
  std::uint64_t sum = 0;
  for (const auto& e : v) sum += Use(static_cast<const T&>(e));
  return sum;
}
std::uint64_t Use(const std::vector<bool>& v) {
  std::uint64_t sum = 0;
  for (bool e : v) sum += Use(e);
  return sum;
}
template <class A, class B>
std::uint64_t Use(const std::pair<A, B>& v) {
  return Use(v.first) + Use(v.second);
}
template <class T>
std::uint64_t Use(const std::optional<T>& v) {
  return v ? Use(*v) : 0;
}
std::uint64_t Use(const st::Column<double>& v) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i) sum += Use(v[i]);
  return sum;
}
std::uint64_t Use(const st::DataFrame& v) {
  std::uint64_t sum = v.num_rows();
  for (const std::string& name : v.column_names()) {
    auto each = [&](const auto& column) {
      for (std::size_t row = 0; row < column.size(); ++row) {
        sum += column.is_null(row) ? 1 : Use(column[row]);
      }
    };
    switch (v.column_type(name)) {
      case st::ColumnType::int64:
        each(v.int64s(name));
        break;
      case st::ColumnType::float64:
        each(v.doubles(name));
        break;
      case st::ColumnType::boolean:
        each(v.bools(name));
        break;
      case st::ColumnType::string:
        each(v.strings(name));
        break;
      case st::ColumnType::timestamp:
        each(v.timestamps(name));
        break;
    }
  }
  return sum;
}
std::uint64_t Use(const Table& v) {
  return Use(v.names) + Use(v.points) + Use(v.note) + Use(v.flags) + Use(v.values);
}

// What CachedFunction's hit does with the bytes (sluice/cache.hpp
// Call::Decode), then the app's use of the value.
template <class T>
void Hit(std::span<const std::byte> bytes, const std::shared_ptr<void>& mapping) {
  std::optional<T> result;
  try {
    st::ValueReader in(bytes, mapping);
    T& value = result.emplace();
    if (!st::detail::Decode(in, value) || !in.at_end()) return;
  } catch (...) {
    return;  // a miss, as in Call::Decode
  }
  volatile std::uint64_t used = Use(*result);
  (void)used;
}

void Decode(std::uint8_t type, std::span<const std::byte> value) {
  // A column may be decoded in place from the worker's own private
  // mapping of the entry: a writable copy stands in for it here.
  std::shared_ptr<void> mapping;
  if (type & 0x80) {
    auto copy = std::make_shared<std::vector<std::byte>>(value.begin(), value.end());
    value = *copy;
    mapping = copy;
  }
  switch (type % 9) {
    case 0:
      return Hit<std::string>(value, mapping);
    case 1:
      return Hit<std::vector<double>>(value, mapping);
    case 2:
      return Hit<std::vector<std::string>>(value, mapping);
    case 3:
      return Hit<std::optional<std::pair<std::int64_t, std::string>>>(value, mapping);
    case 4:
      return Hit<std::vector<bool>>(value, mapping);
    case 5:  // 0x40: the same, optional (its flag is checked, not copied)
      if (type & 0x40) return Hit<std::optional<Point>>(value, mapping);
      return Hit<Point>(value, mapping);
    case 6:
      return Hit<std::vector<std::vector<Point>>>(value, mapping);
    case 7:
      return Hit<st::Column<double>>(value, mapping);
    case 8:  // 0x40: a frame (its buffers and offsets are checked, not trusted)
      if (type & 0x40) return Hit<st::DataFrame>(value, mapping);
      return Hit<Table>(value, mapping);
  }
}

}  // namespace

// libsluice.so's st_*.cc files register the kinds a cached function may
// show; here every kind is, so each record that decodes reaches the checks
// below rather than being refused for its kind.
const bool kEveryKindReplayable = [] {
  for (capnp::StructSchema::Field field :
       capnp::Schema::from<sluice::ipc::Element>().getUnionFields()) {
    sluice::runtime::RegisterElementKind(
        {static_cast<sluice::ipc::Element::Which>(field.getProto().getDiscriminantValue()), true,
         nullptr});
  }
  return true;
}();

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sluice::SetLogLevel(sluice::LogLevel::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice::runtime;
  if (size < 2) return 0;
  std::uint8_t type = data[0];
  std::uint16_t kind = data[1] < 0xf0 ? data[1] % 2 : data[1];  // mostly the two real kinds
  std::span<const std::byte> entry(reinterpret_cast<const std::byte*>(data + 2), size - 2);
  std::optional<EntryParts> parts = SplitEntry(entry, kind);
  if (!parts) return 0;
  if (parts->value.size() + parts->elements.size() > entry.size()) std::abort();
  Decode(type, parts->value);
  ForEachRecordedElement(parts->elements, [](sluice::ipc::Element::Reader element) {
    // AppRunner::Place: the canonical copy a capture records and the
    // element stream hashes.
    kj::Array<capnp::word> canonical = capnp::canonicalize(element);
    if (canonical.size() == 0) std::abort();
  });
  return 0;
}
