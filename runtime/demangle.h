#pragma once

#include <string>
#include <typeinfo>

namespace sluice::runtime {

// A readable C++ type name ("std::runtime_error"), for error messages.
std::string Demangle(const char* mangled);
inline std::string TypeName(const std::type_info& type) { return Demangle(type.name()); }

}  // namespace sluice::runtime
