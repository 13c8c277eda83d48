// How st::cache_data turns a call's arguments into its cache key.
//
// Hashable out of the box: bool, integers, floating point, enums,
// std::string / std::string_view / const char*, and std::vector, std::array,
// std::pair, std::tuple and std::optional of hashable types. Two calls hit
// the same entry when their arguments are equal as values (a -0.0 equals a
// 0.0; every NaN is the same NaN).
//
// Your own type: give it a SluiceHashValue overload that ADL finds (Streamlit
// calls these hash_funcs) and feed it the fields that make two values equal:
//
//   struct Query { std::string table; int limit; Connection* conn; };
//   void SluiceHashValue(st::Hasher& h, const Query& q) {
//     h.add(q.table);
//     h.add(q.limit);  // conn is not part of the query's identity
//   }
//
// An argument wrapped in st::unhashed(x) is passed to the function but left
// out of the key (Streamlit's leading-underscore parameters): use it for
// connections, handles and other things that do not change the result.
// Any other argument type is a compile error naming the type.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace st {

// Collects the bytes of a key. Pieces are length-delimited and tagged by
// kind, so {"ab", "c"} and {"a", "bc"} give different keys. Large pieces are
// folded into a digest as they arrive, so hashing a big argument copies
// nothing.
class Hasher {
 public:
  Hasher() = default;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  // Adds `value`: any hashable type (see the top of this file).
  template <class T>
  void add(const T& value);

  // Adds raw bytes as one length-delimited piece.
  void add_bytes(const void* data, std::size_t size) {
    add_scalar(kBytesTag, size);
    if (size > kFoldBytes) {
      fold(data, size);
    } else {
      append(data, size);
    }
  }

  // The bytes gathered so far (for the runtime that makes the key).
  const std::byte* data() const { return buffer_.data(); }
  std::size_t size() const { return size_; }

 private:
  static constexpr unsigned char kBytesTag = 1;
  static constexpr std::size_t kInlineBuffer = 256;
  static constexpr std::size_t kFoldBytes = 1024;

  template <class T>
  void add_scalar(unsigned char tag, const T& value) {
    append(&tag, 1);
    append(&value, sizeof value);
  }
  void append(const void* data, std::size_t size) {
    if (size == 0) return;  // add_bytes(nullptr, 0) is an empty piece; memcpy wants non-null
    if (size_ + size > buffer_.size()) grow(size_ + size);
    std::memcpy(buffer_.data() + size_, data, size);
    size_ += size;
  }
  void grow(std::size_t needed) {
    if (spill_.empty()) spill_.assign(buffer_.begin(), buffer_.begin() + size_);
    spill_.resize(std::max(needed, spill_.size() * 2));
    buffer_ = {spill_.data(), spill_.size()};
  }
  // Appends a keyed 128-bit digest of a large piece (the runtime's secret).
  void fold(const void* data, std::size_t size);

  struct Span {
    std::byte* ptr;
    std::size_t len;
    std::byte* data() const { return ptr; }
    std::size_t size() const { return len; }
    std::byte* begin() const { return ptr; }
  };
  // Left uninitialized: only the first size_ bytes are ever read, and
  // zeroing 256 bytes on every cached call costs more than hashing an int.
  std::array<std::byte, kInlineBuffer> inline_;
  std::vector<std::byte> spill_;
  Span buffer_{inline_.data(), inline_.size()};
  std::size_t size_ = 0;

  template <class T>
  friend void HashBuiltin(Hasher& h, const T& value);
};

// A cached function's argument that is not part of the key.
template <class T>
struct Unhashed {
  T&& value;
};
template <class T>
Unhashed<T> unhashed(T&& value) {
  return {std::forward<T>(value)};
}

}  // namespace st

// How Hasher::add hashes each type; app authors need not read it.
#include <sluice/internal/cache_key.hpp>
