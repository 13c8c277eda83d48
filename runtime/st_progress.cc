// st::progress: a bar the run moves in place (sluice/status.hpp).
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/status.hpp"
#include "util/strings.h"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::ipc::ViewOf;
using sluice::runtime::AppRunner;

namespace {

void CheckFraction(double fraction, std::string_view call) {
  // Written so that NaN fails too.
  if (!(fraction >= 0.0 && fraction <= 1.0)) {
    throw std::invalid_argument(sluice::StrCat(
        call, "(", fraction,
        "): the fraction must be between 0 and 1 (for a percentage p, pass p / 100.0)"));
  }
}

auto FillProgress(double fraction, std::string_view text) {
  return [=](Element::Builder e) {
    auto progress = e.initProgress();
    progress.setFraction(fraction);
    progress.adoptText(NewText(progress, text));
  };
}

}  // namespace

Progress progress(double fraction, std::string_view text) {
  CheckFraction(fraction, "st::progress");
  AppRunner& runner = AppRunner::Current();
  sluice::runtime::ElementRef ref = runner.Ref(runner.Emit(FillProgress(fraction, text)));
  return Progress(ref.run_id, std::move(ref.path));
}

void Progress::update(double fraction, std::string_view text) {
  CheckFraction(fraction, "st::Progress::update");
  AppRunner::Current().Replace({run_id_, path_}, FillProgress(fraction, text));
}

namespace {

// What a viewer reads: the text and the value in whole percent, as the
// page names and values its progressbar.
std::optional<std::string> ProgressReadout(Element::Reader e) {
  auto progress = e.getProgress();
  std::string percent = sluice::StrCat(std::lround(progress.getFraction() * 100), " %");
  std::string_view text = ViewOf(progress.getText());
  return text.empty() ? percent : sluice::StrCat(text, " ", percent);
}

const bool kProgressKind =
    sluice::runtime::RegisterElementKind({Element::PROGRESS, false, &ProgressReadout});

}  // namespace

}  // namespace st
