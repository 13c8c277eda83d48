// App authors need not read this file: sluice internals behind <sluice/cache_key.hpp>.
// Templates there need it in view of the compiler; it may change in any release.
#pragma once

#include <sluice/cache_key.hpp>

namespace st {

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
