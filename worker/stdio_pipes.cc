#include "worker/stdio_pipes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/strings.h"

namespace sluice::worker {

namespace {

constexpr int kDenialPipeBytes = 4096;

absl::Status Errno(std::string_view call) {
  return absl::InternalError(StrCat(call, ": ", std::strerror(errno)));
}

absl::Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return Errno("fcntl(O_NONBLOCK)");
  return absl::OkStatus();
}

// {read end, write end}; the read end non-blocking.
absl::StatusOr<std::pair<UniqueFd, UniqueFd>> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe2");
  std::pair<UniqueFd, UniqueFd> ends{UniqueFd(fds[0]), UniqueFd(fds[1])};
  if (absl::Status set = SetNonBlocking(ends.first.get()); !set.ok()) return set;
  return ends;
}

}  // namespace

absl::StatusOr<std::pair<UniqueFd, UniqueFd>> MakeDenialPipe() {
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> ends = MakePipe();
  if (!ends.ok()) return ends.status();
  if (absl::Status set = SetNonBlocking(ends->second.get()); !set.ok()) return set;
  // Smaller is only an optimisation (less pipe memory per worker).
  (void)::fcntl(ends->second.get(), F_SETPIPE_SZ, kDenialPipeBytes);
  return ends;
}

absl::StatusOr<WorkerPipes> MakeWorkerPipes() {
  WorkerPipes pipes;
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> out = MakePipe();
  if (!out.ok()) return out.status();
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> err = MakePipe();
  if (!err.ok()) return err.status();
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> denials = MakeDenialPipe();
  if (!denials.ok()) return denials.status();
  pipes.stdout_read = std::move(out->first);
  pipes.stdout_write = std::move(out->second);
  pipes.stderr_read = std::move(err->first);
  pipes.stderr_write = std::move(err->second);
  pipes.denials_read = std::move(denials->first);
  pipes.denials_write = std::move(denials->second);
  return pipes;
}

}  // namespace sluice::worker
