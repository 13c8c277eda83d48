// st::rerun, st::stop and st::session_state.
#include "sluice/app.hpp"
#include "sluice/session_state.hpp"
#include "util/strings.h"
#include "worker/demangle.h"
#include "worker/session.h"

namespace st {

using sluice::worker::Session;

void rerun() { Session::Current().RequestRerun(); }

void stop() {
  Session::Current();  // only meaningful inside a run
  throw StopSignal{};
}

SessionState& session_state() { return Session::Current().state(); }

void SessionState::throw_type_error(std::string_view key, const std::any& held,
                                    const std::type_info& wanted) {
  throw StateTypeError(sluice::StrCat("session_state[\"", key, "\"] holds ",
                                      sluice::worker::TypeName(held.type()), ", not ",
                                      sluice::worker::TypeName(wanted)));
}

}  // namespace st
