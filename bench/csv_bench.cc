// bench/csv_bench: how fast sluice::data::ReadCsv reads a large CSV, beside
// pandas.read_csv of the same file in the same run (when python3 has
// pandas; the bench says so when it has not), and what a second core adds.
//
// The file (~--mb MB, generated once into a temporary file, removed at the
// end) has 8 numeric columns (4 int64, 4 double: fixed and full-precision
// decimals, exponents, a few empty fields), a string column with some
// quoted fields holding delimiters and doubled quotes, and an ISO 8601
// timestamp column; every column is inferred, as st::read_csv does by
// default. ReadCsv parses the file's bytes from memory (as an upload
// hands them over); pandas reads the same file from the page cache, with
// parse_dates on the timestamp column so that both produce the same types.
// MB/s is the file's size over the wall time of one read; the table shows
// the median and the best of --rounds reads. On a shared machine the wall
// time also holds the time other processes ran, so the size over the
// process's CPU time (all threads) is shown too: for one thread it is the
// speed on an idle core, for more the cost of splitting and joining.
//
// Usage: csv_bench [--mb 200] [--rounds 5] [--threads 2]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/stats.h"
#include "bench/table.h"
#include "data/csv_reader.h"

namespace sluice::bench {
namespace {

using Clock = std::chrono::steady_clock;

void AppendNumber(std::string& out, auto value) {
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out.append(text, end);
}

void AppendFixed(std::string& out, double value, int digits) {
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed, digits);
  out.append(text, end);
}

// Rows of the benchmark file until it holds about `bytes`; returns the rows.
std::size_t Generate(std::size_t bytes, std::string& out) {
  static const char* const kWords[] = {"apple", "pear",  "quince", "fig",   "plum",
                                       "kiwi",  "grape", "lime",   "mango", "cherry"};
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> unit(0, 1);
  out = "id,qty,delta,zip,price,lat,ratio,score,name,when\n";
  std::size_t rows = 0;
  std::int64_t seconds = 1'700'000'000;
  while (out.size() < bytes) {
    const std::uint64_t r = random();
    AppendNumber(out, static_cast<std::int64_t>(rows) * 7919 + 1'000'000);
    out += ',';
    AppendNumber(out, static_cast<int>(r % 1000));
    out += ',';
    AppendNumber(out, static_cast<int>((r >> 10) % 20001) - 10000);
    out += ',';
    AppendNumber(out, static_cast<int>((r >> 25) % 90000) + 10000);
    out += ',';
    AppendFixed(out, unit(random) * 10000, 2);  // a price
    out += ',';
    AppendFixed(out, unit(random) * 180 - 90, 6);  // a latitude
    out += ',';
    if ((r >> 40) % 100 != 0) AppendNumber(out, unit(random));  // shortest round trip; 1% null
    out += ',';
    AppendNumber(out, unit(random) * 1e-3 * static_cast<double>((r >> 48) % 1000));  // exponents
    out += ',';
    const char* word = kWords[(r >> 52) % 10];
    switch ((r >> 56) % 10) {
      case 0:
        out += '"';
        out += word;
        out += ", ";
        out += kWords[(r >> 58) % 10];
        out += '"';
        break;
      case 1:
        out += "\"the \"\"";
        out += word;
        out += "\"\" one\"";
        break;
      default:
        out += word;
        out += '_';
        AppendNumber(out, static_cast<int>(r % 997));
    }
    out += ',';
    seconds += static_cast<std::int64_t>((r >> 20) % 60);
    char when[40];
    const std::time_t t = seconds;
    std::tm tm;
    gmtime_r(&t, &tm);
    std::size_t n = std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    out.append(when, n);
    if (r % 2 == 0) {
      out += '.';
      AppendNumber(out, static_cast<int>(r % 900) + 100);
    }
    out += "Z\n";
    ++rows;
  }
  return rows;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double CpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

struct Speeds {
  Samples wall;  // MB/s
  Samples cpu;   // MB per CPU second
};

// The speeds of `rounds` reads with `threads`; empty on a failed read.
Speeds MeasureReadCsv(const std::string& bytes, std::size_t rows, int rounds, int threads) {
  Speeds speeds;
  data::CsvOptions options;
  options.threads = threads;
  const double megabytes = static_cast<double>(bytes.size()) / 1e6;
  for (int i = 0; i < rounds; ++i) {
    const Clock::time_point start = Clock::now();
    const double cpu_start = CpuSeconds();
    absl::StatusOr<data::Table> table = data::ReadCsv(bytes, options);
    const double cpu = CpuSeconds() - cpu_start;
    const double wall = Seconds(Clock::now() - start);
    if (!table.ok() || table->num_rows() != rows || table->num_columns() != 10) {
      std::fprintf(stderr, "ReadCsv (threads %d) failed: %s\n", threads,
                   table.ok() ? "wrong shape" : std::string(table.status().message()).c_str());
      return {};
    }
    speeds.wall.Add(megabytes / wall);
    speeds.cpu.Add(megabytes / cpu);
  }
  return speeds;
}

// pandas' MB/s over `rounds` reads of `path`, or empty with the reason in
// *why when python3 cannot import pandas.
Samples MeasurePandas(const std::string& path, std::size_t bytes, int rounds, std::string* why) {
  Samples speeds;
  if (std::system("python3 -c 'import pandas' >/dev/null 2>&1") != 0) {
    *why = "pandas is not installed (python3 -c 'import pandas' fails): no pandas baseline";
    return speeds;
  }
  std::ostringstream script;
  script << "python3 -c '\n"
            "import sys, time, pandas\n"
            "for _ in range(int(sys.argv[2])):\n"
            "    start = time.perf_counter()\n"
            "    frame = pandas.read_csv(sys.argv[1], parse_dates=[\"when\"])\n"
            "    print(time.perf_counter() - start)\n"
            "' "
         << path << ' ' << rounds;
  FILE* pipe = popen(script.str().c_str(), "r");
  if (pipe == nullptr) {
    *why = "cannot start python3";
    return speeds;
  }
  double seconds;
  while (std::fscanf(pipe, "%lf", &seconds) == 1) {
    speeds.Add(static_cast<double>(bytes) / 1e6 / seconds);
  }
  if (pclose(pipe) != 0 || speeds.size() == 0) *why = "pandas.read_csv failed";
  return speeds;
}

int Main(int argc, char** argv) {
  int mb = 200, rounds = 5, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--mb") mb = value;
    if (flag == "--rounds") rounds = value;
    if (flag == "--threads") threads = value;
  }
  std::string bytes;
  const std::size_t rows = Generate(static_cast<std::size_t>(mb) << 20, bytes);
  char path[] = "/tmp/sluice_csv_bench_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    std::perror("writing the benchmark file");
    return 1;
  }
  close(fd);
  std::printf("csv_bench: %.1f MB, %zu rows x 10 columns (4 int64, 4 double, string, timestamp)\n",
              static_cast<double>(bytes.size()) / 1e6, rows);
  std::printf("machine: %ld cores online; %d rounds each\n", sysconf(_SC_NPROCESSORS_ONLN), rounds);

