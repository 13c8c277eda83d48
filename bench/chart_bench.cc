// bench/chart_bench: what a chart of many points costs the worker
// (data/chart_rows.h, the M4 reduction behind st::line_chart and its zoom
// queries), beside the cheapest thing that reads the same points: one pass
// summing them, measured in the same run. Also how many points (and bytes)
// the page gets instead of every one.
//
// Usage: chart_bench [--rows 10000000] [--series 1] [--pixels 1200] [--rounds 7]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "bench/stats.h"
#include "bench/table.h"
#include "data/chart_rows.h"

namespace sluice::bench {
namespace {

struct Options {
  std::uint64_t rows = 10'000'000;
  int series = 1;
  std::uint32_t pixels = 1'200;
  int rounds = 7;
};

Options Parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--rows") {
      options.rows = std::strtoull(value, nullptr, 10);
    } else if (flag == "--series") {
      options.series = std::atoi(value);
    } else if (flag == "--pixels") {
      options.pixels = static_cast<std::uint32_t>(std::atoi(value));
    } else if (flag == "--rounds") {
      options.rounds = std::atoi(value);
    } else {
      std::fprintf(stderr,
                   "usage: chart_bench [--rows N] [--series N] [--pixels N] [--rounds N]\n");
      std::exit(2);
    }
  }
  return options;
}

// Median milliseconds of `rounds` calls of `f`.
double Time(int rounds, const std::function<void()>& f) {
  Samples samples;
  for (int r = 0; r < rounds; ++r) {
    auto start = std::chrono::steady_clock::now();
    f();
    samples.Add(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
  }
  return samples.P50();
}

volatile double g_sink;

int Main(int argc, char** argv) {
  Options options = Parse(argc, argv);
  std::vector<std::vector<double>> ys(options.series, std::vector<double>(options.rows));
  for (int s = 0; s < options.series; ++s) {
    for (std::uint64_t i = 0; i < options.rows; ++i) {
      ys[s][i] = std::sin(static_cast<double>(i) / 1e5 + s) + 1e-3 * static_cast<double>(i % 97);
    }
  }
  data::ChartSeries series{{}, {}, options.rows};
  for (const auto& y : ys) series.ys.push_back(y);
  const double last = static_cast<double>(options.rows - 1);

  double sum_ms = Time(options.rounds, [&] {
    double sum = 0;
    for (const auto& y : ys) {
      for (double v : y) sum += v;
    }
    g_sink = sum;
  });
  std::size_t whole_points = 0, zoom_points = 0, near_points = 0;
  bool near_full = false;
  double whole_ms = Time(options.rounds, [&] {
    whole_points = data::RowsToDraw(series, 0, last, options.pixels).rows.size();
  });
  double zoom_ms = Time(options.rounds, [&] {
    zoom_points = data::RowsToDraw(series, last * 0.40, last * 0.41, options.pixels).rows.size();
  });
  double near_ms = Time(options.rounds, [&] {
    data::ChartRows rows =
        data::RowsToDraw(series, last * 0.5, last * 0.5 + options.pixels * 2, options.pixels);
    near_points = rows.rows.size();
    near_full = rows.full;
  });

  Table table;
  std::printf("chart_bench: %llu rows x %d series, plot %u px wide, median of %d rounds\n",
              static_cast<unsigned long long>(options.rows), options.series, options.pixels,
              options.rounds);
  table.Header();
  table.Section(
      "Reducing for the page (data::RowsToDraw) vs one summing pass over the same points");
  table.Row("whole range: M4 of every series", whole_ms, "sum of every y", sum_ms,
            Unit::kMilliseconds);
  table.Row("zoom to 1% of x (binary search + M4)", zoom_ms, "sum of every y", sum_ms,
            Unit::kMilliseconds);
  table.Row("zoom to 2 points per pixel (sent whole)", near_ms, "sum of every y", sum_ms,
            Unit::kMilliseconds);
  table.Section("What the page gets");
  const double bytes_per_row = 8.0 * (1 + options.series);
  std::printf("  whole range: %zu points (%.0f KiB of x and y) instead of %llu (%.0f MiB)\n",
              whole_points, whole_points * bytes_per_row / 1024,
              static_cast<unsigned long long>(options.rows),
              static_cast<double>(options.rows) * bytes_per_row / (1 << 20));
  std::printf("  zoom to 1%%: %zu points; zoom to 2 points per pixel: %zu points (%s)\n",
              zoom_points, near_points, near_full ? "every point, unreduced" : "reduced");
  return 0;
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) { return sluice::bench::Main(argc, argv); }
