// Registering the app function, and the control-flow calls of a run.
#pragma once

#include <cstdint>

namespace st {

using AppFunction = void (*)();

// Thrown by st:: calls to restart the run; not a std::exception.
struct RerunSignal {};
// Thrown by st::stop() to end the run; not a std::exception.
struct StopSignal {};

// Ends this run now and starts the app again from the top (session state and
// widget values are kept).
[[noreturn]] void rerun();

// Ends this run now; elements produced so far stay, later ones are removed.
[[noreturn]] void stop();

}  // namespace st

namespace sluice {

// What SLUICE_APP exports; the zygote looks it up by name after dlopen.
struct AppDescriptor {
  std::uint32_t abi_version;
  const char* name;
  st::AppFunction entry;
};
inline constexpr std::uint32_t kAppAbiVersion = 1;

}  // namespace sluice

// Registers `fn` (a `void()` function) as this library's app. Use once, at
// namespace scope, in exactly one source file of the app.
#define SLUICE_APP(fn)                                                                   \
  extern "C" __attribute__((visibility("default"))) const ::sluice::AppDescriptor*       \
  sluice_app_v1() {                                                                      \
    static const ::sluice::AppDescriptor descriptor{::sluice::kAppAbiVersion, #fn, &fn}; \
    return &descriptor;                                                                  \
  }
