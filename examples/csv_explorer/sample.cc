#include "sample.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace explorer {
namespace {

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and its output is fixed
// by the algorithm, so the sample is byte for byte the same everywhere.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // In [0, n); the modulo bias is far below anything a sample shows.
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

 private:
  std::uint64_t state_;
};

constexpr std::array<const char*, 8> kCategories = {"books", "garden",   "games", "kitchen",
                                                    "music", "outdoors", "toys",  "tools"};

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kStart = 1'704'067'200 * kNanosPerSecond;  // 2024-01-01T00:00:00Z

}  // namespace

st::DataFrame MakeSample() {
  const std::size_t n = kSampleRows;
  std::vector<std::int64_t> order_id(n), quantity(n), ordered_at(n);
  std::vector<double> price(n), rating(n);
  std::vector<std::string> category(n);
  SplitMix64 random(20240101);
  std::int64_t at = kStart;
  for (std::size_t i = 0; i < n; ++i) {
    order_id[i] = static_cast<std::int64_t>(i) + 1;
    price[i] = static_cast<double>(100 + random.Below(49'900)) / 100.0;
    quantity[i] = 1 + static_cast<std::int64_t>(random.Below(20));
    rating[i] = static_cast<double>(10 + random.Below(41)) / 10.0;
    category[i] = kCategories[random.Below(kCategories.size())];
    at += static_cast<std::int64_t>(15 + random.Below(31)) * kNanosPerSecond;
    ordered_at[i] = at;
  }
  st::DataFrame frame;
  frame.add("order_id", std::move(order_id))
      .add("price", std::move(price))
      .add("quantity", std::move(quantity))
      .add("rating", std::move(rating))
      .add("category", category)
      .add_timestamps("ordered_at", st::Column<std::int64_t>(std::move(ordered_at)));
  return frame;
}

}  // namespace explorer
