// st::spinner: a spinner while a scope lasts (sluice/status.hpp). It is the
// runner's `spinner` element (the one cache_data shows while a miss
// computes), set to `empty` when the guard ends: the position still counts,
// so the elements after it keep their paths and the page does not move
// them.
#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "sluice/status.hpp"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::runtime::AppRunner;
using sluice::runtime::ElementRef;

Spinner spinner(std::string_view text) {
  AppRunner& runner = AppRunner::Current();
  ElementRef ref =
      runner.Ref(runner.Emit([&](Element::Builder e) { e.adoptSpinner(NewText(e, text)); }));
  // On the page before the work it announces, which may call no st:: for long.
  runner.FlushNow();
  return Spinner(ref.run_id, std::move(ref.path));
}

Spinner::~Spinner() {
  // Not when the run is over (the guard outlived it) nor while it is being
  // interrupted: ReplaceQuietly checks both and never throws. Sent at once:
  // what follows may compute for long without an st:: call.
  if (AppRunner* runner = AppRunner::CurrentOrNull()) {
    runner->ReplaceQuietly(
        {run_id_, path_}, [](Element::Builder e) { e.setEmpty(); },
        /*flush_now=*/true);
  }
}

}  // namespace st
