// Telling the viewer how a run is going: a progress bar the run moves, a
// spinner while a block of work lasts, and toasts (short notices over the
// page's corner).
//
//   auto bar = st::progress(0, "Loading");
//   for (int i = 0; i < n; ++i) {
//     Load(i);
//     bar.update((i + 1) / double(n), "Loaded " + std::to_string(i + 1));
//   }
//   {
//     auto busy = st::spinner("Fitting the model...");
//     Fit();
//   }  // the spinner goes here
//   st::toast("Model saved", {.icon = "✅"});
//
// Like st::empty's slot (sluice/slot.hpp), a progress bar is updated in
// place only during the run that made it, never from inside a cached
// function (std::logic_error), and its updates reach the page as the run
// goes (every 25 ms; many updates between two sends cost one delta). None
// of the three may be shown inside a cached function: a hit would replay
// the bar's first state, or a spinner that nothing ends.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace st {

class Progress {
 public:
  // Moves the bar to `fraction` (0 to 1) and shows `text` beside it (empty:
  // none). Throws std::invalid_argument for a fraction outside [0, 1] or
  // NaN, std::logic_error after its run or inside a cached function.
  void update(double fraction, std::string_view text = "");

 private:
  friend Progress progress(double, std::string_view);
  Progress(std::uint64_t run_id, std::vector<std::uint32_t> path)
      : run_id_(run_id), path_(std::move(path)) {}
  std::uint64_t run_id_;
  std::vector<std::uint32_t> path_;
};

// A progress bar at the next position, at `fraction` (0 to 1; outside that
// or NaN: std::invalid_argument), with `text` as its label; the page shows
// it as a progressbar named by the text, its value in percent. For a
// percentage p, pass p / 100.0.
Progress progress(double fraction, std::string_view text = "");

// Shows a spinner with `text` at the next position while it lives; elements
// shown meanwhile go after it. When it ends the spinner goes, and its
// position stays (showing nothing), so what follows does not move.
class [[nodiscard]] Spinner {
 public:
  ~Spinner();
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

 private:
  friend Spinner spinner(std::string_view);
  Spinner(std::uint64_t run_id, std::vector<std::uint32_t> path)
      : run_id_(run_id), path_(std::move(path)) {}
  std::uint64_t run_id_;
  std::vector<std::uint32_t> path_;
};

// The spinner is on the page at once (not at the next 25 ms batch), so it
// shows before a long computation that calls no st:: function.
Spinner spinner(std::string_view text = "In progress...");

struct ToastOptions {
  std::string_view icon;  // an emoji shown before the text; empty: none
};

// A short notice over the page's bottom-right corner for about 4 seconds
// (longer while the viewer points at or focuses it), stacked under earlier
// ones; the viewer may dismiss it. Announced politely to screen readers.
// Every call shows it again, even with the text of the last run's toast.
// It takes a position like any element, showing nothing there.
void toast(std::string_view text, const ToastOptions& options = {});

}  // namespace st
