// st::DataFrame: named columns of one type each, with nulls; what
// st::read_csv (sluice/csv.hpp) returns and what data elements show.
//
//   st::Column<double> price = compute_prices();       // 10 million values
//   st::DataFrame df;
//   df.add("price", std::move(price))                  // moved in, not copied
//     .add("name", names, /*nulls=*/missing)           // strings are copied
//     .add_timestamps("at", std::move(nanoseconds));
//   for (double p : df.doubles("price").values()) ...
//   st::DataFrame cheap = df.head(100).filter(mask);
//
// Columns are immutable once in a frame and shared by its copies, so a
// DataFrame is cheap to copy and to return from st::cache_data (a hit on a
// frame of a megabyte or more maps its columns copy-on-write instead of
// copying them; mapped() says which one you got). Safe to read from several
// threads at once; add() changes only the frame it is called on.
//
// Errors follow sluice/st.hpp's policy: a column name the frame does not
// have is std::out_of_range, a column read as another type than it holds is
// std::invalid_argument naming the column and its type, a column or mask of
// another length than the frame is std::invalid_argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <sluice/cache_key.hpp>
#include <sluice/column.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sluice::data {
class Table;  // the library's; see sluice/internal/dataframe.hpp
}  // namespace sluice::data

namespace st {

enum class ColumnType {
  int64,
  float64,    // double
  boolean,    // bool
  string,     // UTF-8 bytes
  timestamp,  // std::int64_t nanoseconds since the Unix epoch, UTC
};

// "int64", "double", "bool", "string", "timestamp": the names errors use.
std::string_view to_string(ColumnType type);

namespace detail {
struct FrameAccess;
}  // namespace detail

// A read-only view of one column of a frame: T is std::int64_t (int64 and
// timestamp columns), double, bool or std::string_view. Valid while the
// frame it came from (or a copy of it) lives. A null row reads as 0, false
// or "".
template <class T>
class ColumnView {
 public:
  std::size_t size() const { return size_; }
  std::size_t null_count() const { return null_count_; }
  // REQUIRES: row < size().
  bool is_null(std::size_t row) const {
    return null_count_ != 0 && (validity_[row / 8] & (1u << (row % 8))) == 0;
  }
  // REQUIRES: row < size().
  T operator[](std::size_t row) const {
    if constexpr (std::is_same_v<T, std::string_view>) {
      return std::string_view(bytes_ + offsets_[row],
                              static_cast<std::size_t>(offsets_[row + 1] - offsets_[row]));
    } else if constexpr (std::is_same_v<T, bool>) {
      return static_cast<const std::uint8_t*>(values_)[row] != 0;
    } else {
      return static_cast<const T*>(values_)[row];
    }
  }
  T at(std::size_t row) const {
    if (row >= size_) throw std::out_of_range("st::ColumnView::at: row past the column's end");
    return (*this)[row];
  }
  // The values where they lie (numbers only), for loops and algorithms.
  std::span<const T> values() const
      requires(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
    return {static_cast<const T*>(values_), size_};
  }

 private:
  friend class DataFrame;
  ColumnView() = default;
  const void* values_ = nullptr;
  const std::uint8_t* validity_ = nullptr;
  const std::int64_t* offsets_ = nullptr;
  const char* bytes_ = nullptr;
  std::size_t size_ = 0;
  std::size_t null_count_ = 0;
};

class DataFrame {
 public:
  // No columns, no rows.
  DataFrame();

  // Adds a column at the right. `nulls` is empty (no nulls) or has one
  // entry a row, true where the row is null. The first column sets the
  // frame's row count; a later one of another length, or a name the frame
  // already has, is std::invalid_argument. Numbers are moved in where they
  // lie (an st::Column's or std::vector's storage, or its cache mapping),
  // without copying; strings and bools are copied into the frame's layout.
  DataFrame& add(std::string name, Column<std::int64_t> values,
                 const std::vector<bool>& nulls = {});
  DataFrame& add(std::string name, Column<double> values, const std::vector<bool>& nulls = {});
  DataFrame& add(std::string name, const std::vector<bool>& values,
                 const std::vector<bool>& nulls = {});
  DataFrame& add(std::string name, const std::vector<std::string>& values,
                 const std::vector<bool>& nulls = {});
  template <class T>
  requires(std::is_same_v<T, std::int64_t> ||
           std::is_same_v<T, double>) DataFrame& add(std::string name, std::vector<T>&& values,
                                                     const std::vector<bool>& nulls = {}) {
    return add(std::move(name), Column<T>(std::move(values)), nulls);
  }
  // A timestamp column: nanoseconds since the Unix epoch, UTC.
  DataFrame& add_timestamps(std::string name, Column<std::int64_t> nanoseconds,
                            const std::vector<bool>& nulls = {});

  std::size_t num_rows() const;
  std::size_t num_columns() const;
  std::vector<std::string> column_names() const;
  bool has_column(std::string_view name) const;
  // Throws std::out_of_range for a name the frame does not have.
  ColumnType column_type(std::string_view name) const;

  // A column read as its type. Throws std::out_of_range for a name the frame
  // does not have, std::invalid_argument for a column of another type
  // ("column 'price' is double, not int64").
  ColumnView<std::int64_t> int64s(std::string_view name) const;
  ColumnView<double> doubles(std::string_view name) const;
  ColumnView<bool> bools(std::string_view name) const;
  ColumnView<std::string_view> strings(std::string_view name) const;
  ColumnView<std::int64_t> timestamps(std::string_view name) const;
  // Throws std::out_of_range for an unknown name or a row past the end.
  bool is_null(std::string_view name, std::size_t row) const;

  // The first min(n, num_rows()) rows; shares this frame's columns (no
  // value is copied).
  DataFrame head(std::size_t n) const;
  // The rows whose mask entry is true, in order (their values are copied).
  // A mask of another length than num_rows() is std::invalid_argument.
  DataFrame filter(std::span<const bool> mask) const;
  DataFrame filter(const std::vector<bool>& mask) const;

  // True while every column of this frame is in a cache hit's copy-on-write
  // mapping (sluice/column.hpp), false for a frame in this process's heap.
  bool mapped() const { return mapped_; }

  // Same column names, types, nulls and values (NaN equals NaN).
  friend bool operator==(const DataFrame& a, const DataFrame& b);

 private:
  friend struct detail::FrameAccess;
  template <class T>
  ColumnView<T> View(std::string_view name, ColumnType type) const;

  std::shared_ptr<const sluice::data::Table> table_;  // never null
  bool mapped_ = false;
};

// A frame as a st::cache_data argument: its names, types, nulls and values.
// Hashing reads every value (at memory speed).
void SluiceHashValue(Hasher& hasher, const DataFrame& frame);

}  // namespace st

// How a frame is stored in the cache; app authors need not read it.
#include <sluice/internal/dataframe.hpp>
