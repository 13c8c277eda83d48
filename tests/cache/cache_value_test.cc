// The typed halves of st::cache_data, in one process: what makes two calls
// the same key (sluice/cache_key.hpp), how values survive a round trip
// through bytes (sluice/cache_value.hpp), and that damaged bytes are refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <sluice/st.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "worker/cache_runtime.h"
#include "worker/cache_state.h"

namespace {

struct Frame {
  std::vector<double> x, y;
  std::string label;
  int version;
};

struct Nested {
  std::vector<std::string> names;
  std::optional<Frame> frame;
  std::pair<int, std::string> tag;
  std::vector<Frame> frames;
};

struct Point {
  int x;
  int y;
};
void SluiceHashValue(st::Hasher& h, const Point& p) {
  h.add(p.x);
  h.add(p.y);
}

template <class T>
std::vector<std::byte> EncodeValue(const T& value) {
  st::ValueWriter measure;
  st::detail::Encode(measure, value);
  std::vector<std::byte> bytes(measure.size());
  st::ValueWriter writer(bytes);
  st::detail::Encode(writer, value);
  return bytes;
}

template <class T>
std::optional<T> DecodeValue(std::span<const std::byte> bytes) {
  T value{};
  st::ValueReader reader(bytes);
  if (!st::detail::Decode(reader, value) || !reader.at_end()) return std::nullopt;
  return value;
}

template <class... A>
sluice::shm_cache::Key KeyOf(const A&... args) {
  st::Hasher hasher;
  st::detail::HashArguments(hasher, args...);
  return sluice::worker::cache::MakeKey(1, 2, hasher);
}

TEST(CacheValueTest, AggregateOfVectorsRoundTrips) {
  Frame frame{{1, 2, 3}, {4.5, -0.0}, "sales", 7};
  auto back = DecodeValue<Frame>(EncodeValue(frame));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->x, frame.x);
  EXPECT_EQ(back->y, frame.y);
  EXPECT_EQ(back->label, "sales");
  EXPECT_EQ(back->version, 7);
}

TEST(CacheValueTest, NestedContainersRoundTrip) {
  Nested nested{{"a", "", "ccc"},
                Frame{{1}, {}, "f", 1},
                {3, "three"},
                {Frame{{}, {2, 2}, "g", 2}, Frame{{9}, {}, "", 3}}};
  auto back = DecodeValue<Nested>(EncodeValue(nested));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->names, nested.names);
  ASSERT_TRUE(back->frame.has_value());
  EXPECT_EQ(back->frame->label, "f");
  EXPECT_EQ(back->tag, nested.tag);
  ASSERT_EQ(back->frames.size(), 2u);
  EXPECT_EQ(back->frames[1].x, std::vector<double>{9});
}

TEST(CacheValueTest, VectorOfDoublesIsOneAlignedBlock) {
  std::vector<double> values(1000, 1.5);
  auto bytes = EncodeValue(values);
  // A count, padding to the array alignment, then the doubles as they are.
  EXPECT_EQ(bytes.size(), st::detail::kArrayAlignment + values.size() * sizeof(double));
  EXPECT_EQ(DecodeValue<std::vector<double>>(bytes), values);
}

TEST(CacheValueTest, TruncatedOrDamagedBytesAreRefused) {
  Frame frame{{1, 2, 3}, {4}, "label", 1};
  auto bytes = EncodeValue(frame);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeValue<Frame>(std::span(bytes).first(cut)).has_value()) << "cut at " << cut;
  }
  // A count far beyond the bytes must not allocate it.
  std::vector<std::byte> huge = bytes;
  const std::uint64_t absurd = std::uint64_t{1} << 60;
  std::memcpy(huge.data(), &absurd, sizeof absurd);
  EXPECT_FALSE(DecodeValue<Frame>(huge).has_value());
}

