#include "tests/cache/torture_worker.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <sluice/cache.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/cache_runtime.h"
#include "shm_cache/reader.h"
#include "util/unique_fd.h"

namespace sluice::testing::torture {

namespace {

std::uint64_t Mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The values are functions of (kind, key) alone, so any process can tell a
// right one. A cache entry is the encoded value plus an 8-byte trailer
// (runtime/cache_entry.h): a string encodes as 8 + size bytes, a vector of
// words as 64 (count, padded) + 8 x words.
std::string SmallValue(int key) {
  std::string value(Mix(key) % 49, '\0');
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = char('a' + Mix(key * 64 + i) % 26);
  return value;
}

std::vector<std::uint64_t> Words(Kind kind, int key) {
  std::size_t words = kind == kMedium ? 1 + Mix(1000 + key) % 4000       // entry <= 32 KiB
                                      : 5120 + Mix(2000 + key) % 65000;  // entry > 40 KiB
  std::uint64_t name = (std::uint64_t{kind} << 32) | static_cast<std::uint32_t>(key);
  std::vector<std::uint64_t> value(words);
  value[0] = name;
  for (std::size_t i = 1; i < words; ++i) value[i] = Mix(name * 1'000'003 + i);
  return value;
}

// Computed by PrepareReferences() before the workers are forked.
struct References {
  std::vector<std::string> small;
  std::vector<std::vector<std::uint64_t>> medium, large;
};
References g_references;

Board* g_board = nullptr;  // this worker's line
std::mt19937_64 g_work_rng;

void BeginCompute() {
  g_board->phase = kComputing;
  g_board->computes.fetch_add(1, std::memory_order_relaxed);
  // A function that takes a while, as real ones do: it keeps the key in
  // flight long enough for other workers to wait on it, and for kills to
  // land mid-compute. Not a synchronisation: nothing waits for it to end.
  std::this_thread::sleep_for(std::chrono::microseconds(g_work_rng() % 2000));
}

std::string ComputeSmall(int key) {
  BeginCompute();
  std::string value = SmallValue(key);
  g_board->phase = kAfterCompute;
  return value;
}
std::vector<std::uint64_t> ComputeMedium(int key) {
  BeginCompute();
  auto value = Words(kMedium, key);
  g_board->phase = kAfterCompute;
  return value;
}
std::vector<std::uint64_t> ComputeLarge(int key) {
  BeginCompute();
  auto value = Words(kLarge, key);
  g_board->phase = kAfterCompute;
  return value;
}

// Declared as an app declares them; outside a session no spinner shows.
const auto cached_small = st::cache_data(ComputeSmall, {.show_spinner = false});
// At most 20 of the 24 keys: the store's per-function eviction runs too.
const auto cached_medium =
    st::cache_data(ComputeMedium, {.max_entries = 20, .show_spinner = false});
const auto cached_large = st::cache_data(ComputeLarge, {.show_spinner = false});

[[noreturn]] void WrongValue(Kind kind, int key, std::string_view what) {
  std::fprintf(stderr, "torture worker %d: WRONG VALUE for %s key %d: %.*s\n", ::getpid(),
               KindName(kind), key, static_cast<int>(what.size()), what.data());
  _exit(kWrongValueExit);
}

template <class T>
void Check(Kind kind, int key, const T& got, const T& want) {
  if (got == want) return;
  std::size_t first = 0;
  while (first < std::min(got.size(), want.size()) && got[first] == want[first]) ++first;
  WrongValue(kind, key,
             absl::StrCat(got.size(), " elements instead of ", want.size(),
                          ", first difference at element ", first));
}

// One call of the cached function for (kind, key), its result checked.
void CallAndCheck(Kind kind, int key) {
  g_board->kind = kind;
  g_board->key = static_cast<std::uint32_t>(key);
  g_board->call_started_ns = shm_cache::MonotonicNowNs();
  g_board->phase = kInCall;
  switch (kind) {
    case kSmall: {
      std::string got = cached_small(key);
      g_board->phase = kChecking;
      Check(kind, key, got, g_references.small[key]);
      break;
    }
    case kMedium: {
      std::vector<std::uint64_t> got = cached_medium(key);
      g_board->phase = kChecking;
      Check(kind, key, got, g_references.medium[key]);
      break;
    }
    default: {
      std::vector<std::uint64_t> got = cached_large(key);
      g_board->phase = kChecking;
      Check(kind, key, got, g_references.large[key]);
      break;
    }
  }
  g_board->calls.fetch_add(1, std::memory_order_relaxed);
  g_board->phase = kIdle;
}

void ClearKey(Kind kind, int key) {
  g_board->kind = kind;
  g_board->key = static_cast<std::uint32_t>(key);
  g_board->call_started_ns = shm_cache::MonotonicNowNs();
  g_board->phase = kClearing;
  switch (kind) {
    case kSmall:
      cached_small.clear(key);
      break;
    case kMedium:
      cached_medium.clear(key);
      break;
    default:
      cached_large.clear(key);
      break;
  }
  g_board->phase = kIdle;
}

}  // namespace

void WorkerLife(Board& board, int keeper_fd, std::uint64_t seed) {
  g_board = &board;
  g_work_rng.seed(seed ^ 0x5eedull);
  sluice::runtime::AttachKeeper(UniqueFd(keeper_fd));
  std::mt19937_64 rng(seed);
  for (std::uint64_t n = 1;; ++n) {
    std::uint64_t pick = rng();
    Kind kind = pick % 10 < 4 ? kSmall : pick % 10 < 7 ? kMedium : kLarge;
    int key =
        static_cast<int>((pick >> 8) % 2 == 0 ? (pick >> 16) % 4 : (pick >> 16) % kKeysPerKind);
    CallAndCheck(kind, key);
    if (n % 64 == 0) sluice::runtime::FlushCacheTouches();  // as a worker does after each run
    if ((pick >> 40) % 256 == 0) ClearKey(kind, key);
  }
}

// Large values last, so that the entries the killed workers left are read
// (hits) before the reader's own large values evict them; then the small
// ones again, so that the test's audit finds inline entries too. The round
// trip clears a key never cached.
void ReadEverything(Board& board, int keeper_fd) {
  g_board = &board;
  sluice::runtime::AttachKeeper(UniqueFd(keeper_fd));
  for (Kind kind : {kSmall, kMedium, kLarge, kSmall}) {
    for (int key = 0; key < kKeysPerKind; ++key) CallAndCheck(kind, key);
  }
  ClearKey(kSmall, 1'000'000);
  _exit(0);
}

const char* KindName(std::uint32_t kind) {
  static constexpr const char* kNames[] = {"small", "medium", "large"};
  return kind < kKinds ? kNames[kind] : "?";
}

const char* PhaseName(std::uint32_t phase) {
  switch (phase) {
    case kStarting:
      return "starting";
    case kIdle:
      return "between calls";
    case kInCall:
      return "in a call (lookup, claim, wait or copy)";
    case kComputing:
      return "computing";
    case kAfterCompute:
      return "publishing";
    case kChecking:
      return "checking a value";
    case kClearing:
      return "clearing a key";
  }
  return "?";
}

absl::StatusOr<Boards> Boards::Create(int count) {
  std::size_t bytes = sizeof(Board) * static_cast<std::size_t>(count);
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    return absl::InternalError(absl::StrCat("mmap: ", std::strerror(errno)));
  }
  return Boards(new (memory) Board[count], bytes);
}

Boards::Boards(Boards&& other) noexcept
    : boards_(std::exchange(other.boards_, nullptr)), bytes_(other.bytes_) {}

Boards::~Boards() {
  if (boards_ != nullptr) ::munmap(boards_, bytes_);
}

void PrepareReferences() {
  for (int key = 0; key < kKeysPerKind; ++key) {
    g_references.small.push_back(SmallValue(key));
    g_references.medium.push_back(Words(kMedium, key));
    g_references.large.push_back(Words(kLarge, key));
  }
}

}  // namespace sluice::testing::torture
