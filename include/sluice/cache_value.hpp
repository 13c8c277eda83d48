// How st::cache_data stores a return value as bytes and gives each caller
// its own copy.
//
// Storable out of the box: trivially copyable types without pointers (their
// bytes are the value), std::string, std::vector of storable types (one
// memcpy when the element type is trivially copyable: a vector of doubles is
// copied at memory speed, never element by element), std::optional and
// std::pair of storable types, and aggregates (plain structs) whose fields
// are all storable:
//
//   struct Frame { std::vector<double> x, y, z, w; };  // storable as is
//
// A cached value may have been written by a worker that was taken over, so
// decoding checks the bytes that could make an invalid object: a bool must
// be 0 or 1 (in aggregates and arrays too), and an enum needs a fixed
// underlying type (`enum class E`, or `enum E : int`), for which every value
// of that type is valid C++ (check unknown enumerators as you would any
// untrusted integer). An enum without one is refused at compile time. A
// trivially copyable class with private members is taken as its bytes:
// if it holds a bool, give it a ValueCodec.
//
// Your own type: specialize st::ValueCodec (encode writes what decode reads
// back; decode gets untrusted bytes and must return false on anything it
// cannot read, which ValueReader's checked reads make easy):
//
//   template <> struct st::ValueCodec<Matrix> {
//     static void encode(st::ValueWriter& out, const Matrix& m) {
//       out.put(m.rows()); out.put(m.cols()); out.put_bytes(m.data(), m.bytes());
//     }
//     static bool decode(st::ValueReader& in, Matrix& m) { ... }
//   };
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sluice/cache_key.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace st {

// Appends bytes to a value's encoding. With no buffer it only counts them
// (the first of two passes: measure, then write into exactly that much).
class ValueWriter {
 public:
  ValueWriter() = default;
  explicit ValueWriter(std::span<std::byte> out) : out_(out.data()), capacity_(out.size()) {}

  void put_bytes(const void* data, std::size_t size) {
    if (out_ != nullptr && size != 0) {
      if (size_ + size > capacity_) {
        // A codec that writes more than it measured: the error policy's
        // "wrong use" (sluice/st.hpp).
        throw std::logic_error(
            "st::ValueWriter: the value's encoding grew between measuring and writing; a "
            "st::ValueCodec's encode must write the same bytes every time");
      }
      std::memcpy(out_ + size_, data, size);
    }
    size_ += size;
  }
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void put(const T& value) { put_bytes(&value, sizeof value); }
  // Pads to a multiple of `alignment` (a power of two) from the value's start.
  void align(std::size_t alignment) {
    static constexpr std::byte kZeros[64] = {};
    std::size_t pad = (alignment - size_ % alignment) % alignment;
    put_bytes(kZeros, pad);
  }
  std::size_t size() const { return size_; }

 private:
  std::byte* out_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

// Reads a value's encoding back. Every read is checked against the end:
// the bytes may be damaged (or changed under the reader, in which case the
// result is discarded), so a failed read returns false instead of trusting
// a length.
class ValueReader {
 public:
  explicit ValueReader(std::span<const std::byte> in) : in_(in) {}
  // Reads bytes that are this process's own copy-on-write mapping of a cache
  // entry, kept mapped by `mapping` (the runtime's, for st::Column).
  ValueReader(std::span<const std::byte> in, std::shared_ptr<void> mapping)
      : in_(in), mapping_(std::move(mapping)) {}

  bool get_bytes(void* out, std::size_t size) {
    if (size > in_.size() - pos_) return false;
    if (size != 0) std::memcpy(out, in_.data() + pos_, size);
    pos_ += size;
    return true;
  }
  template <class T>
  requires std::is_trivially_copyable_v<T>
  bool get(T& value) { return get_bytes(&value, sizeof value); }
  // The next `size` bytes where they lie, for a decoder that copies them
  // itself (untrusted, like everything read); null if fewer remain.
  const std::byte* take(std::size_t size) {
    if (size > in_.size() - pos_) return nullptr;
    const std::byte* at = in_.data() + pos_;
    pos_ += size;
    return at;
  }
  bool align(std::size_t alignment) {
    std::size_t pad = (alignment - pos_ % alignment) % alignment;
    if (pad > in_.size() - pos_) return false;
    pos_ += pad;
    return true;
  }
  // True if `count` items of `size` bytes can still be read.
  bool has(std::uint64_t count, std::size_t size) const {
    return size == 0 || count <= (in_.size() - pos_) / size;
  }
  bool at_end() const { return pos_ == in_.size(); }

  // When the bytes are a private mapping (the constructor above), a decoder
  // may keep using them instead of copying: the writable address of `at`
  // (a pointer this reader handed out), with mapping() to hold on to. Null
  // otherwise: copy.
  std::byte* mapped(const std::byte* at) const {
    return mapping_ != nullptr ? const_cast<std::byte*>(at) : nullptr;
  }
  const std::shared_ptr<void>& mapping() const { return mapping_; }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  std::shared_ptr<void> mapping_;
};

// Specialize for your own types (see the top of this file).
template <class T>
struct ValueCodec;

}  // namespace st

// How values are encoded and checked; app authors need not read it.
#include <sluice/internal/cache_value.hpp>
