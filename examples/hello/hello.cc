// The demo: `sluice serve hello.so`, then open http://localhost:8501.
// Every tab is its own session in its own process: move the slider or click
// in one tab and the other tab does not change.
#include <sluice/st.hpp>
#include <sstream>
#include <string>

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

  {
    auto more = st::expander("How does this work?");
    st::markdown(
        "A **broker** serves this page; a **zygote** loaded this app once and forks "
        "one **worker** per tab. Nothing but an explicit cache is shared.");
    st::code("st::slider(\"x\", 0, 100, 25);", "cpp");
  }
  st::divider();
  st::success("Ready.");
}

SLUICE_APP(hello)
