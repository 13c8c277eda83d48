// The keeper's side of its workers' cache sockets (keeper/keeper.cc
// OnWorker) without the sockets: each record of the input (fuzz/records.h)
// is one packet, handed to CacheService::HandlePacket exactly as the
// keeper does, with a fresh arena for each input. The record's first byte
// says who sent it and what else happens:
//
//   bits 0-1  which of four workers sent it
//   bit 2     that worker hangs up instead (its packet is ignored)
//   bit 3     a memfd of 4 KiB rides with it, sealed as a publish wants it
//   bit 4     ... or the same memfd left unsealed
//   bits 5-7  seconds that pass first (then expiry runs, as the keeper's
//             timer does)
//
// A worker that breaks the protocol is dropped and sends nothing more, as
// in the keeper. At the end every worker hangs up; then no flight may be
// left and the arena must pass the store's own consistency check and a
// reader's audit.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "fuzz/records.h"
#include "ipc/packet.h"
#include "keeper/cache_service.h"
#include "shm_cache/audit.h"
#include "shm_cache/reader.h"
#include "shm_cache/store.h"
#include "util/log.h"
#include "util/unique_fd.h"

namespace sluice::keeper {
namespace {

constexpr std::size_t kArenaBytes = 1 << 20;
constexpr std::size_t kWorkers = 4;
constexpr WorkerId kFirstWorker = 2;  // as the keeper numbers them
constexpr std::size_t kMemfdBytes = 4096;
// --cache-wait-timeout: the clock moves by up to 7 s a record, so owners
// overstay it and their flights are ended (CacheService::Expire).
constexpr std::uint64_t kOwnerTimeoutNs = 2'000'000'000;

[[noreturn]] void Broken(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, std::string(status.message()).c_str());
  std::abort();
}

UniqueFd ValueMemfd(bool sealed) {
  UniqueFd fd(::memfd_create("fuzz-value", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid() || ::ftruncate(fd.get(), kMemfdBytes) != 0) std::abort();
  if (sealed && ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
    std::abort();
  }
  return fd;
}

std::byte* ArenaMemory() {
  static std::byte* memory = static_cast<std::byte*>(std::aligned_alloc(4096, kArenaBytes));
  return memory;
}

}  // namespace
}  // namespace sluice::keeper

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sluice::SetLogLevel(sluice::LogLevel::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  using namespace sluice::keeper;
  std::byte* memory = ArenaMemory();
  auto store = shm_cache::Store::Format(memory, kArenaBytes);
  if (!store.ok()) Broken("format", store.status());
  auto reader = shm_cache::Reader::Attach(memory, kArenaBytes);
  if (!reader.ok()) Broken("attach", reader.status());
  std::array<bool, kWorkers> gone{};
  CacheService service(
      **store, *reinterpret_cast<shm_cache::ArenaHeader*>(memory), *reader,
      [](WorkerId worker, std::uint64_t, Verdict) {
        // A reply only ever goes to a worker the keeper knows.
        if (worker < kFirstWorker || worker >= kFirstWorker + kWorkers) std::abort();
      },
      /*pins_allowed=*/true, kOwnerTimeoutNs);
  std::uint64_t now_ns = 1'000'000'000;
  auto drop = [&](std::size_t index) {
    if (gone[index]) return;
    gone[index] = true;
    service.WorkerGone(kFirstWorker + index, now_ns);
  };

  fuzz::Records records(data, size);
  std::string_view record;
  while (records.Next(&record)) {
    if (record.empty()) continue;
    auto control = static_cast<std::uint8_t>(record.front());
    record.remove_prefix(1);
    std::size_t index = control & 3;
    if (std::uint64_t seconds = control >> 5; seconds != 0) {
      now_ns += seconds * 1'000'000'000;
      service.Expire(now_ns);
    }
    if (gone[index]) continue;
    // What ipc::ReceivePacket lets through: whole words, at most
    // kMaxPacketBytes; anything else (and an empty packet: the end)
    // drops the worker.
    if ((control & 4) != 0 || record.empty() || record.size() % sizeof(capnp::word) != 0 ||
        record.size() > ipc::kMaxPacketBytes) {
      drop(index);
      continue;
    }
    ipc::Packet packet;
    packet.words = std::vector<capnp::word>(record.size() / sizeof(capnp::word));
    std::memcpy(packet.words.data(), record.data(), record.size());
    if ((control & 0x18) != 0) packet.fds.push_back(ValueMemfd(/*sealed=*/(control & 8) != 0));
    if (!service.HandlePacket(kFirstWorker + index, std::move(packet), now_ns).ok()) drop(index);
  }
  for (std::size_t i = 0; i < kWorkers; ++i) drop(i);

  if (service.flights().size() != 0) {
    std::fprintf(stderr, "%zu flights outlive every worker\n", service.flights().size());
    std::abort();
  }
  if (absl::Status consistent = (*store)->CheckConsistency(); !consistent.ok()) {
    Broken("store", consistent);
  }
  if (auto audit = shm_cache::AuditArena(memory, kArenaBytes); !audit.ok()) {
    Broken("audit", audit.status());
  }
  return 0;
}
