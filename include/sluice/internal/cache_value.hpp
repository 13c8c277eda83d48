// App authors need not read this file: sluice internals behind <sluice/cache_value.hpp>.
// Templates there need it in view of the compiler; it may change in any release.
#pragma once

#include <sys/mman.h>

#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>
#include <sluice/cache_value.hpp>

namespace st {

namespace detail {

template <class T>
struct IsPair : std::false_type {};
template <class T>
struct IsVariant : std::false_type {};
template <class... T>
struct IsVariant<std::variant<T...>> : std::true_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};

template <class T>
concept HasCustomCodec = requires(ValueWriter& out, ValueReader& in, const T& c, T& m) {
  ValueCodec<T>::encode(out, c);
  { ValueCodec<T>::decode(in, m) } -> std::convertible_to<bool>;
};

template <class T>
struct Storable;
template <class T>
inline constexpr bool kStorable = Storable<std::remove_cv_t<T>>::value;

template <class T, std::size_t... I>
constexpr bool FieldsStorable(std::index_sequence<I...>) {
  return (kStorable<boost::pfr::tuple_element_t<I, T>> && ...);
}
template <class T>
constexpr bool AggregateStorable() {
  if constexpr (std::is_aggregate_v<T> && !std::is_array_v<T> && !std::is_union_v<T>) {
    return FieldsStorable<T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  } else {
    return false;
  }
}

// An enum with a fixed underlying type, for which every value of that type
// is a valid value (list-initialisation from it compiles only then).
template <class T>
concept FixedEnum = std::is_enum_v<T> && requires(std::underlying_type_t<T> raw) {
  T{raw};
};

// A plain value: its bytes are the value in any process. Aggregates are
// checked field by field, so a struct holding a pointer is not plain.
template <class T>
constexpr bool IsPlain() {
  if constexpr (!std::is_trivially_copyable_v<T> || std::is_pointer_v<T> ||
                std::is_member_pointer_v<T> || std::is_reference_v<T>) {
    return false;
  } else if constexpr (std::is_enum_v<T>) {
    return FixedEnum<T>;  // without one, values outside a range we cannot know are UB
  } else if constexpr (std::is_arithmetic_v<T>) {
    return true;
  } else if constexpr (std::is_array_v<T>) {
    return IsPlain<std::remove_extent_t<T>>();
  } else if constexpr (std::is_aggregate_v<T> && !std::is_union_v<T>) {
    return AggregateStorable<T>();
  } else if constexpr (IsOptional<T>::value || IsVariant<T>::value) {
    // Trivially copyable for plain contents, but their bytes hold a flag or
    // an index that must be checked: an optional goes through its own
    // codec below; a variant has none (it needs a st::ValueCodec).
    return false;
  } else {
    return true;  // a trivially copyable class with private members
  }
}

template <class T>
struct Storable : std::bool_constant<HasCustomCodec<T> || IsPlain<T>() ||
                                     std::is_same_v<T, std::string> || AggregateStorable<T>()> {};
template <class T, class A>
struct Storable<std::vector<T, A>> : std::bool_constant<kStorable<T>> {};
template <class T>
struct Storable<std::optional<T>> : std::bool_constant<kStorable<T>> {};
template <class A, class B>
struct Storable<std::pair<A, B>> : std::bool_constant<kStorable<A> && kStorable<B>> {};

template <class T>
constexpr bool RequireStorable() {
  static_assert(kStorable<T>,
                "st::cache_data: the function's return type cannot be stored in the cache. "
                "Return trivially copyable data, std::string, std::vector, or a struct of "
                "these (an enum needs a fixed underlying type: enum class E, or enum E : int), "
                "or specialize st::ValueCodec for it (see sluice/cache_value.hpp); "
                "for objects that must not be copied use st::cache_resource.");
  return true;
}

// Bulk arrays start on this boundary in the encoding, so copies out of the
// arena run on aligned source memory.
inline constexpr std::size_t kArrayAlignment = 64;

// Makes `value` hold the `count` elements whose bytes start at `from`, with
// one pass over the new memory: assigning from a range allocates and copies
// (a memmove for trivially copyable elements), where resize() then memcpy
// would first zero-fill the fresh pages and then write them again. `from`
// is bounds-checked by the caller; a misaligned source (possible only in a
// buffer the caller made, never in the arena) takes the two-pass way.
//
// A large copy goes into memory that asked for transparent huge pages
// (where the host's THP setting is "madvise" or "always"; with "never"
// madvise changes nothing): fresh 4 KiB pages cost one fault each, 512x
// the faults of 2 MiB ones, and those faults, not the copy, bound a large
// hit (a 305 MiB hit: 83,000 faults and ~130 ms here vs ~60 ms).
inline constexpr std::size_t kHugePageCopyBytes = 4u << 20;

inline void AdviseHugePages(const void* at, std::size_t bytes) {
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(at) + kHuge - 1) & ~(kHuge - 1);
  std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(at) + bytes) & ~(kHuge - 1);
  // Advice only: a host without THP copies into 4 KiB pages as before.
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// Makes `value` (a std::vector or std::string) hold `count` elements from
// `first`, in a fresh block advised for huge pages when it is large and the
// one it has is too small.
template <class V, class E>
void AssignLarge(V& value, const E* first, std::size_t count) {
  if (count * sizeof(E) >= kHugePageCopyBytes && value.capacity() < count) {
    V fresh(value.get_allocator());
    fresh.reserve(count);
    AdviseHugePages(fresh.data(), count * sizeof(E));
    fresh.assign(first, first + count);
    value.swap(fresh);
    return;
  }
  value.assign(first, first + count);
}

