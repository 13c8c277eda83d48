// A private-memory table of cache entries grouped by the function that made
// them, for the two caches that live inside one worker: session-scoped
// st::cache_data and st::cache_resource. Entries may expire (ttl), and each
// group keeps at most max_entries, dropping its least recently used.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <iterator>
#include <list>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "shm_cache/layout.h"

namespace sluice::runtime {

template <class Value>
class GroupedEntries {
 public:
  using Key = shm_cache::Key;

  // The live value for `key` (now its group's most recently used), or null;
  // an expired entry is dropped.
  Value* Find(const Key& key, std::uint64_t now_ns) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (it->second.expires_ns != 0 && it->second.expires_ns <= now_ns) {
      Erase(it);
      return nullptr;
    }
    std::list<Key>& order = groups_[it->second.group];
    order.splice(order.end(), order, it->second.order);
    return &it->second.value;
  }

  // Stores `value` (replacing any entry for `key`); `expires_ns` 0 is never.
  // Then drops the group's least recently used beyond `max_entries` (0: no
  // limit).
  void Insert(const Key& key, std::uint64_t group, Value value, std::uint64_t expires_ns,
              std::size_t max_entries) {
    EraseKey(key);
    std::list<Key>& order = groups_[group];
    order.push_back(key);
    entries_.try_emplace(key, Entry{std::move(value), expires_ns, group, std::prev(order.end())});
    while (max_entries != 0 && order.size() > max_entries) Erase(entries_.find(order.front()));
  }

  void EraseKey(const Key& key) {
    if (auto it = entries_.find(key); it != entries_.end()) Erase(it);
  }
  void EraseGroup(std::uint64_t group) {
    auto order = groups_.find(group);
    if (order == groups_.end()) return;
    for (const Key& key : order->second) entries_.erase(key);
    groups_.erase(order);
  }
  void Clear() {
    entries_.clear();
    groups_.clear();
  }

 private:
  struct KeyHash {
    std::size_t operator()(const Key& key) const { return key.low; }  // already a strong hash
  };
  struct Entry {
    Value value;
    std::uint64_t expires_ns;
    std::uint64_t group;
    typename std::list<Key>::iterator order;  // in groups_[group]
  };
  using Map = absl::flat_hash_map<Key, Entry, KeyHash>;

  void Erase(typename Map::iterator it) {
    auto order = groups_.find(it->second.group);
    order->second.erase(it->second.order);
    if (order->second.empty()) groups_.erase(order);
    entries_.erase(it);
  }

  Map entries_;
  absl::flat_hash_map<std::uint64_t, std::list<Key>> groups_;  // least recently used first
};

}  // namespace sluice::runtime
