// st::cache_data's runtime: look up, wait for another worker's compute,
// compute, publish; and the session-scoped variant in private memory.
#include <dlfcn.h>
#include <sys/mman.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/app_runner.h"
#include "runtime/cache_entry.h"
#include "runtime/cache_state.h"
#include "runtime/demangle.h"
#include "runtime/grouped_entries.h"
#include "sluice/cache.hpp"
#include "util/log.h"
#include "util/strings.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace st::detail {

using sluice::shm_cache::Key;
using sluice::shm_cache::MonotonicNowNs;
namespace cache = sluice::runtime::cache;
namespace runtime = sluice::runtime;

namespace {

// session-scoped entries: this worker's private memory, gone with it.
struct SessionEntry {
  std::vector<std::byte> bytes;
  runtime::EntryKind kind;
};
using SessionStore = sluice::runtime::GroupedEntries<SessionEntry>;

SessionStore& SessionEntries() {
  static SessionStore* store = new SessionStore();  // lives as long as the worker
  return *store;
}

std::uint64_t ExpiresAt(const CacheDataOptions& options, std::uint64_t now_ns) {
  auto ttl = options.ttl.count();
  return ttl > 0 ? now_ns + static_cast<std::uint64_t>(ttl) * 1'000'000u : 0;
}

// Decodes an entry of `kind` (value, then its elements to replay). False:
// unusable. `mapping`: the entry is this process's private mapping.
bool TakeEntry(std::span<const std::byte> entry, std::uint16_t kind, ValueOps& ops,
               std::string* elements, const std::shared_ptr<void>& mapping = nullptr) {
  auto parts = runtime::SplitEntry(entry, kind);
  if (!parts) return false;
  elements->assign(reinterpret_cast<const char*>(parts->elements.data()), parts->elements.size());
  return ops.Decode(parts->value, mapping);
}

// A large entry's page tables filled in one call (MADV_POPULATE_READ, Linux
// 5.14) instead of a trap every 16 pages as the copy or the app first reads
// them (~4,900 traps for a 305 MiB entry). On an older kernel madvise fails
// with EINVAL and the reads fault as before.
constexpr std::size_t kPopulateFromBytes = 4u << 20;

void PopulateForReading(std::span<const std::byte> bytes) {
  if (bytes.size() < kPopulateFromBytes) return;
  auto page = static_cast<std::uintptr_t>(sluice::shm_cache::kPageSize);
  auto begin = reinterpret_cast<std::uintptr_t>(bytes.data()) & ~(page - 1);
  auto end = reinterpret_cast<std::uintptr_t>(bytes.data() + bytes.size());
  (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
}

// A hit on a value holding st::Columns maps the entry instead of copying it,
// from this size on: below it a copy costs less than the round trip that
// pins the entry and the mapping's page faults.
constexpr std::uint64_t kMapFromBytes = 1u << 20;

// This worker's copy-on-write mapping of a pinned entry. The columns that
// point into it share it; the last one to go unmaps it and unpins the entry.
class PinnedMapping {
 public:
  PinnedMapping(void* base, std::size_t length, std::uint64_t file_offset)
      : base_(base), length_(length), file_offset_(file_offset) {}
  ~PinnedMapping() {
    ::munmap(base_, length_);
    if (runtime::KeeperClient* keeper = cache::Keeper()) keeper->Unpin(file_offset_);
  }
  PinnedMapping(const PinnedMapping&) = delete;
  PinnedMapping& operator=(const PinnedMapping&) = delete;
  std::uint64_t file_offset() const { return file_offset_; }

 private:
  void* base_;
  std::size_t length_;
  std::uint64_t file_offset_;
};

// Mappings that hits of read-only values (ValueOps::MappingShareable: a
// frame) share while any value decoded from them lives, by the entry's
// offset in the arena. A rerun that hits the entry a shown grid still holds
// then decodes from the same mapping: no second pin (which counts against
// this worker's share of the cache, and past it would copy the entry), no
// second mapping and page-table fill, and the frame's bytes at the same
// addresses, so the grid sees the same frame (its sort order kept).
struct SharedMapping {
  std::weak_ptr<PinnedMapping> mapping;
  Key key;
  std::uint64_t size = 0;
  std::span<const std::byte> entry;
};

std::vector<SharedMapping>& SharedMappings() {
  static auto* shared = new std::vector<SharedMapping>();  // lives as long as the worker
  return *shared;
}

// The live mapping of exactly this entry (same key, offset and size: the
// pin keeps those bytes from being reused meanwhile), dropping dead ones.
std::shared_ptr<PinnedMapping> FindShared(const Key& key, std::uint64_t file_offset,
                                          std::uint64_t size, std::span<const std::byte>* entry) {
  std::vector<SharedMapping>& shared = SharedMappings();
  std::erase_if(shared, [](const SharedMapping& m) { return m.mapping.expired(); });
  for (const SharedMapping& m : shared) {
    std::shared_ptr<PinnedMapping> live = m.mapping.lock();
    if (live && m.key == key && m.size == size && live->file_offset() == file_offset) {
      *entry = m.entry;
      return live;
    }
  }
  return nullptr;
}

// A hit that maps the entry MAP_PRIVATE (sluice/column.hpp). False: take the
// copying path (nothing to map, too small, the keeper refused or the bytes
// did not decode).
bool TryMappedHit(const Key& key, ValueOps& ops, std::string* elements) {
  const sluice::shm_cache::Reader* arena = cache::Arena();
  runtime::KeeperClient* keeper = cache::Keeper();
  if (!ops.Mappable() || arena == nullptr || keeper == nullptr) return false;
  auto location = arena->Locate(key, MonotonicNowNs());
  if (!location || location->size < kMapFromBytes) return false;
  if (ops.MappingShareable()) {
    std::span<const std::byte> entry;
    if (std::shared_ptr<PinnedMapping> live =
            FindShared(key, location->file_offset, location->size, &entry)) {
      return TakeEntry(entry, location->kind, ops, elements, live);
    }
  }
  sluice::UniqueFd file =
      keeper->Pin(key, location->file_offset, location->size, cache::WaitReadable);
  if (!file.valid()) return false;
  // The pin keeps these bytes as they are; map from their page's start.
  std::uint64_t start = location->file_offset & ~std::uint64_t{sluice::shm_cache::kPageSize - 1};
  std::size_t length = location->file_offset + location->size - start;
  void* base = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.get(),
                      static_cast<off_t>(start));
  if (base == MAP_FAILED) {
    sluice::LogSyscallError("mmap(MAP_PRIVATE)", errno, {{"bytes", length}});
    keeper->Unpin(location->file_offset);
    return false;
  }
  auto mapping = std::make_shared<PinnedMapping>(base, length, location->file_offset);
  std::span<const std::byte> entry(
      static_cast<const std::byte*>(base) + (location->file_offset - start), location->size);
  if (ops.MappingShareable()) {
    // A frame is read where it is needed (a grid reads the rows it shows):
    // filling the page tables of all of it would cost a session start
    // ~60 ms for a 305 MiB frame of which the first view reads 60 rows.
    SharedMappings().push_back({mapping, key, location->size, entry});
  } else {
    PopulateForReading(entry);
  }
  return TakeEntry(entry, location->kind, ops, elements, mapping);
}

// Shows the elements a hit recorded again, in the current session if any.
void Replay(const std::string& elements) {
  runtime::AppRunner* session = runtime::AppRunner::CurrentOrNull();
  if (elements.empty() || session == nullptr) return;
  runtime::ReplayCount count = runtime::ForEachRecordedElement(
      {reinterpret_cast<const std::byte*>(elements.data()), elements.size()},
      [session](sluice::ipc::Element::Reader element) { session->EmitCopy(element); });
  if (count.refused == 0) return;
  // Every hit of a damaged entry refuses again: logged at the 1st, 2nd,
  // 4th, 8th... such hit, as NoteUndecodable does.
  static std::uint64_t hits = 0;
  ++hits;
  if ((hits & (hits - 1)) != 0) return;
  sluice::LogWarning("cache_replay_skipped",
                     {{"refused", count.refused}, {"shown", count.shown}, {"hits", hits}});
}

// Runs the function (with its spinner, recording what it shows) and returns
// the elements it showed. On an exception nothing is kept.
std::string Compute(const FunctionInfo& function, ValueOps& ops) {
  runtime::AppRunner* session = runtime::AppRunner::CurrentOrNull();
  if (session == nullptr) {
    ops.Compute();
    return {};
  }
  if (function.options.show_spinner) session->ShowSpinner(function.spinner_text);
  session->BeginCapture();
  try {
    ops.Compute();
  } catch (...) {
    session->AbortCapture();
    session->HideSpinner();
    throw;
  }
  session->HideSpinner();
  return session->EndCapture();
}

void CallSessionScoped(const FunctionInfo& function, const Key& key, ValueOps& ops) {
  SessionStore& store = SessionEntries();
  if (const SessionEntry* entry = store.Find(key, MonotonicNowNs())) {
    std::string elements;
    if (TakeEntry(entry->bytes, static_cast<std::uint16_t>(entry->kind), ops, &elements)) {
      Replay(elements);
      return;
    }
  }
  std::string elements = Compute(function, ops);
  try {
    std::size_t value_bytes = ops.EncodedSize();
    SessionEntry entry{std::vector<std::byte>(runtime::EntrySize(value_bytes, elements)),
                       runtime::EntryKindFor(elements)};
    ops.Encode(std::span(entry.bytes).first(value_bytes));
    runtime::FinishEntry(entry.bytes, value_bytes, elements);
    store.Insert(key, cache::ShortId(function.id_low, function.id_high), std::move(entry),
                 ExpiresAt(function.options, MonotonicNowNs()), function.options.max_entries);
  } catch (const std::exception& e) {
    // The caller has its value; it is just not kept.
    sluice::LogWarning("cache_encode_failed", {{"function", function.name}, {"error", e.what()}});
  }
}

// An entry that is there but does not decode (damaged, or published by a
// worker that was taken over) is a miss: logged, at most once per power of
// two of such misses in this worker.
void NoteUndecodable(const FunctionInfo& function) {
  static std::uint64_t count = 0;
  ++count;
  if ((count & (count - 1)) != 0) return;
  sluice::LogWarning("cache_value_undecodable",
                     {{"function", function.name},
                      {"count", count},
                      {"why", "a cached value did not decode; computing it instead"}});
}

bool TryHit(const FunctionInfo& function, const Key& key, ValueOps& ops) {
  const sluice::shm_cache::Reader* arena = cache::Arena();
  if (arena == nullptr) return false;
  std::string elements;
  bool refused = false;  // by the last look at the entry
  if (!TryMappedHit(key, ops, &elements) &&
      !arena->Read(key, [&](std::span<const std::byte> entry, std::uint16_t kind) {
        PopulateForReading(entry);
        refused = !TakeEntry(entry, kind, ops, &elements);
        return !refused;
      })) {
    if (refused) NoteUndecodable(function);
    return false;
  }
  if (runtime::KeeperClient* keeper = cache::Keeper()) keeper->Touch(key);
  Replay(elements);
  return true;
}

void Publish(const FunctionInfo& function, const Key& key, ValueOps& ops,
             const std::string& elements) {
  runtime::KeeperClient* keeper = cache::Keeper();
  if (keeper == nullptr) return;
  std::size_t value_bytes;
  try {
    value_bytes = ops.EncodedSize();
  } catch (const std::exception& e) {
    sluice::LogWarning("cache_encode_failed", {{"function", function.name}, {"error", e.what()}});
    keeper->Abandon(key);
    return;
  }
  auto ttl = function.options.ttl.count();
  try {
    keeper->Publish(key,
                    {cache::ShortId(function.id_low, function.id_high),
                     ttl > 0 ? static_cast<std::uint64_t>(ttl) : 0,
                     static_cast<std::uint32_t>(function.options.max_entries),
                     static_cast<std::uint16_t>(runtime::EntryKindFor(elements))},
                    runtime::EntrySize(value_bytes, elements), [&](std::span<std::byte> entry) {
                      ops.Encode(entry.first(value_bytes));
                      runtime::FinishEntry(entry, value_bytes, elements);
                    });
  } catch (const std::exception& e) {
    // The caller has its value; only sharing it failed. Waiters take over.
    sluice::LogWarning("cache_encode_failed", {{"function", function.name}, {"error", e.what()}});
    keeper->Abandon(key);
  }
}

// Strips a demangled "ns::load(std::string, int)" down to "load".
std::string ShortName(std::string name) {
  if (auto paren = name.find('('); paren != std::string::npos) name.resize(paren);
  if (auto colons = name.rfind("::"); colons != std::string::npos) name.erase(0, colons + 2);
  return name;
}

}  // namespace

