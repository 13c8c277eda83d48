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
    query @7 :Query;               # ask a shown element for data (no rerun)
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

# Queries ask an element the worker showed for data the page does not have
# (a dataframe's rows, a download button's bytes), without a rerun. The
# worker answers each query with QueryReply messages carrying its queryId:
# one for rows, one or more for a download (the last has `done`), exactly
# one `error` for a query it refuses (an element that is gone, a window out
# of range or too large), which changes nothing else. Between runs a query
# is answered at once; during a run, at the app's next st:: call (a
# download's callable waits for the run to end). The broker bounds how many
# queries a page may send per second (an excess one is answered with an
# error by the broker itself).
struct Query {
  queryId @0 :UInt32;              # chosen by the page, echoed in replies
  elementId @1 :Text;              # the element's id as last sent
  union {
    rows @2 :RowsQuery;            # a dataframe's rows
    download @3 :Void;             # a downloadButton's bytes
    points @4 :PointsQuery;        # a chart's points over an x range
  }
}

struct RowsQuery {
  begin @0 :UInt64;                # first row of the window, in shown order
  count @1 :UInt32;                # rows wanted; at most DataFrame.maxWindowRows
  sortColumn @2 :Int32;            # -1: the frame's own order; else sort by
                                   # this column (nulls last), in the worker
  descending @3 :Bool;
}

# The points of a chart between xMin and xMax (inclusive), reduced for a
# plot `pixels` wide: every point when there are few enough, else per pixel
# column the first, last, lowest and highest point of each series (M4),
# which draws the same picture.
struct PointsQuery {
  xMin @0 :Float64;
  xMax @1 :Float64;
  pixels @2 :UInt32;               # the plot's width in CSS pixels, 1..8192
}

# ---- broker/worker -> page -------------------------------------------------

struct ServerMessage {
  union {
    session @0 :Session;           # the broker's answer to hello
    run @1 :RunUpdate;             # elements of one run, in order
    notice @2 :Notice;             # errors and endings, shown as a banner
    upload @3 :UploadStatus;       # how an upload of this page is doing
    reply @4 :QueryReply;          # an answer to one of the page's queries
  }
}

struct QueryReply {
  queryId @0 :UInt32;
  elementId @1 :Text;
  union {
    error @2 :Text;                # refused or failed: why, for the viewer
    rows @3 :Rows;
    download @4 :DownloadChunk;
    points @5 :ChartPoints;
  }
}

