// The app author's whole API. An app is one function that runs top to bottom
// on every interaction; each st:: call adds the next element to the page.
//
//   #include <sluice/st.hpp>
//   void app() {
//     st::title("Hello");
//     int n = st::slider("n", 0, 10, 3);
//     st::text("n squared is " + std::to_string(n * n));
//   }
//   SLUICE_APP(app)
//
// Every function here may only be called from the app function (or from a
// callback), on the thread that runs it. Any st:: call may end the current
// run early by throwing st::RerunSignal (a newer widget change arrived,
// st::rerun()) or st::StopSignal (st::stop()); these do not derive from
// std::exception, so `catch (const std::exception&)` lets them pass. Never
// swallow them with `catch (...)`.
//
// Errors. A mistake in an st:: call throws, and the exception type says
// which kind of mistake it is:
//   std::invalid_argument  a value the call cannot take: a number outside its
//                          range (st::columns(13), a slider value outside
//                          [min, max]), an index that is not an option, one
//                          widget key used twice in a run, a text longer than
//                          a message can carry (just under 512 MiB; the
//                          broker takes at most 256 MiB of elements in one
//                          frame, so keep single elements far smaller).
//   std::out_of_range      something asked for that is not there: a column
//                          past Columns::size(), Column::at past its end, a
//                          key st::secrets() does not have.
//   st::StateTypeError     a session_state value read (or bound to a keyed
//                          widget) as another type than it holds; it derives
//                          from std::logic_error.
//   std::logic_error       a call in the wrong place: an st:: call outside the
//                          app function and its callbacks, a widget or layout
//                          block inside a cached function, .preload on a
//                          cache_resource whose factory takes arguments.
// Uncaught, any of them ends the run where it was thrown; the page shows the
// exception's type and message there, as for any exception the app lets
// escape, and the session goes on (the next change reruns the app).
// One mistake is logged instead of thrown: a st::ValueCodec whose encode
// writes more bytes than it measured leaves its value uncached
// (cache_encode_failed in the log) and the app carries on with the value.
#pragma once

#include <sluice/app.hpp>
#include <sluice/cache.hpp>
#include <sluice/charts.hpp>
#include <sluice/csv.hpp>
#include <sluice/dataframe.hpp>
#include <sluice/display.hpp>
#include <sluice/download.hpp>
#include <sluice/file_uploader.hpp>
#include <sluice/frame_elements.hpp>
#include <sluice/image.hpp>
#include <sluice/layout.hpp>
#include <sluice/secrets.hpp>
#include <sluice/session_state.hpp>
#include <sluice/slot.hpp>
#include <sluice/status.hpp>
#include <sluice/text.hpp>
#include <sluice/vega_lite.hpp>
#include <sluice/widgets.hpp>
