#include "runtime/element_kinds.h"

#include <capnp/schema.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace sluice::runtime {
namespace {

// Room for every member the Element union will ever have in practice; a
// larger discriminant fails registration loudly rather than silently.
constexpr std::size_t kMaxKinds = 128;

std::array<std::optional<ElementKind>, kMaxKinds>& Kinds() {
  static std::array<std::optional<ElementKind>, kMaxKinds> kinds;
  return kinds;
}

}  // namespace

bool RegisterElementKind(const ElementKind& kind) {
  auto index = static_cast<std::size_t>(kind.which);
  if (index >= kMaxKinds || Kinds()[index].has_value()) {
    std::fprintf(stderr, "sluice: element kind %.*s registered twice or out of range\n",
                 static_cast<int>(ElementKindName(kind.which).size()),
                 ElementKindName(kind.which).data());
    std::abort();
  }
  Kinds()[index] = kind;
  return true;
}

const ElementKind* FindElementKind(ipc::Element::Which which) {
  auto index = static_cast<std::size_t>(which);
  if (index >= kMaxKinds || !Kinds()[index]) return nullptr;
  return &*Kinds()[index];
}

std::string_view ElementKindName(ipc::Element::Which which) {
  capnp::StructSchema schema = capnp::Schema::from<ipc::Element>();
  for (capnp::StructSchema::Field field : schema.getUnionFields()) {
    if (field.getProto().getDiscriminantValue() == static_cast<std::uint16_t>(which)) {
      capnp::Text::Reader name = field.getProto().getName();
      return {name.begin(), name.size()};
    }
  }
  return "unknown";
}

}  // namespace sluice::runtime