struct DownloadChunk {
  offset @0 :UInt64;               # bytes of the file sent before this chunk
  size @1 :UInt64;                 # the whole file's size
  data @2 :Data;
  done @3 :Bool;                   # the last chunk: save the file
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
    dataframe @14 :DataFrame;      # an interactive grid; rows by query
    table @15 :Table;              # a static table with every row it shows
    metric @16 :Metric;
    json @17 :Json;
    downloadButton @18 :DownloadButton;
    chart @19 :Chart;              # line/area/bar/scatter; points by query
    vegaLiteChart @20 :VegaLiteChart;
    image @21 :Image;
    progress @22 :Progress;        # a bar (st::progress), updated in place
    empty @23 :Void;               # shows nothing: st::empty() before it is
                                   # filled, a spinner guard's place after it
    toast @24 :Toast;              # a transient notice over the page
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

# Cell values of some rows of a frame, column by column.
struct Rows {
  begin @0 :UInt64;                # shown-order index of the first row
  sortColumn @1 :Int32;            # the order they are in (as in RowsQuery)
  descending @2 :Bool;
  columns @3 :List(Cells);         # one per column, each as many rows long
}

struct Cells {
  nulls @0 :List(Bool);            # empty: no null among these rows
  union {
    int64 @1 :List(Int64);
    float64 @2 :List(Float64);
    bool @3 :List(Bool);
    string @4 :List(Text);         # a cell longer than 1 KiB is cut there
    timestamp @5 :List(Int64);     # nanoseconds since the Unix epoch, UTC
  }
}

enum ColumnType {
  int64 @0;
  float64 @1;
  bool @2;
  string @3;
  timestamp @4;
}

struct ColumnInfo {
  name @0 :Text;
  type @1 :ColumnType;
}

struct DataFrame {
  id @0 :Text;                     # Query.elementId for its rows
  generation @1 :UInt64;           # changes when the frame shown changes:
                                   # rows fetched before are stale
  rowCount @2 :UInt64;
  columns @3 :List(ColumnInfo);
  height @4 :UInt32;               # pixels; 0: the page's default
  first @5 :Rows;                  # the first rows, in the frame's own order,
                                   # so the first paint needs no query
  maxWindowRows @6 :UInt32;        # the largest RowsQuery.count answered
}

struct Table {
  columns @0 :List(ColumnInfo);
  rows @1 :Rows;                   # every row shown, from row 0
  omittedRows @2 :UInt64;          # rows past the limit, not shown
}

struct Metric {
  label @0 :Text;
  value @1 :Text;
  delta @2 :Text;                  # empty: none; a leading '-' means down
  deltaColor @3 :DeltaColor;
  enum DeltaColor {
    normal @0;                     # up green, down red
    inverse @1;                    # up red, down green
    off @2;                        # gray
  }
}

struct Json {
  text @0 :Text;                   # valid JSON (checked by the worker)
  expanded @1 :Bool;               # shown open to every depth at first
}

struct DownloadButton {
  id @0 :Text;                     # Query.elementId for its bytes
  label @1 :Text;
  fileName @2 :Text;               # what the browser saves it as
  mime @3 :Text;
  size @4 :UInt64;                 # bytes when known before a click; 0 unknown
}

# A chart's points: x and, per series, y at the same index. NaN in a y is
# no value there (a gap in a line). Points are in x order.
struct ChartPoints {
  xMin @0 :Float64;                # the range these points cover
  xMax @1 :Float64;
  pixels @2 :UInt32;               # the width they were reduced for
  full @3 :Bool;                   # every point of the range is here
  x @4 :List(Float64);             # timestamps: milliseconds since the epoch
  y @5 :List(List(Float64));       # one list per series, as long as x
}

struct Chart {
  id @0 :Text;                     # Query.elementId for its points
  kind @1 :Kind;
  enum Kind {
    line @0;
    area @1;
    bar @2;
    scatter @3;
  }
  height @2 :UInt32;               # pixels; 0: the page's default
  xLabel @3 :Text;                 # the x column's name; empty: row index
  xTime @4 :Bool;                  # x holds timestamps (shown as dates)
  series @5 :List(Text);           # the y columns' names, one per series
  rowCount @6 :UInt64;             # points per series, all of them
  view @7 :ChartPoints;            # the whole x range, reduced for the
                                   # default width (no query for a first paint)
  tailBegin @8 :UInt64;            # add_rows: `tail` holds the points of rows
  tail @9 :ChartPoints;            # [tailBegin, rowCount), appended since the
                                   # chart was first sent; empty otherwise
}

struct VegaLiteChart {
  spec @0 :Text;                   # a Vega-Lite spec (JSON, checked by the
                                   # worker); its data is the dataset below
  columns @1 :List(ColumnInfo);    # the dataset's columns
  cells @2 :List(Cells);           # every row of each column
  height @3 :UInt32;               # pixels; 0: the spec's own
}

struct Image {
  data @0 :Data;                   # encoded bytes, shown through an <img>
  mime @1 :Text;                   # image/png, image/jpeg, image/webp,
                                   # image/gif or image/svg+xml
  caption @2 :Text;                # shown under it; also its alt text
  width @3 :UInt32;                # CSS pixels; 0: natural, at most the column
  pixelWidth @4 :UInt32;           # the image's own size when known; 0 else
  pixelHeight @5 :UInt32;
}

struct Progress {
  fraction @0 :Float64;            # 0..1
  text @1 :Text;
}

struct Toast {
  text @0 :Text;
  icon @1 :Text;                   # an emoji or empty
}
