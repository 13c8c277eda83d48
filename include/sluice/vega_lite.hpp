// Any chart Vega-Lite can describe, drawn in the browser by vega-embed:
//
//   st::vega_lite_chart(R"({
//     "title": "Sales by region",
//     "mark": "bar",
//     "encoding": {"x": {"field": "region", "type": "nominal"},
//                  "y": {"field": "sales", "type": "quantitative"}}
//   })", sales);
//
// The frame's columns are the spec's dataset: every row is sent with the
// element (a timestamp column arrives as dates, an int64 as a number, a
// null as null; a string cell longer than 1 KiB is cut there). A spec with
// no top-level "data" gets {"name": "table"}; a spec whose "data" is
// {"name": N} gets the frame as dataset N, so layers and concatenated views
// may name it too. Without a frame the spec brings its own data (inline
// "values"); nothing is ever fetched from a URL.
//
// Vega-Lite draws every row as its own mark in the browser and becomes
// unusable somewhere past 100,000 points, so a frame may have at most
// `max_rows` rows (100,000 by default) and 64 MiB of cells. For longer
// series use st::line_chart, st::area_chart, st::bar_chart or
// st::scatter_chart, which draw millions of points at the cost of a few
// per pixel; or aggregate the frame before charting it.
//
// Width follows the column unless the spec sets one; the chart's
// accessible name is the spec's title, else its description. A chart may be
// shown inside a cached function (it is replayed on a hit).
#pragma once

#include <cstddef>
#include <sluice/dataframe.hpp>
#include <string_view>

namespace st {

struct VegaLiteOptions {
  int height = 0;  // pixels; 0: the spec's own height (or Vega-Lite's default)
  // The most rows the frame may have; more is std::invalid_argument.
  std::size_t max_rows = 100'000;
};

// Shows `spec_json`, a Vega-Lite spec (a JSON object), over `frame`'s rows.
// Throws std::invalid_argument (shown on the page, like any mistake in an
// st:: call) when the spec is not JSON (saying where: line, column, byte
// offset), not an object, or brings data of its own ("values", "url", a
// generator, or a "datasets" entry of the frame's name) beside the frame;
// when the frame has more than `options.max_rows` rows or more than 64 MiB
// of cells; or when the height is negative.
void vega_lite_chart(std::string_view spec_json, const DataFrame& frame,
                     const VegaLiteOptions& options = {});

// Shows `spec_json` with the data it carries itself. Throws
// std::invalid_argument when it is not JSON or not an object.
void vega_lite_chart(std::string_view spec_json, const VegaLiteOptions& options = {});

}  // namespace st
