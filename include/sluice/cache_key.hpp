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

namespace detail {

template <class T>
inline constexpr bool kIsUnhashed = false;
template <class T>
inline constexpr bool kIsUnhashed<Unhashed<T>> = true;

template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};
template <class T>
struct IsArray : std::false_type {};
template <class T, std::size_t N>
struct IsArray<std::array<T, N>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsTupleLike : std::false_type {};
template <class A, class B>
struct IsTupleLike<std::pair<A, B>> : std::true_type {};
template <class... T>
struct IsTupleLike<std::tuple<T...>> : std::true_type {};

template <class T>
concept HasCustomHash = requires(Hasher& h, const T& value) {
  SluiceHashValue(h, value);
};

template <class T>
struct Hashable;

template <class T>
inline constexpr bool kHashable = Hashable<std::remove_cvref_t<T>>::value;

template <class T>
struct Hashable
    : std::bool_constant<std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                         std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view> ||
                         std::is_same_v<T, const char*> || std::is_same_v<T, char*> ||
                         HasCustomHash<T>> {};
template <class T, class A>
struct Hashable<std::vector<T, A>> : std::bool_constant<kHashable<T>> {};
template <class T, std::size_t N>
struct Hashable<std::array<T, N>> : std::bool_constant<kHashable<T>> {};
template <class T>
struct Hashable<std::optional<T>> : std::bool_constant<kHashable<T>> {};
template <class A, class B>
struct Hashable<std::pair<A, B>> : std::bool_constant<kHashable<A> && kHashable<B>> {};
template <class... T>
struct Hashable<std::tuple<T...>> : std::bool_constant<(kHashable<T> && ...)> {};
template <std::size_t N>
struct Hashable<char[N]> : std::true_type {};

// Fails to compile, naming T, when T cannot be part of a cache key.
template <class T>
constexpr bool RequireHashable() {
  static_assert(kHashable<T>,
                "st::cache_data: this argument type cannot be hashed into a cache key. Give it "
                "a `void SluiceHashValue(st::Hasher&, const T&)` overload, or pass it as "
                "st::unhashed(arg) to leave it out of the key (see sluice/cache_key.hpp).");
  return true;
}

}  // namespace detail

template <class T>
void HashBuiltin(Hasher& h, const T& value) {
  using U = std::remove_cvref_t<T>;
  if constexpr (detail::HasCustomHash<U>) {
    h.add_scalar(2, std::uint8_t{0});
    SluiceHashValue(h, value);
  } else if constexpr (std::is_same_v<U, bool>) {
    h.add_scalar(3, static_cast<std::uint8_t>(value));
  } else if constexpr (std::is_integral_v<U>) {
    // Equal values of different integer types are one key: f(3) and f(3L).
    if constexpr (std::is_signed_v<U>) {
      h.add_scalar(4, static_cast<std::int64_t>(value));
    } else {
      h.add_scalar(5, static_cast<std::uint64_t>(value));
    }
  } else if constexpr (std::is_floating_point_v<U>) {
    double d = static_cast<double>(value);
    if (d == 0) d = 0;  // -0.0 == 0.0
    if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
    h.add_scalar(6, std::bit_cast<std::uint64_t>(d));
  } else if constexpr (std::is_enum_v<U>) {
    HashBuiltin(h, static_cast<std::underlying_type_t<U>>(value));
  } else if constexpr (std::is_same_v<U, std::string> || std::is_same_v<U, std::string_view>) {
    h.add_bytes(value.data(), value.size());
  } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
    h.add_bytes(value, std::strlen(value));
  } else if constexpr (std::is_array_v<U>) {
    h.add_bytes(value, std::strlen(value));
  } else if constexpr (detail::IsVector<U>::value || detail::IsArray<U>::value) {
    using E = typename U::value_type;
    if constexpr (std::is_integral_v<E> && !std::is_same_v<E, bool> &&
                  std::has_unique_object_representations_v<E>) {
      h.add_scalar(7, sizeof(E));
      h.add_bytes(value.data(), value.size() * sizeof(E));
    } else {
      h.add_scalar(8, static_cast<std::uint64_t>(value.size()));
      for (const auto& element : value) HashBuiltin(h, element);
    }
  } else if constexpr (detail::IsOptional<U>::value) {
    h.add_scalar(9, static_cast<std::uint8_t>(value.has_value()));
    if (value) HashBuiltin(h, *value);
  } else if constexpr (detail::IsTupleLike<U>::value) {
    h.add_scalar(10, static_cast<std::uint64_t>(std::tuple_size_v<U>));
    std::apply([&h](const auto&... parts) { (HashBuiltin(h, parts), ...); }, value);
  } else {
    static_assert(detail::RequireHashable<U>());
  }
}

template <class T>
void Hasher::add(const T& value) {
  static_assert(detail::RequireHashable<std::remove_cvref_t<T>>());
  HashBuiltin(*this, value);
}

}  // namespace st