FunctionInfo DescribeFunction(const std::type_info& type, const void* function,
                              const std::source_location& where, const CacheDataOptions& options) {
  FunctionInfo info;
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  for (const char* part : {where.file_name(), where.function_name(), type.name()}) {
    XXH3_128bits_update(&state, part, std::strlen(part) + 1);
  }
  const std::uint32_t position[2] = {where.line(), where.column()};
  XXH3_128bits_update(&state, position, sizeof position);
  XXH128_hash_t id = XXH3_128bits_digest(&state);
  info.id_low = id.low64;
  info.id_high = id.high64;
  // Only an exported function has its name in the loaded library; for any
  // other callable say where it was wrapped.
  Dl_info symbol{};
  if (function != nullptr && ::dladdr(function, &symbol) != 0 && symbol.dli_sname != nullptr &&
      symbol.dli_saddr == function) {
    info.name = ShortName(sluice::runtime::Demangle(symbol.dli_sname));
  } else {
    std::string file = where.file_name();
    if (auto slash = file.rfind('/'); slash != std::string::npos) file.erase(0, slash + 1);
    info.name = sluice::StrCat("cached function at ", file, ":", where.line());
  }
  info.spinner_text = options.spinner_text.empty() ? sluice::StrCat("Running ", info.name, "(...).")
                                                   : options.spinner_text;
  info.options = options;
  return info;
}

