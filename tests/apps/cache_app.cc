// st::cache_data and st::cache_resource under test. Every computed value
// carries a stamp "PID#N" (the process that computed it, and how many
// computes that process had done), so a test sees whether a call hit.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <sluice/st.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

int g_computes = 0;  // in this process

std::string Stamp() { return std::to_string(getpid()) + "#" + std::to_string(++g_computes); }

struct Table {
  std::vector<double> values;
  std::string stamp;
};

Table MakeTable(int n) {
  st::text("computing table " + std::to_string(n));
  Table table;
  for (int i = 0; i < n; ++i) table.values.push_back(i * 0.5);
  table.stamp = Stamp();
  return table;
}

std::string SlowStamp(int n) {
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  return "slow " + std::to_string(n) + " " + Stamp();
}

struct Model {
  int built_in;
  std::vector<int> weights;
};

// 2 MiB of doubles in a column: a hit maps the entry instead of copying it.
struct Series {
  st::Column<double> values;
  std::string stamp;
};

Series MakeSeries(int n) {
  Series series;
  for (int i = 0; i < (1 << 18); ++i) series.values.push_back(i + n);
  series.stamp = Stamp();
  return series;
}

// A frame of 2^18 rows (over a megabyte): a hit maps its columns too.
struct StampedFrame {
  st::DataFrame frame;
  std::string stamp;
};

StampedFrame MakeFrame(int n) {
  st::Column<double> values;
  std::vector<std::string> names;
  for (int i = 0; i < (1 << 18); ++i) {
    values.push_back(i + n);
    names.push_back(std::to_string(i % 10));
  }
  StampedFrame made;
  made.frame.add("x", std::move(values)).add("name", names);
  made.stamp = Stamp();
  return made;
}

Model BuildModel() { return {getpid(), std::vector<int>(1000, 7)}; }
Model BuildPrivateModel() { return {getpid(), {}}; }

const auto table = st::cache_data(MakeTable);
const auto series = st::cache_data(MakeSeries);
const auto frame = st::cache_data(MakeFrame);
const auto few = st::cache_data([](int n) { return n * 10 + 0 * g_computes; }, {.max_entries = 2});
const auto few_stamped =
    st::cache_data([](int n) { return std::to_string(n) + "@" + Stamp(); }, {.max_entries = 2});
const auto short_lived =
    st::cache_data([](int n) { return Stamp(); }, {.ttl = std::chrono::milliseconds(300)});
const auto slow = st::cache_data(SlowStamp, {.spinner_text = "Crunching slow numbers"});
const auto private_to_session =
    st::cache_data([](int n) { return Stamp(); }, {.scope = st::CacheScope::session});
const auto shared_model = st::cache_resource(BuildModel, {.preload = true});
const auto private_model = st::cache_resource(BuildPrivateModel);

void app() {
  st::text("pid: " + std::to_string(getpid()));
  int n = st::slider("n", 0, 1000, 3);
  bool want_slow = st::checkbox("slow");

  if (st::button("clear n")) table.clear(n);
  if (st::button("clear table")) table.clear();
  if (st::button("clear all")) st::cache_data_clear();

  Table t = table(n);
  st::text("table " + std::to_string(n) + " rows " + std::to_string(t.values.size()) + " stamp " +
           t.stamp);
  if (st::checkbox("mutate")) {
    // The caller owns its copy: this must never reach another call.
    t.values.assign(3, -1.0);
    t.stamp = "mutated";
    st::text("mutated copy has " + std::to_string(t.values.size()) + " rows");
  }

  if (st::checkbox("series")) {
    Series s = series(n);
    double sum = std::accumulate(s.values.begin(), s.values.end(), 0.0);
    st::text("series stamp " + s.stamp + " mapped " + (s.values.mapped() ? "yes" : "no") + " sum " +
             std::to_string(sum));
    if (st::checkbox("scribble")) {
      // Writes to this session's pages only.
      std::fill(s.values.begin(), s.values.end(), -1.0);
      st::text("scribbled, first is " + std::to_string(s.values[0]));
    }
  }

  if (st::checkbox("frame")) {
    StampedFrame f = frame(n);
    st::ColumnView<double> x = f.frame.doubles("x");
    double sum = std::accumulate(x.values().begin(), x.values().end(), 0.0);
    st::text("frame stamp " + f.stamp + " mapped " + (f.frame.mapped() ? "yes" : "no") + " rows " +
             std::to_string(f.frame.num_rows()) + " sum " + std::to_string(sum) + " last name " +
             std::string(f.frame.strings("name")[f.frame.num_rows() - 1]));
    // The grid keeps the frame (so its mapping) while shown: a rerun's hit
    // decodes from that same mapping.
    st::dataframe(f.frame);
  }

  st::text("few " + few_stamped(n));
  st::text("ttl " + short_lived(n));
  st::text("session " + private_to_session(n));
  if (want_slow) st::text(slow(n));

  const Model& model = shared_model();
  st::text("preloaded model built in " + std::to_string(model.built_in) + " size " +
           std::to_string(model.weights.size()));
  st::text("private model built in " + std::to_string(private_model().built_in));
  st::text("few value " + std::to_string(few(n)));
}

}  // namespace

SLUICE_APP(app)
