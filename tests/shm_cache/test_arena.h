// An arena as the cache keeper and a worker see it, inside one test process,
// and keys and values whose bytes a test can predict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "shm_cache/arena.h"
#include "shm_cache/layout.h"
#include "shm_cache/reader.h"
#include "shm_cache/store.h"
#include "util/unique_fd.h"

namespace sluice::shm_cache::testing {

// Distinct ids give distinct keys, spread over the index.
Key KeyFor(std::uint64_t id);
// A key whose home slot (where the store's probe for it starts) is `home`;
// distinct ids give distinct keys.
Key KeyAtHome(std::uint32_t home, std::uint64_t id);

// `size` bytes that depend on (id, version): the same arguments always give
// the same bytes, different ones (almost surely) different bytes.
std::vector<std::byte> ValueFor(std::uint64_t id, std::uint64_t version, std::size_t size);

// A value that names itself: {id, version, size} as three u64, then
// ValueFor(id, version, size - 24). So a reader that does not know which
// version it should see can still tell a right value from a torn one.
inline constexpr std::size_t kTagBytes = 24;
std::vector<std::byte> TaggedValue(std::uint64_t id, std::uint64_t version, std::size_t size);
// The version a tagged value of `id` carries if every byte of it is right.
std::optional<std::uint64_t> VersionOfTaggedValue(std::uint64_t id,
                                                  std::span<const std::byte> bytes);

// Reader::Get into a vector: the value on a hit, nullopt on a miss.
std::optional<std::vector<std::byte>> Lookup(const Reader& reader, const Key& key,
                                             std::uint64_t now_ns);

// A formatted, sealed arena with both of its mappings in this process:
//  - the keeper's writable mapping and its Store. It is MADV_DONTFORK, so a
//    child forked from the test has only the worker's mapping, as a real
//    worker does;
//  - a read-only mapping made after the seal, as a worker has, and a Reader
//    on it.
class TestArena {
 public:
  static absl::StatusOr<std::unique_ptr<TestArena>> Create(std::size_t bytes);

  Store& store() { return *store_; }
  const Reader& reader() const { return *reader_; }
  int fd() const { return fd_.get(); }
  const Mapping& read_only() const { return read_only_; }
  const ArenaHeader& header() const {
    return *reinterpret_cast<const ArenaHeader*>(read_only_.data());
  }
  std::size_t bytes() const { return read_only_.size(); }

 private:
  TestArena() = default;

  UniqueFd fd_;
  Mapping writable_;
  Mapping read_only_;
  std::unique_ptr<Store> store_;
  std::optional<Reader> reader_;
};

}  // namespace sluice::shm_cache::testing
