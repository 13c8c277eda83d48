// The order of a table's rows sorted by one column, as a permutation that
// the grid gathers windows of rows through (data/frame_ops.h TakeRows).
#pragma once

#include <cstdint>
#include <vector>

#include "data/table.h"

namespace sluice::data {

enum class SortOrder { kAscending, kDescending };

// Row positions such that column rows taken in that order are sorted:
// stable (rows with equal values keep their order), nulls last in both
// orders. Doubles: NaNs after every number, before the nulls, in both
// orders; -0.0 equals 0.0. Bools: false < true. Strings: by bytes
// (std::string_view's order). Numbers, timestamps and bools are sorted by
// a radix sort on their bits (about 0.3 s for 10 million doubles on one
// core here); strings by a comparison sort.
// Thread-safe (no shared state); allocates about 24 bytes a row meanwhile.
std::vector<std::uint64_t> SortPermutation(const Column& column, SortOrder order);

}  // namespace sluice::data
