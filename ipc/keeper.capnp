@0x8e941670a5926bc8;
# The cache keeper's two kinds of channel, both SOCK_SEQPACKET with one
# unpacked message per packet (ipc/packet.h):
#
#   broker <-> keeper   KeeperCommand / KeeperEvent, one control socket.
#   worker <-> keeper   CacheRequest / CacheReply, one socket per worker. The
#                       broker makes the pair when it asks for a worker: one
#                       end goes to the keeper (attach), the other rides with
#                       the fork request to the zygote and lands in the worker.
#
# The keeper is the only writer of the arena (shm_cache/layout.h). Workers
# look keys up in their read-only mapping without asking anyone; they talk
# to the keeper only on a miss (claim, then publish or abandon), to report
# hits (touch, batched) and to clear.
#
# A worker that sends a malformed or oversized packet, a descriptor with a
# request other than publish, or keeps more than 256 claims open at once is
# dropped: the keeper closes its socket and treats it as hung up (the keys
# it owned pass to their oldest waiters). So is a worker whose socket is
# full when the keeper replies: the keeper never waits for a worker.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::ipc");

struct CacheKey {
  low @0 :UInt64;
  high @1 :UInt64;
}

struct KeeperCommand {
  union {
    attach @0 :Void;         # exactly one fd attached: a new worker's socket
    clear @1 :UInt64;        # clear every entry; the tag comes back in Cleared
  }
}

struct KeeperEvent {
  union {
    ready @0 :Ready;         # first event: the arena is formatted and sealed
    cleared @1 :Cleared;
  }

  struct Ready {
    slotCount @0 :UInt32;
    dataBytes @1 :UInt64;
  }

  struct Cleared {
    tag @0 :UInt64;
    entries @1 :UInt64;      # how many entries the clear removed
  }
}

struct CacheRequest {
  union {
    claim @0 :Claim;         # the worker missed: may it compute the value?
    publish @1 :Publish;     # the value of a key this worker was told to compute
    abandon @2 :CacheKey;    # it will not publish that key after all (the
                             # oldest waiter takes over), or, if it was
                             # waiting for the key, it stops waiting
    touch @3 :List(CacheKey);  # keys hit lately: keep them from eviction (each
                             # at most once per report; not counted as hits)
    clear @4 :Clear;         # app code called clear(); answered with ready
    hits @5 :UInt64;         # lookups that hit since the last report (/metrics)
    pin @6 :Pin;             # keep a large entry's bytes in place while this
                             # worker maps them MAP_PRIVATE (answered pinned,
                             # with the arena's fd attached, or refused)
    unpin @7 :UInt64;        # release one of this worker's pins, by the
                             # value's file offset. Unpinning what it does not
                             # hold breaks the protocol. Hanging up releases all.
  }

  struct Claim {
    id @0 :UInt64;           # echoed in the reply
    key @1 :CacheKey;
    function @2 :UInt32;
  }

  struct Publish {
    key @0 :CacheKey;
    function @1 :UInt32;
    ttlMs @2 :UInt64;        # 0: never expires
    maxEntries @3 :UInt32;   # most entries of `function`; 0: no limit
    size @4 :UInt64;         # value bytes
    inline @5 :Data;         # the value when small; otherwise a memfd of
                             # exactly `size` bytes is attached, sealed with
                             # F_SEAL_SHRINK, F_SEAL_GROW and F_SEAL_WRITE (or
                             # F_SEAL_FUTURE_WRITE). Anything else (no seals,
                             # wrong size, an fd and inline bytes) breaks the
                             # protocol: the keeper drops that worker.
                             # Accepted only from the key's owner.
    kind @6 :UInt16;         # how the value's bytes are laid out (the
                             # worker's entry format, runtime/cache_entry.h):
                             # stored with the entry and given to every reader
  }

  struct Pin {
    id @0 :UInt64;           # echoed in the reply
    key @1 :CacheKey;
    offset @2 :UInt64;       # the value's offset in the arena file, and its
    size @3 :UInt64;         # size, as the worker's lookup saw them
  }

  struct Clear {
    union {
      all @0 :Void;
      function @1 :UInt32;
      key @2 :CacheKey;
    }
    id @3 :UInt64;           # the keeper replies ready with this id once
                             # cleared, so a lookup right after misses
  }
}

struct CacheReply {
  id @0 :UInt64;             # the claim's (or clear's) id
  union {
    compute @1 :Void;        # this worker owns the key: compute it, then
                             # publish or abandon. Also sent to a waiter
                             # whose owner died or abandoned (takeover).
    ready @2 :Void;          # the key was published (or its owner's value was
                             # not cacheable): look again; on a miss compute
                             # without publishing.
    pinned @3 :Void;         # the bytes stay as they are until unpin (the
                             # entry may still leave the index); the arena's
                             # sealed fd is attached, for a MAP_PRIVATE mapping
    refused @4 :Void;        # the key has another entry now, or none, or this
                             # worker holds too many pins: copy instead
  }
}
