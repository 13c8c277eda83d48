#include "runtime/query_targets.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "ipc/text.h"
#include "util/strings.h"

namespace sluice::runtime {

ipc::QueryReply::Builder QueryReplies::Begin(capnp::MallocMessageBuilder& message) {
  auto reply = message.initRoot<ipc::ServerMessage>().initReply();
  reply.setQueryId(query_.query_id);
  reply.adoptElementId(ipc::NewText(reply, query_.element_id));
  return reply;
}

void QueryReplies::Error(std::string_view message) {
  Send([&](ipc::QueryReply::Builder reply) { reply.adoptError(ipc::NewText(reply, message)); });
}

void QueryTargets::BeginRun() {
  current_.clear();
  ordinals_.clear();
  unplaced_.clear();
}

void QueryTargets::Placed(const Path& path) {
  for (const std::string& base : unplaced_) {
    if (auto it = current_.find(base); it != current_.end()) it->second.path = path;
  }
  unplaced_.clear();
}

void QueryTargets::ForgetAt(const Path& path) {
  absl::erase_if(current_, [&](const auto& entry) {
    const Path& at = entry.second.path;
    return !at.empty() && at.size() >= path.size() &&
           std::equal(path.begin(), path.end(), at.begin());
  });
}

std::string QueryTargets::Add(std::string_view kind, std::string_view label, std::string_view key,
                              std::shared_ptr<QueryTarget> target) {
  std::string base;
  if (!key.empty()) {
    // The kind is part of the name: one key on a grid in one run and on a
    // download button in the next names two different elements.
    base = StrCat(kind, ":key:", key);
    if (current_.contains(base)) {
      throw std::invalid_argument(
          StrCat("two elements use the key '", key, "' in one run; keys must be unique"));
    }
  } else {
    std::string name = StrCat(kind, ":", label);
    int ordinal = ordinals_[name]++;
    base = StrCat(name, ":", ordinal);
  }
  Entry entry{0, std::move(target), {}};
  if (const Entry* before = Lookup(base);
      before != nullptr && before->target->SameAs(*entry.target)) {
    entry.target->Inherit(*before->target);
    entry.generation = before->generation;
  } else {
    entry.generation = next_generation_++;
  }
  std::string id = StrCat(base, "#", entry.generation);
  unplaced_.push_back(base);
  current_.insert_or_assign(std::move(base), std::move(entry));
  return id;
}

void QueryTargets::FinishRun() {
  previous_ = std::move(current_);
  current_.clear();
}

const QueryTargets::Entry* QueryTargets::Lookup(std::string_view base) const {
  if (auto it = current_.find(ToAbsl(base)); it != current_.end()) return &it->second;
  if (auto it = previous_.find(ToAbsl(base)); it != previous_.end()) return &it->second;
  return nullptr;
}

std::shared_ptr<QueryTarget> QueryTargets::Find(std::string_view id) const {
  std::size_t hash = id.rfind('#');
  if (hash == std::string_view::npos) return nullptr;
  std::uint64_t generation = 0;
  std::string_view digits = id.substr(hash + 1);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), generation);
  if (error != std::errc() || end != digits.data() + digits.size()) return nullptr;
  // The current run's entry wins; a query for what the last run showed is
  // still answered while this run has not replaced it.
  std::string_view base = id.substr(0, hash);
  for (const auto* map : {&current_, &previous_}) {
    if (auto it = map->find(ToAbsl(base));
        it != map->end() && it->second.generation == generation) {
      return it->second.target;
    }
  }
  return nullptr;
}

}  // namespace sluice::runtime
