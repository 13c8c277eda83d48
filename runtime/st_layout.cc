// st:: layout scopes: sidebar, columns, expander.
#include <stdexcept>
#include <string>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/layout.hpp"
#include "util/strings.h"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::runtime::AppRunner;
using sluice::runtime::kSidebarRoot;
using sluice::runtime::Path;

Scope::Scope(std::vector<std::uint32_t> path)
    : depth_(AppRunner::Current().containers().Enter(path)) {}

Scope::~Scope() {
  if (AppRunner* session = AppRunner::CurrentOrNull()) session->containers().Leave(depth_);
}

Scope sidebar() {
  AppRunner::Current().CheckInterrupt();
  return Scope(Path{kSidebarRoot});
}

Columns columns(std::size_t n) {
  if (n < 1 || n > 12) {
    throw std::invalid_argument(sluice::StrCat("st::columns(", n, "): use 1 to 12 columns"));
  }
  AppRunner& session = AppRunner::Current();
  Path path =
      session.Emit([&](Element::Builder e) { e.setColumns(static_cast<std::uint32_t>(n)); });
  for (std::uint32_t i = 0; i < n; ++i) {
    Path column = path;
    column.push_back(i);
    session.containers().Declare(column);
  }
  return Columns(std::move(path), n);
}

Scope Columns::operator[](std::size_t i) const {
  if (i >= count_) {
    throw std::out_of_range(sluice::StrCat("column ", i, " of ", count_, " does not exist"));
  }
  Path column = path_;
  column.push_back(static_cast<std::uint32_t>(i));
  // Entering would bring back a container the page no longer has.
  if (!AppRunner::Current().containers().Declared(column)) {
    throw std::logic_error(
        "these st::columns are no longer on the page: the st::empty() slot that showed them "
        "was set again (or they belong to an earlier run)");
  }
  return Scope(std::move(column));
}

Scope expander(std::string_view label, bool expanded) {
  Path path = AppRunner::Current().Emit([&](Element::Builder e) {
    auto expander = e.initExpander();
    expander.adoptLabel(NewText(expander, label));
    expander.setExpanded(expanded);
  });
  path.push_back(0);  // its one container
  return Scope(std::move(path));
}

namespace {

using sluice::runtime::RegisterElementKind;

// Blocks own containers of the run that made them: never inside a cached function.
const bool kLayoutKinds[] = {
    RegisterElementKind({Element::COLUMNS, false, nullptr}),
    RegisterElementKind({Element::EXPANDER, false, nullptr}),
};

}  // namespace

}  // namespace st