template <class V>
void AssignBytes(V& value, const std::byte* from, std::size_t count) {
  using E = typename V::value_type;
  if (reinterpret_cast<std::uintptr_t>(from) % alignof(E) == 0) {
    AssignLarge(value, reinterpret_cast<const E*>(from), count);
  } else {
    value.resize(count);
    if (count != 0) std::memcpy(value.data(), from, count * sizeof(E));
  }
}

// Whether some bytes of a plain T are not a valid T: a bool is 0 or 1, and
// so is an enum whose underlying type is bool.
template <class T>
constexpr bool HasInvalidBytes() {
  if constexpr (std::is_same_v<T, bool>) {
    return true;
  } else if constexpr (std::is_enum_v<T>) {
    return std::is_same_v<std::underlying_type_t<T>, bool>;
  } else if constexpr (std::is_array_v<T>) {
    return HasInvalidBytes<std::remove_extent_t<T>>();
  } else if constexpr (std::is_aggregate_v<T> && !std::is_union_v<T> && !std::is_arithmetic_v<T>) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (HasInvalidBytes<boost::pfr::tuple_element_t<I, T>>() || ...);
    }
    (std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  } else {
    return false;  // numbers, fixed enums; a class with private members is taken as is
  }
}

// Whether `bytes` (sizeof(T) of them) are a valid plain T.
template <class T>
bool ValidBytes(const std::byte* bytes) {
  if constexpr (!HasInvalidBytes<T>()) {
    return true;
  } else if constexpr (std::is_same_v<T, bool> || std::is_enum_v<T>) {
    static_assert(sizeof(T) == 1);
    return std::to_integer<unsigned>(*bytes) <= 1;
  } else if constexpr (std::is_array_v<T>) {
    using E = std::remove_extent_t<T>;
    for (std::size_t i = 0; i < std::extent_v<T>; ++i) {
      if (!ValidBytes<E>(bytes + i * sizeof(E))) return false;
    }
    return true;
  } else {
    static_assert(std::is_default_constructible_v<T>,
                  "st::cache_data: a struct with a bool field must be default constructible "
                  "(its fields are checked where a default one has them), or have a "
                  "st::ValueCodec");
    // Where each field lies, measured on a real object.
    static const T probe{};
    const auto* base = reinterpret_cast<const std::byte*>(&probe);
    bool ok = true;
    boost::pfr::for_each_field(probe, [&](const auto& field) {
      using F = std::remove_cvref_t<decltype(field)>;
      if constexpr (HasInvalidBytes<F>()) {
        ok = ok && ValidBytes<F>(bytes + (reinterpret_cast<const std::byte*>(&field) - base));
      }
    });
    return ok;
  }
}

