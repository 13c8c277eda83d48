// Buttons that end the worker in each way app code can, after a counter that
// shows whether the session still works.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <sluice/st.hpp>
#include <stdexcept>
#include <string>

namespace {

void app() {
  st::text("pid: " + std::to_string(getpid()));
  int& clicks = st::session_state().get<int>("clicks", 0);
  if (st::button("Add one")) ++clicks;
  st::text("clicks: " + std::to_string(clicks));
  if (st::button("Segfault")) std::raise(SIGSEGV);
  if (st::button("Abort")) std::abort();
  if (st::button("Throw")) throw std::runtime_error("boom from app");
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
