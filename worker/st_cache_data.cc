// st::cache_data's runtime: look up, wait for another worker's compute,
// compute, publish; and the session-scoped variant in private memory.
#include <dlfcn.h>

#include <exception>
#include <string>
#include <vector>

#include "sluice/cache.hpp"
#include "util/log.h"
#include "util/strings.h"
#include "worker/cache_entry.h"
#include "worker/cache_state.h"
#include "worker/demangle.h"
#include "worker/grouped_entries.h"
#include "worker/session.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace st::detail {

using sluice::shm_cache::Key;
using sluice::shm_cache::MonotonicNowNs;
namespace cache = sluice::worker::cache;
namespace worker = sluice::worker;

namespace {

// session-scoped entries: this worker's private memory, gone with it.
struct SessionEntry {
  std::vector<std::byte> bytes;
  worker::EntryKind kind;
};
using SessionStore = sluice::worker::GroupedEntries<SessionEntry>;

SessionStore& SessionEntries() {
  static SessionStore* store = new SessionStore();  // lives as long as the worker
  return *store;
}

std::uint64_t ExpiresAt(const CacheDataOptions& options, std::uint64_t now_ns) {
  auto ttl = options.ttl.count();
  return ttl > 0 ? now_ns + static_cast<std::uint64_t>(ttl) * 1'000'000u : 0;
}

// Decodes an entry of `kind` (value, then its elements to replay). False:
// unusable.
bool TakeEntry(std::span<const std::byte> entry, std::uint16_t kind, ValueOps& ops,
               std::string* elements) {
  auto parts = worker::SplitEntry(entry, kind);
  if (!parts) return false;
  elements->assign(reinterpret_cast<const char*>(parts->elements.data()), parts->elements.size());
  return ops.Decode(parts->value);
}

void Replay(const std::string& elements) {
  if (elements.empty()) return;
  worker::ReplayElements({reinterpret_cast<const std::byte*>(elements.data()), elements.size()});
}

// Runs the function (with its spinner, recording what it shows) and returns
// the elements it showed. On an exception nothing is kept.
std::string Compute(const FunctionInfo& function, ValueOps& ops) {
  worker::Session* session = worker::Session::CurrentOrNull();
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
    SessionEntry entry{std::vector<std::byte>(worker::EntrySize(value_bytes, elements)),
                       worker::EntryKindFor(elements)};
    ops.Encode(std::span(entry.bytes).first(value_bytes));
    worker::FinishEntry(entry.bytes, value_bytes, elements);
    store.Insert(key, cache::ShortId(function.id_low, function.id_high), std::move(entry),
                 ExpiresAt(function.options, MonotonicNowNs()), function.options.max_entries);
  } catch (const std::exception& e) {
    // The caller has its value; it is just not kept.
    sluice::LogWarning("cache_encode_failed", {{"function", function.name}, {"error", e.what()}});
  }
}

bool TryHit(const Key& key, ValueOps& ops) {
  const sluice::shm_cache::Reader* arena = cache::Arena();
  if (arena == nullptr) return false;
  std::string elements;
  if (!arena->Read(key, [&](std::span<const std::byte> entry, std::uint16_t kind) {
        return TakeEntry(entry, kind, ops, &elements);
      })) {
    return false;
  }
  if (worker::KeeperClient* keeper = cache::Keeper()) keeper->Touch(key);
  Replay(elements);
  return true;
}

void Publish(const FunctionInfo& function, const Key& key, ValueOps& ops,
             const std::string& elements) {
  worker::KeeperClient* keeper = cache::Keeper();
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
                     static_cast<std::uint16_t>(worker::EntryKindFor(elements))},
                    worker::EntrySize(value_bytes, elements), [&](std::span<std::byte> entry) {
                      ops.Encode(entry.first(value_bytes));
                      worker::FinishEntry(entry, value_bytes, elements);
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
    info.name = ShortName(sluice::worker::Demangle(symbol.dli_sname));
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
  if (worker::Session* session = worker::Session::CurrentOrNull()) session->CheckInterrupt();
  Key key = cache::MakeKey(function.id_low, function.id_high, args);
  if (function.options.scope == CacheScope::session) {
    CallSessionScoped(function, key, ops);
    return;
  }
  if (TryHit(key, ops)) return;
  worker::KeeperClient* keeper = cache::Keeper();
  if (keeper == nullptr) {
    Compute(function, ops);
    return;
  }
  worker::Session* session = worker::Session::CurrentOrNull();
  if (session != nullptr && function.options.show_spinner) {
    // Shown while another session computes the same key, too.
    session->ShowSpinner(function.spinner_text);
  }
  worker::KeeperClient::Claim claim;
  try {
    claim = keeper->ClaimKey(key, cache::ShortId(function.id_low, function.id_high),
                             cache::WaitReadable);
  } catch (...) {
    if (session != nullptr) session->HideSpinner();
    throw;
  }
  if (session != nullptr) session->HideSpinner();
  if (claim == worker::KeeperClient::Claim::kReady && TryHit(key, ops)) return;
  std::string elements;
  try {
    elements = Compute(function, ops);
  } catch (...) {
    if (claim == worker::KeeperClient::Claim::kCompute) {
      if (worker::KeeperClient* still = cache::Keeper()) still->Abandon(key);
    }
    throw;
  }
  if (claim == worker::KeeperClient::Claim::kCompute) Publish(function, key, ops, elements);
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
  worker::KeeperClient* keeper = cache::Keeper();
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
  if (auto* keeper = sluice::worker::cache::Keeper()) {
    keeper->Clear(nullptr, nullptr, sluice::worker::cache::WaitReadable);
  }
}

}  // namespace st
