// One st:: mistake per option of the "mistake" radio, each meant to show the
// exception type that the error policy in sluice/st.hpp names for it.
#include <unistd.h>

#include <sluice/st.hpp>
#include <string>

namespace {

int CheckboxInside() {
  st::checkbox("inside a cached function");
  return 1;
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  std::string mistake = st::radio("mistake", {"none", "bad argument", "past the end", "wrong place",
                                              "wrong type", "missing secret"});
  if (mistake == "bad argument") {
    st::columns(13);
  } else if (mistake == "past the end") {
    auto cols = st::columns(2);
    auto third = cols[2];
  } else if (mistake == "wrong place") {
    static const auto cached = st::cache_data(CheckboxInside, {.scope = st::CacheScope::session});
    cached();
  } else if (mistake == "wrong type") {
    st::session_state()["count"] = 1;
    st::session_state().get<std::string>("count");
  } else if (mistake == "missing secret") {
    st::secrets().at("no such key");
  }
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
