// Live elements over a real session (tests/broker/live_elements_test.cc,
// the "live" browser suite). The mode radio picks what a run does:
//   idle   nothing more;
//   burst  a slot replaced 1,000 times in one run, then "burst done";
//   long   a progress bar and a slot moved every few milliseconds until the
//          run is interrupted (a test changes the mode), at most a minute:
//          a test sees intermediate values before any run finishes, with
//          no clock of its own;
//   work   a spinner guard, a progress bar moved from 0 to 100 % over
//          about 1.5 s and a slot counting, then "work done" (a browser
//          watches the bar move and the spinner go).
// The "notify" button shows a toast.
#include <unistd.h>

#include <chrono>
#include <sluice/st.hpp>
#include <string>

namespace {

void BusyFor(std::chrono::microseconds duration) {
  auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
  }
}

void Burst() {
  st::Slot slot = st::empty();
  for (int i = 1; i <= 1000; ++i) slot.text("replacement " + std::to_string(i));
  st::text("burst done");
}

void Long() {
  st::Progress bar = st::progress(0, "step 0");
  st::Slot slot = st::empty();
  for (int step = 1; step <= 12000; ++step) {
    BusyFor(std::chrono::milliseconds(5));
    bar.update((step % 100) / 100.0, "step " + std::to_string(step));
    slot.text("slot step " + std::to_string(step));
  }
  st::text("long run ended without an interruption");
}

void Work() {
  constexpr int kSteps = 60;
  {
    st::Spinner busy = st::spinner("Crunching numbers");
    st::Progress bar = st::progress(0, "Working");
    st::Slot slot = st::empty();
    for (int step = 1; step <= kSteps; ++step) {
      BusyFor(std::chrono::milliseconds(25));
      bar.update(step / static_cast<double>(kSteps), "Working");
      slot.text("counted " + std::to_string(step));
    }
  }
  st::text("work done");
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  if (st::button("notify")) st::toast("Saved the report", {.icon = "✅"});
  std::string mode = st::radio("mode", {"idle", "burst", "long", "work"});
  if (mode == "burst") Burst();
  if (mode == "long") Long();
  if (mode == "work") Work();
}

}  // namespace

SLUICE_APP(app)
