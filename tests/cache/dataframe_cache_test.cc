// st::DataFrame as a st::cache_data value (sluice/internal/dataframe.hpp):
// its encoding round trips, a hit decoded from a private mapping points
// into it (as st::Column does), and damaged bytes are a miss.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sluice/st.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace {

struct Report {
  st::DataFrame frame;
  std::string title;
};

static_assert(st::detail::ContainsColumn<st::DataFrame>());
static_assert(st::detail::ContainsColumn<Report>(), "a hit on a struct with a frame maps too");
static_assert(st::detail::MappingShareable<Report>(), "nothing decoded from a frame is writable");
struct FrameAndColumn {
  st::DataFrame frame;
  st::Column<double> scratch;
};
static_assert(!st::detail::MappingShareable<FrameAndColumn>(),
              "an st::Column beside the frame can be written: each hit maps its own");
static_assert(!st::detail::MappingShareable<st::Column<double>>());

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

// Over a megabyte (the size from which hits are mapped), every type, nulls.
st::DataFrame Large() {
  constexpr std::size_t kRows = 100'000;
  st::Column<double> x(kRows);
  st::Column<std::int64_t> id(kRows);
  std::vector<std::string> names(kRows);
  std::vector<bool> flags(kRows), nulls(kRows);
  for (std::size_t i = 0; i < kRows; ++i) {
    x[i] = static_cast<double>(i) * 0.5;
    id[i] = static_cast<std::int64_t>(i * 7);
    names[i] = "row " + std::to_string(i);
    flags[i] = i % 3 == 0;
    nulls[i] = i % 11 == 0;
  }
  st::DataFrame df;
  df.add("x", std::move(x), nulls)
      .add("id", std::move(id))
      .add("name", names, nulls)
      .add("flag", flags)
      .add_timestamps("at", st::Column<std::int64_t>(kRows, 1'700'000'000'000'000'000));
  return df;
}

TEST(DataFrameCacheTest, RoundTripsThroughTheHeap) {
  Report report{Large(), "large"};
  auto back = DecodeValue<Report>(EncodeValue(report));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->frame, report.frame);
  EXPECT_EQ(back->title, "large");
  EXPECT_FALSE(back->frame.mapped()) << "bytes that are not a private mapping are copied";
  auto empty = DecodeValue<st::DataFrame>(EncodeValue(st::DataFrame()));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->num_columns(), 0u);
}

TEST(DataFrameCacheTest, AHitFromAPrivateMappingPointsIntoItAndKeepsItAlive) {
  st::DataFrame original = Large();
  std::vector<std::byte> bytes = EncodeValue(Report{original, "mapped"});
  ASSERT_GT(bytes.size(), std::size_t{1} << 20);
  // Stands in for the runtime's copy-on-write mapping of the entry.
  auto buffer = std::make_shared<std::vector<std::byte>>(bytes);
  std::weak_ptr<std::vector<std::byte>> watch = buffer;
  const std::byte* first = buffer->data();
  const std::byte* last = buffer->data() + buffer->size();
  Report back;
  {
    st::ValueReader reader(*buffer, buffer);
    ASSERT_TRUE(st::detail::Decode(reader, back));
    ASSERT_TRUE(reader.at_end());
  }
  buffer.reset();
  ASSERT_TRUE(back.frame.mapped());
  auto inside = [&](const void* p) {
    auto* at = static_cast<const std::byte*>(p);
    return at >= first && at < last;
  };
  EXPECT_TRUE(inside(back.frame.doubles("x").values().data()));
  EXPECT_TRUE(inside(back.frame.int64s("id").values().data()));
  EXPECT_TRUE(inside(back.frame.timestamps("at").values().data()));
  EXPECT_TRUE(inside(back.frame.strings("name")[1].data()));
  EXPECT_EQ(back.frame, original);
  EXPECT_FALSE(watch.expired()) << "the frame holds the mapping";

  // Copies and heads share it; filtering copies out of it; when no frame
  // uses it, it goes.
  st::DataFrame head = back.frame.head(10);
  EXPECT_TRUE(head.mapped());
  st::DataFrame kept = back.frame.filter(std::vector<bool>(original.num_rows(), true));
  EXPECT_FALSE(kept.mapped());
  EXPECT_EQ(kept, original);
  back.frame = st::DataFrame();
  EXPECT_FALSE(watch.expired()) << "head still uses it";
  head = st::DataFrame();
  EXPECT_TRUE(watch.expired());
}

TEST(DataFrameCacheTest, DamagedBytesAreAMissNotACrash) {
  st::DataFrame df;
  df.add("x", st::Column<double>{1, 2, 3})
      .add("s", std::vector<std::string>{"a", "bb", "ccc"}, {false, true, false});
  std::vector<std::byte> bytes = EncodeValue(df);
  ASSERT_TRUE(DecodeValue<st::DataFrame>(bytes).has_value());
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeValue<st::DataFrame>(std::span(bytes).first(cut)).has_value()) << cut;
  }
  // Every byte flipped in turn either decodes to some frame or is refused.
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::vector<std::byte> damaged = bytes;
    damaged[at] ^= std::byte{0xff};
    auto back = DecodeValue<st::DataFrame>(damaged);
    if (back) {
      for (const std::string& name : back->column_names()) (void)back->column_type(name);
    }
  }
  // An absurd column count, and string offsets past the bytes.
  std::vector<std::byte> huge = bytes;
  std::uint64_t absurd = ~std::uint64_t{0} / 4;
  std::memcpy(huge.data() + sizeof(std::uint32_t), &absurd, sizeof absurd);
  EXPECT_FALSE(DecodeValue<st::DataFrame>(huge).has_value());
}

TEST(DataFrameCacheTest, EqualFramesHashAlikeAndOthersDoNot) {
  auto key = [](const st::DataFrame& df) {
    st::Hasher hasher;
    hasher.add(df);
    return std::string(reinterpret_cast<const char*>(hasher.data()), hasher.size());
  };
  st::DataFrame a = st::read_csv("x,y\n1,a\n2,b\n");
  EXPECT_EQ(key(a), key(st::read_csv("x,y\n1,a\n2,b\n")));
  EXPECT_NE(key(a), key(st::read_csv("x,y\n1,a\n2,c\n")));
  EXPECT_NE(key(a), key(st::read_csv("x,z\n1,a\n2,b\n")));
}

}  // namespace
