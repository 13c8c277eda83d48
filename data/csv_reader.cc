#include "data/csv_reader.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "data/csv_part.h"
#include "data/csv_scanner.h"
#include "util/strings.h"

namespace sluice::data {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// Below this a part costs more to start than it saves.
constexpr std::size_t kMinPartBytes = 1 << 20;

absl::Status CheckOptions(const CsvOptions& options) {
  auto line_end = [](char c) { return c == '\r' || c == '\n'; };
  if (options.delimiter == options.quote || line_end(options.delimiter) ||
      line_end(options.quote)) {
    return absl::InvalidArgumentError(
        "the CSV delimiter and quote must differ and be neither '\\r' nor '\\n'");
  }
  if (options.threads < 0) return absl::InvalidArgumentError("CSV threads must not be negative");
  return absl::OkStatus();
}

absl::Status ToStatus(const CsvError& error) { return absl::InvalidArgumentError(error.Message()); }

// Runs task(0) ... task(count - 1) on up to `threads` threads, this one
// included. A thread that cannot be started (a sandbox may refuse) leaves
// its share to the others.
void RunTasks(std::size_t count, std::size_t threads,
              const std::function<void(std::size_t)>& task) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) task(i);
  };
  std::vector<std::jthread> helpers;
  for (std::size_t t = 1; t < std::min(threads, count); ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
}

// Appends every row of `from` to `to`, of the same type.
void AppendRows(const Column& from, ColumnBuilder& to) {
  for (std::size_t row = 0; row < from.size(); ++row) {
    if (from.is_null(row)) {
      to.AppendNull();
      continue;
    }
    switch (from.type()) {
      case ColumnType::kInt64:
      case ColumnType::kTimestamp:
        to.AppendInt64(from.int64(row));
        break;
      case ColumnType::kDouble:
        to.AppendDouble(from.float64(row));
        break;
      case ColumnType::kBool:
        to.AppendBool(from.boolean(row));
        break;
      case ColumnType::kString:
        to.AppendString(from.string(row));
        break;
    }
  }
}

// The data records in parts of about `part_bytes`, read on `threads`
// threads; the same table as one part read serially.
//
// Parts start speculatively after a '\n' near each split point, which may
// be inside a quoted field. A part is kept only if the part before it (kept,
// by induction) stopped exactly where it started; otherwise it is read
// again from there. Lines: each part counts from 1, and learns its first
// line from the parts before it.
absl::StatusOr<Table> ReadParts(const CsvLayout& layout, std::size_t data_start,
                                std::size_t first_line, std::size_t part_bytes,
                                std::size_t threads) {
  const std::string_view input = layout.input;
  const std::size_t size = input.size();
  std::size_t count = 1;
  if (layout.options->max_rows == 0 && part_bytes > 0) {
    count = std::max<std::size_t>(1, (size - data_start + part_bytes - 1) / part_bytes);
  }
  std::vector<std::size_t> starts{data_start};
  for (std::size_t k = 1; k < count; ++k) {
    std::size_t at = data_start + (size - data_start) / count * k;
    const void* newline = std::memchr(input.data() + at, '\n', size - at);
    at = newline == nullptr ? size : static_cast<const char*>(newline) - input.data() + 1;
    starts.push_back(std::max(at, starts.back()));
  }
  starts.push_back(size);

  // PartReader holds a reference, so it is re-made in place, not assigned.
  std::vector<std::optional<PartReader>> parts(count);
  RunTasks(count, threads, [&](std::size_t k) {
    parts[k].emplace(layout);
    parts[k]->Read(starts[k], starts[k + 1], k == 0 ? first_line : 1, layout.options->max_rows);
  });
  std::vector<std::size_t> first_lines{first_line};
  for (std::size_t k = 1; k < count; ++k) {
    const PartReader& before = *parts[k - 1];
    if (before.syntax_error()) break;
    first_lines.push_back(first_lines.back() + before.stop_line() - (k == 1 ? first_line : 1));
    if (before.stop() != starts[k]) {
      parts[k].emplace(layout);
      parts[k]->Read(before.stop(), starts[k + 1], 1, 0);
    }
  }
  // A syntax error anywhere comes before a value error (a file that is not
  // CSV at all says so first); within each kind, the earliest.
  auto renumber = [&](std::size_t k, CsvError error) {
    error.line += first_lines[k] - (k == 0 ? first_line : 1);
    return ToStatus(error);
  };
  for (std::size_t k = 0; k < first_lines.size(); ++k) {
    if (parts[k]->syntax_error()) return renumber(k, *parts[k]->syntax_error());
  }
  for (std::size_t k = 0; k < count; ++k) {
    if (parts[k]->value_error()) return renumber(k, *parts[k]->value_error());
  }

  const std::size_t width = layout.names.size();
  std::vector<ColumnType> types(width);
  for (std::size_t c = 0; c < width; ++c) {
    Inferred joined = Inferred::kNothing;
    for (const std::optional<PartReader>& part : parts)
      joined = JoinTypes(joined, part->inferred(c));
    types[c] = layout.given[c] ? *layout.given[c] : TypeOf(joined);
  }
  std::vector<std::vector<ColumnBuilder>> builders(count);
  RunTasks(count, threads,
           [&](std::size_t k) { builders[k] = std::move(*parts[k]).Finish(types); });

  // The first part's columns grow by the others' rows, a column a task.
  std::size_t rows = 0;
  for (const std::optional<PartReader>& part : parts) rows += part->rows();
  std::vector<std::optional<Column>> joined(width);
  RunTasks(width, threads, [&](std::size_t c) {
    ColumnBuilder& into = builders[0][c];
    if (count > 1) into.Reserve(rows);
    for (std::size_t k = 1; k < count; ++k) AppendRows(std::move(builders[k][c]).Finish(), into);
    joined[c] = std::move(into).Finish();
  });
  std::vector<Column> done;
  done.reserve(width);
  for (std::optional<Column>& column : joined) done.push_back(std::move(*column));
  return Table::Make(std::move(done));
}