template <class T>
void Encode(ValueWriter& out, const T& value);
template <class T>
bool Decode(ValueReader& in, T& value);

template <class T>
void Encode(ValueWriter& out, const T& value) {
  if constexpr (HasCustomCodec<T>) {
    ValueCodec<T>::encode(out, value);
  } else if constexpr (IsPlain<T>()) {
    out.put(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.put(static_cast<std::uint64_t>(value.size()));
    out.put_bytes(value.data(), value.size());
  } else if constexpr (IsVector<T>::value) {
    using E = typename T::value_type;
    out.put(static_cast<std::uint64_t>(value.size()));
    if constexpr (IsPlain<E>() && !std::is_same_v<E, bool>) {
      out.align(kArrayAlignment);
      out.put_bytes(value.data(), value.size() * sizeof(E));
    } else {
      for (const auto& element : value) Encode<E>(out, element);
    }
  } else if constexpr (IsOptional<T>::value) {
    out.put(static_cast<std::uint8_t>(value.has_value()));
    if (value) Encode(out, *value);
  } else if constexpr (IsPair<T>::value) {
    Encode(out, value.first);
    Encode(out, value.second);
  } else {
    boost::pfr::for_each_field(value, [&out](const auto& field) {
      Encode<std::remove_cvref_t<decltype(field)>>(out, field);
    });
  }
}

template <class T>
bool Decode(ValueReader& in, T& value) {
  if constexpr (HasCustomCodec<T>) {
    return ValueCodec<T>::decode(in, value);
  } else if constexpr (IsPlain<T>() && HasInvalidBytes<T>()) {
    // Checked before they become a T: an invalid bool is undefined behaviour.
    const std::byte* from = in.take(sizeof(T));
    if (from == nullptr || !ValidBytes<T>(from)) return false;
    std::memcpy(&value, from, sizeof(T));
    return true;
  } else if constexpr (IsPlain<T>()) {
    return in.get(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    std::uint64_t size = 0;
    if (!in.get(size)) return false;
    const std::byte* from = in.take(size);
    if (from == nullptr) return false;
    AssignLarge(value, reinterpret_cast<const char*>(from), size);
    return true;
  } else if constexpr (IsVector<T>::value) {
    using E = typename T::value_type;
    std::uint64_t count = 0;
    if (!in.get(count)) return false;
    if constexpr (IsPlain<E>() && !std::is_same_v<E, bool>) {
      if (!in.align(kArrayAlignment) || !in.has(count, sizeof(E))) return false;
      const std::byte* from = in.take(count * sizeof(E));
      if (from == nullptr) return false;
      if constexpr (HasInvalidBytes<E>()) {
        for (std::uint64_t i = 0; i < count; ++i) {
          if (!ValidBytes<E>(from + i * sizeof(E))) return false;
        }
      }
      AssignBytes(value, from, count);
      return true;
    } else {
      if (!in.has(count, 1)) return false;  // every element takes a byte at least
      value.clear();
      value.resize(count);
      for (auto&& element : value) {  // && : vector<bool> hands out proxies
        if constexpr (std::is_same_v<E, bool>) {
          std::uint8_t b = 0;  // not read as a bool: 2 would be one it cannot hold
          if (!in.get(b) || b > 1) return false;
          element = b != 0;
        } else if (!Decode<E>(in, element)) {
          return false;
        }
      }
      return true;
    }
  } else if constexpr (IsOptional<T>::value) {
    std::uint8_t present = 0;
    if (!in.get(present) || present > 1) return false;
    if (!present) {
      value.reset();
      return true;
    }
    return Decode(in, value.emplace());
  } else if constexpr (IsPair<T>::value) {
    return Decode(in, value.first) && Decode(in, value.second);
  } else {
    bool ok = true;
    boost::pfr::for_each_field(value, [&in, &ok](auto& field) {
      ok = ok && Decode<std::remove_cvref_t<decltype(field)>>(in, field);
    });
    return ok;
  }
}

}  // namespace detail

}  // namespace st
