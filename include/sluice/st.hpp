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
#pragma once

#include <sluice/app.hpp>
#include <sluice/cache.hpp>
#include <sluice/file_uploader.hpp>
#include <sluice/layout.hpp>
#include <sluice/secrets.hpp>
#include <sluice/session_state.hpp>
#include <sluice/text.hpp>
#include <sluice/widgets.hpp>
