// st::Column<T>: a vector of plain values that a cache hit can hand over
// without copying.
//
// A large st::cache_data value is normally copied out of the shared arena
// into the caller's memory, which costs what any copy into fresh memory
// costs (page faults, about 0.2 s for the seeds' 305 MiB frame). Columns
// skip the copy: on a hit, the cached bytes are mapped copy-on-write
// (MAP_PRIVATE) into this process, and each column points into that
// mapping. The semantics are still those of a copy: writing to a column
// changes only this process's pages, never the cache or another session;
// the cached bytes cannot change under it (the cache keeps them in place
// while any worker maps them).
//
//   struct Frame { st::Column<double> x, y, z, w; };
//   Frame load(int rows);                       // compute with push_back, resize, ...
//   auto cached_load = st::cache_data(load);
//   Frame f = cached_load(10'000'000);          // a hit maps instead of copying
//
// Values under a megabyte, session-scoped entries, and hits while the
// keeper is gone take the ordinary copy; mapped() says which one you got.
// Copying a Column copies its elements into the heap, like std::vector.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <sluice/cache_value.hpp>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace st {

namespace detail {
struct ColumnStorage;  // sluice/internal/column.hpp
}  // namespace detail

template <class T>
class Column {
  static_assert(std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>,
                "st::Column holds plain values (numbers, enums, plain structs)");

 public:
  using value_type = T;
  using size_type = std::size_t;
  using iterator = T*;
  using const_iterator = const T*;

  Column() = default;
  explicit Column(std::size_t count, const T& value = T()) : heap_(count, value) {}
  Column(std::initializer_list<T> values) : heap_(values) {}
  explicit Column(std::vector<T> values) : heap_(std::move(values)) {}
  template <std::input_iterator It>
  Column(It first, It last) : heap_(first, last) {}

  Column(const Column& other) : heap_(other.begin(), other.end()) {}
  Column& operator=(const Column& other) {
    if (this != &other) {
      std::vector<T> copy(other.begin(), other.end());
      Release();
      heap_ = std::move(copy);
    }
    return *this;
  }
  Column(Column&& other) noexcept { Take(other); }
  Column& operator=(Column&& other) noexcept {
    if (this != &other) {
      Release();
      Take(other);
    }
    return *this;
  }
  ~Column() = default;

  std::size_t size() const { return mapping_ ? mapped_size_ : heap_.size(); }
  bool empty() const { return size() == 0; }
  T* data() { return mapping_ ? mapped_ : heap_.data(); }
  const T* data() const { return mapping_ ? mapped_ : heap_.data(); }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T& at(std::size_t i) {
    if (i >= size()) throw std::out_of_range("st::Column::at");
    return data()[i];
  }
  const T& at(std::size_t i) const {
    if (i >= size()) throw std::out_of_range("st::Column::at");
    return data()[i];
  }
  T& front() { return data()[0]; }
  const T& front() const { return data()[0]; }
  T& back() { return data()[size() - 1]; }
  const T& back() const { return data()[size() - 1]; }
  iterator begin() { return data(); }
  iterator end() { return data() + size(); }
  const_iterator begin() const { return data(); }
  const_iterator end() const { return data() + size(); }

  // Changing the length moves a mapped column into the heap first.
  void push_back(const T& value) { Heap().push_back(value); }
  void resize(std::size_t count, const T& value = T()) { Heap().resize(count, value); }
  void reserve(std::size_t count) { Heap().reserve(count); }
  void clear() {
    Release();
    heap_.clear();
  }

  // True while the elements are this process's copy-on-write mapping of a
  // cache entry, false once they are in its heap.
  bool mapped() const { return mapping_ != nullptr; }

  std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }

  friend bool operator==(const Column& a, const Column& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  friend struct ValueCodec<Column<T>>;
  friend struct detail::ColumnStorage;

  std::vector<T>& Heap() {
    if (mapping_) {
      std::vector<T> copy(mapped_, mapped_ + mapped_size_);
      Release();
      heap_ = std::move(copy);
    }
    return heap_;
  }
  void Release() {
    mapping_.reset();
    mapped_ = nullptr;
    mapped_size_ = 0;
  }
  void Take(Column& other) {
    heap_ = std::move(other.heap_);
    mapping_ = std::move(other.mapping_);
    mapped_ = std::exchange(other.mapped_, nullptr);
    mapped_size_ = std::exchange(other.mapped_size_, 0);
    other.heap_.clear();
  }

  std::vector<T> heap_;            // the elements, unless mapped
  std::shared_ptr<void> mapping_;  // keeps the mapping the elements are in
  T* mapped_ = nullptr;
  std::size_t mapped_size_ = 0;
};

}  // namespace st

// How a column is encoded and mapped; app authors need not read it.
#include <sluice/internal/column.hpp>
