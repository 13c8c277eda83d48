// The app side of one viewer's session (the broker side is
// broker::SessionRelay): runs the app on every interaction (Streamlit's rerun
// model), keeps widget values and session_state across runs, and streams
// elements to the page through a Channel. In a worker the channel is its
// socket to the broker; a unit test drives it through a fake channel, with no
// process or socket.
//
// Single-threaded. A widget change that arrives during a run is applied at the
// next st:: call, which ends the run with st::RerunSignal; the app then runs
// again with every change seen so far (latest wins, no queue of stale runs).
#pragma once

#include <capnp/message.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc/page.capnp.h"
#include "runtime/channel.h"
#include "runtime/containers.h"
#include "runtime/element_stream.h"
#include "runtime/query_targets.h"
#include "runtime/upload_store.h"
#include "runtime/widget_registry.h"
#include "sluice/app.hpp"
#include "sluice/session_state.hpp"

namespace sluice::runtime {

// Where an element of a run lives: what a live element's handle (st::empty's
// slot, st::progress, a chart's add_rows) keeps to set it again in place.
struct ElementRef {
  std::uint64_t run_id = 0;
  Path path;
  // How many places the run had set again (ForgetContent) when the handle
  // was made: an element whose place, or a block around it, was set again
  // since is gone, and its handle with it.
  std::uint64_t serial = 0;
  // An st::empty() slot's own ref: setting the slot again is what it is
  // for; only a block around it going away makes it stale.
  bool is_slot = false;
};

// What the process around the runner does at the edges of each run of the
// app (the worker arms its CPU watchdog), and once its session has gone
// idle (the worker gives back memory only a run needs). Empty in tests.
struct RunHooks {
  void (*before_run)() = nullptr;
  void (*after_run)() = nullptr;
  // Called once a started session has had no command and no run for
  // `idle_after`, then not again until the next command. The serve loop's
  // wait for that command is what times it: no thread, no timer. Null or
  // 0: never.
  void (*when_idle)() = nullptr;
  std::chrono::milliseconds idle_after{0};
};

class AppRunner {
 public:
  AppRunner(Channel& channel, st::AppFunction app, RunHooks hooks = {});
  AppRunner(const AppRunner&) = delete;
  AppRunner& operator=(const AppRunner&) = delete;

  // Serves commands until the channel's other end goes away (the channel
  // does not return then).
  [[noreturn]] void Serve();
  // One step of Serve(): waits for a command (calling hooks.when_idle if
  // none comes within hooks.idle_after), takes every other one already
  // there, and runs the app until no rerun is due.
  void ServeOne();

  // The session whose app is running. Throws std::logic_error when called
  // outside a run (say, from a static initializer of the app).
  static AppRunner& Current();
  static AppRunner* CurrentOrNull();

  // Every st:: call starts here: streams pending elements, picks up commands
  // from the broker, and throws st::RerunSignal once a rerun is due.
  void CheckInterrupt();
  // st::rerun(): end this run and start again.
  [[noreturn]] void RequestRerun();

  // Adds an element at the next position of the current container; `fill`
  // gets the ipc::Element::Builder. Returns the element's path. An element
  // kind that knows its identity without hashing (see ElementIdentity in
  // runtime/element_stream.h) passes it, and is then not hashed per rerun.
  template <class Fill>
  Path Emit(Fill&& fill, std::optional<ElementIdentity> identity = std::nullopt) {
    CheckInterrupt();
    capnp::MallocMessageBuilder message(kElementWords);
    auto element = message.initRoot<ipc::Element>();
    fill(element);
    return Place(element.asReader(), identity);
  }
  // The element at `path`, placed by this run, as a handle may keep it.
  ElementRef Ref(Path path) const { return {run_id_, std::move(path), forget_serial_}; }
  // Sets the element at `ref` again, in place (the page updates that
  // element; nothing else moves). Throws std::logic_error when `ref` is of
  // an earlier run (its place may hold another element now) or when called
  // inside a cached function (a replay could not know where it goes).
  // If the element there was a block (columns, expander), its containers
  // and what is in them go with it; throws std::logic_error when an open
  // scope is inside one of them.
  template <class Fill>
  void Replace(const ElementRef& ref, Fill&& fill,
               std::optional<ElementIdentity> identity = std::nullopt) {
    CheckInterrupt();
    CheckReplaceable(ref);
    capnp::MallocMessageBuilder message(kElementWords);
    auto element = message.initRoot<ipc::Element>();
    fill(element);
    // A slot gets new content; any other handle updates its own element.
    ForgetContent(ref.path, /*new_content=*/ref.is_slot);
    stream_.Put(ref.path, element.asReader(), identity);
  }
  // Throws what Replace(ref) would, without replacing anything (a handle
  // that must check before it changes its own state).
  void CheckReplaceable(const ElementRef& ref) const;
  // Replace() for a destructor (st::spinner's guard): never throws and
  // never ends the run; does nothing for a ref of another run, while the
  // run is being interrupted (its deltas are dropped anyway) or when the
  // element cannot be replaced. With `flush_now` the page gets it at once
  // (a spinner must stop even if the app then computes without st:: calls).
  template <class Fill>
  void ReplaceQuietly(const ElementRef& ref, Fill&& fill, bool flush_now = false) noexcept {
    if (ref.run_id != run_id_ || interrupted_ || !captures_.empty() || Stale(ref) ||
        containers_.InsideOf(ref.path)) {
      return;
    }
    try {
      capnp::MallocMessageBuilder message(kElementWords);
      auto element = message.initRoot<ipc::Element>();
      fill(element);
      containers_.Forget(ref.path);
      stream_.Put(ref.path, element.asReader());
      if (flush_now) stream_.FlushNow();
    } catch (...) {
      // Out of memory in a destructor: the element stays as it was.
    }
  }
  // Whether the page has yet to get the element at `ref` as last set (its
  // delta waits for the next stream interval). False for a ref of an
  // earlier run.
  bool Unsent(const ElementRef& ref) const {
    return ref.run_id == run_id_ && stream_.Unsent(ref.path);
  }

