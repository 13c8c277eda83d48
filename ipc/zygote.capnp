@0xde073a17485a24be;
# Broker <-> zygote control channel: a SOCK_SEQPACKET socket, one unpacked
# message per packet. A fork request carries the worker's end of its session
# socket as SCM_RIGHTS ancillary data, followed, while the shared cache is
# on, by the worker's end of its keeper socket (ipc/keeper.capnp). The set of commands is deliberately
# small (Chromium's zygote host has the same shape): fork, kill, and naming
# the session a worker serves (for its output's log lines).
#
# The zygote tells its reaper (worker/reaper.h) of every fork and exit with
# the same ZygoteEvent messages, on a private socket; two variants are only
# ever sent there (workerOutput, workerSession).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::ipc");

struct ZygoteRequest {
  union {
    fork @0 :Fork;          # one or two fds attached (session socket, then
                            # keeper socket)
    kill @1 :Int32;         # SIGKILL this worker pid (a child of the zygote,
                            # as the zygote numbers it)
    workerSession @2 :WorkerSession;  # the worker now serves this session:
                            # its output's log lines name it (worker/output_reader.h)
  }

  struct Fork {
    tag @0 :UInt64;         # echoed in Forked
    slot @1 :UInt32;        # the worker's sandbox slot, hence its uid when
                            # started as root (sandbox/credentials.h). The
                            # broker hands slots out across all zygote
                            # generations: no two live workers share one
  }
}

struct WorkerSession {
  pid @0 :Int32;            # as the zygote numbers it
  session @1 :Text;         # the broker's session id
  brokerPid @2 :Int32;      # the same worker as the broker numbers it (they
                            # differ at strict): what its log lines show
}

struct ZygoteEvent {
  union {
    ready @0 :Ready;        # app loaded; first event on success
    loadFailed @1 :Text;    # app could not be loaded; the zygote exits
    forked @2 :Forked;
    exited @3 :Exited;      # a worker ended (reaped by the zygote, or after
                            # zygoteExited by the reaper, worker/reaper.h)
    zygoteExited @4 :ZygoteExited;  # from the reaper: the zygote died; from
                            # now on the reaper reports exits and serves kills
    workerOutput @5 :Int32; # zygote -> reaper only, after Forked: this worker's
                            # stdout, stderr and denial-report pipes (read ends)
                            # ride along, in that order
    workerSession @6 :WorkerSession;  # zygote -> reaper only: the broker's
                            # request of that name, passed on
  }

  struct ZygoteExited {
    exitCode @0 :Int32;     # valid when signal == 0
    signal @1 :Int32;
    survivors @2 :List(Int32);  # workers still running (zygote's numbering);
                            # any other worker of this zygote is gone
  }

  struct Ready {
    appName @0 :Text;
  }

  struct Forked {
    tag @0 :UInt64;
    pid @1 :Int32;          # 0 when fork failed; then `error` says why. As the
                            # zygote's pid namespace numbers it; the packet's
                            # SCM_CREDENTIALS carry the same process for the
                            # broker to see in its own namespace
    error @2 :Text;
  }

  struct Exited {
    pid @0 :Int32;
    exitCode @1 :Int32;     # valid when signal == 0
    signal @2 :Int32;       # terminating signal, 0 if it exited
  }
}
