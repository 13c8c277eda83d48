// The arena across processes: a forked worker with only a read-only mapping
// reads what the keeper published, and cannot change it by any route the
// kernel offers a process that holds the arena's descriptor. After each
// hostile child, the keeper's store and every reader still see every value.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tests/shm_cache/forked_child.h"
#include "tests/shm_cache/test_arena.h"
#include "tests/support/status_macros.h"
#include "util/strings.h"

namespace sluice::shm_cache::testing {
namespace {

using sluice::testing::After;
using sluice::testing::kStepTimeout;

constexpr std::size_t kArenaBytes = 4u << 20;
constexpr std::uint64_t kNow = 1'000'000;
constexpr std::uint64_t kKeys = 40;

std::size_t SizeOf(std::uint64_t id) { return (id * 4099) % 90'000; }

// A line on stderr and false: how a forked child reports what went wrong.
bool Fail(const std::string& what) {
  std::fprintf(stderr, "[child %d] %s\n", static_cast<int>(::getpid()), what.c_str());
  return false;
}
bool FailErrno(const std::string& what, int err) {
  return Fail(StrCat(what, ": errno ", err, " (", std::strerror(err), ")"));
}
// The same, for a child whose exit code says which step failed.
int ExitWith(int code, const std::string& what) {
  Fail(what);
  return code;
}

// In a child: a system call that must fail with `expected_errno`. (`call`
// is a plain string, so nothing between the call and the read of errno
// allocates.)
bool RefusedWith(const char* call, bool failed, int expected_errno) {
  int err = errno;
  if (!failed) return Fail(StrCat(call, " succeeded"));
  if (err != expected_errno) {
    return FailErrno(StrCat(call, " failed, but not with errno ", expected_errno), err);
  }
  return true;
}

// In a child: every mapping of the arena file in this process is read-only
// (the keeper's writable one was not inherited), and there is one.
bool OnlyReadOnlyArenaMappings() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int arena_mappings = 0;
  while (std::getline(maps, line)) {
    if (line.find("sluice-cache") == std::string::npos) continue;
    ++arena_mappings;
    std::string perms = line.substr(line.find(' ') + 1, 4);
    if (perms[1] == 'w') return Fail(StrCat("writable arena mapping: ", line));
  }
  if (arena_mappings == 0) return Fail("no arena mapping in /proc/self/maps");
  return true;
}

class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(arena_, TestArena::Create(kArenaBytes));
    for (std::uint64_t id = 0; id < kKeys; ++id) {
      ASSERT_OK(arena_->store().Insert(KeyFor(id), ValueFor(id, 1, SizeOf(id)), {}, kNow));
    }
  }

  // The keeper and a reader still see every value, and the arena is intact.
  void ExpectArenaIntact() {
    EXPECT_OK(arena_->store().CheckConsistency());
    EXPECT_EQ(arena_->store().stats().entries, kKeys);
    for (std::uint64_t id = 0; id < kKeys; ++id) {
      EXPECT_EQ(Lookup(arena_->reader(), KeyFor(id), kNow), ValueFor(id, 1, SizeOf(id))) << id;
    }
    // A worker forked now reads them too, through a mapping of its own.
    ASSERT_OK_AND_ASSIGN(
        ForkedChild child, ForkedChild::Start([&] {
          absl::StatusOr<Mapping> mapping = Mapping::ReadOnly(arena_->fd(), kArenaBytes);
          if (!mapping.ok()) return ExitWith(2, "Mapping::ReadOnly");
          absl::StatusOr<Reader> reader = Reader::Attach(mapping->data(), mapping->size());
          if (!reader.ok()) return ExitWith(3, "Reader::Attach");
          for (std::uint64_t id = 0; id < kKeys; ++id) {
            if (Lookup(*reader, KeyFor(id), kNow) != ValueFor(id, 1, SizeOf(id))) {
              return ExitWith(4, StrCat("key ", id, " reads wrong"));
            }
          }
          return 0;
        }));
    ASSERT_OK_AND_ASSIGN(int status, child.Wait(After(kStepTimeout)));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeWaitStatus(status);
  }