absl::StatusOr<Table> Read(std::string_view bytes, const CsvOptions& options,
                           std::optional<std::size_t> part_bytes) {
  if (absl::Status status = CheckOptions(options); !status.ok()) return status;
  if (bytes.starts_with(kByteOrderMark)) bytes.remove_prefix(kByteOrderMark.size());
  Scanner scanner(bytes, options.delimiter, options.quote);
  CsvError error;

  // The column names: the header's, or numbers after the first record's width.
  const Step first = scanner.Next(&error);
  if (first == Step::kError) return ToStatus(error);
  if (first == Step::kEnd) return Table();
  const std::vector<Field> fields(scanner.fields().begin(), scanner.fields().end());
  if (!options.header) scanner.Seek(0, 1);
  const std::size_t width = fields.size();
  CsvLayout layout{bytes,
                   &options,
                   {},
                   std::vector<std::optional<ColumnType>>(width),
                   NullValues(options.null_values)};
  std::vector<std::string>& names = layout.names;
  names.reserve(width);
  for (std::size_t i = 0; i < width; ++i) {
    if (options.header && !fields[i].text.empty()) {
      names.emplace_back(fields[i].text);
    } else {
      names.push_back(StrCat("column_", i + 1));
    }
  }
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 0; i < width; ++i) {
    if (!seen.insert(names[i]).second) {
      return ToStatus(SyntaxError(fields[i].line, i + 1,
                                  StrCat("the header names column '", names[i], "' twice")));
    }
  }
  for (const auto& [name, type] : options.column_types) {
    auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) {
      return absl::InvalidArgumentError(
          StrCat("column_types names '", name, "', which is not a column of this file"));
    }
    layout.given[found - names.begin()] = type;
  }

  std::size_t threads = options.threads == 0 ? std::thread::hardware_concurrency()
                                             : static_cast<std::size_t>(options.threads);
  threads = std::max<std::size_t>(threads, 1);
  const std::size_t size = bytes.size() - scanner.at();
  if (!part_bytes) {
    const std::size_t count = std::clamp<std::size_t>(size / kMinPartBytes, 1, threads);
    part_bytes = count == 1 ? 0 : (size + count - 1) / count;
  }
  return ReadParts(layout, scanner.at(), scanner.line(), *part_bytes, threads);
}

}  // namespace

absl::StatusOr<Table> ReadCsv(std::string_view bytes, const CsvOptions& options) {
  return Read(bytes, options, std::nullopt);
}

absl::StatusOr<Table> ReadCsv(std::span<const std::byte> bytes, const CsvOptions& options) {
  return ReadCsv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                 options);
}

absl::StatusOr<Table> ReadCsvInParts(std::string_view bytes, const CsvOptions& options,
                                     std::size_t part_bytes) {
  return Read(bytes, options, std::max<std::size_t>(part_bytes, 1));
}

}  // namespace sluice::data
