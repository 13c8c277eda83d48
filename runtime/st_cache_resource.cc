// st::cache_resource's runtime: one object per (resource, arguments) in this
// process, with ttl and max_entries; and the spinner both caches show.
#include <cstring>
#include <mutex>

#include "runtime/app_runner.h"
#include "runtime/cache_state.h"
#include "runtime/grouped_entries.h"
#include "sluice/cache.hpp"
#include "util/strings.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace st::detail {

using sluice::shm_cache::Key;
using sluice::shm_cache::MonotonicNowNs;
namespace cache = sluice::runtime::cache;

namespace {

// One object per (resource, arguments) in this process; the lock is for
// apps that call a resource from threads of their own.
class ResourceTable {
 public:
  std::shared_ptr<void> Find(const Key& key) {
    std::lock_guard lock(mutex_);
    std::shared_ptr<void>* found = objects_.Find(key, MonotonicNowNs());
    return found != nullptr ? *found : nullptr;
  }
  void Store(const ResourceInfo& resource, const Key& key, std::shared_ptr<void> object) {
    std::lock_guard lock(mutex_);
    auto ttl = resource.ttl.count();
    std::uint64_t expires =
        ttl > 0 ? MonotonicNowNs() + static_cast<std::uint64_t>(ttl) * 1'000'000u : 0;
    objects_.Insert(key, resource.id_low, std::move(object), expires, resource.max_entries);
  }
  void Drop(const ResourceInfo& resource, const Key* key) {
    std::lock_guard lock(mutex_);
    if (key != nullptr) {
      objects_.EraseKey(*key);
    } else {
      objects_.EraseGroup(resource.id_low);
    }
  }

 private:
  std::mutex mutex_;
  sluice::runtime::GroupedEntries<std::shared_ptr<void>> objects_;
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
  return Table().Find(cache::MakeKey(resource.id_low, resource.id_high, args));
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
  if (auto* session = sluice::runtime::AppRunner::CurrentOrNull()) {
    session->ShowSpinner(sluice::StrCat("Running ", name, "(...)."));
    shown_ = true;
  }
}

Spinner::~Spinner() {
  if (!shown_) return;
  if (auto* session = sluice::runtime::AppRunner::CurrentOrNull()) session->HideSpinner();
}

}  // namespace st::detail