  // Runs `attack` in a forked worker; it returns true if every attempt failed
  // as it should.
  void RunWorker(const std::function<bool()>& attack) {
    ASSERT_OK_AND_ASSIGN(ForkedChild child, ForkedChild::Start([&] {
                           if (!OnlyReadOnlyArenaMappings()) return 2;
                           return attack() ? 0 : 1;
                         }));
    ASSERT_OK_AND_ASSIGN(int status, child.Wait(After(kStepTimeout)));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "the worker " << DescribeWaitStatus(status) << " (its stderr says why)";
  }

  std::byte* ReadOnlyBytes() const { return const_cast<std::byte*>(arena_->read_only().data()); }

  std::unique_ptr<TestArena> arena_;
};

// The steps of the real thing, spelled out: the keeper formats and fills
// the arena, seals it, and a worker maps it read-only and looks values up.
TEST(CrossProcessTest, WorkerReadsEntriesTheKeeperInserted) {
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, CreateArenaFile(kArenaBytes));
  ASSERT_OK_AND_ASSIGN(Mapping keeper, Mapping::Writable(fd.get(), kArenaBytes));
  ASSERT_EQ(::madvise(keeper.data(), kArenaBytes, MADV_DONTFORK), 0) << std::strerror(errno);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Format(keeper.data(), kArenaBytes));
  const std::size_t sizes[] = {0, 1, 64, 4096, 65'536, 1u << 20};
  for (std::size_t size : sizes) {
    ASSERT_OK(store->Insert(KeyFor(size), ValueFor(size, 1, size), {}, kNow));
  }
  ASSERT_OK(SealArena(fd.get()));

  ASSERT_OK_AND_ASSIGN(ForkedChild worker, ForkedChild::Start([&] {
                         absl::StatusOr<Mapping> mapping = Mapping::ReadOnly(fd.get(), kArenaBytes);
                         if (!mapping.ok()) return ExitWith(2, "Mapping::ReadOnly");
                         if (!OnlyReadOnlyArenaMappings()) return 3;
                         absl::StatusOr<Reader> reader =
                             Reader::Attach(mapping->data(), mapping->size());
                         if (!reader.ok()) return ExitWith(4, "Reader::Attach");
                         for (std::size_t size : sizes) {
                           if (Lookup(*reader, KeyFor(size), kNow) != ValueFor(size, 1, size)) {
                             return ExitWith(5, StrCat("the ", size, "-byte value reads wrong"));
                           }
                         }
                         if (Lookup(*reader, KeyFor(12345), kNow))
                           return ExitWith(6, "an unknown key hit");
                         if (reader->counters().entries != std::size(sizes))
                           return ExitWith(7, "wrong entry count");
                         return 0;
                       }));
  ASSERT_OK_AND_ASSIGN(int status, worker.Wait(After(kStepTimeout)));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeWaitStatus(status);
}

TEST_F(IsolationTest, WorkerSeesEntriesPublishedAfterItStarted) {
  ASSERT_OK_AND_ASSIGN(Pipe ready, Pipe::Create());
  ASSERT_OK_AND_ASSIGN(Pipe go, Pipe::Create());
  ASSERT_OK_AND_ASSIGN(
      ForkedChild worker, ForkedChild::Start([&] {
        std::byte byte{1};
        if (!WriteAll(ready.write.get(), {&byte, 1})) return ExitWith(2, "write(ready)");
        if (!ReadExactly(go.read.get(), {&byte, 1}, After(kStepTimeout)).ok()) {
          return ExitWith(3, "no go");
        }
        if (Lookup(arena_->reader(), KeyFor(1), kNow) != ValueFor(1, 2, 777)) {
          return ExitWith(4, "the replaced value reads wrong");
        }
        if (Lookup(arena_->reader(), KeyFor(1000), kNow) != ValueFor(1000, 1, 5000)) {
          return ExitWith(5, "the new value reads wrong");
        }
        if (Lookup(arena_->reader(), KeyFor(2), kNow)) return ExitWith(6, "the erased key hit");
        return 0;
      }));
  std::byte byte{};
  ASSERT_OK(ReadExactly(ready.read.get(), {&byte, 1}, After(kStepTimeout)));
  ASSERT_OK(arena_->store().Insert(KeyFor(1), ValueFor(1, 2, 777), {}, kNow));
  ASSERT_OK(arena_->store().Insert(KeyFor(1000), ValueFor(1000, 1, 5000), {}, kNow));
  ASSERT_TRUE(arena_->store().Erase(KeyFor(2)));
  ASSERT_TRUE(WriteAll(go.write.get(), {&byte, 1}));
  ASSERT_OK_AND_ASSIGN(int status, worker.Wait(After(kStepTimeout)));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeWaitStatus(status);
}

