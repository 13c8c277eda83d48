// The broker's side of the zygote (Chromium's "zygote host"): starts it, and
// speaks the small command set of ipc/zygote.capnp over a SOCK_SEQPACKET
// socket: fork a worker (handing it one end of a fresh session socket), kill
// a worker; and hears back forks, exits and readiness.
#pragma once

#include <capnp/message.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "broker/helper_channel.h"
#include "broker/net.h"
#include "ipc/packet.h"
#include "ipc/zygote.capnp.h"
#include "sandbox/contain.h"
#include "util/log.h"
#include "util/unique_fd.h"
#include "worker/app_output.h"

namespace sluice::broker {

// The zygote's end of the control socket and the cache arena, at fixed
// descriptor numbers.
inline constexpr int kZygoteControlFd = 3;
inline constexpr int kZygoteArenaFd = 4;

inline constexpr int kZygoteDenialsFd = 5;
inline constexpr int kZygoteSecretsFd = 6;

struct ZygoteLaunch {
  std::string app_path;
  std::size_t max_message_bytes;
  int arena_fd = -1;  // the sealed cache arena (the zygote maps it); -1: cache off
  std::size_t arena_bytes = 0;
  sandbox::WorkerSandboxConfig sandbox;
  std::vector<std::string> allow_read;  // canonical paths
  int denials_fd = -1;          // the reapers' counter page (worker/reaper_counters.h); -1: none
  worker::OutputLimits output;  // what reapers log of workers' output
  LogLevel log_level = LogLevel::kInfo;                   // the zygote's and its workers'
  int secrets_fd = -1;                                    // the open secrets file; -1: none
  absl::Duration cache_wait_timeout = absl::Seconds(60);  // --cache-wait-timeout; 0: none
  std::size_t warm_heap_bytes = 0;                        // --warm-heap-kb, in bytes
  absl::Duration idle_trim_after = absl::ZeroDuration();  // --idle-trim-after; 0: never
};

struct ForkedWorker {
  pid_t pid;
  UniqueFd socket;  // the broker's end of the worker's session socket
};

// A zygote forked and exec'd, not yet heard from.
struct SpawnedZygote {
  pid_t pid;
  UniqueFd control;  // the broker's end of the control socket
  bool own_pid_namespace;
};

class ZygoteHost {
 public:
  using ForkCallback = std::function<void(absl::StatusOr<ForkedWorker>)>;
  using ExitCallback = std::function<void(pid_t pid, int exit_code, int signal)>;
  using LostCallback = std::function<void()>;

  // Forks and execs the zygote, then waits until it loaded the app. Call
  // before the broker starts any thread. On failure (the app does not load)
  // the error says why in one line and no zygote is left running.
  static absl::StatusOr<std::unique_ptr<ZygoteHost>> Start(const ZygoteLaunch& launch);
  // Start() in two halves, for a broker that must not block while the app
  // loads (a reload): Spawn() forks and execs (the broker must still have a
  // single thread); Finish() takes the zygote's first packet, as
  // ReceiveFirstPacket() returned it, and makes the host, or kills and reaps
  // the zygote and says why.
  static absl::StatusOr<SpawnedZygote> Spawn(const ZygoteLaunch& launch);
  static absl::StatusOr<std::unique_ptr<ZygoteHost>> Finish(
      SpawnedZygote spawned, absl::StatusOr<ipc::Packet> first_packet);
  ~ZygoteHost();

  // Starts listening for events on `io`. `on_exit` hears of every worker
  // that ended. If the zygote dies, its reaper (worker/reaper.h) keeps the
  // workers that still run: the others are reported ended, `on_lost` runs
  // (if set), forks fail from then on, and exits and kills of the survivors
  // go on through the reaper. If the channel itself is lost (the reaper
  // died too), every worker left is reported ended (they die with it), then
  // `on_lost` runs again.
  void Attach(asio::io_context& io, ExitCallback on_exit, LostCallback on_lost = {});

  // Asks for a new worker; `done` runs later on the io thread (never inside
  // Fork itself) with its pid and socket, or an error. `keeper_socket`, if
  // valid, is the worker's end of its cache keeper socket: it rides with
  // the fork request and is closed here once sent. `slot` picks the
  // worker's uid (sandbox/credentials.h): the caller keeps it unique among
  // live workers of every zygote.
  void Fork(UniqueFd keeper_socket, int slot, ForkCallback done);
  // Ends a worker now (SIGKILL, sent by the zygote to its own child).
  void Kill(pid_t pid);
  // Tells the zygote (or its reaper) which session the worker serves: the
  // log lines of what it prints name it (worker/output_reader.h).
  void NameWorker(pid_t pid, std::string_view session);

  // Every worker pid this class hands out or takes is as the broker's pid
  // namespace numbers it; at the strict level the zygote numbers its
  // children in its own, and the two are translated here.

  const std::string& app_name() const { return app_name_; }
  pid_t pid() const { return pid_; }
  std::size_t live_workers() const { return workers_.size(); }
  std::size_t pending_forks() const { return pending_.size(); }
  bool HasWorker(pid_t pid) const { return workers_.contains(pid); }
  bool lost() const { return channel_.lost(); }
  // The zygote died; its surviving workers are still served (see Attach).
  bool zygote_gone() const { return zygote_gone_ || channel_.lost(); }

 private:
  ZygoteHost(pid_t pid, UniqueFd control, std::string app_name, bool own_pid_namespace);

  void HandleEvent(ipc::ZygoteEvent::Reader event);
  void Defer(std::function<void()> work);
  void OnZygoteLost(std::string_view why);
  void OnZygoteExited(ipc::ZygoteEvent::ZygoteExited::Reader exited);

  pid_t pid_;
  std::string app_name_;
  bool own_pid_namespace_;    // the zygote numbers its workers in its own pid namespace
  bool zygote_gone_ = false;  // its reaper said it died
  HelperChannel channel_;
  ExitCallback on_exit_;
  LostCallback on_lost_;
  std::uint64_t next_tag_ = 1;
  struct PendingFork {
    UniqueFd broker_end;
    ForkCallback done;
  };
  absl::flat_hash_map<std::uint64_t, PendingFork> pending_;
  // Live workers: the broker's pid -> the zygote's pid for it, and back.
  absl::flat_hash_map<pid_t, pid_t> workers_;
  absl::flat_hash_map<pid_t, pid_t> broker_pid_of_;
};

}  // namespace sluice::broker