  // Aims the next element placed in the current container at the element
  // at `ref` (st::empty's slot): that element is replaced by it, in place,
  // instead of going to the next position. Elements placed in other
  // containers (a block's own, which the aimed element may open; the
  // sidebar) go where they go. A second element in the aim's container
  // while it lasts throws std::logic_error (a slot holds one element; a
  // block holds more). A cached function's spinner shown while the aim is
  // unused shows in the slot too. Aims nest. Returns the depth to give
  // EndAim. Throws as Replace() does for a ref it cannot replace.
  std::size_t AimAt(const ElementRef& ref);
  // Ends the aim at `depth` and any inside it; returns whether it took an
  // element. Never throws; aims ended out of order are ignored.
  bool EndAim(std::size_t depth) noexcept;
  // Sends the elements set so far now, not at the next stream interval (a
  // spinner must show before the long computation it announces).
  void FlushNow() { stream_.FlushNow(); }
  // Adds a copy of `element` (an element a cached function showed before).
  Path EmitCopy(ipc::Element::Reader element) {
    CheckInterrupt();
    return Place(element);
  }

  // Elements shown inside a cached function are recorded for its entry.
  // Captures nest; each gets the elements emitted while it is the innermost
  // or an outer one. REQUIRES: EndCapture in reverse order of BeginCapture.
  void BeginCapture();
  // The recorded elements: for each, its word count (uint32) then the words
  // of its canonical message.
  std::string EndCapture();
  void AbortCapture();

  // Shows `text` with a spinner at the next position, sent to the page at
  // once. The next element replaces it; HideSpinner() takes it back if none
  // came.
  void ShowSpinner(std::string_view text);
  void HideSpinner();

  // Blocks until `fd` is readable (true) or `deadline` passes (false) while
  // still serving the broker's commands; throws st::RerunSignal if a rerun
  // became due meanwhile.
  bool WaitReadable(int fd, std::chrono::steady_clock::time_point deadline =
                                std::chrono::steady_clock::time_point::max());

  ContainerTree& containers() { return containers_; }
  WidgetRegistry& widgets() { return widgets_; }
  st::SessionState& state() { return state_; }
  UploadStore& uploads() { return uploads_; }
  // Elements of this run and the last that answer the page's queries.
  QueryTargets& queries() { return queries_; }
  // --max-upload-mb, in bytes, as the broker said at start.
  std::uint64_t max_upload_bytes() const { return max_upload_bytes_; }

 private:
  static constexpr unsigned kElementWords = 128;
  static constexpr std::chrono::milliseconds kPollInterval{2};

  Command NextCommand();
  Path Place(ipc::Element::Reader element, std::optional<ElementIdentity> identity = std::nullopt);
  // Drops the containers of the element at `path` (it is being set again);
  // throws std::logic_error if an open scope is in one. With `new_content`
  // (a slot shows something else), also the query targets placed there,
  // and handles made before to what was there become stale.
  void ForgetContent(const Path& path, bool new_content = true);
  // Whether the place of `ref`, or a block around it, was set again after
  // the handle was made.
  bool Stale(const ElementRef& ref) const;
  struct Aim {
    Path slot;       // where the next element goes
    Path container;  // the container current when the aim began
    bool used = false;
  };
  // The innermost aim if the current container is its container.
  Aim* ActiveAim();
  void Handle(Command command);
  void DrainPending();
  void ApplyChange(const WidgetChangeCommand& change);
  void BeginUpload(const UploadBeginCommand& begin);
  void AppendUpload(const UploadChunkCommand& chunk);
  void FinishUpload(std::uint32_t upload_id);
  void SendUploadStatus(std::uint32_t upload_id, std::string_view widget_id,
                        ipc::UploadStatus::State state, std::string_view message);
  void HandleQuery(const QueryCommand& query);
  void AnswerDeferredQueries();
  void RunUntilSettled();
  void RunOnce();
  void ShowException(std::string_view type, std::string_view message);
  void SendNotice(ipc::Notice::Kind kind, std::string_view message);

  Channel& channel_;
  st::AppFunction app_;
  RunHooks hooks_;
  ElementStream stream_;
  ContainerTree containers_;
  WidgetRegistry widgets_;
  st::SessionState state_;
  UploadStore uploads_;
  QueryTargets queries_;
  // Queries whose answer runs app code (a download's callable), held until
  // the run ends.
  std::vector<QueryCommand> deferred_queries_;
  std::uint64_t max_upload_bytes_ = 0;
  std::vector<st::Callback> pending_callbacks_;
  std::string session_id_;
  std::uint64_t run_id_ = 0;
  bool started_ = false;
  bool rerun_needed_ = false;
  bool interrupted_ = false;
  std::chrono::steady_clock::time_point next_poll_;
  // The elements each open capture recorded, innermost last; shared with
  // the stream, laid out as bytes only when the capture ends.
  std::vector<std::vector<std::shared_ptr<const CanonicalElement>>> captures_;
  // Places set again this run (ForgetContent), with the serial of the
  // latest time: what makes older handles to them stale.
  std::map<Path, std::uint64_t> forgotten_;
  std::uint64_t forget_serial_ = 0;
  std::optional<Path> spinner_;
  bool spinner_in_slot_ = false;  // shown at an aim's slot, not taken back
  std::vector<Aim> aims_;         // innermost last
};

}  // namespace sluice::runtime