TEST_F(IsolationTest, WorkerWritingThroughItsMappingDiesWithSigsegv) {
  const ArenaHeader& header = arena_->header();
  // The header, an index slot, and a value's bytes.
  const std::size_t offsets[] = {0, header.index_offset + 64 * 3, header.data_offset + 4096};
  for (std::size_t offset : offsets) {
    ASSERT_OK_AND_ASSIGN(
        ForkedChild child, ForkedChild::Start([&] {
          if (!OnlyReadOnlyArenaMappings()) return 2;
          rlimit no_core{0, 0};
          ::setrlimit(RLIMIT_CORE, &no_core);
          ::signal(SIGSEGV, SIG_DFL);  // a sanitizer's handler would turn the fault into an exit
          volatile std::byte* target = ReadOnlyBytes() + offset;
          *target = std::byte{0x5a};
          return ExitWith(3, "the write went through");
        }));
    ASSERT_OK_AND_ASSIGN(int status, child.Wait(After(kStepTimeout)));
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
        << "writing at offset " << offset << ": the worker " << DescribeWaitStatus(status);
  }
  ExpectArenaIntact();
}

TEST_F(IsolationTest, WorkerCannotMapTheArenaWritable) {
  RunWorker([&] {
    void* shared =
        ::mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE, MAP_SHARED, arena_->fd(), 0);
    if (!RefusedWith("mmap(PROT_WRITE, MAP_SHARED)", shared == MAP_FAILED, EPERM)) return false;
    // Mapping::Writable is the same call.
    if (Mapping::Writable(arena_->fd(), kArenaBytes).ok()) return Fail("Mapping::Writable worked");
    // Read-only first, then asking for write: refused too.
    void* read_only = ::mmap(nullptr, kArenaBytes, PROT_READ, MAP_SHARED, arena_->fd(), 0);
    if (read_only == MAP_FAILED) return FailErrno("mmap(PROT_READ)", errno);
    return RefusedWith("mprotect of a fresh read-only mapping",
                       ::mprotect(read_only, kArenaBytes, PROT_READ | PROT_WRITE) != 0, EACCES);
  });
  ExpectArenaIntact();
}

TEST_F(IsolationTest, WorkerCannotMprotectItsMappingWritable) {
  RunWorker([&] {
    bool refused = ::mprotect(ReadOnlyBytes(), kArenaBytes, PROT_READ | PROT_WRITE) != 0;
    if (!RefusedWith("mprotect(PROT_WRITE)", refused, EACCES)) return false;
    refused = ::mprotect(ReadOnlyBytes(), kPageSize, PROT_READ | PROT_WRITE | PROT_EXEC) != 0;
    return RefusedWith("mprotect(PROT_WRITE | PROT_EXEC) of the header", refused, EACCES);
  });
  ExpectArenaIntact();
}

TEST_F(IsolationTest, WorkerCannotReopenTheArenaForWriting) {
  RunWorker([&] {
    std::string path = StrCat("/proc/self/fd/", arena_->fd());
    // Opening read-write is allowed; the seals travel with the file.
    UniqueFd reopened(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!reopened) return true;  // refused outright: fine too
    void* shared =
        ::mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE, MAP_SHARED, reopened.get(), 0);
    if (!RefusedWith("mmap(PROT_WRITE) of the reopened file", shared == MAP_FAILED, EPERM)) {
      return false;
    }
    const char junk[8] = {};
    return RefusedWith("pwrite to the reopened file",
                       ::pwrite(reopened.get(), junk, sizeof(junk), 0) < 0, EPERM);
  });
  ExpectArenaIntact();
}

