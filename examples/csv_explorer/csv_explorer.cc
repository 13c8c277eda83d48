// The CSV explorer: load a CSV (or explore a generated 1,000,000-row sample),
// keep the rows whose value in one numeric column lies in a range, see how
// many that is, scroll them, and download them as CSV.
//
//   build/bin/sluice serve build/examples/csv_explorer.so
//
// Everything heavy happens once per server, not once per tab: the sample is
// generated through st::cache_data, and an uploaded file is parsed through
// st::cache_data keyed by its bytes. The grid never sends the whole frame to
// the page, and the filtered CSV is only written when the viewer clicks
// "Download".
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sluice/st.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sample.h"

namespace {

// Generated once per server: the first tab that opens waits for it, every
// other tab (and every rerun) gets the stored frame, whose columns are mapped
// from the shared cache rather than copied.
const auto cached_sample =
    st::cache_data(explorer::MakeSample, {.spinner_text = "Generating a 1,000,000-row sample..."});

// The cache key is (this function, the upload's bytes, the delimiter). The
// bytes arrive as a std::string_view over the upload where it lies in this
// worker's memory; st::Hasher folds a piece over 1 KiB into a keyed
// XXH3-128 digest as it reads it, so the key costs one pass over the bytes
// and no copy. The file's name and upload id are not in the key: the same
// bytes uploaded again, in any tab, are parsed once. A malformed file throws
// (and is not cached), so its error is shown again on each run.
st::DataFrame ParseCsv(std::string_view text, char delimiter) {
  return st::read_csv(text, {.delimiter = delimiter});
}
const auto cached_parse = st::cache_data(ParseCsv, {.spinner_text = "Reading the file..."});

// "1000000" -> "1,000,000": row counts read at a glance.
std::string Grouped(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

char DelimiterFor(std::string_view file_name) {
  std::string lower(file_name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.ends_with(".tsv") ? '\t' : ',';
}

struct Loaded {
  st::DataFrame frame;
  std::string source;  // said in the caption
};

// The uploaded file's frame, or the sample when there is none or it does not
// parse (then the reader's message, naming the line and column, is shown).
Loaded Load(const std::optional<st::UploadedFile>& file) {
  if (file) {
    try {
      return {cached_parse(file->text(), DelimiterFor(file->name())), file->name()};
    } catch (const std::runtime_error& error) {
      st::error("Could not read " + file->name() + ": " + error.what() +
                ". Showing the sample instead.");
    }
  }
  return {cached_sample(), "the generated sample"};
}

std::vector<std::string> NumericColumns(const st::DataFrame& frame) {
  std::vector<std::string> names;
  for (const std::string& name : frame.column_names()) {
    st::ColumnType type = frame.column_type(name);
    if (type == st::ColumnType::int64 || type == st::ColumnType::float64) names.push_back(name);
  }
  return names;
}

// The smallest and largest value of a numeric column, leaving out nulls and
// NaN; nothing for a column without any such value.
template <class T>
std::optional<std::pair<T, T>> RangeOf(const st::ColumnView<T>& column) {
  std::optional<std::pair<T, T>> range;
  for (std::size_t row = 0; row < column.size(); ++row) {
    T value = column[row];
    if (column.is_null(row)) continue;
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(value)) continue;
    }
    if (!range) {
      range.emplace(value, value);
    } else {
      range->first = std::min(range->first, value);
      range->second = std::max(range->second, value);
    }
  }
  return range;
}

// A slider step of 1, 2 or 5 times a power of ten that cuts `span` into
// about a thousand steps: fine enough to filter with, coarse enough that the
// arrow keys move visibly.
double NiceStep(double span) {
  if (!(span > 0) || !std::isfinite(span)) return 1;
  double rough = span / 1000;
  double power = std::pow(10.0, std::floor(std::log10(rough)));
  for (double factor : {1.0, 2.0, 5.0}) {
    if (factor * power >= rough) return factor * power;
  }
  return 10 * power;
}

// The rows whose `column` value lies in [low, high], nulls and NaN left out.
template <class T>
std::vector<bool> InRange(const st::ColumnView<T>& column, T low, T high) {
  std::vector<bool> mask(column.size());
  for (std::size_t row = 0; row < column.size(); ++row) {
    T value = column[row];
    mask[row] = !column.is_null(row) && value >= low && value <= high;
  }
  return mask;
}

// Two sliders over the column's range (one per end: st::slider holds one
// value). Their labels name the column, so each column has its own pair and
// picking another column starts from its whole range. Returns the rows kept:
// the frame itself (shared, not copied) while the range is the whole range.
template <class T>
st::DataFrame FilterBy(const st::DataFrame& frame, const std::string& name,
                       const st::ColumnView<T>& column) {
  std::optional<std::pair<T, T>> range = RangeOf(column);
  if (!range) {
    st::info("Column '" + name + "' has no values to filter by.");
    return frame;
  }
  auto [min, max] = *range;
  T low;
  T high;
  constexpr double kExactInteger = 9007199254740992.0;  // 2^53: st::slider's integer limit
  if constexpr (std::is_integral_v<T>) {
    if (std::fabs(static_cast<double>(min)) <= kExactInteger &&
        std::fabs(static_cast<double>(max)) <= kExactInteger) {
      low = st::slider("Lowest " + name, min, max, min);
      high = st::slider("Highest " + name, min, max, max);
    } else {
      double step = NiceStep(static_cast<double>(max) - static_cast<double>(min));
      low = static_cast<T>(st::slider("Lowest " + name, static_cast<double>(min),
                                      static_cast<double>(max), static_cast<double>(min),
                                      {.step = step}));
      high = static_cast<T>(st::slider("Highest " + name, static_cast<double>(min),
                                       static_cast<double>(max), static_cast<double>(max),
                                       {.step = step}));
    }
  } else {
    double step = NiceStep(max - min);
    low = st::slider("Lowest " + name, min, max, min, {.step = step});
    high = st::slider("Highest " + name, min, max, max, {.step = step});
  }
  if (low <= min && high >= max && column.null_count() == 0) return frame;
  return frame.filter(InRange(column, low, high));
}

}  // namespace

