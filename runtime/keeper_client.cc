#include "runtime/keeper_client.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ipc/packet.h"
#include "util/log.h"

namespace sluice::runtime {

namespace {

void SetKey(ipc::CacheKey::Builder out, const shm_cache::Key& key) {
  out.setLow(key.low);
  out.setHigh(key.high);
}

// A sealed memfd holding `size` bytes written by `fill`: the keeper can map
// it knowing they will not change under it.
UniqueFd SealedValueFile(std::size_t size, absl::FunctionRef<void(std::span<std::byte>)> fill) {
  UniqueFd fd(::memfd_create("sluice-cache-value", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) {
    LogSyscallError("memfd_create", errno);
    return {};
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    LogSyscallError("ftruncate", errno, {{"bytes", size}});
    return {};
  }
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (map == MAP_FAILED) {
    LogSyscallError("mmap", errno, {{"bytes", size}});
    return {};
  }
  try {
    fill({static_cast<std::byte*>(map), size});
  } catch (...) {
    ::munmap(map, size);
    throw;
  }
  ::munmap(map, size);
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) !=
      0) {
    LogSyscallError("fcntl(F_ADD_SEALS)", errno);
    return {};
  }
  return fd;
}

}  // namespace

void KeeperClient::Lost(const char* why) {
  if (!socket_.valid()) return;
  LogWarning("cache_keeper_lost", {{"why", why}});
  socket_.reset();
}

bool KeeperClient::Send(capnp::MessageBuilder& message, int fd) {
  if (!socket_.valid()) return false;
  int fds[1] = {fd};
  absl::Status sent = ipc::SendPacket(
      socket_.get(), message, fd >= 0 ? absl::Span<const int>(fds, 1) : absl::Span<const int>());
  if (!sent.ok()) {
    Lost("send failed");
    return false;
  }
  return true;
}

KeeperClient::Awaited KeeperClient::AwaitReply(std::uint64_t id, WaitFn wait, Deadline deadline,
                                               ipc::CacheReply::Which* which, UniqueFd* fd) {
  while (socket_.valid()) {
    if (!wait(socket_.get(), deadline)) return Awaited::kTimedOut;
    auto packet = ipc::ReceivePacket(socket_.get());
    if (!packet.ok()) {
      if (absl::IsUnavailable(packet.status())) continue;
      Lost("receive failed");
      return Awaited::kLost;
    }
    if (packet->words.empty()) {
      Lost("the keeper closed the socket");
      return Awaited::kLost;
    }
    try {
      capnp::FlatArrayMessageReader message(
          kj::arrayPtr(packet->words.data(), packet->words.size()));
      auto reply = message.getRoot<ipc::CacheReply>();
      // Replies to requests given up earlier (a rerun interrupted the wait)
      // are stale: those claims were abandoned already, pins need undoing.
      if (reply.getId() != id) {
        OnStaleReply(reply.getId(), reply.isPinned());
        continue;
      }
      *which = reply.which();
      if (fd != nullptr) *fd = packet->TakeFd(0);
      return Awaited::kReplied;
    } catch (const kj::Exception& e) {
      Lost("undecodable reply");
      return Awaited::kLost;
    }
  }
  return Awaited::kLost;
}

KeeperClient::Claim KeeperClient::ClaimKey(const shm_cache::Key& key, std::uint32_t function,
                                           WaitFn wait) {
  capnp::MallocMessageBuilder message(32);
  auto claim = message.initRoot<ipc::CacheRequest>().initClaim();
  std::uint64_t id = next_id_++;
  claim.setId(id);
  SetKey(claim.initKey(), key);
  claim.setFunction(function);
  if (!Send(message)) return Claim::kLost;
  Deadline deadline = wait_timeout_.count() > 0 ? std::chrono::steady_clock::now() + wait_timeout_
                                                : Deadline::max();
  ipc::CacheReply::Which which;
  Awaited awaited;
  try {
    awaited = AwaitReply(id, wait, deadline, &which);
  } catch (...) {
    // Waiting, or owning by takeover: either way nobody should wait on us.
    Abandon(key);
    throw;
  }
  switch (awaited) {
    case Awaited::kReplied:
      return which == ipc::CacheReply::COMPUTE ? Claim::kCompute : Claim::kReady;
    case Awaited::kTimedOut:
      // Stop waiting (or, had the key just passed to us, give it up): the
      // keeper's answer to this claim will come as a stale reply.
      LogWarning("cache_wait_timed_out",
                 {{"function", function},
                  {"waited_ms", wait_timeout_.count()},
                  {"why", "another session held the value's computation; computing it here"}});
      Abandon(key);
      return Claim::kTimedOut;
    case Awaited::kLost:
      break;
  }
  return Claim::kLost;
}

