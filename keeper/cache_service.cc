#include "keeper/cache_service.h"

#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <span>

#include "keeper/sealed_value.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::keeper {

namespace {

using shm_cache::Key;

// Bounds the work decoding one packet may cause (Cap'n Proto counts every
// word it reads, so pointers aimed at the same bytes cannot amplify it).
constexpr std::uint64_t kTraversalLimitWords = 4 * ipc::kMaxPacketBytes / sizeof(capnp::word);

// Function ids warned about for values too large to cache; past this many
// the keeper stops remembering (and warning), so a worker inventing ids
// cannot grow the set without bound.
constexpr std::size_t kMaxWarnedFunctions = 4096;

Key ToKey(ipc::CacheKey::Reader key) { return Key{key.getLow(), key.getHigh()}; }

absl::Status Violation(std::string_view what) {
  return absl::InvalidArgumentError(std::string(what));
}

// now + ttl, saturating; 0 (never) for a ttl of 0.
std::uint64_t Deadline(std::uint64_t now_ns, std::uint64_t ttl_ms) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (ttl_ms == 0) return 0;
  if (ttl_ms > kMax / 1'000'000) return kMax;
  std::uint64_t ttl_ns = ttl_ms * 1'000'000;
  return ttl_ns > kMax - now_ns ? kMax : now_ns + ttl_ns;
}

}  // namespace

CacheService::CacheService(shm_cache::Store& store, shm_cache::ArenaHeader& header,
                           const shm_cache::Reader& reader, ReplyFn reply, bool pins_allowed,
                           std::uint64_t owner_timeout_ns)
    : store_(store),
      header_(header),
      reader_(reader),
      reply_(std::move(reply)),
      pins_allowed_(pins_allowed),
      flights_(owner_timeout_ns) {}

absl::Status CacheService::Handle(WorkerId worker, ipc::CacheRequest::Reader request,
                                  std::vector<UniqueFd> fds, std::uint64_t now_ns) {
  try {
    if (request.which() != ipc::CacheRequest::PUBLISH && !fds.empty()) {
      return Violation("a descriptor came with a request that takes none");
    }
    switch (request.which()) {
      case ipc::CacheRequest::CLAIM:
        return Claim(worker, request.getClaim(), now_ns);
      case ipc::CacheRequest::PUBLISH:
        return Publish(worker, request.getPublish(), std::move(fds), now_ns);
      case ipc::CacheRequest::ABANDON:
        return Abandon(worker, ToKey(request.getAbandon()), now_ns);
      case ipc::CacheRequest::TOUCH:
        Touch(request.getTouch());
        return absl::OkStatus();
      case ipc::CacheRequest::HITS:
        header_.hits.fetch_add(request.getHits(), std::memory_order_relaxed);
        return absl::OkStatus();
      case ipc::CacheRequest::CLEAR:
        Clear(worker, request.getClear());
        return absl::OkStatus();
      case ipc::CacheRequest::PIN:
        Pin(worker, request.getPin());
        return absl::OkStatus();
      case ipc::CacheRequest::UNPIN:
        return Unpin(worker, request.getUnpin());
    }
    return Violation("unknown request");
  } catch (const kj::Exception& e) {
    return Violation(StrCat("undecodable request: ", e.getDescription().cStr()));
  }
}

absl::Status CacheService::HandlePacket(WorkerId worker, ipc::Packet packet, std::uint64_t now_ns) {
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = kTraversalLimitWords;
    capnp::FlatArrayMessageReader message(kj::arrayPtr(packet.words.data(), packet.words.size()),
                                          options);
    return Handle(worker, message.getRoot<ipc::CacheRequest>(), std::move(packet.fds), now_ns);
  } catch (const kj::Exception& e) {
    return Violation(StrCat("undecodable request: ", e.getDescription().cStr()));
  }
}

