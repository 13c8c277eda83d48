#include "data/sort.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>
#include <utility>

namespace sluice::data {
namespace {

// Least-significant-digit radix sort of (key, row) pairs by key: stable,
// 11-bit digits (a 2048-entry histogram stays in L1), all six histograms
// counted in one read pass, and a digit that every key shares skipped (bools,
// small integers and doubles of one sign and exponent range skip most).
template <class Index>
void RadixSort(std::vector<std::uint64_t>& keys, std::vector<Index>& rows) {
  constexpr int kBits = 11;
  constexpr int kPasses = (64 + kBits - 1) / kBits;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  const std::size_t n = keys.size();
  if (n < 2) return;
  std::vector<std::array<std::size_t, kBuckets>> counts(kPasses);
  for (auto& count : counts) count.fill(0);
  for (std::uint64_t key : keys) {
    for (int pass = 0; pass < kPasses; ++pass) {
      ++counts[pass][(key >> (pass * kBits)) & (kBuckets - 1)];
    }
  }
  std::vector<std::uint64_t> keys_out(n);
  std::vector<Index> rows_out(n);
  for (int pass = 0; pass < kPasses; ++pass) {
    const int shift = pass * kBits;
    auto& count = counts[pass];
    if (count[(keys[0] >> shift) & (kBuckets - 1)] == n) continue;
    std::size_t sum = 0;
    for (std::size_t& c : count) sum += std::exchange(c, sum);  // now each bucket's start
    const std::uint64_t* key_in = keys.data();
    const Index* row_in = rows.data();
    std::uint64_t* key_to = keys_out.data();
    Index* row_to = rows_out.data();
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t key = key_in[i];
      std::size_t at = count[(key >> shift) & (kBuckets - 1)]++;
      key_to[at] = key;
      row_to[at] = row_in[i];
    }
    keys.swap(keys_out);
    rows.swap(rows_out);
  }
}

// Maps a value to an unsigned key whose order is the value's.
std::uint64_t KeyOf(std::int64_t value) {
  return static_cast<std::uint64_t>(value) ^ (std::uint64_t{1} << 63);
}
std::uint64_t KeyOf(double value) {
  if (value == 0) value = 0;  // -0.0 sorts with 0.0
  std::uint64_t bits = std::bit_cast<std::uint64_t>(value);
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// Sorts the rows that have a key, then appends NaNs and nulls in row order.
template <class Index>
std::vector<std::uint64_t> SortByKeys(const Column& column, SortOrder order) {
  const std::size_t n = column.size();
  std::vector<std::uint64_t> keys;
  std::vector<Index> rows;
  std::vector<std::uint64_t> nans;
  keys.reserve(n - column.null_count());
  rows.reserve(n - column.null_count());
  const std::uint64_t flip = order == SortOrder::kDescending ? ~std::uint64_t{0} : 0;
  auto add = [&](std::size_t row, std::uint64_t key) {
    keys.push_back(key ^ flip);
    rows.push_back(static_cast<Index>(row));
  };
  const bool nulls = column.null_count() != 0;
  switch (column.type()) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp: {
      std::span<const std::int64_t> values = column.integers();
      for (std::size_t row = 0; row < n; ++row) {
        if (!nulls || !column.is_null(row)) add(row, KeyOf(values[row]));
      }
      break;
    }
    case ColumnType::kDouble: {
      std::span<const double> values = column.doubles();
      for (std::size_t row = 0; row < n; ++row) {
        if (nulls && column.is_null(row)) continue;
        if (std::isnan(values[row])) {
          nans.push_back(static_cast<std::uint64_t>(row));
        } else {
          add(row, KeyOf(values[row]));
        }
      }
      break;
    }
    case ColumnType::kBool: {
      std::span<const std::uint8_t> values = column.bools();
      for (std::size_t row = 0; row < n; ++row) {
        if (!nulls || !column.is_null(row)) add(row, values[row] != 0 ? 1 : 0);
      }
      break;
    }
    case ColumnType::kString:
      break;  // not here: SortPermutation
  }
  RadixSort(keys, rows);
  std::vector<std::uint64_t> permutation;
  permutation.reserve(n);
  for (Index row : rows) permutation.push_back(static_cast<std::uint64_t>(row));
  permutation.insert(permutation.end(), nans.begin(), nans.end());
  for (std::size_t row = 0; nulls && row < n; ++row) {
    if (column.is_null(row)) permutation.push_back(static_cast<std::uint64_t>(row));
  }
  return permutation;
}

std::vector<std::uint64_t> SortStrings(const Column& column, SortOrder order) {
  const std::size_t n = column.size();
  std::vector<std::uint64_t> permutation;
  permutation.reserve(n);
  for (std::size_t row = 0; row < n; ++row) {
    if (!column.is_null(row)) permutation.push_back(static_cast<std::uint64_t>(row));
  }
  auto by_value = [&column, descending = order == SortOrder::kDescending](std::uint64_t a,
                                                                          std::int64_t b) {
    std::string_view x = column.string(static_cast<std::size_t>(a));
    std::string_view y = column.string(static_cast<std::size_t>(b));
    return descending ? y < x : x < y;
  };
  std::stable_sort(permutation.begin(), permutation.end(), by_value);
  for (std::size_t row = 0; row < n; ++row) {
    if (column.is_null(row)) permutation.push_back(static_cast<std::uint64_t>(row));
  }
  return permutation;
}

}  // namespace

std::vector<std::uint64_t> SortPermutation(const Column& column, SortOrder order) {
  if (column.type() == ColumnType::kString) return SortStrings(column, order);
  // Four-byte row numbers halve the bytes the radix passes move.
  if (column.size() <= std::numeric_limits<std::uint32_t>::max()) {
    return SortByKeys<std::uint32_t>(column, order);
  }
  return SortByKeys<std::uint64_t>(column, order);
}

}  // namespace sluice::data
