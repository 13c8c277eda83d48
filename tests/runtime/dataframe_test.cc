// st::DataFrame, st::read_csv and st::to_csv (sluice/dataframe.hpp,
// sluice/csv.hpp) as an app uses them, in one process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sluice/st.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "runtime/frame_access.h"
#include "runtime/upload_buffer.h"
#include "runtime/upload_store.h"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Runs `body`, which must throw E, and returns the message.
template <class E, class F>
std::string MessageOf(F&& body) {
  try {
    body();
  } catch (const E& error) {
    return error.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return {};
}

st::DataFrame Sample() {
  st::DataFrame df;
  df.add("id", st::Column<std::int64_t>{1, 2, 3, 4})
      .add("price", st::Column<double>{1.5, -2.0, 0.25, 8.0}, {false, true, false, false})
      .add("name", std::vector<std::string>{"a", "b,c", "", "d\"e"}, {false, false, true, false})
      .add("ok", std::vector<bool>{true, false, true, true})
      .add_timestamps("at", st::Column<std::int64_t>{0, 1'706'659'200'000'000'000, -1, 5});
  return df;
}

TEST(DataFrameTest, HoldsNamedTypedColumnsWithNulls) {
  st::DataFrame df = Sample();
  EXPECT_EQ(df.num_rows(), 4u);
  EXPECT_EQ(df.num_columns(), 5u);
  EXPECT_THAT(df.column_names(), ElementsAre("id", "price", "name", "ok", "at"));
  EXPECT_EQ(df.column_type("price"), st::ColumnType::float64);
  EXPECT_THAT(df.int64s("id").values(), ElementsAre(1, 2, 3, 4));
  EXPECT_TRUE(df.is_null("price", 1));
  EXPECT_TRUE(df.doubles("price").is_null(1));
  EXPECT_EQ(df.doubles("price")[3], 8.0);
  EXPECT_EQ(df.strings("name")[1], "b,c");
  EXPECT_TRUE(df.is_null("name", 2));
  EXPECT_EQ(df.bools("ok")[1], false);
  EXPECT_EQ(df.timestamps("at")[1], 1'706'659'200'000'000'000);
  EXPECT_FALSE(df.mapped());
}

TEST(DataFrameTest, AColumnMovedInKeepsItsStorage) {
  st::Column<double> values(1'000'000, 0.5);
  const double* where = values.data();
  st::DataFrame df;
  df.add("x", std::move(values));
  EXPECT_EQ(df.doubles("x").values().data(), where) << "moved in, not copied";
  std::vector<std::int64_t> ids(1'000'000, 7);
  const std::int64_t* ids_at = ids.data();
  df.add("ids", std::move(ids));
  EXPECT_EQ(df.int64s("ids").values().data(), ids_at) << "a vector's storage too";
  st::DataFrame copy = df;
  EXPECT_EQ(copy.doubles("x").values().data(), where) << "copies share the columns";
  EXPECT_EQ(copy.head(10).doubles("x").values().data(), where) << "so does head";
}

TEST(DataFrameTest, ReadingAColumnAsAnotherTypeNamesItsType) {
  st::DataFrame df = Sample();
  EXPECT_EQ(MessageOf<std::invalid_argument>([&] { df.int64s("price"); }),
            "st::DataFrame: column 'price' is double, not int64");
  EXPECT_THAT(MessageOf<std::invalid_argument>([&] { df.int64s("at"); }),
              HasSubstr("is timestamp, not int64"));
  EXPECT_THAT(MessageOf<std::out_of_range>([&] { df.doubles("cost"); }),
              HasSubstr("no column named 'cost'"));
  EXPECT_THROW(df.is_null("id", 4), std::out_of_range);
}

TEST(DataFrameTest, AddingAColumnOfAnotherLengthOrATakenNameThrows) {
  st::DataFrame df = Sample();
  EXPECT_THAT(MessageOf<std::invalid_argument>([&] {
                df.add("short", st::Column<double>{1.0, 2.0});
              }),
              HasSubstr("column 'short' has 2 rows, the frame has 4"));
  EXPECT_THAT(MessageOf<std::invalid_argument>([&] { df.add("id", st::Column<double>(4)); }),
              HasSubstr("already has a column named 'id'"));
  EXPECT_THAT(MessageOf<std::invalid_argument>([&] { df.add("n", st::Column<double>(4), {true}); }),
              HasSubstr("4 rows but 1 null flags"));
  EXPECT_EQ(df.num_columns(), 5u) << "a failed add changes nothing";
}

TEST(DataFrameTest, HeadAndFilter) {
  st::DataFrame df = Sample();
  st::DataFrame head = df.head(2);
  EXPECT_EQ(head.num_rows(), 2u);
  EXPECT_EQ(head.num_columns(), 5u);
  EXPECT_EQ(df.head(100), df);
  st::DataFrame kept = df.filter(std::vector<bool>{false, true, false, true});
  EXPECT_THAT(kept.int64s("id").values(), ElementsAre(2, 4));
  EXPECT_TRUE(kept.is_null("price", 0));
  EXPECT_EQ(kept.strings("name")[1], "d\"e");
  EXPECT_THAT(MessageOf<std::invalid_argument>([&] { df.filter(std::vector<bool>{true}); }),
              HasSubstr("a mask of 1 rows for a table of 4 rows"));
}

TEST(DataFrameTest, TheRuntimeSeesTheFramesTable) {
  st::DataFrame df = Sample();
  std::shared_ptr<const sluice::data::Table> table = sluice::runtime::TableOf(df);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->num_rows(), 4u);
  EXPECT_EQ(sluice::runtime::FrameOf(table), df);
  EXPECT_EQ(sluice::runtime::TableOf(st::DataFrame())->num_columns(), 0u);
}