absl::Status CacheService::Claim(WorkerId worker, ipc::CacheRequest::Claim::Reader claim,
                                 std::uint64_t now_ns) {
  if (flights_.ClaimsOf(worker) >= kMaxClaimsPerWorker) {
    return Violation(StrCat("more than ", kMaxClaimsPerWorker, " claims at once"));
  }
  header_.misses.fetch_add(1, std::memory_order_relaxed);
  Key key = ToKey(claim.getKey());
  // Published while the worker was on its way here.
  if (reader_.Contains(key, now_ns)) {
    reply_(worker, claim.getId(), Verdict::kReady);
    return absl::OkStatus();
  }
  // An owner past its time loses the key now, not at the next tick, so that
  // this claim can own it (or wait for its new owner).
  if (std::optional<Flights::Overdue> overdue = flights_.EndIfOverdue(key, now_ns)) {
    EndOverdue(*overdue);
  }
  switch (flights_.Claim(key, Waiter{worker, claim.getId()}, now_ns)) {
    case Flights::Claimed::kOwner:
      reply_(worker, claim.getId(), Verdict::kCompute);
      break;
    case Flights::Claimed::kWaiting:
      header_.waits.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  return absl::OkStatus();
}

absl::Status CacheService::Publish(WorkerId worker, ipc::CacheRequest::Publish::Reader publish,
                                   std::vector<UniqueFd> fds, std::uint64_t now_ns) {
  Key key = ToKey(publish.getKey());
  if (!flights_.IsOwner(key, worker)) {
    LogDebug("cache_publish_dropped", {{"worker", worker}, {"reason", "not the key's owner"}});
    return absl::OkStatus();
  }
  if (fds.size() > 1) return Violation("a publish carries at most one descriptor");
  std::uint64_t size = publish.getSize();
  capnp::Data::Reader inline_value = publish.getInline();
  std::optional<shm_cache::Mapping> mapped;
  std::span<const std::byte> value;
  if (!fds.empty()) {
    if (inline_value.size() != 0)
      return Violation("a publish has both an inline value and a memfd");
    absl::StatusOr<shm_cache::Mapping> mapping = MapSealedValue(fds.front().get(), size);
    if (!mapping.ok()) return mapping.status();
    mapped = *std::move(mapping);
    value = std::span<const std::byte>(mapped->data(), mapped->size());
  } else {
    if (inline_value.size() != size) {
      return Violation(StrCat("the inline value has ", inline_value.size(), " bytes, not ", size));
    }
    value = std::span<const std::byte>(reinterpret_cast<const std::byte*>(inline_value.begin()),
                                       inline_value.size());
  }
  if (reader_.Contains(key, now_ns)) {
    LogDebug("cache_publish_dropped", {{"worker", worker}, {"reason", "already cached"}});
  } else {
    Insert(key, value,
           shm_cache::EntryOptions{publish.getFunction(), Deadline(now_ns, publish.getTtlMs()),
                                   publish.getMaxEntries(), publish.getKind()},
           now_ns);
  }
  for (const Waiter& waiter : flights_.Finish(key)) {
    reply_(waiter.worker, waiter.claim_id, Verdict::kReady);
  }
  return absl::OkStatus();
}

void CacheService::Insert(const Key& key, std::span<const std::byte> value,
                          const shm_cache::EntryOptions& options, std::uint64_t now_ns) {
  absl::Status inserted = store_.Insert(key, value, options, now_ns);
  if (inserted.ok()) return;
  if (absl::IsResourceExhausted(inserted)) {
    // Every call of such a function would say the same: say it once.
    if (warned_too_large_.size() < kMaxWarnedFunctions &&
        warned_too_large_.insert(options.function).second) {
      LogWarning(
          "cache_value_not_cached",
          {{"function", options.function}, {"bytes", value.size()}, {"error", inserted.message()}});
    }
    return;
  }
  LogWarning("cache_insert_failed",
             {{"function", options.function}, {"error", inserted.message()}});
}

absl::Status CacheService::Abandon(WorkerId worker, const Key& key, std::uint64_t now_ns) {
  // From a waiter too: it was interrupted, and must neither be waited on
  // nor inherit the key later.
  if (std::optional<Waiter> next = flights_.Abandon(key, worker, now_ns)) {
    reply_(next->worker, next->claim_id, Verdict::kCompute);
  }
  return absl::OkStatus();
}

void CacheService::Touch(capnp::List<ipc::CacheKey>::Reader keys) {
  for (ipc::CacheKey::Reader key : keys) store_.Touch(ToKey(key));
}

void CacheService::Clear(WorkerId worker, ipc::CacheRequest::Clear::Reader clear) {
  std::uint64_t removed = 0;
  switch (clear.which()) {
    case ipc::CacheRequest::Clear::ALL:
      removed = store_.stats().entries;
      store_.Clear();
      LogInfo("cache_cleared", {{"by", "app"}, {"scope", "all"}, {"entries", removed}});
      break;
    case ipc::CacheRequest::Clear::FUNCTION:
      removed = store_.EraseFunction(clear.getFunction());
      LogInfo("cache_cleared", {{"by", "app"},
                                {"scope", "function"},
                                {"function", clear.getFunction()},
                                {"entries", removed}});
      break;
    case ipc::CacheRequest::Clear::KEY:
      removed = store_.Erase(ToKey(clear.getKey())) ? 1 : 0;
      LogInfo("cache_cleared", {{"by", "app"}, {"scope", "key"}, {"entries", removed}});
      break;
    default:
      LogDebug("cache_clear_dropped", {{"worker", worker}, {"reason", "unknown scope"}});
      reply_(worker, clear.getId(), Verdict::kReady);
      return;
  }
  header_.clears.fetch_add(1, std::memory_order_relaxed);
  reply_(worker, clear.getId(), Verdict::kReady);
}

void CacheService::Pin(WorkerId worker, ipc::CacheRequest::Pin::Reader pin) {
  std::vector<PinHeld>& held = pins_[worker];
  std::uint64_t held_bytes = 0;
  for (const PinHeld& one : held) held_bytes += one.size;
  std::uint64_t offset = pin.getOffset();
  std::uint64_t size = pin.getSize();
  const std::uint64_t budget = header_.data_size / kPinnedShareDivisor;  // per worker
  bool allowed = pins_allowed_ && held.size() < kMaxPinsPerWorker && held_bytes <= budget &&
                 size <= budget - held_bytes && offset >= header_.data_offset;
  std::uint64_t value_offset = offset - header_.data_offset;
  if (allowed && store_.Pin(ToKey(pin.getKey()), value_offset, size)) {
    held.push_back({value_offset, size});
    reply_(worker, pin.getId(), Verdict::kPinned);
    return;
  }
  if (held.empty()) pins_.erase(worker);
  reply_(worker, pin.getId(), Verdict::kRefused);
}

absl::Status CacheService::Unpin(WorkerId worker, std::uint64_t file_offset) {
  auto it = pins_.find(worker);
  std::uint64_t value_offset = file_offset - header_.data_offset;
  if (it == pins_.end()) return Violation("an unpin without a pin");
  auto pinned = std::find_if(it->second.begin(), it->second.end(),
                             [&](const PinHeld& one) { return one.value_offset == value_offset; });
  if (pinned == it->second.end()) return Violation("an unpin of a value this worker did not pin");
  store_.Unpin(value_offset);
  it->second.erase(pinned);
  if (it->second.empty()) pins_.erase(it);
  return absl::OkStatus();
}

void CacheService::WorkerGone(WorkerId worker, std::uint64_t now_ns) {
  if (auto it = pins_.find(worker); it != pins_.end()) {
    for (const PinHeld& pinned : it->second) store_.Unpin(pinned.value_offset);
    pins_.erase(it);
  }
  for (const Waiter& next : flights_.Forget(worker, now_ns)) {
    reply_(next.worker, next.claim_id, Verdict::kCompute);
  }
}

std::uint64_t CacheService::ClearAll() {
  std::uint64_t removed = store_.stats().entries;
  store_.Clear();
  header_.clears.fetch_add(1, std::memory_order_relaxed);
  LogInfo("cache_cleared", {{"by", "operator"}, {"scope", "all"}, {"entries", removed}});
  return removed;
}

void CacheService::Expire(std::uint64_t now_ns) {
  if (std::size_t expired = store_.EvictExpired(now_ns); expired > 0) {
    LogDebug("cache_expired", {{"entries", expired}});
  }
  for (const Flights::Overdue& overdue : flights_.EndOverdue(now_ns)) EndOverdue(overdue);
}

void CacheService::EndOverdue(const Flights::Overdue& overdue) {
  header_.flights_overdue.fetch_add(1, std::memory_order_relaxed);
  LogWarning("cache_claim_overdue", {{"worker", overdue.owner},
                                     {"why",
                                      "held a key past --cache-wait-timeout; its publish "
                                      "will be refused"},
                                     {"next_owner", overdue.next ? overdue.next->worker : 0}});
  if (overdue.next) reply_(overdue.next->worker, overdue.next->claim_id, Verdict::kCompute);
}

}  // namespace sluice::keeper
