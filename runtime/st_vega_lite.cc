// st::vega_lite_chart: a Vega-Lite spec, checked here, and the frame's rows
// as its dataset (runtime/frame_rows.h). The page (web/src/elements/
// vega_lite_chart.js) names the dataset as the spec asks and draws it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "data/table.h"
#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "runtime/frame_access.h"
#include "runtime/frame_rows.h"
#include "runtime/json_check.h"
#include "sluice/vega_lite.hpp"
#include "util/strings.h"

namespace st {
namespace {

namespace data = sluice::data;
using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::ipc::ViewOf;
using Json = nlohmann::json;
using sluice::StrCat;

constexpr std::string_view kCall = "st::vega_lite_chart: ";
// The dataset's name when the spec names none (the page uses the same).
constexpr std::string_view kDefaultDataset = "table";
// The cells one chart may carry: far below the 256 MiB of elements the
// broker takes in one frame, and more than a browser draws with Vega.
constexpr std::uint64_t kMaxCellBytes = 64u << 20;

// What the page would draw from: the spec as a JSON object. Throws
// std::invalid_argument for text that is not JSON or not an object.
Json ParseSpec(std::string_view spec) {
  if (std::optional<std::string> error = sluice::runtime::JsonError(spec)) {
    throw std::invalid_argument(StrCat(kCall, "the spec is not JSON. ", *error));
  }
  Json parsed = Json::parse(spec.begin(), spec.end());
  if (!parsed.is_object()) {
    throw std::invalid_argument(StrCat(
        kCall, "the spec must be a JSON object (a Vega-Lite spec), not ", parsed.type_name()));
  }
  return parsed;
}

// Throws unless the frame can be the spec's top-level dataset: "data" absent
// or {"name": N} alone (no values, url or generator of its own), and no
// "datasets" entry already called N.
void CheckFrameFits(const Json& spec) {
  std::string name(kDefaultDataset);
  if (auto data = spec.find("data"); data != spec.end() && !data->is_null()) {
    if (!data->is_object()) {
      throw std::invalid_argument(StrCat(kCall, "the spec's \"data\" must be an object"));
    }
    for (const char* own : {"values", "url", "sequence", "sphere", "graticule"}) {
      if (data->contains(own)) {
        throw std::invalid_argument(
            StrCat(kCall, "the spec has data of its own (\"data\": {\"", own,
                   "\": ...}) and a frame was passed too: pass no frame, or let the spec name the "
                   "frame's dataset with \"data\": {\"name\": \"table\"}"));
      }
    }
    auto named = data->find("name");
    if (named == data->end() || !named->is_string()) {
      throw std::invalid_argument(
          StrCat(kCall, "the spec's \"data\" names no dataset for the frame (\"name\": \"...\")"));
    }
    name = named->get<std::string>();
  }
  if (auto datasets = spec.find("datasets");
      datasets != spec.end() && datasets->is_object() && datasets->contains(name)) {
    throw std::invalid_argument(StrCat(kCall, "the spec's \"datasets\" already has \"", name,
                                       "\", the name the frame's rows would take"));
  }
}

// About what the frame's cells take in the element: 8 bytes a number or
// timestamp, a bit a bool or null, a string's bytes (cut at 1 KiB) and its
// pointer.
std::uint64_t CellBytes(const data::Table& table) {
  std::uint64_t bytes = 0;
  for (const data::Column& column : table.columns()) {
    const std::uint64_t rows = column.size();
    if (column.null_count() != 0) bytes += rows / 8 + 1;
    switch (column.type()) {
      case data::ColumnType::kBool:
        bytes += rows / 8 + 1;
        break;
      case data::ColumnType::kString:
        for (std::uint64_t r = 0; r < rows; ++r) {
          bytes += 8 + std::min<std::uint64_t>(column.string(r).size() + 1,
                                               sluice::runtime::kMaxCellBytes + 1);
        }
        break;
      default:
        bytes += 8 * rows;
        break;
    }
  }
  return bytes;
}

std::string WithCommas(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

constexpr std::string_view kUseFastCharts =
    "Vega-Lite draws every row in the browser; aggregate the frame first, or use "
    "st::line_chart, st::area_chart, st::bar_chart or st::scatter_chart, which draw millions of "
    "points";

void CheckSize(const data::Table& table, std::size_t max_rows) {
  if (table.num_rows() > max_rows) {
    throw std::invalid_argument(StrCat(kCall, "the frame has ", WithCommas(table.num_rows()),
                                       " rows, more than max_rows (", WithCommas(max_rows), "). ",
                                       kUseFastCharts));
  }
  if (std::uint64_t bytes = CellBytes(table); bytes > kMaxCellBytes) {
    throw std::invalid_argument(StrCat(kCall, "the frame's cells take ", WithCommas(bytes >> 20),
                                       " MiB, more than the 64 MiB a chart may carry (pass only "
                                       "the columns the chart uses). ",
                                       kUseFastCharts));
  }
}

std::uint32_t HeightOf(int height) {
  if (height < 0) {
    throw std::invalid_argument(StrCat(kCall, "height must be 0 or more, not ", height));
  }
  return static_cast<std::uint32_t>(height);
}

void Show(std::string_view spec, const data::Table* table, std::uint32_t height) {
  sluice::runtime::AppRunner::Current().Emit([&](Element::Builder e) {
    auto chart = e.initVegaLiteChart();
    chart.adoptSpec(NewText(chart, spec));
    chart.setHeight(height);
    if (table == nullptr) return;
    const auto columns = static_cast<unsigned>(table->num_columns());
    sluice::runtime::FillColumns(*table, chart.initColumns(columns));
    sluice::runtime::FillAllCells(*table, chart.initCells(columns));
  });
}

}  // namespace

void vega_lite_chart(std::string_view spec_json, const DataFrame& frame,
                     const VegaLiteOptions& options) {
  const std::uint32_t height = HeightOf(options.height);
  CheckFrameFits(ParseSpec(spec_json));
  std::shared_ptr<const data::Table> table = sluice::runtime::TableOf(frame);
  CheckSize(*table, options.max_rows);
  Show(spec_json, table.get(), height);
}

void vega_lite_chart(std::string_view spec_json, const VegaLiteOptions& options) {
  const std::uint32_t height = HeightOf(options.height);
  ParseSpec(spec_json);
  Show(spec_json, nullptr, height);
}

namespace {

// What a viewer reads: the chart's accessible name, as the page gives it
// (the spec's title, else its description), or nothing.
std::optional<std::string> ChartName(Element::Reader e) {
  std::string_view spec = ViewOf(e.getVegaLiteChart().getSpec());
  Json parsed = Json::parse(spec.begin(), spec.end(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  if (auto title = parsed.find("title"); title != parsed.end()) {
    if (title->is_string()) return title->get<std::string>();
    if (title->is_object()) {
      if (auto text = title->find("text"); text != title->end() && text->is_string()) {
        return text->get<std::string>();
      }
    }
  }
  if (auto description = parsed.find("description");
      description != parsed.end() && description->is_string()) {
    return description->get<std::string>();
  }
  return std::nullopt;
}

// Plain content, so a cached function may show it: it is replayed on a hit.
const bool kVegaLiteKind =
    sluice::runtime::RegisterElementKind({Element::VEGA_LITE_CHART, true, &ChartName});

}  // namespace

}  // namespace st
