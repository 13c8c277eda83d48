#include "worker/reaper_counters.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/strings.h"

namespace sluice::worker {

namespace {

constexpr std::size_t kPageBytes = 4096;
static_assert(sizeof(ReaperCounters) <= kPageBytes);

absl::Status Errno(std::string_view call, int err) {
  return absl::InternalError(StrCat(call, ": ", std::strerror(err)));
}

ReaperCounters* MapShared(int fd) {
  void* data = ::mmap(nullptr, kPageBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return data == MAP_FAILED ? nullptr : static_cast<ReaperCounters*>(data);
}

}  // namespace

absl::StatusOr<ReaperCounterPage> ReaperCounterPage::Create() {
  UniqueFd fd(::memfd_create("sluice-reaper-counters", MFD_CLOEXEC));
  if (!fd) return Errno("memfd_create", errno);
  if (::ftruncate(fd.get(), kPageBytes) != 0) return Errno("ftruncate", errno);
  ReaperCounterPage page;
  page.counters_ = MapShared(fd.get());
  if (page.counters_ == nullptr) return Errno("mmap", errno);
  page.fd_ = std::move(fd);
  return page;
}

absl::StatusOr<ReaperCounterPage> ReaperCounterPage::Map(UniqueFd fd) {
  ReaperCounterPage page;
  page.counters_ = MapShared(fd.get());
  if (page.counters_ == nullptr) return Errno("mmap", errno);
  return page;
}

ReaperCounterPage::ReaperCounterPage(ReaperCounterPage&& other) noexcept
    : fd_(std::move(other.fd_)), counters_(std::exchange(other.counters_, nullptr)) {}

ReaperCounterPage& ReaperCounterPage::operator=(ReaperCounterPage&& other) noexcept {
  if (this != &other) {
    if (counters_ != nullptr) ::munmap(counters_, kPageBytes);
    fd_ = std::move(other.fd_);
    counters_ = std::exchange(other.counters_, nullptr);
  }
  return *this;
}

ReaperCounterPage::~ReaperCounterPage() {
  if (counters_ != nullptr) ::munmap(counters_, kPageBytes);
}

}  // namespace sluice::worker
