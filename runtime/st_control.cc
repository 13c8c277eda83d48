// st::rerun, st::stop and st::session_state.
#include "runtime/app_runner.h"
#include "runtime/demangle.h"
#include "sluice/app.hpp"
#include "sluice/session_state.hpp"
#include "util/strings.h"

namespace st {

using sluice::runtime::AppRunner;

void rerun() { AppRunner::Current().RequestRerun(); }

void stop() {
  AppRunner::Current();  // only meaningful inside a run
  throw StopSignal{};
}

SessionState& session_state() { return AppRunner::Current().state(); }

void SessionState::throw_type_error(std::string_view key, const std::any& held,
                                    const std::type_info& wanted) {
  throw StateTypeError(sluice::StrCat("session_state[\"", key, "\"] holds ",
                                      sluice::runtime::TypeName(held.type()), ", not ",
                                      sluice::runtime::TypeName(wanted)));
}

}  // namespace st
