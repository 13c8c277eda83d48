// st::cache_resource's runtime: one object per (resource, arguments) in this
// process, with ttl and max_entries; and the spinner both caches show.
#include <cstring>
#include <list>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "sluice/cache.hpp"
#include "util/strings.h"
#include "worker/cache_state.h"
#include "worker/session.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace st::detail {

using sluice::shm_cache::Key;
using sluice::shm_cache::MonotonicNowNs;
namespace cache = sluice::worker::cache;

namespace {

struct KeyHash {
  std::size_t operator()(const Key& key) const { return key.low; }
};

class ResourceTable {
 public:
  std::shared_ptr<void> Find(const ResourceInfo& resource, const Key& key) {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return nullptr;
    if (it->second.expires_ns != 0 && it->second.expires_ns <= MonotonicNowNs()) {
      Erase(it);
      return nullptr;
    }
    // Most recently used last: max_entries drops from the front.
    auto& order = by_resource_[it->second.resource];
    order.splice(order.end(), order, it->second.order);
    return it->second.object;
  }

  void Store(const ResourceInfo& resource, const Key& key, std::shared_ptr<void> object) {
    std::lock_guard lock(mutex_);
    if (auto it = objects_.find(key); it != objects_.end()) Erase(it);
    auto ttl = resource.ttl.count();
    std::uint64_t expires =
        ttl > 0 ? MonotonicNowNs() + static_cast<std::uint64_t>(ttl) * 1'000'000u : 0;
    std::list<Key>& order = by_resource_[resource.id_low];
    order.push_back(key);
    objects_[key] = {std::move(object), expires, resource.id_low, std::prev(order.end())};
    while (resource.max_entries != 0 && order.size() > resource.max_entries) {
      Erase(objects_.find(order.front()));
    }
  }

  void Drop(const ResourceInfo& resource, const Key* key) {
    std::lock_guard lock(mutex_);
    if (key != nullptr) {
      if (auto it = objects_.find(*key); it != objects_.end()) Erase(it);
      return;
    }
    auto order = by_resource_.find(resource.id_low);
    if (order == by_resource_.end()) return;
    for (const Key& each : order->second) objects_.erase(each);
    by_resource_.erase(order);
  }

 private:
  struct Entry {
    std::shared_ptr<void> object;
    std::uint64_t expires_ns;
    std::uint64_t resource;
    std::list<Key>::iterator order;
  };
  using Map = absl::flat_hash_map<Key, Entry, KeyHash>;
  void Erase(Map::iterator it) {
    auto order = by_resource_.find(it->second.resource);
    order->second.erase(it->second.order);
    if (order->second.empty()) by_resource_.erase(order);
    objects_.erase(it);
  }

  std::mutex mutex_;
  Map objects_;
  absl::flat_hash_map<std::uint64_t, std::list<Key>> by_resource_;
};

ResourceTable& Table() {
  static ResourceTable* table = new ResourceTable();  // objects live until the process ends
  return *table;
}

}  // namespace

ResourceInfo DescribeResource(const std::type_info& type, const void* function,
                              const std::source_location& where, std::chrono::milliseconds ttl,
                              std::size_t max_entries, bool show_spinner) {
  FunctionInfo described = DescribeFunction(type, function, where, CacheDataOptions{});
  return {described.id_low, described.id_high, std::move(described.name), ttl,
          max_entries,      show_spinner};
}

std::shared_ptr<void> FindResource(const ResourceInfo& resource, const Hasher& args) {
  return Table().Find(resource, cache::MakeKey(resource.id_low, resource.id_high, args));
}

void StoreResource(const ResourceInfo& resource, const Hasher& args, std::shared_ptr<void> object) {
  Table().Store(resource, cache::MakeKey(resource.id_low, resource.id_high, args),
                std::move(object));
}

void DropResources(const ResourceInfo& resource, const Hasher* args) {
  if (args == nullptr) {
    Table().Drop(resource, nullptr);
  } else {
    Key key = cache::MakeKey(resource.id_low, resource.id_high, *args);
    Table().Drop(resource, &key);
  }
}

Spinner::Spinner(const std::string& name, bool show) {
  if (!show) return;
  if (auto* session = sluice::worker::Session::CurrentOrNull()) {
    session->ShowSpinner(sluice::StrCat("Running ", name, "(...)."));
    shown_ = true;
  }
}

Spinner::~Spinner() {
  if (!shown_) return;
  if (auto* session = sluice::worker::Session::CurrentOrNull()) session->HideSpinner();
}

}  // namespace st::detail
