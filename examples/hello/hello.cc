// The demo: `sluice serve hello.so`, then open http://localhost:8501.
// Every tab is its own session in its own process: move the slider or click
// in one tab and the other tab does not change.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sluice/st.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Series {
  std::vector<double> values;
  double mean = 0;
};

// Stands in for an expensive load: the first tab that asks for a given size
// waits for it, every other tab (and every rerun) gets a copy at once.
Series MakeSeries(int thousands) {
  st::text("Generated " + std::to_string(thousands) + "k samples.");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Series series;
  series.values.resize(static_cast<std::size_t>(thousands) * 1000);
  double sum = 0;
  for (std::size_t i = 0; i < series.values.size(); ++i) {
    series.values[i] = std::sin(static_cast<double>(i) / 100.0);
    sum += series.values[i];
  }
  series.mean = series.values.empty() ? 0 : sum / static_cast<double>(series.values.size());
  return series;
}

const auto series = st::cache_data(MakeSeries, {.spinner_text = "Generating samples..."});

}  // namespace

void hello() {
  st::title("Hello, sluice");
  st::markdown(
      "Each browser tab runs this app in its **own process**. "
      "Change a widget and the app runs again, top to bottom.");

  int x = st::slider("x", 0, 100, 25);
  st::text("x squared is " + std::to_string(x * x));

  int& clicks = st::session_state().get<int>("clicks", 0);
  if (st::button("Add one")) ++clicks;
  st::text("clicks: " + std::to_string(clicks));

  {
    auto side = st::sidebar();
    st::header("Settings");
    std::string name = st::text_input("Your name", "world", {.key = "name"});
    std::string mood = st::selectbox("Mood", {"curious", "busy", "happy"});
    st::text("Hello, " + name + " (" + mood + ")");
  }

  auto cols = st::columns(2);
  {
    auto left = cols[0];
    st::subheader("Left");
    if (st::checkbox("Show a tip"))
      st::info("Widgets with a key keep their value in session_state.");
  }
  {
    auto right = cols[1];
    st::subheader("Right");
    std::string unit = st::radio("Unit", {"metres", "feet"});
    double metres = st::number_input("Length", 1.5, {.min_value = 0.0, .step = 0.5});
    std::ostringstream length;
    length.precision(3);
    if (unit == "metres") {
      length << metres << " m";
    } else {
      length << metres * 3.28084 << " ft";
    }
    st::text(length.str());
  }

  int thousands = st::slider("Samples (thousands)", 1, 1000, 100);
  Series data = series(thousands);  // computed once for all tabs; this copy is ours
  std::ostringstream mean;
  mean.precision(4);
  mean << "mean of " << data.values.size() << " samples: " << data.mean;
  st::text(mean.str());

  {
    auto more = st::expander("How does this work?");
    st::markdown(
        "A **broker** serves this page; a **zygote** loaded this app once and forks "
        "one **worker** per tab. Nothing but an explicit cache is shared: "
        "`st::cache_data` results live in shared memory, written by one keeper "
        "process, and each tab gets its own copy.");
    st::code("st::slider(\"x\", 0, 100, 25);", "cpp");
  }
  // The file stays in this tab's worker's memory; another tab never sees it.
  if (auto file = st::file_uploader("A CSV or text file", {.types = {"csv", "txt"}})) {
    std::string_view contents = file->text();
    auto lines = std::count(contents.begin(), contents.end(), '\n');
    st::text(file->name() + ": " + std::to_string(file->size()) + " bytes, " +
             std::to_string(lines) + " lines");
  }

  st::divider();
  st::success("Ready.");
}

SLUICE_APP(hello)
