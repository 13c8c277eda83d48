// Layout as scope guards: while a Scope is alive, elements go into its
// container. Scopes must end in the reverse order they began (as C++ block
// scopes do).
//
//   { auto side = st::sidebar(); st::text("in the sidebar"); }
//   auto cols = st::columns(2);
//   { auto left = cols[0]; st::text("left"); }
//   { auto right = cols[1]; st::text("right"); }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace st {

class [[nodiscard]] Scope {
 public:
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  ~Scope();

 private:
  friend class Columns;
  friend Scope sidebar();
  friend Scope expander(std::string_view, bool);
  explicit Scope(std::vector<std::uint32_t> path);
  std::size_t depth_;
};

class [[nodiscard]] Columns {
 public:
  // Enters column i (0-based). Throws std::out_of_range past size().
  Scope operator[](std::size_t i) const;
  std::size_t size() const { return count_; }

 private:
  friend Columns columns(std::size_t);
  Columns(std::vector<std::uint32_t> path, std::size_t count)
      : path_(std::move(path)), count_(count) {}
  std::vector<std::uint32_t> path_;
  std::size_t count_;
};

Scope sidebar();
// n side-by-side columns (1 <= n <= 12), placed as the next element.
Columns columns(std::size_t n);
Scope expander(std::string_view label, bool expanded = false);

}  // namespace st