void csv_explorer() {
  st::title("CSV explorer");
  st::markdown(
      "Upload a CSV (or a TSV) to explore it, or explore the generated sample of "
      "1,000,000 orders. Pick a numeric column and the range of its values to keep; "
      "the grid scrolls through every kept row, and **Download** saves them as CSV.");

  std::optional<st::UploadedFile> file =
      st::file_uploader("A CSV or TSV file", {.types = {"csv", "tsv", "txt"}});
  Loaded loaded = Load(file);
  const st::DataFrame& frame = loaded.frame;
  st::caption("Showing " + loaded.source + ": " +
              Grouped(static_cast<std::int64_t>(frame.num_rows())) + " rows, " +
              std::to_string(frame.num_columns()) + " columns.");

  st::DataFrame kept = frame;
  std::vector<std::string> numeric = NumericColumns(frame);
  if (numeric.empty()) {
    st::info("This file has no numeric column to filter by.");
  } else {
    // Keyed: the choice is kept by name, so a new file with the same
    // column keeps it.
    std::string name = st::selectbox("Filter by column", numeric, 0, {.key = "column"});
    if (frame.column_type(name) == st::ColumnType::int64) {
      kept = FilterBy(frame, name, frame.int64s(name));
    } else {
      kept = FilterBy(frame, name, frame.doubles(name));
    }
  }

  const auto all = static_cast<std::int64_t>(frame.num_rows());
  const auto shown = static_cast<std::int64_t>(kept.num_rows());
  // Keeping fewer rows is neither good nor bad: a gray delta.
  st::metric("Rows kept", Grouped(shown),
             {.delta = shown == all ? std::string() : Grouped(shown - all),
              .delta_color = st::DeltaColor::kOff});
  st::dataframe(kept);
  // The CSV is written only when the viewer clicks, from the frame this run
  // kept (a copy of the handle: its columns are shared, not copied).
  st::download_button("Download the kept rows", [kept] { return st::to_csv(kept); },
                      {.file_name = "filtered.csv", .mime = "text/csv"});
}

SLUICE_APP(csv_explorer)