TEST_F(IsolationTest, WorkerCannotWriteResizeOrPunchTheFile) {
  RunWorker([&] {
    const int fd = arena_->fd();
    const char junk[64] = {};
    const off_t data = static_cast<off_t>(arena_->header().data_offset);
    return RefusedWith("pwrite", ::pwrite(fd, junk, sizeof(junk), data) < 0, EPERM) &&
           RefusedWith("ftruncate(0)", ::ftruncate(fd, 0) != 0, EPERM) &&
           RefusedWith("ftruncate(grow)", ::ftruncate(fd, 2 * kArenaBytes) != 0, EPERM) &&
           RefusedWith("fallocate(PUNCH_HOLE)",
                       ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                                   static_cast<off_t>(kArenaBytes)) != 0,
                       EPERM) &&
           RefusedWith("madvise(MADV_REMOVE)",
                       ::madvise(ReadOnlyBytes(), kArenaBytes, MADV_REMOVE) != 0, EACCES) &&
           // The seals themselves are sealed.
           RefusedWith("fcntl(F_ADD_SEALS)", ::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) != 0, EPERM);
  });
  ExpectArenaIntact();
}

TEST_F(IsolationTest, WorkerCannotWriteItsMappingThroughTheKernel) {
  RunWorker([&] {
    std::byte* target = ReadOnlyBytes() + arena_->header().data_offset;
    const char junk[16] = {1, 2, 3};
    // /proc/self/mem bypasses page protections for private mappings, never
    // for a shared read-only one.
    UniqueFd mem(::open("/proc/self/mem", O_RDWR | O_CLOEXEC));
    if (mem) {
      ssize_t wrote = ::pwrite(mem.get(), junk, sizeof(junk),
                               static_cast<off_t>(reinterpret_cast<std::uintptr_t>(target)));
      if (wrote >= 0) return Fail("pwrite(/proc/self/mem) wrote into the arena");
    }
    iovec local{const_cast<char*>(junk), sizeof(junk)};
    iovec remote{target, sizeof(junk)};
    if (::process_vm_writev(::getpid(), &local, 1, &remote, 1, 0) >= 0) {
      return Fail("process_vm_writev wrote into the arena");
    }
    // The kernel's own copies respect the protection: read(2) into it.
    Pipe pipe = *Pipe::Create();
    if (::write(pipe.write.get(), junk, sizeof(junk)) != sizeof(junk)) return Fail("write(pipe)");
    return RefusedWith("read(2) into the mapping", ::read(pipe.read.get(), target, 16) < 0, EFAULT);
  });
  ExpectArenaIntact();
}

TEST_F(IsolationTest, WorkersPrivateWritableMappingNeverReachesOthers) {
  RunWorker([&] {
    void* mapped =
        ::mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, arena_->fd(), 0);
    if (mapped == MAP_FAILED) return FailErrno("mmap(MAP_PRIVATE)", errno);
    // Scribble over the header, the whole index and the data: copy-on-write
    // keeps all of it in this process.
    std::memset(mapped, 0xA5, kArenaBytes);
    for (std::uint64_t id = 0; id < kKeys; ++id) {
      if (Lookup(arena_->reader(), KeyFor(id), kNow) != ValueFor(id, 1, SizeOf(id))) {
        return Fail(StrCat("key ", id, " changed under the shared mapping"));
      }
    }
    return true;
  });
  ExpectArenaIntact();
}

TEST(ArenaSealTest, ReadOnlyMappingMadeBeforeTheSealIsRefused) {
  // A read-only shared mapping made before F_SEAL_FUTURE_WRITE keeps the
  // right to become writable (mprotect), so a worker must never have one.
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, CreateArenaFile(kArenaBytes));
  ASSERT_OK_AND_ASSIGN(Mapping keeper, Mapping::Writable(fd.get(), kArenaBytes));
  EXPECT_EQ(Mapping::ReadOnly(fd.get(), kArenaBytes).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_OK(SealArena(fd.get()));
  ASSERT_OK_AND_ASSIGN(Mapping worker, Mapping::ReadOnly(fd.get(), kArenaBytes));
  EXPECT_NE(::mprotect(worker.data(), kArenaBytes, PROT_READ | PROT_WRITE), 0);
}

TEST(ArenaSealTest, KeeperMappingMustComeBeforeTheSeal) {
  ASSERT_OK_AND_ASSIGN(UniqueFd fd, CreateArenaFile(kArenaBytes));
  ASSERT_OK(SealArena(fd.get()));
  EXPECT_FALSE(Mapping::Writable(fd.get(), kArenaBytes).ok());
}

}  // namespace
}  // namespace sluice::shm_cache::testing
