// The typed halves of st::cache_data, in one process: what makes two calls
// the same key (sluice/cache_key.hpp), how values survive a round trip
// through bytes (sluice/cache_value.hpp), and that damaged bytes are refused.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <sluice/st.hpp>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "runtime/cache_entry.h"
#include "runtime/cache_runtime.h"
#include "runtime/cache_state.h"

namespace {

namespace ipc = sluice::ipc;

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
  return sluice::runtime::cache::MakeKey(1, 2, hasher);
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

// The VmFlags of the mapping of /proc/self/smaps that holds `at`.
std::string VmFlagsAt(const void* at) {
  std::ifstream smaps("/proc/self/smaps");
  auto address = reinterpret_cast<std::uintptr_t>(at);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2 && line.find(' ') > 8) {
      inside = begin <= address && address < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// A large copy out of the cache asks for transparent huge pages: on a host
// whose THP setting is "madvise", 4 KiB pages would take 512x the faults.
TEST(CacheValueTest, LargeDecodedVectorAndStringAskForHugePages) {
  if (!std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled")) {
    GTEST_SKIP() << "this kernel has no transparent huge pages";
  }
  constexpr std::size_t kBytes = 16u << 20;
  auto vector_back =
      DecodeValue<std::vector<double>>(EncodeValue(std::vector<double>(kBytes / 8, 2.5)));
  auto string_back = DecodeValue<std::string>(EncodeValue(std::string(kBytes, 'x')));
  ASSERT_TRUE(vector_back.has_value() && string_back.has_value());
  EXPECT_EQ((*vector_back)[kBytes / 8 - 1], 2.5);
  EXPECT_EQ(string_back->back(), 'x');
  // Some 2 MiB-aligned address lies in the middle of each block.
  for (const void* block : {static_cast<const void*>(vector_back->data()),
                            static_cast<const void*>(string_back->data())}) {
    const void* middle = static_cast<const char*>(block) + kBytes / 2;
    EXPECT_THAT(VmFlagsAt(middle), ::testing::HasSubstr(" hg"));
  }
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

// A cached value may come from a worker that was taken over: bytes that
// would make an invalid bool (undefined behaviour to read) are a miss.
struct Flags {
  int count;
  bool on;
  std::array<bool, 2> pair;
};
enum class Switch : bool { off, on };
enum class Color : std::uint8_t { red, green, blue };
enum Unfixed { kA, kB };

// The offset of `field` within `object`'s bytes.
template <class T, class F>
std::size_t OffsetIn(const T& object, const F& field) {
  return static_cast<std::size_t>(reinterpret_cast<const std::byte*>(&field) -
                                  reinterpret_cast<const std::byte*>(&object));
}

// std::optional of plain contents is trivially copyable, but its flag byte
// (and a bool inside) must be checked, not copied.
TEST(CacheValueTest, AnOptionalsFlagAndContentsAreCheckedNotCopied) {
  static_assert(!st::detail::IsPlain<std::optional<int>>());
  static_assert(!st::detail::kStorable<std::variant<int, float>>, "its index is unchecked bytes");
  std::vector<std::byte> some = EncodeValue(std::optional<bool>(true));
  ASSERT_EQ(some.size(), 2u);  // the flag, then the bool
  EXPECT_EQ(DecodeValue<std::optional<bool>>(some), std::optional<bool>(true));
  for (std::size_t at : {0u, 1u}) {
    std::vector<std::byte> bad = some;
    bad[at] = std::byte{2};
    EXPECT_EQ(DecodeValue<std::optional<bool>>(bad), std::nullopt) << "byte " << at;
  }
  EXPECT_EQ(DecodeValue<std::optional<int>>(EncodeValue(std::optional<int>())),
            std::optional<std::optional<int>>(std::optional<int>()));
  EXPECT_EQ(DecodeValue<std::optional<int>>(EncodeValue(std::optional<int>(42))),
            std::optional<int>(42));
}

TEST(CacheValueTest, BoolByteOfTwoIsAMiss) {
  std::vector<std::byte> bytes = EncodeValue(true);
  ASSERT_EQ(bytes.size(), 1u);
  EXPECT_EQ(DecodeValue<bool>(bytes), true);
  bytes[0] = std::byte{2};
  EXPECT_EQ(DecodeValue<bool>(bytes), std::nullopt);

  // Inside a plain struct, an array, a vector of structs and a vector<bool>.
  Flags flags{7, true, {false, true}};
  std::vector<std::byte> flag_bytes = EncodeValue(flags);
  ASSERT_TRUE(DecodeValue<Flags>(flag_bytes).has_value());
  for (std::size_t at : {OffsetIn(flags, flags.on), OffsetIn(flags, flags.pair[1])}) {
    std::vector<std::byte> bad = flag_bytes;
    bad[at] = std::byte{2};
    EXPECT_EQ(DecodeValue<Flags>(bad), std::nullopt) << "byte " << at;
  }
  std::vector<Flags> many(3, flags);
  std::vector<std::byte> many_bytes = EncodeValue(many);
  ASSERT_TRUE(DecodeValue<std::vector<Flags>>(many_bytes).has_value());
  many_bytes[many_bytes.size() - sizeof(Flags) + OffsetIn(flags, flags.on)] = std::byte{0xff};
  EXPECT_EQ(DecodeValue<std::vector<Flags>>(many_bytes), std::nullopt);
  std::vector<std::byte> bools = EncodeValue(std::vector<bool>{true, false, true});
  EXPECT_EQ(DecodeValue<std::vector<bool>>(bools), (std::vector<bool>{true, false, true}));
  bools.back() = std::byte{2};
  EXPECT_EQ(DecodeValue<std::vector<bool>>(bools), std::nullopt);
  std::vector<std::byte> pair = EncodeValue(std::pair<int, bool>{1, false});
  pair.back() = std::byte{3};
  EXPECT_EQ((DecodeValue<std::pair<int, bool>>(pair)), std::nullopt);
}

TEST(CacheValueTest, EnumOutsideItsUnderlyingTypesValuesIsAMiss) {
  // An enum over bool holds 0 or 1 only.
  std::vector<std::byte> bytes = EncodeValue(Switch::on);
  ASSERT_EQ(bytes.size(), 1u);
  bytes[0] = std::byte{2};
  EXPECT_EQ(DecodeValue<Switch>(bytes), std::nullopt);
  // Any value of a fixed underlying type is a valid enum value in C++ (the
  // app checks unknown enumerators as for any untrusted integer) ...
  bytes[0] = std::byte{200};
  EXPECT_EQ(static_cast<int>(*DecodeValue<Color>(bytes)), 200);
  // ... and an enum without one, whose valid range the cache cannot know,
  // cannot be a cached value at all.
  static_assert(!st::detail::kStorable<Unfixed>);
  static_assert(!st::detail::kStorable<std::vector<Unfixed>>);
  static_assert(st::detail::kStorable<Color> && st::detail::kStorable<Switch>);
}

// A recorded element as Session::EndCapture writes it.
std::string RecordOf(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = capnp::canonicalize(message.getRoot<ipc::Element>().asReader());
  auto count = static_cast<std::uint32_t>(words.size());
  std::string record(reinterpret_cast<const char*>(&count), sizeof count);
  record.append(reinterpret_cast<const char*>(words.begin()), words.asBytes().size());
  return record;
}

std::span<const std::byte> BytesOf(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

TEST(CacheValueTest, AnEncodingThatGrowsAfterMeasuringIsALogicError) {
  // The error policy (sluice/st.hpp) files a codec that writes more than it
  // measured under wrong use: exactly std::logic_error, which the page names.
  std::array<std::byte, 2> room{};
  st::ValueWriter writer(room);
  try {
    writer.put(std::uint32_t{7});
    ADD_FAILURE() << "writing 4 bytes into 2 did not throw";
  } catch (const std::logic_error& e) {
    EXPECT_EQ(typeid(e), typeid(std::logic_error));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("st::ValueCodec"));
  }
}

TEST(ReplayTest, RecordedElementsAreShownAndATruncatedTailIsRefused) {
  capnp::MallocMessageBuilder first;
  first.initRoot<ipc::Element>().setText("first");
  capnp::MallocMessageBuilder second;
  second.initRoot<ipc::Element>().initCode().setSource("x = 1");
  std::string records = RecordOf(first) + RecordOf(second);
  std::vector<std::string> shown;
  auto show = [&](ipc::Element::Reader element) {
    shown.push_back(element.isText() ? element.getText().cStr() : "code");
  };
  sluice::runtime::ReplayCount count =
      sluice::runtime::ForEachRecordedElement(BytesOf(records), show);
  EXPECT_EQ(count.shown, 2u);
  EXPECT_EQ(count.refused, 0u);
  EXPECT_THAT(shown, ::testing::ElementsAre("first", "code"));

  shown.clear();
  count =
      sluice::runtime::ForEachRecordedElement(BytesOf(records.substr(0, records.size() - 3)), show);
  EXPECT_EQ(count.shown, 1u);
  EXPECT_EQ(count.refused, 1u);
}

// A widget or a layout block in an entry was not recorded by a sound worker
// (AppRunner::Place refuses them inside a cached function): refused on
// replay, while the text beside it is shown.
TEST(ReplayTest, RecordedWidgetOrBlockIsRefused) {
  capnp::MallocMessageBuilder widget;
  widget.initRoot<ipc::Element>().initWidget().setButton();
  capnp::MallocMessageBuilder columns;
  columns.initRoot<ipc::Element>().setColumns(2);
  capnp::MallocMessageBuilder text;
  text.initRoot<ipc::Element>().setText("kept");
  std::string records = RecordOf(widget) + RecordOf(text) + RecordOf(columns);
  std::vector<std::string> shown;
  sluice::runtime::ReplayCount count =
      sluice::runtime::ForEachRecordedElement(BytesOf(records), [&](ipc::Element::Reader element) {
        shown.push_back(element.isText() ? element.getText().cStr() : "other");
      });
  EXPECT_THAT(shown, ::testing::ElementsAre("kept"));
  EXPECT_EQ(count.shown, 1u);
  EXPECT_EQ(count.refused, 2u);
}

// st::metric and st::json are plain content: a cached function that showed
// them shows them again on every hit.
TEST(ReplayTest, RecordedMetricAndJsonAreShown) {
  capnp::MallocMessageBuilder metric;
  auto m = metric.initRoot<ipc::Element>().initMetric();
  m.setLabel("Rows");
  m.setValue("3");
  m.setDelta("-1");
  capnp::MallocMessageBuilder json;
  json.initRoot<ipc::Element>().initJson().setText("[1]");
  std::string records = RecordOf(metric) + RecordOf(json);
  std::vector<ipc::Element::Which> shown;
  sluice::runtime::ReplayCount count = sluice::runtime::ForEachRecordedElement(
      BytesOf(records), [&](ipc::Element::Reader element) { shown.push_back(element.which()); });
  EXPECT_THAT(shown, ::testing::ElementsAre(ipc::Element::METRIC, ipc::Element::JSON));
  EXPECT_EQ(count.refused, 0u);
}

// A crafted record: a selectbox whose many options all point at one large
// text. Small as bytes, but a copy of it (as the page would be sent) would be
// options x text long: 64 MiB under Cap'n Proto's default traversal limit.
TEST(ReplayTest, RecordWhosePointersShareTheirTargetIsRefused) {
  constexpr unsigned kOptions = 2000;
  constexpr std::size_t kTextBytes = 32 * 1024;
  capnp::MallocMessageBuilder message(1u << 16, capnp::AllocationStrategy::FIXED_SIZE);
  auto options =
      message.initRoot<ipc::Element>().initWidget().initSelectbox().initOptions(kOptions);
  options.set(0, std::string(kTextBytes, 'x'));
  for (unsigned i = 1; i < kOptions; ++i) options.set(i, "a");
  kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments = message.getSegmentsForOutput();
  ASSERT_EQ(segments.size(), 1u);
  std::vector<std::uint64_t> words(segments[0].size());
  std::memcpy(words.data(), segments[0].begin(), words.size() * sizeof(std::uint64_t));
  const auto* base = reinterpret_cast<const char*>(segments[0].begin());
  auto word_of = [&](const char* at) { return static_cast<std::size_t>(at - base) / 8; };
  const std::size_t big = word_of(options[0].begin());
  // A list pointer to bytes: kind 1, element size 2, the count above bit 35,
  // the offset (from the word after the pointer) in bits 2..31.
  auto list_pointer = [](std::size_t from, std::size_t to, std::uint64_t bytes) {
    auto offset = static_cast<std::uint32_t>(static_cast<std::int64_t>(to) -
                                             static_cast<std::int64_t>(from + 1));
    return std::uint64_t{1} | (std::uint64_t{offset} << 2) | (std::uint64_t{2} << 32) |
           (bytes << 35);
  };
  // The options' pointers sit side by side; find them by the second one.
  const std::size_t second = word_of(options[1].begin());
  std::size_t list = words.size();
  for (std::size_t w = 0; w < words.size(); ++w) {
    if (words[w] == list_pointer(w, second, 2)) list = w - 1;
  }
  ASSERT_LT(list, words.size()) << "the options' pointers were not found";
  ASSERT_EQ(words[list], list_pointer(list, big, kTextBytes + 1));
  for (unsigned i = 1; i < kOptions; ++i) {
    words[list + i] = list_pointer(list + i, big, kTextBytes + 1);
  }
  auto count = static_cast<std::uint32_t>(words.size());
  std::string record(reinterpret_cast<const char*>(&count), sizeof count);
  record.append(reinterpret_cast<const char*>(words.data()), words.size() * 8);
  ASSERT_LT(record.size(), 128u * 1024);

  bool shown = false;
  sluice::runtime::ReplayCount replayed = sluice::runtime::ForEachRecordedElement(
      BytesOf(record), [&](ipc::Element::Reader) { shown = true; });
  EXPECT_FALSE(shown);
  EXPECT_EQ(replayed.refused, 1u);
  EXPECT_EQ(replayed.shown, 0u);
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
  ASSERT_TRUE(sluice::runtime::PrepareCacheInZygote({nullptr, 0, v1}).ok());
  auto old_key = KeyOf(3);
  ASSERT_TRUE(sluice::runtime::PrepareCacheInZygote({nullptr, 0, v2}).ok());
  EXPECT_NE(KeyOf(3), old_key);
  ASSERT_TRUE(sluice::runtime::PrepareCacheInZygote({nullptr, 0, v1}).ok());
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
