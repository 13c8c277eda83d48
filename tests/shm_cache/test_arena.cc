#include "tests/shm_cache/test_arena.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace sluice::shm_cache::testing {

namespace {

std::uint64_t SplitMix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t Mix(std::uint64_t value) { return SplitMix(value); }

void Fill(std::uint64_t id, std::uint64_t version, std::byte* out, std::size_t size) {
  std::uint64_t state = Mix(id * 0x100000001B3ull ^ Mix(version + 0x51u));
  std::size_t at = 0;
  for (; at + 8 <= size; at += 8) {
    std::uint64_t word = SplitMix(state);
    std::memcpy(out + at, &word, 8);
  }
  if (at < size) {
    std::uint64_t word = SplitMix(state);
    std::memcpy(out + at, &word, size - at);
  }
}

}  // namespace

Key KeyFor(std::uint64_t id) { return Key{Mix(id), id}; }

Key KeyAtHome(std::uint32_t home, std::uint64_t id) {
  // The store takes a key's home from the low bits of `low`; the index has
  // at most 2^22 slots, so the low 32 bits decide it.
  return Key{(Mix(id) << 32) | home, id ^ 0xA5A5'0000'0000'0000ull};
}

std::vector<std::byte> ValueFor(std::uint64_t id, std::uint64_t version, std::size_t size) {
  std::vector<std::byte> value(size);
  Fill(id, version, value.data(), size);
  return value;
}

std::vector<std::byte> TaggedValue(std::uint64_t id, std::uint64_t version, std::size_t size) {
  if (size < kTagBytes) size = kTagBytes;
  std::vector<std::byte> value(size);
  std::uint64_t tag[3] = {id, version, size};
  std::memcpy(value.data(), tag, kTagBytes);
  Fill(id, version, value.data() + kTagBytes, size - kTagBytes);
  return value;
}

std::optional<std::uint64_t> VersionOfTaggedValue(std::uint64_t id,
                                                  std::span<const std::byte> bytes) {
  if (bytes.size() < kTagBytes) return std::nullopt;
  std::uint64_t tag[3];
  std::memcpy(tag, bytes.data(), kTagBytes);
  if (tag[0] != id || tag[2] != bytes.size()) return std::nullopt;
  std::vector<std::byte> expected = TaggedValue(id, tag[1], bytes.size());
  if (std::memcmp(expected.data(), bytes.data(), bytes.size()) != 0) return std::nullopt;
  return tag[1];
}

std::optional<std::vector<std::byte>> Lookup(const Reader& reader, const Key& key,
                                             std::uint64_t now_ns) {
  std::vector<std::byte> out;
  bool hit = reader.Get(key, now_ns, [&](std::size_t size) {
    out.resize(size);
    return out.data();
  });
  if (!hit) return std::nullopt;
  return out;
}

absl::StatusOr<std::unique_ptr<TestArena>> TestArena::Create(std::size_t bytes) {
  std::unique_ptr<TestArena> arena(new TestArena);
  absl::StatusOr<UniqueFd> fd = CreateArenaFile(bytes);
  if (!fd.ok()) return fd.status();
  arena->fd_ = *std::move(fd);
  absl::StatusOr<Mapping> writable = Mapping::Writable(arena->fd_.get(), bytes);
  if (!writable.ok()) return writable.status();
  arena->writable_ = *std::move(writable);
  if (::madvise(arena->writable_.data(), bytes, MADV_DONTFORK) != 0) {
    return absl::InternalError(StrCat("madvise(MADV_DONTFORK): ", std::strerror(errno)));
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Format(arena->writable_.data(), bytes);
  if (!store.ok()) return store.status();
  arena->store_ = *std::move(store);
  if (absl::Status sealed = SealArena(arena->fd_.get()); !sealed.ok()) return sealed;
  absl::StatusOr<Mapping> read_only = Mapping::ReadOnly(arena->fd_.get(), bytes);
  if (!read_only.ok()) return read_only.status();
  arena->read_only_ = *std::move(read_only);
  absl::StatusOr<Reader> reader = Reader::Attach(arena->read_only_.data(), bytes);
  if (!reader.ok()) return reader.status();
  arena->reader_.emplace(*reader);
  return arena;
}

}  // namespace sluice::shm_cache::testing