  Speeds serial = MeasureReadCsv(bytes, rows, rounds, 1);
  Speeds parallel = MeasureReadCsv(bytes, rows, rounds, threads);
  std::string why;
  Samples pandas = MeasurePandas(path, bytes.size(), rounds, &why);
  unlink(path);
  if (serial.wall.size() == 0 || parallel.wall.size() == 0) return 1;
  Samples& one = serial.wall;
  Samples& many = parallel.wall;

  Table table;
  table.Header();
  table.Section("ReadCsv, one core (CsvOptions::threads = 1)");
  if (pandas.size() != 0) {
    table.Row("median", one.P50(), "pandas.read_csv median", pandas.P50(),
              Unit::kMegabytesPerSecond, AtLeast(3));
    table.Row("best", one.Quantile(1), "pandas.read_csv best", pandas.Quantile(1),
              Unit::kMegabytesPerSecond, AtLeast(3));
  } else {
    table.Figure("median", one.P50(), Unit::kMegabytesPerSecond);
    table.Figure("best", one.Quantile(1), Unit::kMegabytesPerSecond);
    table.Note(why);
  }
  table.Figure("median, size / CPU time", serial.cpu.P50(), Unit::kMegabytesPerSecond);
  table.Note(one.P50() >= 400 ? "target >= 400 MB/s: met" : "target >= 400 MB/s: NOT met");
  table.Section("ReadCsv, CsvOptions::threads = " + std::to_string(threads));
  table.Row("median", many.P50(), "threads = 1 median", one.P50(), Unit::kMegabytesPerSecond);
  table.Row("best", many.Quantile(1), "threads = 1 best", one.Quantile(1),
            Unit::kMegabytesPerSecond);
  table.Row("median, size / CPU time (all threads)", parallel.cpu.P50(), "threads = 1",
            serial.cpu.P50(), Unit::kMegabytesPerSecond);
  return 0;
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) { return sluice::bench::Main(argc, argv); }
