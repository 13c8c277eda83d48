// The cache runtime's process-wide state: key secret, app build, arena,
// keeper (runtime/cache_state.h), set up in the zygote and in each worker.
#include "runtime/cache_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/app_runner.h"
#include "runtime/cache_state.h"
#include "sluice/cache.hpp"
#include "util/log.h"
#include "util/poll_timeout.h"
#include "util/strings.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sluice::runtime {

namespace {

struct Runtime {
  // XXH3 wants a secret of at least XXH3_SECRET_SIZE_MIN random bytes.
  std::array<std::byte, 192> secret{};
  bool secret_ready = false;
  std::uint64_t build_low = 0;
  std::uint64_t build_high = 0;
  std::uint64_t wait_timeout_ms = 0;
  std::optional<shm_cache::Reader> arena;
  std::unique_ptr<KeeperClient> keeper;
  std::vector<std::pair<std::string, std::function<void()>>> preloads;
};

Runtime& State() {
  static Runtime* runtime = new Runtime();  // never destroyed: used until exit
  return *runtime;
}

const std::array<std::byte, 192>& Secret() {
  Runtime& runtime = State();
  if (!runtime.secret_ready) {
    std::size_t filled = 0;
    while (filled < runtime.secret.size()) {
      ssize_t got = ::getrandom(runtime.secret.data() + filled, runtime.secret.size() - filled, 0);
      if (got < 0) {
        if (errno == EINTR) continue;
        LogSyscallError("getrandom", errno);
        std::abort();  // keys an attacker could predict are worse than no server
      }
      filled += static_cast<std::size_t>(got);
    }
    runtime.secret_ready = true;
  }
  return runtime.secret;
}

// The app's build: a digest of the library file's bytes.
absl::Status FingerprintApp(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
    return absl::InternalError(StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::size_t size = static_cast<std::size_t>(st.st_size);
  XXH128_hash_t digest = XXH3_128bits(nullptr, 0);
  if (size > 0) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (map == MAP_FAILED) {
      return absl::InternalError(StrCat("cannot map ", path, ": ", std::strerror(errno)));
    }
    digest = XXH3_128bits(map, size);
    ::munmap(map, size);
  }
  State().build_low = digest.low64;
  State().build_high = digest.high64;
  return absl::OkStatus();
}

}  // namespace

absl::Status PrepareCacheInZygote(const ZygoteCacheSetup& setup) {
  Runtime& runtime = State();
  runtime.wait_timeout_ms = setup.wait_timeout_ms;
  Secret();
  if (auto status = FingerprintApp(setup.app_path); !status.ok()) return status;
  if (setup.arena != nullptr) {
    auto reader = shm_cache::Reader::Attach(setup.arena, setup.arena_bytes);
    if (!reader.ok()) return reader.status();
    runtime.arena.emplace(*reader);
  }
  for (auto& [name, build] : runtime.preloads) {
    try {
      build();
      LogInfo("resource_preloaded", {{"resource", name}});
    } catch (const std::exception& e) {
      return absl::FailedPreconditionError(
          StrCat("preloading st::cache_resource ", name, " failed: ", e.what()));
    } catch (...) {
      return absl::FailedPreconditionError(
          StrCat("preloading st::cache_resource ", name, " failed"));
    }
  }
  runtime.preloads.clear();
  return absl::OkStatus();
}

void AttachKeeper(UniqueFd keeper) {
  if (!keeper.valid()) return;
  State().keeper = std::make_unique<KeeperClient>(
      std::move(keeper), std::chrono::milliseconds(State().wait_timeout_ms));
}

void FlushCacheTouches() {
  if (KeeperClient* keeper = cache::Keeper()) keeper->FlushTouches();
}

namespace cache {

shm_cache::Key MakeKey(std::uint64_t id_low, std::uint64_t id_high, const st::Hasher& args) {
  const auto& secret = Secret();
  const std::uint64_t prefix[4] = {id_low, id_high, State().build_low, State().build_high};
  XXH128_hash_t digest;
  constexpr std::size_t kStackBytes = 512;
  if (args.size() + sizeof prefix <= kStackBytes) {
    alignas(16) std::byte buffer[kStackBytes];
    std::memcpy(buffer, prefix, sizeof prefix);
    if (args.size() != 0) std::memcpy(buffer + sizeof prefix, args.data(), args.size());
    digest =
        XXH3_128bits_withSecret(buffer, sizeof prefix + args.size(), secret.data(), secret.size());
  } else {
    XXH3_state_t state;
    XXH3_128bits_reset_withSecret(&state, secret.data(), secret.size());
    XXH3_128bits_update(&state, prefix, sizeof prefix);
    XXH3_128bits_update(&state, args.data(), args.size());
    digest = XXH3_128bits_digest(&state);
  }
  return {digest.low64, digest.high64};
}

std::uint32_t ShortId(std::uint64_t id_low, std::uint64_t id_high) {
  return static_cast<std::uint32_t>((id_low ^ State().build_low) ^
                                    ((id_high ^ State().build_high) >> 32));
}

const shm_cache::Reader* Arena() {
  auto& arena = State().arena;
  return arena ? &*arena : nullptr;
}

KeeperClient* Keeper() {
  KeeperClient* keeper = State().keeper.get();
  return keeper != nullptr && keeper->alive() ? keeper : nullptr;
}

bool WaitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
  if (AppRunner* session = AppRunner::CurrentOrNull()) return session->WaitReadable(fd, deadline);
  for (;;) {
    pollfd one{fd, POLLIN, 0};
    int ready = ::poll(&one, 1, PollTimeoutMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    return ready != 0;  // an error: the caller's read finds out what is wrong
  }
}

}  // namespace cache
}  // namespace sluice::runtime

namespace st {

void Hasher::fold(const void* data, std::size_t size) {
  const auto& secret = sluice::runtime::Secret();
  XXH128_hash_t digest = XXH3_128bits_withSecret(data, size, secret.data(), secret.size());
  append(&digest, sizeof digest);
}

namespace detail {

void RegisterPreload(std::string name, std::function<void()> build) {
  sluice::runtime::State().preloads.emplace_back(std::move(name), std::move(build));
}

}  // namespace detail
}  // namespace st
