// st::metric and st::json as a viewer sees them (tests/web/browser_test.mjs,
// suite "display"): three metrics (up and normal, down and inverse, off), a
// JSON document shown closed below its top level, an invalid one, and one
// 100,000 levels deep.
#include <unistd.h>

#include <sluice/st.hpp>
#include <string>

namespace {

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::title("Display app");
  st::metric("Revenue", "€ 1.2 M", {.delta = "+3 %"});
  st::metric("Latency", "120 ms", {.delta = "-8 ms", .delta_color = st::DeltaColor::kInverse});
  st::metric("Errors", 7, {.delta = -2, .delta_color = st::DeltaColor::kOff});
  st::json(R"({"name": "sluice", "id": 12345678901234567890,
               "tags": ["fast", "safe"],
               "owner": {"team": "data", "active": true, "lead": null}})",
           {.expanded = false});
  st::json("{\n  \"a\": 1,\n  \"b\": }");
  // Deeper than JSON.parse's reviver can recurse, and than a page should open.
  constexpr std::size_t kDepth = 100'000;
  st::json(std::string(kDepth, '[') + std::string(kDepth, ']'));
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