void KeeperClient::Publish(const shm_cache::Key& key, const PublishOptions& options,
                           std::size_t size, absl::FunctionRef<void(std::span<std::byte>)> fill) {
  if (!socket_.valid()) return;
  capnp::MallocMessageBuilder message;
  auto publish = message.initRoot<ipc::CacheRequest>().initPublish();
  SetKey(publish.initKey(), key);
  publish.setFunction(options.function);
  publish.setTtlMs(options.ttl_ms);
  publish.setMaxEntries(options.max_entries);
  publish.setKind(options.kind);
  publish.setSize(size);
  if (size <= kInlineValueBytes) {
    auto bytes = publish.initInline(static_cast<unsigned>(size));
    fill({reinterpret_cast<std::byte*>(bytes.begin()), size});
    Send(message);
    return;
  }
  UniqueFd value = SealedValueFile(size, fill);
  if (!value.valid()) {
    Abandon(key);
    return;
  }
  Send(message, value.get());
}

void KeeperClient::OnStaleReply(std::uint64_t id, bool pinned) {
  auto it = abandoned_pins_.find(id);
  if (it == abandoned_pins_.end()) return;
  if (pinned) Unpin(it->second);
  abandoned_pins_.erase(it);
}

UniqueFd KeeperClient::Pin(const shm_cache::Key& key, std::uint64_t file_offset, std::uint64_t size,
                           WaitFn wait) {
  capnp::MallocMessageBuilder message(32);
  auto pin = message.initRoot<ipc::CacheRequest>().initPin();
  std::uint64_t id = next_id_++;
  pin.setId(id);
  SetKey(pin.initKey(), key);
  pin.setOffset(file_offset);
  pin.setSize(size);
  if (!Send(message)) return {};
  ipc::CacheReply::Which which;
  UniqueFd arena;
  try {
    if (AwaitReply(id, wait, Deadline::max(), &which, &arena) != Awaited::kReplied) return {};
  } catch (...) {
    abandoned_pins_[id] = file_offset;
    throw;
  }
  if (which != ipc::CacheReply::PINNED) return {};
  if (!arena.valid()) Unpin(file_offset);  // nothing to map it with
  return arena;
}

void KeeperClient::Unpin(std::uint64_t file_offset) {
  capnp::MallocMessageBuilder message(8);
  message.initRoot<ipc::CacheRequest>().setUnpin(file_offset);
  Send(message);
}

void KeeperClient::Abandon(const shm_cache::Key& key) {
  capnp::MallocMessageBuilder message(16);
  SetKey(message.initRoot<ipc::CacheRequest>().initAbandon(), key);
  Send(message);
}

void KeeperClient::Touch(const shm_cache::Key& key) {
  ++hits_;
  if (touches_.size() < kTouchBatch) touches_.insert(key);
  if (hits_ >= kHitsPerReport) FlushTouches();
}

void KeeperClient::FlushTouches() {
  if (hits_ == 0) return;
  if (!touches_.empty()) {
    capnp::MallocMessageBuilder message;
    auto list =
        message.initRoot<ipc::CacheRequest>().initTouch(static_cast<unsigned>(touches_.size()));
    unsigned i = 0;
    for (const shm_cache::Key& key : touches_) SetKey(list[i++], key);
    touches_.clear();
    if (!Send(message)) return;
  }
  capnp::MallocMessageBuilder message(8);
  message.initRoot<ipc::CacheRequest>().setHits(hits_);
  hits_ = 0;
  Send(message);
}

void KeeperClient::Clear(const std::uint32_t* function, const shm_cache::Key* key, WaitFn wait) {
  capnp::MallocMessageBuilder message(32);
  auto clear = message.initRoot<ipc::CacheRequest>().initClear();
  std::uint64_t id = next_id_++;
  clear.setId(id);
  if (key != nullptr) {
    SetKey(clear.initKey(), *key);
  } else if (function != nullptr) {
    clear.setFunction(*function);
  } else {
    clear.setAll();
  }
  if (!Send(message)) return;
  ipc::CacheReply::Which which;
  AwaitReply(id, wait, Deadline::max(), &which);
}

}  // namespace sluice::runtime
