// The explorer's sample data: what it shows before the viewer uploads a file.
#pragma once

#include <cstddef>
#include <sluice/dataframe.hpp>

namespace explorer {

inline constexpr std::size_t kSampleRows = 1'000'000;

// kSampleRows orders, the same on every call and every machine (a fixed
// splitmix64 stream, no <random> distributions, whose results differ between
// standard libraries): order_id (int64, 1, 2, ...), price (double, cents,
// 1.00 to 499.99), quantity (int64, 1 to 20), rating (double, 1.0 to 5.0 in
// tenths), category (string, one of eight), ordered_at (timestamp, every 30 s
// or so from 2024-01-01T00:00:00Z). Takes a few hundred milliseconds: call it
// through st::cache_data.
st::DataFrame MakeSample();

}  // namespace explorer
