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

template <class T>
constexpr bool ContainsColumn();
template <class T, std::size_t... I>
constexpr bool FieldsContainColumn(std::index_sequence<I...>) {
  return (ContainsColumn<boost::pfr::tuple_element_t<I, T>>() || ...);
}
// Whether a value of type T holds an st::Column (or a frame) anywhere: only then is a hit
// worth mapping instead of copying.
template <class T>
constexpr bool ContainsColumn() {
  if constexpr (IsColumn<T>::value || MappedOnHit<T>::value) {
    return true;
  } else if constexpr (HasCustomCodec<T> || IsPlain<T>() || std::is_same_v<T, std::string>) {
    return false;
  } else if constexpr (IsVector<T>::value || IsOptional<T>::value) {
    return ContainsColumn<typename T::value_type>();
  } else if constexpr (IsPair<T>::value) {
    return ContainsColumn<typename T::first_type>() || ContainsColumn<typename T::second_type>();
  } else if constexpr (AggregateStorable<T>()) {
    return FieldsContainColumn<T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  } else {
    return false;
  }
}

}  // namespace detail

}  // namespace st
