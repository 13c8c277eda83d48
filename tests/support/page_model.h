// What the page shows, rebuilt from ServerMessages exactly as web/ does it:
// a delta sets (creates or replaces) the element at its path; a finished
// update's lengths drop the children past them. Tests query it like a viewer
// reads the page.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "ipc/page.capnp.h"
#include "tests/support/deadline.h"
#include "tests/support/owned_message.h"
#include "tests/support/ws_client.h"

namespace sluice::testing {

struct WidgetInfo {
  std::string id;
  std::string label;
  ipc::Widget::Which kind = ipc::Widget::BUTTON;
  double number = 0, min = 0, max = 0, step = 0;  // slider, numberInput
  bool integer = false;
  bool checked = false;              // checkbox
  std::string text;                  // textInput
  int32_t index = -1;                // selectbox, radio
  std::vector<std::string> options;  // selectbox, radio
  // fileUploader
  std::vector<std::string> types;
  bool multiple = false;
  uint64_t max_bytes = 0;
  struct File {
    std::string id;
    std::string name;
    uint64_t size = 0;
  };
  std::vector<File> files;
};

struct UploadStatusInfo {
  uint32_t upload_id = 0;
  std::string widget_id;
  ipc::UploadStatus::State state = ipc::UploadStatus::State::PROGRESS;
  uint64_t received = 0;
  std::string message;
};

struct ShownException {
  std::string type;
  std::string message;
};

struct NoticeInfo {
  ipc::Notice::Kind kind;
  std::string message;
  uint32_t position = 0;  // queued: the place in line
};

struct SessionInfo {
  std::string session_id;
  std::string reconnect_token;
  bool resumed = false;
  uint32_t upload_chunk_bytes = 0;
  uint64_t max_upload_bytes = 0;
};

using ElementPath = std::vector<uint32_t>;

// One element as a viewer finds it: where, which kind (its schema member's
// name, as runtime/element_kinds.h registers it) and the text it shows.
struct ShownElement {
  ElementPath path;
  std::string kind;
  std::string text;  // empty for kinds that show no text
};

class PageModel {
 public:
  // Records a session answer or notice; applies a run update.
  void Apply(ipc::ServerMessage::Reader message);
  void ApplyRun(ipc::RunUpdate::Reader run);

  // Every visible element in document order (main, then sidebar; a block's
  // children right after it).
  void ForEachElement(
      const std::function<void(const ElementPath&, ipc::Element::Reader)>& visit) const;

  // The text of text-bearing elements (title, headers, markdown, text, code,
  // alerts) in document order; TextsIn(1) only the sidebar's.
  std::vector<std::string> Texts() const;
  std::vector<std::string> TextsIn(uint32_t root) const;
  bool HasText(std::string_view substring) const;
  std::optional<std::string> TextStartingWith(std::string_view prefix) const;
  std::optional<ElementPath> PathOfText(std::string_view text) const;  // exact match
  std::optional<WidgetInfo> FindWidget(std::string_view label) const;  // first with label
  std::vector<WidgetInfo> FindWidgets(std::string_view label) const;   // all, in page order
  std::vector<ShownException> Exceptions() const;
  // Every shown element of `kind` ("title", "caption", "widget"...), in page order.
  std::vector<ShownElement> FindElements(std::string_view kind) const;

  const std::optional<SessionInfo>& session() const { return session_; }
  const std::vector<NoticeInfo>& notices() const { return notices_; }
  // Every UploadStatus received, in order.
  const std::vector<UploadStatusInfo>& upload_statuses() const { return upload_statuses_; }
  // Every QueryReply received to query `query_id`, in order.
  std::vector<ipc::QueryReply::Reader> RepliesTo(uint32_t query_id) const;
  // Whether query `query_id` has had its last reply (an error, rows, or the
  // download chunk with done).
  bool Answered(uint32_t query_id) const;
  // The file a download query's chunks make up, checked as the page uses
  // them (consecutive offsets, one size, done last); its error reply's
  // text as a FailedPrecondition status; Internal for a broken stream.
  absl::StatusOr<std::string> Downloaded(uint32_t query_id) const;
  std::optional<uint64_t> last_finished_run() const { return last_finished_run_; }
  int finished_runs() const { return finished_runs_; }
  // Updates that broke the page protocol (a delta outside any container, an
  // absurd index); a correct server never causes any.
  const std::vector<std::string>& protocol_errors() const { return protocol_errors_; }

  // An outline of the page and the notices, for failure messages.
  std::string DebugString() const;

  // Receives and applies messages until a run update with `finished`. Fails
  // on the deadline, a closed connection, or a notice other than badInput
  // or queued (crashed, busy, ended: no run is coming); the notice is
  // recorded.
  absl::Status RunUntilFinished(WsClient& client, Deadline deadline = After(kStepTimeout));
  // Receives and applies messages until a notice arrives, and returns it.
  absl::StatusOr<NoticeInfo> ReceiveUntilNotice(WsClient& client,
                                                Deadline deadline = After(kStepTimeout));
  // Receives and applies messages until an UploadStatus for `upload_id`
  // that is done or failed (progress is recorded and skipped), and returns it.
  absl::StatusOr<UploadStatusInfo> ReceiveUntilUploadSettled(
      WsClient& client, uint32_t upload_id, Deadline deadline = After(kStepTimeout));
  // Receives and applies messages until query `query_id` is answered.
  absl::Status ReceiveUntilAnswered(WsClient& client, uint32_t query_id,
                                    Deadline deadline = After(kStepTimeout));
  // Receives and applies messages until the server closes the connection;
  // returns the close code (1006 if it closed without a close frame).
  absl::StatusOr<uint16_t> ReceiveUntilClosed(WsClient& client,
                                              Deadline deadline = After(kStepTimeout));

 private:
  // Receives and applies messages until `done` says the last one was what
  // the caller waits for. Fails on the deadline or a closed connection
  // ("... before `what`").
  absl::Status ApplyUntil(WsClient& client, Deadline deadline, const std::string& what,
                          absl::FunctionRef<bool(ipc::ServerMessage::Reader)> done);

  struct Node {
    std::optional<Owned<ipc::Element>> element;  // empty for a bare container
    std::vector<Node> children;
  };
  // The node at `path`, created with any missing ancestors; null (and a
  // protocol error recorded) if the path is unusable.
  Node* NodeAt(capnp::List<uint32_t>::Reader path, size_t min_size);
  void VisitContainer(
      const Node& container, ElementPath& path,
      const std::function<void(const ElementPath&, ipc::Element::Reader)>& visit) const;

  std::vector<Node> roots_;  // [0] main, [1] sidebar
  std::optional<SessionInfo> session_;
  std::vector<NoticeInfo> notices_;
  std::vector<UploadStatusInfo> upload_statuses_;
  std::vector<Owned<ipc::QueryReply>> replies_;
  std::optional<uint64_t> last_finished_run_;
  int finished_runs_ = 0;
  std::vector<std::string> protocol_errors_;
};

// "badInput", "busy", "crashed", "ended", "queued".
std::string NoticeKindName(ipc::Notice::Kind kind);

// The text a viewer reads in `element`, as its kind's registration says
// (runtime/element_kinds.h); nullopt for kinds that show none.
std::optional<std::string> ElementText(ipc::Element::Reader element);

}  // namespace sluice::testing