void CallCached(const FunctionInfo& function, const Hasher& args, ValueOps& ops) {
  if (runtime::AppRunner* session = runtime::AppRunner::CurrentOrNull()) session->CheckInterrupt();
  Key key = cache::MakeKey(function.id_low, function.id_high, args);
  if (function.options.scope == CacheScope::session) {
    CallSessionScoped(function, key, ops);
    return;
  }
  if (TryHit(function, key, ops)) return;
  runtime::KeeperClient* keeper = cache::Keeper();
  if (keeper == nullptr) {
    Compute(function, ops);
    return;
  }
  runtime::AppRunner* session = runtime::AppRunner::CurrentOrNull();
  if (session != nullptr && function.options.show_spinner) {
    // Shown while another session computes the same key, too. Compute()
    // shows it again in the same place, so the page sees no gap if this
    // session computes after all (the wait timed out; the owner went away).
    session->ShowSpinner(function.spinner_text);
  }
  runtime::KeeperClient::Claim claim;
  try {
    claim = keeper->ClaimKey(key, cache::ShortId(function.id_low, function.id_high),
                             cache::WaitReadable);
  } catch (...) {
    if (session != nullptr) session->HideSpinner();
    throw;
  }
  if (session != nullptr) session->HideSpinner();
  if ((claim == runtime::KeeperClient::Claim::kReady ||
       claim == runtime::KeeperClient::Claim::kTimedOut) &&
      TryHit(function, key, ops)) {
    return;
  }
  std::string elements;
  try {
    elements = Compute(function, ops);
  } catch (...) {
    if (claim == runtime::KeeperClient::Claim::kCompute) {
      if (runtime::KeeperClient* still = cache::Keeper()) still->Abandon(key);
    }
    throw;
  }
  if (claim == runtime::KeeperClient::Claim::kCompute) Publish(function, key, ops, elements);
}

void ClearCached(const FunctionInfo& function, const Hasher* args) {
  std::uint32_t short_id = cache::ShortId(function.id_low, function.id_high);
  if (function.options.scope == CacheScope::session) {
    if (args == nullptr) {
      SessionEntries().EraseGroup(short_id);
    } else {
      SessionEntries().EraseKey(cache::MakeKey(function.id_low, function.id_high, *args));
    }
    return;
  }
  runtime::KeeperClient* keeper = cache::Keeper();
  if (keeper == nullptr) return;
  if (args == nullptr) {
    keeper->Clear(&short_id, nullptr, cache::WaitReadable);
  } else {
    Key key = cache::MakeKey(function.id_low, function.id_high, *args);
    keeper->Clear(nullptr, &key, cache::WaitReadable);
  }
}

}  // namespace st::detail

namespace st {

void cache_data_clear() {
  detail::SessionEntries().Clear();
  if (auto* keeper = sluice::runtime::cache::Keeper()) {
    keeper->Clear(nullptr, nullptr, sluice::runtime::cache::WaitReadable);
  }
}

}  // namespace st
