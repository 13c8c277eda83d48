// One viewer's session, inside its own worker process: runs the app on every
// interaction (Streamlit's rerun model), keeps widget values and
// session_state across runs, and streams elements to the page.
//
// Single-threaded. A widget change that arrives during a run is applied at the
// next st:: call, which ends the run with st::RerunSignal; the app then runs
// again with every change seen so far (latest wins, no queue of stale runs).
#pragma once

#include <capnp/message.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipc/page.capnp.h"
#include "sluice/app.hpp"
#include "sluice/session_state.hpp"
#include "worker/channel.h"
#include "worker/containers.h"
#include "worker/element_stream.h"
#include "worker/upload_store.h"
#include "worker/widget_registry.h"

namespace sluice::worker {

class Session {
 public:
  Session(BrokerChannel& channel, st::AppFunction app);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Serves commands until the broker goes away, then exits the process.
  [[noreturn]] void Serve();

  // The session whose app is running. Throws std::logic_error when called
  // outside a run (say, from a static initializer of the app).
  static Session& Current();
  static Session* CurrentOrNull();

  // Every st:: call starts here: streams pending elements, picks up commands
  // from the broker, and throws st::RerunSignal once a rerun is due.
  void CheckInterrupt();
  // st::rerun(): end this run and start again.
  [[noreturn]] void RequestRerun();

  // Adds an element at the next position of the current container; `fill`
  // gets the ipc::Element::Builder. Returns the element's path.
  template <class Fill>
  Path Emit(Fill&& fill) {
    CheckInterrupt();
    capnp::MallocMessageBuilder message(kElementWords);
    auto element = message.initRoot<ipc::Element>();
    fill(element);
    return Place(element.asReader());
  }
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
  // --max-upload-mb, in bytes, as the broker said at start.
  std::uint64_t max_upload_bytes() const { return max_upload_bytes_; }

 private:
  static constexpr unsigned kElementWords = 128;
  static constexpr std::chrono::milliseconds kPollInterval{2};

  Path Place(ipc::Element::Reader element);
  void Handle(Command command);
  void DrainPending();
  void ApplyChange(const WidgetChangeCommand& change);
  void BeginUpload(const UploadBeginCommand& begin);
  void AppendUpload(const UploadChunkCommand& chunk);
  void FinishUpload(std::uint32_t upload_id);
  void SendUploadStatus(std::uint32_t upload_id, std::string_view widget_id,
                        ipc::UploadStatus::State state, std::string_view message);
  void RunUntilSettled();
  void RunOnce();
  void ShowException(std::string_view type, std::string_view message);
  void SendNotice(ipc::Notice::Kind kind, std::string_view message);

  BrokerChannel& channel_;
  st::AppFunction app_;
  ElementStream stream_;
  ContainerTree containers_;
  WidgetRegistry widgets_;
  st::SessionState state_;
  UploadStore uploads_;
  std::uint64_t max_upload_bytes_ = 0;
  std::vector<st::Callback> pending_callbacks_;
  std::string session_id_;
  std::uint64_t run_id_ = 0;
  bool started_ = false;
  bool rerun_needed_ = false;
  bool interrupted_ = false;
  std::chrono::steady_clock::time_point next_poll_;
  std::vector<std::string> captures_;  // innermost last
  std::optional<Path> spinner_;
};

// Serves one session on `fd` (the worker's end of its session socket) with
// `app`, and never returns.
[[noreturn]] void ServeSession(UniqueFd fd, st::AppFunction app, size_t max_message_bytes);

}  // namespace sluice::worker