TEST(CacheKeyTest, EqualValuesGiveEqualKeys) {
  EXPECT_EQ(KeyOf(3, std::string("a")), KeyOf(3, std::string("a")));
  EXPECT_EQ(KeyOf(3), KeyOf(3L)) << "the same number as another integer type";
  EXPECT_EQ(KeyOf(std::string("abc")), KeyOf(std::string_view("abc")));
  EXPECT_EQ(KeyOf(0.0), KeyOf(-0.0));
  EXPECT_EQ(KeyOf(std::nan("1")), KeyOf(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_EQ(KeyOf(Point{1, 2}), KeyOf(Point{1, 2}));
}

TEST(CacheKeyTest, DifferentValuesGiveDifferentKeys) {
  EXPECT_NE(KeyOf(3), KeyOf(4));
  EXPECT_NE(KeyOf(std::string("ab"), std::string("c")), KeyOf(std::string("a"), std::string("bc")));
  EXPECT_NE(KeyOf(std::vector<int>{1, 2}), KeyOf(std::vector<int>{1}, 2));
  EXPECT_NE(KeyOf(std::optional<int>()), KeyOf(std::optional<int>(0)));
  EXPECT_NE(KeyOf(Point{1, 2}), KeyOf(Point{2, 1}));
  std::vector<double> big(100000, 1.0), other = big;
  other.back() = 2.0;
  EXPECT_NE(KeyOf(big), KeyOf(other)) << "large arguments are folded, not truncated";
}

TEST(CacheKeyTest, UnhashedArgumentsAreLeftOut) {
  int connection_a = 1, connection_b = 2;
  EXPECT_EQ(KeyOf(st::unhashed(connection_a), 5), KeyOf(st::unhashed(connection_b), 5));
  EXPECT_NE(KeyOf(st::unhashed(connection_a), 5), KeyOf(st::unhashed(connection_a), 6));
}

TEST(CacheKeyTest, ARebuiltAppGivesEveryKeyAnew) {
  // The app build is a digest of the library's bytes: a rebuilt app (other
  // bytes) must miss every entry the old build made.
  auto write = [](const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  };
  std::string dir = ::testing::TempDir();
  std::string v1 = dir + "/app_v1.so", v2 = dir + "/app_v2.so";
  write(v1, "build one");
  write(v2, "build two");
  ASSERT_TRUE(sluice::worker::PrepareCacheInZygote({nullptr, 0, v1}).ok());
  auto old_key = KeyOf(3);
  ASSERT_TRUE(sluice::worker::PrepareCacheInZygote({nullptr, 0, v2}).ok());
  EXPECT_NE(KeyOf(3), old_key);
  ASSERT_TRUE(sluice::worker::PrepareCacheInZygote({nullptr, 0, v1}).ok());
  EXPECT_EQ(KeyOf(3), old_key) << "the same build must find its entries";
  std::remove(v1.c_str());
  std::remove(v2.c_str());
}

TEST(CacheDataInProcessTest, SessionScopeComputesOncePerKey) {
  int calls = 0;
  auto square = [&calls](int n) {
    ++calls;
    return n * n;
  };
  auto cached = st::cache_data(square, {.scope = st::CacheScope::session});
  EXPECT_EQ(cached(4), 16);
  EXPECT_EQ(cached(4), 16);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cached(5), 25);
  EXPECT_EQ(calls, 2);
  cached.clear(4);
  EXPECT_EQ(cached(4), 16);
  EXPECT_EQ(calls, 3);
}

TEST(CacheDataInProcessTest, WithoutAnArenaTheFunctionJustRuns) {
  int calls = 0;
  auto cached = st::cache_data([&calls](int n) { return ++calls + n * 0; });
  EXPECT_EQ(cached(1), 1);
  EXPECT_EQ(cached(1), 2);
}

TEST(CacheResourceInProcessTest, OneObjectPerArgumentsReturnedByReference) {
  int builds = 0;
  auto pool = st::cache_resource([&builds](int size) {
    ++builds;
    return std::vector<int>(static_cast<std::size_t>(size));
  });
  std::vector<int>& a = pool(3);
  std::vector<int>& b = pool(3);
  EXPECT_EQ(&a, &b) << "copied instead of shared";
  EXPECT_EQ(builds, 1);
  pool(4);
  EXPECT_EQ(builds, 2);
  pool.clear();
  pool(3);
  EXPECT_EQ(builds, 3);
}

TEST(CacheResourceInProcessTest, ValidateFalseRebuilds) {
  int builds = 0;
  auto conn = st::cache_resource([&builds] { return ++builds; },
                                 {.validate = [](int& id) { return id >= 2; }});
  EXPECT_EQ(conn(), 1);  // built; validated only on later calls
  EXPECT_EQ(conn(), 2);  // 1 fails validation: rebuilt
  EXPECT_EQ(conn(), 2);
}

TEST(CacheResourceInProcessTest, MaxEntriesDropsTheLeastRecentlyUsed) {
  int builds = 0;
  auto make = st::cache_resource([&builds](int n) { return n + 0 * ++builds; }, {.max_entries = 2});
  make(1);
  make(2);
  make(1);
  make(3);  // drops 2
  EXPECT_EQ(builds, 3);
  make(1);
  EXPECT_EQ(builds, 3);
  make(2);
  EXPECT_EQ(builds, 4);
}

}  // namespace

