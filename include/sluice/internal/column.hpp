// App authors need not read this file: sluice internals behind <sluice/column.hpp>.
// Templates there need it in view of the compiler; it may change in any release.
#pragma once

#include <boost/pfr/core.hpp>
#include <cstdint>
#include <sluice/column.hpp>

namespace st {

// Encoded like std::vector<T> (a count, then the elements on a 64-byte
// boundary), so a column's elements can be used where they lie.
template <class T>
struct ValueCodec<Column<T>> {
  static void encode(ValueWriter& out, const Column<T>& column) {
    out.put(static_cast<std::uint64_t>(column.size()));
    out.align(detail::kArrayAlignment);
    out.put_bytes(column.data(), column.size() * sizeof(T));
  }
  static bool decode(ValueReader& in, Column<T>& column) {
    std::uint64_t count = 0;
    if (!in.get(count) || !in.align(detail::kArrayAlignment) || !in.has(count, sizeof(T))) {
      return false;
    }
    const std::byte* from = in.take(count * sizeof(T));
    if (from == nullptr) return false;
    column.clear();
    std::byte* own = in.mapped(from);
    if (own != nullptr && reinterpret_cast<std::uintptr_t>(own) % alignof(T) == 0) {
      column.mapping_ = in.mapping();
      column.mapped_ = reinterpret_cast<T*>(own);
      column.mapped_size_ = count;
    } else {
      detail::AssignBytes(column.heap_, from, count);
    }
    return true;
  }
};

namespace detail {

template <class T>
struct IsColumn : std::false_type {};
// Other types whose hits map their bulk data (st::DataFrame specializes it).
template <class T>
struct MappedOnHit : std::false_type {};

// Hands a column's elements over without copying them: where they are (its
// heap storage or its cache mapping), and what keeps them alive. The column
// is left empty.
struct ColumnStorage {
  template <class T>
  static std::shared_ptr<const void> Release(Column<T>& column, const T** data, std::size_t* size) {
    if (column.mapping_) {
      *data = column.mapped_;
      *size = column.mapped_size_;
      std::shared_ptr<const void> owner = std::move(column.mapping_);
      column.Release();
      return owner;
    }
    auto owner = std::make_shared<const std::vector<T>>(std::move(column.heap_));
    column.heap_.clear();
    *data = owner->data();
    *size = owner->size();
    return owner;
  }
};
template <class T>
struct IsColumn<Column<T>> : std::true_type {};

// Whether a value of type T holds, anywhere in it, a type `Is` accepts
// (Is<U>::value). The walk every "does this value hold ..." question shares.
template <template <class> class Is, class T>
constexpr bool Holds();
template <template <class> class Is, class T, std::size_t... I>
constexpr bool FieldsHold(std::index_sequence<I...>) {
  return (Holds<Is, boost::pfr::tuple_element_t<I, T>>() || ...);
}
template <template <class> class Is, class T>
constexpr bool Holds() {
  if constexpr (Is<T>::value) {
    return true;
  } else if constexpr (HasCustomCodec<T> || IsPlain<T>() || std::is_same_v<T, std::string>) {
    return false;
  } else if constexpr (IsVector<T>::value || IsOptional<T>::value) {
    return Holds<Is, typename T::value_type>();
  } else if constexpr (IsPair<T>::value) {
    return Holds<Is, typename T::first_type>() || Holds<Is, typename T::second_type>();
  } else if constexpr (AggregateStorable<T>()) {
    return FieldsHold<Is, T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  } else {
    return false;
  }
}

template <class T>
struct IsMappedOnHit : std::bool_constant<IsColumn<T>::value || MappedOnHit<T>::value> {};

// Whether a value of type T holds an st::Column (or a frame) anywhere: only
// then is a hit worth mapping instead of copying.
template <class T>
constexpr bool ContainsColumn() {
  return Holds<IsMappedOnHit, T>();
}

// Whether a hit's mapping may be shared with an earlier hit of the same
// entry in this process: only if nothing decoded from it can be written
// (an st::Column can; a frame's columns cannot). Sharing keeps the same
// bytes at the same addresses, so a grid can tell the frame is the same.
template <class T>
constexpr bool MappingShareable() {
  return ContainsColumn<T>() && !Holds<IsColumn, T>();
}

}  // namespace detail

}  // namespace st