TEST(ReadCsvTest, ToCsvThenReadCsvGivesTheSameFrame) {
  st::DataFrame df = Sample();
  std::string text = st::to_csv(df);
  EXPECT_THAT(text, HasSubstr("id,price,name,ok,at\n1,1.5,a,true,1970-01-01T00:00:00Z\n"));
  st::DataFrame back = st::read_csv(text);
  EXPECT_EQ(back, df) << text;
  EXPECT_EQ(st::read_csv(st::to_csv(df, {.delimiter = ';'}), {.delimiter = ';'}), df);
}

TEST(ReadCsvTest, TakesTheOptions) {
  st::DataFrame df =
      st::read_csv("a;b\n1;x\nNA;y\n3;z\n", {.delimiter = ';',
                                             .column_types = {{"a", st::ColumnType::float64}},
                                             .null_values = {"NA"},
                                             .max_rows = 2});
  EXPECT_EQ(df.num_rows(), 2u);
  EXPECT_EQ(df.column_type("a"), st::ColumnType::float64);
  EXPECT_TRUE(df.is_null("a", 1));
  EXPECT_EQ(df.strings("b")[1], "y");
  st::DataFrame headless = st::read_csv(std::string("1,2\n"), {.header = false});
  EXPECT_THAT(headless.column_names(), ElementsAre("column_1", "column_2"));
}

TEST(ReadCsvTest, AMalformedFileNamesLineAndColumn) {
  EXPECT_EQ(MessageOf<std::runtime_error>([] {
              st::read_csv("a,price\n1,2\n2,abc\n",
                           {.column_types = {{"price", st::ColumnType::float64}}});
            }),
            "st::read_csv: line 3, column 2 (price): 'abc' is not a double");
  EXPECT_THAT(MessageOf<std::runtime_error>([] { st::read_csv("a,b\n1,2\n3\n"); }),
              HasSubstr("line 3"));
}

class ReadCsvFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("sluice_read_csv_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path Write(const std::string& name, const std::string& text) {
    std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(ReadCsvFileTest, ReadsAFileByPath) {
  st::DataFrame df = st::read_csv(Write("data.csv", "\xEF\xBB\xBFx,y\r\n1,\"a\r\nb\"\r\n"));
  EXPECT_EQ(df.int64s("x")[0], 1);
  EXPECT_EQ(df.strings("y")[0], "a\r\nb");
  EXPECT_EQ(st::read_csv(Write("empty.csv", "")).num_columns(), 0u);
}

TEST_F(ReadCsvFileTest, AMissingFileNamesThePath) {
  std::filesystem::path missing = dir_ / "missing.csv";
  std::string message = MessageOf<std::runtime_error>([&] { st::read_csv(missing); });
  EXPECT_THAT(message, HasSubstr(missing.string()));
  EXPECT_THAT(message, HasSubstr("No such file"));
  EXPECT_THAT(MessageOf<std::runtime_error>([&] { st::read_csv(dir_); }), HasSubstr(dir_.string()));
}

TEST_F(ReadCsvFileTest, AMalformedFileNamesThePathLineAndColumn) {
  std::filesystem::path path = Write("bad.csv", "a,b\n1,2\n3,\"x\"y\n");
  std::string message = MessageOf<std::runtime_error>([&] { st::read_csv(path); });
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("line 3, column 2"));
}

TEST(ReadCsvUploadTest, ReadsAnUploadedFilesBytes) {
  const std::string text = "city,population\nOslo,709037\n\"Bergen, NO\",291940\n";
  auto data = std::make_shared<st::detail::UploadedFileData>();
  data->name = "cities.csv";
  data->size = text.size();
  auto buffer = sluice::runtime::UploadBuffer::Create(text.size());
  ASSERT_TRUE(buffer.ok());
  ASSERT_TRUE((*buffer)->Append(std::as_bytes(std::span(text))));
  data->buffer = *std::move(buffer);
  st::UploadedFile file(data);
  st::DataFrame df = st::read_csv(file);
  EXPECT_THAT(df.int64s("population").values(), ElementsAre(709037, 291940));
  EXPECT_EQ(df.strings("city")[1], "Bergen, NO");
  data->buffer->Wipe();
  EXPECT_EQ(df.strings("city")[1], "Bergen, NO") << "the frame owns its values";
}

}  // namespace
