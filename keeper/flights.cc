#include "keeper/flights.h"

#include <algorithm>

namespace sluice::keeper {

using shm_cache::Key;

Flights::Claimed Flights::Claim(const Key& key, Waiter claim, std::uint64_t now_ns) {
  auto [it, inserted] = flights_.try_emplace(key, Flight{claim.worker, now_ns, {}});
  if (inserted) {
    by_worker_[claim.worker].owned.push_back(key);
    return Claimed::kOwner;
  }
  if (it->second.owner == claim.worker) return Claimed::kOwner;
  it->second.waiters.push_back(claim);
  by_worker_[claim.worker].waiting.push_back(key);
  return Claimed::kWaiting;
}

bool Flights::IsOwner(const Key& key, WorkerId worker) const {
  auto it = flights_.find(key);
  return it != flights_.end() && it->second.owner == worker;
}

std::vector<Waiter> Flights::Finish(const Key& key) {
  auto it = flights_.find(key);
  if (it == flights_.end()) return {};
  Flight flight = std::move(it->second);
  flights_.erase(it);
  auto owner = by_worker_.find(flight.owner);
  if (owner != by_worker_.end()) {
    RemoveClaim(owner->second.owned, key);
    Unindex(flight.owner);
  }
  std::vector<Waiter> waiters(flight.waiters.begin(), flight.waiters.end());
  for (const Waiter& waiter : waiters) {
    auto claims = by_worker_.find(waiter.worker);
    if (claims == by_worker_.end()) continue;
    RemoveClaim(claims->second.waiting, key);
    Unindex(waiter.worker);
  }
  return waiters;
}

std::optional<Waiter> Flights::Abandon(const Key& key, WorkerId worker, std::uint64_t now_ns) {
  auto it = flights_.find(key);
  auto claims = by_worker_.find(worker);
  if (it == flights_.end() || claims == by_worker_.end()) return std::nullopt;
  Flight& flight = it->second;
  if (flight.owner != worker) {
    std::erase_if(flight.waiters, [&](const Waiter& w) { return w.worker == worker; });
    std::erase(claims->second.waiting, key);
    Unindex(worker);
    return std::nullopt;
  }
  return EndOwnership(key, flight, now_ns);
}

std::optional<Waiter> Flights::EndOwnership(const Key& key, Flight& flight, std::uint64_t now_ns) {
  if (auto claims = by_worker_.find(flight.owner); claims != by_worker_.end()) {
    RemoveClaim(claims->second.owned, key);
    Unindex(flight.owner);
  }
  std::vector<Waiter> promoted;
  Promote(key, flight, now_ns, &promoted);
  if (promoted.empty()) return std::nullopt;
  return promoted.front();
}

bool Flights::IsOverdue(const Flight& flight, std::uint64_t now_ns) const {
  return owner_timeout_ns_ > 0 && now_ns >= flight.owned_since_ns &&
         now_ns - flight.owned_since_ns >= owner_timeout_ns_;
}

std::optional<Flights::Overdue> Flights::EndIfOverdue(const Key& key, std::uint64_t now_ns) {
  auto it = flights_.find(key);
  if (it == flights_.end() || !IsOverdue(it->second, now_ns)) return std::nullopt;
  WorkerId owner = it->second.owner;
  return Overdue{key, owner, EndOwnership(key, it->second, now_ns)};
}

std::vector<Flights::Overdue> Flights::EndOverdue(std::uint64_t now_ns) {
  if (owner_timeout_ns_ == 0) return {};
  std::vector<Key> keys;  // ending one changes the table: collect first
  for (const auto& [key, flight] : flights_) {
    if (IsOverdue(flight, now_ns)) keys.push_back(key);
  }
  std::vector<Overdue> ended;
  for (const Key& key : keys) {
    if (std::optional<Overdue> one = EndIfOverdue(key, now_ns)) ended.push_back(*one);
  }
  return ended;
}

std::vector<Waiter> Flights::Forget(WorkerId worker, std::uint64_t now_ns) {
  auto claims = by_worker_.find(worker);
  if (claims == by_worker_.end()) return {};
  WorkerClaims gone = std::move(claims->second);
  by_worker_.erase(claims);
  // First stop it waiting, so that it cannot inherit one of its own keys.
  for (const Key& key : gone.waiting) {
    auto it = flights_.find(key);
    if (it == flights_.end()) continue;
    std::erase_if(it->second.waiters, [&](const Waiter& w) { return w.worker == worker; });
  }
  std::vector<Waiter> promoted;
  for (const Key& key : gone.owned) {
    auto it = flights_.find(key);
    if (it == flights_.end() || it->second.owner != worker) continue;
    Promote(key, it->second, now_ns, &promoted);
  }
  return promoted;
}

void Flights::Promote(const Key& key, Flight& flight, std::uint64_t now_ns,
                      std::vector<Waiter>* promoted) {
  if (flight.waiters.empty()) {
    flights_.erase(key);
    return;
  }
  Waiter next = flight.waiters.front();
  flight.waiters.pop_front();
  flight.owner = next.worker;
  flight.owned_since_ns = now_ns;  // the new owner gets the whole timeout
  WorkerClaims& claims = by_worker_[next.worker];
  RemoveClaim(claims.waiting, key);
  claims.owned.push_back(key);
  promoted->push_back(next);
}

std::size_t Flights::ClaimsOf(WorkerId worker) const {
  auto it = by_worker_.find(worker);
  return it == by_worker_.end() ? 0 : it->second.owned.size() + it->second.waiting.size();
}

void Flights::RemoveClaim(std::vector<Key>& keys, const Key& key) {
  if (auto it = std::find(keys.begin(), keys.end(), key); it != keys.end()) keys.erase(it);
}

void Flights::Unindex(WorkerId worker) {
  auto it = by_worker_.find(worker);
  if (it != by_worker_.end() && it->second.owned.empty() && it->second.waiting.empty()) {
    by_worker_.erase(it);
  }
}

}  // namespace sluice::keeper
