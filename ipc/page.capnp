@0xfdca67b94335d9d6;
# What travels between the page and the broker. One WebSocket binary frame
# carries exactly one unpacked message (C++: capnp::messageToFlatArray;
# JS: new capnp.Message(buffer, false)). The worker produces ServerMessage
# itself; the broker forwards those frames without re-encoding them.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::ipc");

# ---- page -> broker --------------------------------------------------------

struct PageMessage {
  union {
    hello @0 :Hello;               # first message on every connection
    widgetChange @1 :WidgetChange; # the viewer changed a widget
    bye @2 :Void;                  # the tab is closing: end the session now
    uploadBegin @3 :UploadBegin;   # a file for a fileUploader widget follows
    uploadChunk @4 :UploadChunk;   # the next bytes of an upload, in order
    uploadEnd @5 :UInt32;          # every byte of this upload id was sent
    uploadCancel @6 :UInt32;       # the viewer gave up on this upload id
  }

  struct Hello {
    reconnectToken @0 :Text;       # empty: start a new session
  }
}

struct WidgetChange {
  widgetId @0 :Text;               # Widget.id as last sent by the worker
  value @1 :WidgetValue;
}

struct WidgetValue {
  union {
    clicked @0 :Void;              # button
    checked @1 :Bool;              # checkbox
    number @2 :Float64;            # slider, numberInput (exact up to 2^53)
    text @3 :Text;                 # textInput
    index @4 :Int32;               # selectbox, radio: index into options
    removeFile @5 :Text;           # fileUploader: UploadedFileInfo.id to drop
  }
}

# Uploads travel over the session's own WebSocket (no HTTP endpoint): begin,
# chunks with consecutive offsets, end. Upload ids are chosen by the page,
# unique per connection. The broker checks the stream (limit, order, sizes,
# how many at once) and forwards it to the worker without collecting it; the
# worker checks it against the widget (types, maxBytes) and keeps the bytes.
# Either answers with UploadStatus.
struct UploadBegin {
  uploadId @0 :UInt32;
  widgetId @1 :Text;               # a fileUploader Widget.id
  name @2 :Text;                   # the file's name, no directories
  type @3 :Text;                   # MIME type as the browser reports it
  size @4 :UInt64;                 # exactly this many bytes will follow
}

struct UploadChunk {
  uploadId @0 :UInt32;
  offset @1 :UInt64;               # bytes of this upload sent before this chunk
  data @2 :Data;
}

# ---- broker/worker -> page -------------------------------------------------

struct ServerMessage {
  union {
    session @0 :Session;           # the broker's answer to hello
    run @1 :RunUpdate;             # elements of one run, in order
    notice @2 :Notice;             # errors and endings, shown as a banner
    upload @3 :UploadStatus;       # how an upload of this page is doing
  }
}

struct Session {
  sessionId @0 :Text;
  reconnectToken @1 :Text;         # keep in memory; send in hello after a drop
  resumed @2 :Bool;                # true: same worker, state kept
  uploadChunkBytes @3 :UInt32;     # largest UploadChunk.data the page may send
  maxUploadBytes @4 :UInt64;       # --max-upload-mb: larger files are refused
}

struct UploadStatus {
  uploadId @0 :UInt32;
  widgetId @1 :Text;               # empty if the upload id was unknown
  state @2 :State;
  received @3 :UInt64;             # bytes accepted so far (progress)
  message @4 :Text;                # failed: why, for the viewer
  enum State {
    progress @0;                   # from the broker: `received` bytes passed on
    done @1;                       # from the worker: stored; a rerun follows
    failed @2;                     # refused or broken; its bytes were dropped
  }
}

# Elements live in containers addressed by paths. Roots: [0] main, [1] sidebar.
# An element at [r, i] is the i-th element of root r. A block element at path
# p owns its containers at p ++ [c], whatever its kind (`columns`: one per
# column; `expander`: one, c = 0), so the element at p ++ [c, i] is the i-th
# of container c. One rule for every kind: walking a path needs no kind.
struct RunUpdate {
  runId @0 :UInt64;
  started @1 :Bool;                # first update of this run: show "running"
  deltas @2 :List(Delta);          # set (create or replace) these elements
  finished @3 :Bool;               # last update of this run
  lengths @4 :List(ContainerLength); # with finished: drop children past these
}

struct Delta {
  path @0 :List(UInt32);
  element @1 :Element;
}

struct ContainerLength {
  path @0 :List(UInt32);
  length @1 :UInt32;
}

struct Notice {
  kind @0 :Kind;
  message @1 :Text;
  position @2 :UInt32;             # queued: 1 = next in line; 0 for other kinds
  enum Kind {
    badInput @0;                   # the last message was rejected; session goes on
    busy @1;                       # no free worker: retry later
    crashed @2;                    # the worker died; reload for a new session
    ended @3;                      # the session is over (expired, server stopping)
    queued @4;                     # every worker is in use: waiting in line at
                                   # `position`; sent again as it moves, then a
                                   # session answer (admitted) or busy (timed out)
    restarting @5;                 # the server is draining (SIGTERM): a run in
                                   # progress still finishes, then `ended` follows
  }
}

struct Element {
  union {
    title @0 :Text;
    header @1 :Text;
    subheader @2 :Text;
    markdown @3 :Text;             # CommonMark subset; rendered without raw HTML
    text @4 :Text;                 # preformatted-free plain text
    code @5 :Code;
    alert @6 :Alert;
    divider @7 :Void;
    exception @8 :ExceptionInfo;   # app code threw
    widget @9 :Widget;
    columns @10 :UInt32;           # block: this many column containers
    expander @11 :Expander;        # block: one container
    spinner @12 :Text;             # a cached function is computing: shows
                                   # this text beside a spinner until replaced
    caption @13 :Text;             # small, muted plain text (st::caption)
  }

  struct Code {
    source @0 :Text;
    language @1 :Text;
  }

  struct Alert {
    kind @0 :Kind;
    body @1 :Text;
    enum Kind {
      error @0;
      warning @1;
      info @2;
      success @3;
    }
  }

  struct ExceptionInfo {
    type @0 :Text;
    message @1 :Text;
  }

  struct Expander {
    label @0 :Text;
    expanded @1 :Bool;
  }
}

struct Widget {
  id @0 :Text;                     # echo in WidgetChange.widgetId
  label @1 :Text;                  # the control's accessible name
  union {
    button @2 :Void;
    checkbox @3 :Bool;             # current value
    slider @4 :NumberRange;
    numberInput @5 :NumberRange;
    textInput @6 :Text;            # current value
    selectbox @7 :Choice;
    radio @8 :Choice;
    fileUploader @9 :FileUploader;
  }
}

struct FileUploader {
  types @0 :List(Text);            # accepted extensions, lower case, with the
                                   # dot (".csv"); empty: any file
  multiple @1 :Bool;               # keeps several files; otherwise a new one
                                   # replaces the old
  maxBytes @2 :UInt64;             # per file: the widget's and the server's limit
  files @3 :List(UploadedFileInfo);
}

struct UploadedFileInfo {
  id @0 :Text;                     # echo in WidgetValue.removeFile
  name @1 :Text;
  size @2 :UInt64;
}

struct NumberRange {
  value @0 :Float64;
  min @1 :Float64;
  max @2 :Float64;
  step @3 :Float64;
  integer @4 :Bool;                # show and send whole numbers
}

struct Choice {
  options @0 :List(Text);
  index @1 :Int32;                 # -1: nothing selected
}
