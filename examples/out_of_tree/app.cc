// A complete app: one function, registered with SLUICE_APP.
#include <sluice/st.hpp>
#include <string>

void counter() {
  st::title("My app");
  int& count = st::session_state().get<int>("count", 0);
  if (st::button("Count")) ++count;
  st::text("count = " + std::to_string(count));
}

SLUICE_APP(counter)
