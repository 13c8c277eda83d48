// The st:: API's semantics, one section each: callbacks, keyed widgets in
// session_state, contains/erase and typed reads, st::rerun(), layout scopes,
// radio and number_input, widget identity, verbatim text (embedded NULs
// included) and st::stop().
// Sections that end a run early (an exception, stop) come last and only run
// while their checkbox is ticked.
#include <unistd.h>

#include <cstdint>
#include <sluice/st.hpp>
#include <string>

namespace {

std::string StateText(std::string_view key) {
  auto& state = st::session_state();
  if (!state.contains(key)) return "(unset)";
  return state.get<std::string>(key);
}

void Callbacks() {
  auto& state = st::session_state();
  // Shown before the widgets: they only show the new values in the same run
  // if the callbacks ran before the app function.
  st::text("bumps: " + std::to_string(state.get<int>("bumps", 0)));
  st::text("log: " + state.get<std::string>("log"));

  st::ButtonOptions bump;
  bump.on_click = [] { ++st::session_state().get<int>("bumps", 0); };
  st::button("bump", bump);

  st::SliderOptions level;
  level.key = "level";
  level.on_change = [] {
    auto& state = st::session_state();
    state.get<std::string>("log") +=
        "level=" + std::to_string(state.get<std::int64_t>("level")) + ";";
  };
  st::slider("level", 0, 10, 1, level);
}

void KeyedWidgets() {
  auto& state = st::session_state();
  if (st::button("preset")) state["n"] = std::int64_t{7};
  st::SliderOptions n_options;
  n_options.key = "n";
  int n = st::slider("n", 0, 10, 2, n_options);
  st::text("n returned " + std::to_string(n));
  st::text("n in state: " + std::to_string(state.get<std::int64_t>("n")));

  st::text("nick before widget: " + StateText("nick"));
  st::TextInputOptions nick;
  nick.key = "nick";
  st::text_input("nick", "", nick);
  st::text("nick in state: " + state.get<std::string>("nick"));
}

void ContainsAndErase() {
  auto& state = st::session_state();
  if (st::button("remember")) state["memo"] = std::string("kept");
  if (st::button("forget")) {
    state.erase("memo");
    state.erase("nick");
  }
  st::text("memo: " + (state.contains("memo") ? state.get<std::string>("memo") : "absent"));
}

// One click of "count to 3" reruns the app until the count reaches 3.
void RerunCounter() {
  auto& state = st::session_state();
  bool& counting = state.get<bool>("counting", false);
  int& count = state.get<int>("count", 0);
  int& runs = state.get<int>("counter runs", 0);
  ++runs;
  if (st::button("count to 3")) {
    counting = true;
    count = 0;
  }
  if (counting) {
    if (count < 3) {
      ++count;
      st::rerun();
    }
    counting = false;
  }
  st::text("count: " + std::to_string(count));
  st::text("counter runs: " + std::to_string(runs));
}

void Layout() {
  {
    auto details = st::expander("details");
    st::text("inside expander");
    st::text("second inside expander");
  }
  auto cols = st::columns(2);
  {
    auto left = cols[0];
    st::text("in column 0");
  }
  {
    auto right = cols[1];
    st::text("in column 1");
    bool ticked = st::checkbox("column box");
    st::text(ticked ? "column box on" : "column box off");
  }
  st::text("after columns");

  std::string pick = st::radio("pick", {"alpha", "beta", "gamma"}, 1);
  st::text("picked " + pick);

  st::NumberInputOptions weight_options;
  weight_options.min_value = 0.5;
  weight_options.max_value = 2.5;
  weight_options.step = 0.25;
  double weight = st::number_input("weight", 1.0, weight_options);
  st::text("weight " + std::to_string(weight));
}

void UnkeyedTwins() {
  int first = st::slider("same", 0, 10, 0);
  int second = st::slider("same", 0, 10, 0);
  st::text("same: " + std::to_string(first) + " and " + std::to_string(second));
}

void VerbatimText() {
  st::markdown("<script>alert('md')</script> **bold** & <b>tag</b>");
  st::text("<b>not bold</b> & \"quoted\" <script>alert('text')</script>");
  // An embedded NUL is a byte like any other: nothing after it is lost.
  st::text(std::string_view("nul:a\0b", 7));
}

void EarlyEnds() {
  if (st::checkbox("misread")) {
    st::text("misread " + std::to_string(st::session_state().get<double>("n")));
  }
  if (st::checkbox("duplicate key")) {
    st::TextInputOptions twin;
    twin.key = "twin";
    st::text_input("first twin", "", twin);
    st::text_input("second twin", "", twin);
  }
  st::text("before stop");
  if (st::checkbox("stop here")) st::stop();
  st::text("after stop");
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  Callbacks();
  KeyedWidgets();
  ContainsAndErase();
  RerunCounter();
  Layout();
  UnkeyedTwins();
  VerbatimText();
  EarlyEnds();
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
