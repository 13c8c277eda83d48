@0xc69e37b6658aa502;
# Broker -> worker commands over the session's Unix stream socket, framed as
# Cap'n Proto stream messages (see framing.h). The worker answers with
# page.capnp ServerMessage frames, which the broker forwards to the page as-is.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::ipc");

using Page = import "page.capnp";

struct WorkerCommand {
  union {
    start @0 :Start;                    # a viewer took this worker: run the app
    widgetChange @1 :Page.WidgetChange; # checked for shape by the broker only
    resync @2 :Void;                    # the page reconnected: rerun, resend all
    uploadBegin @3 :Page.UploadBegin;   # the broker checked it against the limit
    uploadChunk @4 :Page.UploadChunk;   # in order: offset is what came before
    uploadEnd @5 :UInt32;               # all declared bytes of this id were sent
    uploadAbort @6 :UInt32;             # drop this id's bytes (cancel, broken
                                        # stream, page gone)
    query @7 :Page.Query;               # checked for shape and rate by the broker
  }

  struct Start {
    sessionId @0 :Text;
    maxUploadBytes @1 :UInt64;          # --max-upload-mb, for the widgets to show
  }
}
