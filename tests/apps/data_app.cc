// Data elements for the query tests (tests/broker/query_test.cc) and the
// browser test: download buttons (bytes, a callable that counts its calls),
// a grid of a 1M-row frame built in code (removable with a checkbox), and a
// static table of its head.
#include <unistd.h>

#include <sluice/st.hpp>
#include <string>
#include <vector>

namespace {

int g_made = 0;  // calls of the report callable, in this worker

// 1 MB of every byte value, in a pattern that shows a misplaced chunk.
std::string Payload() {
  std::string bytes(1'000'000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 31 + i / 4096) % 256);
  return bytes;
}

constexpr std::int64_t kRows = 1'000'000;

// Row i: id i, value (i * 7919) % 1000003 / 8 (a shuffle of the ids, so
// sorting by it moves every row), label "row-<i>", null every 1000th.
st::DataFrame BigFrame() {
  st::Column<std::int64_t> ids;
  st::Column<double> values;
  std::vector<std::string> labels;
  std::vector<bool> nulls;
  ids.reserve(kRows);
  values.reserve(kRows);
  labels.reserve(kRows);
  nulls.reserve(kRows);
  for (std::int64_t i = 0; i < kRows; ++i) {
    ids.push_back(i);
    values.push_back(static_cast<double>(i * 7919 % 1000003) / 8);
    labels.push_back("row-" + std::to_string(i));
    nulls.push_back(i % 1000 == 999);
  }
  st::DataFrame frame;
  frame.add("id", std::move(ids));
  frame.add("value", std::move(values), nulls);
  frame.add("label", labels);
  return frame;
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  static const std::string payload = Payload();
  st::download_button("Download payload", payload,
                      {.file_name = "payload.bin", .mime = "application/octet-stream"});
  st::download_button("Download report",
                      [] {
                        ++g_made;
                        return "report made " + std::to_string(g_made) + " times\n";
                      },
                      {.file_name = "report.txt", .mime = "text/plain"});
  st::download_button("Download broken",
                      []() -> std::string { throw std::runtime_error("cannot make this file"); });
  static const st::DataFrame big = BigFrame();
  if (st::checkbox("Show grid", true)) st::dataframe(big, {.height = 320});
  st::table(big.head(3));
  st::table(big, {.max_rows = 2});
  int runs = ++st::session_state().get<int>("runs", 0);
  st::text("runs: " + std::to_string(runs));
  st::button("Rerun");
}

}  // namespace

SLUICE_APP(app)
