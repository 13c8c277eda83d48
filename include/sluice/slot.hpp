// st::empty(): a place on the page whose content the run sets again, in
// place, as often as it likes (Streamlit's st.empty). The slot takes one
// position when it is made (showing nothing); each later call replaces
// what it shows, and the page updates that element where it is, without
// moving anything else:
//
//   auto status = st::empty();
//   for (int i = 0; i < steps; ++i) {
//     status.text("step " + std::to_string(i));   // replaces the line
//     Work(i);
//   }
//   status.show([&] { st::line_chart(result); });  // any element kind
//   status.empty();                                 // shows nothing again
//
// show(f) is how every kind gets into a slot: the first element `f` shows
// (in the container that is current when show begins) goes to the slot
// instead of the next position. A block works too (st::columns,
// st::expander): its containers then belong to the slot, and setting the
// slot again takes them and everything in them off the page.
//
// Rules, each broken with std::logic_error:
//   - a slot holds one element: a second one shown by the same `f` in the
//     slot's container throws (show a block and put several inside it);
//   - a slot is set only during the run that made it (its position may hold
//     another element in the next run): keep it in a local, not in
//     session_state or a static;
//   - a slot is not set from inside a cached function (st::cache_data),
//     whose hits would not know where it is; nor from inside a block it
//     shows (that block would go away under the scope).
// Changes reach the page as the run goes, with the run's other elements
// (every 25 ms while it produces); a slot set many times between two
// sends costs one delta, the last content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sluice/charts.hpp>
#include <sluice/display.hpp>
#include <sluice/image.hpp>
#include <sluice/text.hpp>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace st {

class Slot;
[[nodiscard]] Slot empty();

namespace detail {

// While alive, the next element shown goes to `slot` (Slot::show).
class [[nodiscard]] SlotAim {
 public:
  explicit SlotAim(const Slot& slot);
  ~SlotAim();
  SlotAim(const SlotAim&) = delete;
  SlotAim& operator=(const SlotAim&) = delete;
  // The function returned: a slot it showed nothing in is emptied.
  void Finish();

 private:
  const Slot& slot_;
  std::size_t depth_;
  bool finished_ = false;
};

}  // namespace detail

class Slot {
 public:
  // Runs `f` with the slot as the place of the first element it shows and
  // returns what `f` returns (a chart's handle, say). Nothing shown: the
  // slot is emptied. If `f` throws, the slot keeps what it showed so far.
  template <class F>
  std::invoke_result_t<F&> show(F&& f) {
    detail::SlotAim aim(*this);
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      f();
      aim.Finish();
    } else {
      std::invoke_result_t<F&> result = f();
      aim.Finish();
      return result;
    }
  }

  void title(std::string_view text) {
    show([&] { st::title(text); });
  }
  void header(std::string_view text) {
    show([&] { st::header(text); });
  }
  void subheader(std::string_view text) {
    show([&] { st::subheader(text); });
  }
  void markdown(std::string_view text) {
    show([&] { st::markdown(text); });
  }
  void text(std::string_view text) {
    show([&] { st::text(text); });
  }
  void caption(std::string_view text) {
    show([&] { st::caption(text); });
  }
  void code(std::string_view source, std::string_view language = "") {
    show([&] { st::code(source, language); });
  }
  void error(std::string_view text) {
    show([&] { st::error(text); });
  }
  void warning(std::string_view text) {
    show([&] { st::warning(text); });
  }
  void info(std::string_view text) {
    show([&] { st::info(text); });
  }
  void success(std::string_view text) {
    show([&] { st::success(text); });
  }
  void metric(std::string_view label, const MetricText& value, const MetricOptions& options = {}) {
    show([&] { st::metric(label, value, options); });
  }
  // As st::image (sluice/image.hpp): encoded bytes, or pixels to encode.
  void image(const Pixels& pixels, const ImageOptions& options = {}) {
    show([&] { st::image(pixels, options); });
  }
  void image(std::string_view encoded, const ImageOptions& options = {}) {
    show([&] { st::image(encoded, options); });
  }
  void image(const std::string& encoded, const ImageOptions& options = {}) {
    show([&] { st::image(encoded, options); });
  }
  void image(std::span<const std::uint8_t> encoded, const ImageOptions& options = {}) {
    show([&] { st::image(encoded, options); });
  }
  void image(std::span<const std::byte> encoded, const ImageOptions& options = {}) {
    show([&] { st::image(encoded, options); });
  }
  void image(const char* encoded, const ImageOptions& options = {}) = delete;
  // A chart in the slot; its handle's add_rows streams onto it there.
  Chart line_chart(const DataFrame& frame, const ChartOptions& options = {}) {
    return show([&] { return st::line_chart(frame, options); });
  }
  Chart area_chart(const DataFrame& frame, const ChartOptions& options = {}) {
    return show([&] { return st::area_chart(frame, options); });
  }
  Chart bar_chart(const DataFrame& frame, const ChartOptions& options = {}) {
    return show([&] { return st::bar_chart(frame, options); });
  }
  Chart scatter_chart(const DataFrame& frame, const ChartOptions& options = {}) {
    return show([&] { return st::scatter_chart(frame, options); });
  }
  // Shows nothing (the slot keeps its position).
  void empty();

 private:
  friend Slot st::empty();
  friend class detail::SlotAim;
  Slot(std::uint64_t run_id, std::vector<std::uint32_t> path, std::uint64_t serial)
      : run_id_(run_id), path_(std::move(path)), serial_(serial) {}
  std::uint64_t run_id_;
  std::vector<std::uint32_t> path_;
  std::uint64_t serial_;  // the runner's, to know a slot inside a block that went away
};

// A slot at the next position, showing nothing until it is set.
Slot empty();

}  // namespace st
