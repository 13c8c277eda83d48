// Where the next element of a run goes. Containers are addressed by paths
// (page.capnp): roots [0] main and [1] sidebar; a block element at p owns
// its containers at p ++ [c] (columns: one per column; expander: one, c = 0).
// One tree per run.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace sluice::runtime {

using Path = std::vector<std::uint32_t>;

inline constexpr std::uint32_t kMainRoot = 0;
inline constexpr std::uint32_t kSidebarRoot = 1;

class ContainerTree {
 public:
  // Starts a run: both roots empty, elements go to main.
  void Reset();

  // The path of the next element in the current container (and counts it).
  Path Next();

  // Takes back `path`, the last element given out by Next(), if nothing was
  // added after it: the next element goes there instead.
  void TakeBack(const Path& path);

  // Makes `container` current until Leave(depth) with the returned depth.
  std::size_t Enter(const Path& container);
  // Returns to the container that was current at `depth`. Scopes left out of
  // order (or after the run ended) are ignored rather than corrupting the tree.
  void Leave(std::size_t depth);

  // Records a container that exists this run even if nothing goes into it.
  void Declare(const Path& container);
  // Whether `container` exists this run (declared, entered or used).
  bool Declared(const Path& container) const { return counts_.contains(container); }

  // The container the next element goes to.
  const Path& Current() const { return stack_.back(); }

  // Drops the containers of the element at `element` and everything in
  // them (its content was replaced by another element: st::empty's slot),
  // so the run's lengths no longer name them. REQUIRES: !InsideOf(element).
  void Forget(const Path& element);
  // Whether an open scope is in a container of the element at `element`.
  bool InsideOf(const Path& element) const;

  // Every container of this run with its number of elements.
  std::vector<std::pair<Path, std::uint32_t>> Lengths() const;

 private:
  std::map<Path, std::uint32_t> counts_;
  std::vector<Path> stack_;
};

}  // namespace sluice::runtime
