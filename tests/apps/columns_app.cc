// Columns whose count the viewer picks, so a page must rebuild a columns
// element in place when its count changes: each column shows "column i of n"
// and a button "poke i of n" (a control the rebuild must dispose); a caption
// under them says how many are shown.
#include <unistd.h>

#include <sluice/st.hpp>
#include <string>

namespace {

void app() {
  st::text("pid: " + std::to_string(getpid()));
  std::string chosen = st::radio("Columns", {"1", "2", "3"}, 1);
  int count = std::stoi(chosen);
  auto columns = st::columns(static_cast<std::size_t>(count));
  for (int c = 0; c < count; ++c) {
    auto column = columns[static_cast<std::size_t>(c)];
    st::text("column " + std::to_string(c + 1) + " of " + std::to_string(count));
    st::button("poke " + std::to_string(c + 1) + " of " + std::to_string(count));
    // The same for every count: the page rebuilds the columns empty, so the
    // server must send it again although it did not change.
    if (c == 0) st::text("always in the first column");
  }
  st::caption(std::to_string(count) + " columns shown");
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
