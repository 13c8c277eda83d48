// An app library that passes the broker's look at the file (ELF, exports
// SLUICE_APP) but that the zygote cannot load: it needs a symbol nothing
// defines, and the zygote binds every symbol at load time (RTLD_NOW).
#include <sluice/st.hpp>

extern "C" void sluice_test_symbol_nobody_defines();

namespace {

void app() {
  sluice_test_symbol_nobody_defines();
  st::text("never shown");
}

}  // namespace

SLUICE_APP(app)
