#include "runtime/containers.h"

#include <algorithm>

namespace sluice::runtime {

void ContainerTree::Reset() {
  counts_.clear();
  counts_[{kMainRoot}] = 0;
  counts_[{kSidebarRoot}] = 0;
  stack_.assign(1, Path{kMainRoot});
}

Path ContainerTree::Next() {
  const Path& current = stack_.back();
  std::uint32_t& count = counts_[current];
  Path path = current;
  path.push_back(count++);
  return path;
}

void ContainerTree::TakeBack(const Path& path) {
  if (path.empty() || stack_.empty()) return;
  const Path& current = stack_.back();
  if (path.size() != current.size() + 1 ||
      !std::equal(current.begin(), current.end(), path.begin())) {
    return;
  }
  std::uint32_t& count = counts_[current];
  if (count == path.back() + 1) --count;
}

std::size_t ContainerTree::Enter(const Path& container) {
  Declare(container);
  std::size_t depth = stack_.size();
  stack_.push_back(container);
  return depth;
}

void ContainerTree::Leave(std::size_t depth) {
  if (depth == 0 || depth >= stack_.size()) return;
  stack_.resize(depth);
}

void ContainerTree::Declare(const Path& container) { counts_.try_emplace(container, 0); }

namespace {

// Whether `path` is strictly under `element` (one of its containers, or
// deeper).
bool Under(const Path& path, const Path& element) {
  return path.size() > element.size() && std::equal(element.begin(), element.end(), path.begin());
}

}  // namespace

void ContainerTree::Forget(const Path& element) {
  auto it = counts_.upper_bound(element);
  while (it != counts_.end() && Under(it->first, element)) it = counts_.erase(it);
}

bool ContainerTree::InsideOf(const Path& element) const {
  return std::any_of(stack_.begin(), stack_.end(),
                     [&](const Path& container) { return Under(container, element); });
}

std::vector<std::pair<Path, std::uint32_t>> ContainerTree::Lengths() const {
  return {counts_.begin(), counts_.end()};
}

}  // namespace sluice::runtime
