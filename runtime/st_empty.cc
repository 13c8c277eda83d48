// st::empty(): a slot whose content the run replaces in place
// (sluice/slot.hpp). The runner does the work: AppRunner::AimAt sends the
// next element to the slot's path, so every element kind fills a slot with
// no code of its own here.
#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/slot.hpp"

namespace st {

using sluice::ipc::Element;
using sluice::runtime::AppRunner;
using sluice::runtime::ElementRef;

Slot empty() {
  AppRunner& runner = AppRunner::Current();
  ElementRef ref = runner.Ref(runner.Emit([](Element::Builder e) { e.setEmpty(); }));
  return Slot(ref.run_id, std::move(ref.path), ref.serial);
}

void Slot::empty() {
  AppRunner::Current().Replace({run_id_, path_, serial_, true},
                               [](Element::Builder e) { e.setEmpty(); });
}

namespace detail {

SlotAim::SlotAim(const Slot& slot)
    : slot_(slot),
      depth_(AppRunner::Current().AimAt({slot.run_id_, slot.path_, slot.serial_, true})) {}

SlotAim::~SlotAim() {
  if (finished_) return;
  if (AppRunner* runner = AppRunner::CurrentOrNull()) runner->EndAim(depth_);
}

void SlotAim::Finish() {
  finished_ = true;
  AppRunner& runner = AppRunner::Current();
  if (!runner.EndAim(depth_)) {
    runner.Replace({slot_.run_id_, slot_.path_, slot_.serial_, true},
                   [](Element::Builder e) { e.setEmpty(); });
  }
}

}  // namespace detail

namespace {

// A slot made inside a cached function could only be filled there, which
// Replace refuses: its hits would show the slot empty. Refused up front.
const bool kEmptyKind = sluice::runtime::RegisterElementKind({Element::EMPTY, false, nullptr});

}  // namespace

}  // namespace st
