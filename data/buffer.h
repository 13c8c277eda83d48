// data::Buffer: an immutable run of bytes and whatever keeps them alive.
//
// A column's values can live in many places: the vectors a ColumnBuilder
// filled, an st::Column the app moved into a frame, a cache hit's
// copy-on-write mapping. A Buffer points at them where they are and shares
// ownership of what holds them (a std::shared_ptr<const void> to the
// vector, the mapping, ...), so columns and tables are copied by copying
// pointers, never bytes. Nobody writes through a Buffer; the owner must not
// change the bytes while any Buffer on them lives.
// Copies may be used from many threads at once (std::shared_ptr's rules).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sluice::data {

class Buffer {
 public:
  Buffer() = default;
  // `size` bytes at `data`, kept alive by `owner`.
  Buffer(const void* data, std::size_t size, std::shared_ptr<const void> owner)
      : data_(static_cast<const std::byte*>(data)), size_(size), owner_(std::move(owner)) {}

  // Takes the vector's storage over (no copy of its elements).
  template <class T>
  static Buffer FromVector(std::vector<T> values) {
    if (values.empty()) return Buffer();
    auto owner = std::make_shared<const std::vector<T>>(std::move(values));
    return Buffer(owner->data(), owner->size() * sizeof(T), owner);
  }
  static Buffer FromString(std::string bytes) {
    if (bytes.empty()) return Buffer();
    auto owner = std::make_shared<const std::string>(std::move(bytes));
    return Buffer(owner->data(), owner->size(), owner);
  }

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The bytes as `size() / sizeof(T)` values of T. REQUIRES: the buffer was
  // made from T values (its data is aligned for T).
  template <class T>
  std::span<const T> as() const {
    return {reinterpret_cast<const T*>(data_), size_ / sizeof(T)};
  }
  // The first `size` bytes, sharing the owner. REQUIRES: size <= size().
  Buffer Prefix(std::size_t size) const { return Buffer(data_, size, owner_); }
  const std::shared_ptr<const void>& owner() const { return owner_; }

 private:
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::shared_ptr<const void> owner_;
};

}  // namespace sluice::data