namespace {
struct Fragile {
  int v;
};
}  // namespace

// A codec that cannot encode: the caller still gets its value.
template <>
struct st::ValueCodec<Fragile> {
  static void encode(st::ValueWriter&, const Fragile&) { throw std::runtime_error("no encoding"); }
  static bool decode(st::ValueReader&, Fragile&) { return false; }
};

namespace {

TEST(CacheDataInProcessTest, AValueThatCannotBeEncodedIsReturnedButNotKept) {
  int calls = 0;
  auto make = st::cache_data(
      [&calls](int n) {
        ++calls;
        return Fragile{n};
      },
      {.scope = st::CacheScope::session});
  EXPECT_EQ(make(3).v, 3);
  EXPECT_EQ(make(3).v, 3);
  EXPECT_EQ(calls, 2);
}

// ---- st::Column ------------------------------------------------------------

struct Columns {
  st::Column<double> x;
  st::Column<std::int32_t> ids;
  std::string label;
};

static_assert(st::detail::ContainsColumn<Columns>());
static_assert(st::detail::ContainsColumn<std::optional<std::pair<int, st::Column<float>>>>());
static_assert(!st::detail::ContainsColumn<Frame>());
static_assert(!st::detail::ContainsColumn<std::vector<double>>());

TEST(ColumnTest, EncodesLikeAVectorAndRoundTripsThroughTheHeap) {
  st::Column<double> column{1.5, -2.0, 3.25};
  EXPECT_EQ(EncodeValue(column), EncodeValue(std::vector<double>{1.5, -2.0, 3.25}));
  auto back = DecodeValue<Columns>(EncodeValue(Columns{column, {7, 8}, "frame"}));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->x, column);
  EXPECT_FALSE(back->x.mapped()) << "bytes that are not a private mapping are copied";
  EXPECT_EQ(back->ids.to_vector(), (std::vector<std::int32_t>{7, 8}));
  EXPECT_EQ(back->label, "frame");
}

TEST(ColumnTest, DecodedFromAPrivateMappingItPointsIntoItAndKeepsItAlive) {
  Columns value{st::Column<double>(1000, 0.5), {1, 2, 3}, "mapped"};
  std::vector<std::byte> bytes = EncodeValue(value);
  // Stands in for the runtime's mapping: alive while a column uses it.
  auto buffer = std::make_shared<std::vector<std::byte>>(bytes);
  std::weak_ptr<std::vector<std::byte>> watch = buffer;
  Columns back;
  {
    st::ValueReader reader(*buffer, buffer);
    ASSERT_TRUE(st::detail::Decode(reader, back));
    ASSERT_TRUE(reader.at_end());
  }
  std::byte* first = buffer->data();
  std::byte* last = buffer->data() + buffer->size();
  buffer.reset();
  ASSERT_TRUE(back.x.mapped());
  EXPECT_GE(reinterpret_cast<std::byte*>(back.x.data()), first);
  EXPECT_LT(reinterpret_cast<std::byte*>(back.x.data()), last);
  EXPECT_EQ(back.x, value.x);
  EXPECT_EQ(back.ids, value.ids);
  EXPECT_FALSE(watch.expired()) << "the columns hold the mapping";

  // A copy is the caller's own, in the heap; growing a mapped column moves
  // it to the heap; when no column uses the mapping, it goes.
  st::Column<double> copy = back.x;
  EXPECT_FALSE(copy.mapped());
  EXPECT_EQ(copy, value.x);
  back.x.push_back(9.0);
  EXPECT_FALSE(back.x.mapped());
  EXPECT_EQ(back.x.size(), 1001u);
  EXPECT_EQ(back.x[0], 0.5);
  EXPECT_FALSE(watch.expired()) << "ids still uses it";
  back.ids.clear();
  EXPECT_TRUE(watch.expired());
}

TEST(ColumnTest, DamagedBytesAreRefused) {
  std::vector<std::byte> bytes = EncodeValue(Columns{st::Column<double>(100, 1.0), {}, "x"});
  for (std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{100}, bytes.size() - 1}) {
    EXPECT_FALSE(DecodeValue<Columns>(std::span(bytes).first(cut)).has_value()) << cut;
  }
  std::vector<std::byte> huge = bytes;
  std::uint64_t absurd = ~std::uint64_t{0} / 4;
  std::memcpy(huge.data(), &absurd, sizeof absurd);
  EXPECT_FALSE(DecodeValue<Columns>(huge).has_value());
}

}  // namespace
