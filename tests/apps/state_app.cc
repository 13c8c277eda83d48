// Every widget kind, session state, a sidebar and columns: the app most
// integration tests drive.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <sluice/st.hpp>
#include <string>

namespace {

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::title("State app");
  {
    auto side = st::sidebar();
    st::text("sidebar note");
  }

  int x = st::slider("x", 0, 100, 25);
  st::text("x squared is " + std::to_string(x * x));

  int& clicks = st::session_state().get<int>("clicks", 0);
  if (st::button("Add one")) ++clicks;
  st::text("clicks: " + std::to_string(clicks));

  st::TextInputOptions name_options;
  name_options.key = "name";
  std::string name = st::text_input("name", "", name_options);
  bool shout = st::checkbox("shout");
  std::string greeting = "hello, " + name;
  if (shout) {
    // Only while checked: unchecking must remove it from the page.
    st::warning("shouting");
    std::transform(greeting.begin(), greeting.end(), greeting.begin(),
                   [](unsigned char c) { return std::toupper(c); });
  }
  st::text(greeting);

  std::string color = st::selectbox("color", {"red", "green", "blue"});
  st::text("color: " + color);

  auto cols = st::columns(2);
  {
    auto left = cols[0];
    st::text("left column");
  }
  {
    auto right = cols[1];
    st::text("right column");
  }
}

}  // namespace

SLUICE_APP(app)
