#include "tests/support/page_model.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ipc/text.h"
#include "runtime/element_kinds.h"

namespace sluice::testing {
namespace {

// Far beyond any test app; stops a broken index from exhausting memory.
constexpr uint32_t kMaxIndex = 100000;

// Every byte of a Text (its implicit std::string conversion stops at a NUL).
std::string Str(capnp::Text::Reader text) { return std::string(ipc::ViewOf(text)); }

std::string PathString(const ElementPath& path) {
  return absl::StrCat("[", absl::StrJoin(path, ","), "]");
}

}  // namespace

std::string NoticeKindName(ipc::Notice::Kind kind) {
  switch (kind) {
    case ipc::Notice::Kind::BAD_INPUT:
      return "badInput";
    case ipc::Notice::Kind::BUSY:
      return "busy";
    case ipc::Notice::Kind::CRASHED:
      return "crashed";
    case ipc::Notice::Kind::QUEUED:
      return "queued";
    case ipc::Notice::Kind::ENDED:
      return "ended";
    case ipc::Notice::Kind::RESTARTING:
      return "restarting";
  }
  return "unknown";
}

std::optional<std::string> ElementText(ipc::Element::Reader element) {
  const runtime::ElementKind* kind = runtime::FindElementKind(element.which());
  if (kind == nullptr || kind->text == nullptr) return std::nullopt;
  return kind->text(element);
}

PageModel::Node* PageModel::NodeAt(capnp::List<uint32_t>::Reader path, size_t min_size) {
  if (path.size() < min_size) {
    protocol_errors_.push_back(absl::StrCat("path of length ", path.size(), " is too short"));
    return nullptr;
  }
  for (uint32_t index : path) {
    if (index > kMaxIndex) {
      protocol_errors_.push_back(absl::StrCat("path index ", index, " is absurd"));
      return nullptr;
    }
  }
  if (roots_.size() <= path[0]) roots_.resize(path[0] + 1);
  Node* node = &roots_[path[0]];
  for (size_t i = 1; i < path.size(); ++i) {
    if (node->children.size() <= path[i]) node->children.resize(path[i] + 1);
    node = &node->children[path[i]];
  }
  return node;
}

void PageModel::Apply(ipc::ServerMessage::Reader message) {
  switch (message.which()) {
    case ipc::ServerMessage::SESSION: {
      auto session = message.getSession();
      session_ = SessionInfo{Str(session.getSessionId()), Str(session.getReconnectToken()),
                             session.getResumed(), session.getUploadChunkBytes(),
                             session.getMaxUploadBytes()};
      break;
    }
    case ipc::ServerMessage::UPLOAD: {
      auto upload = message.getUpload();
      upload_statuses_.push_back({upload.getUploadId(), Str(upload.getWidgetId()),
                                  upload.getState(), upload.getReceived(),
                                  Str(upload.getMessage())});
      break;
    }
    case ipc::ServerMessage::RUN:
      ApplyRun(message.getRun());
      break;
    case ipc::ServerMessage::REPLY:
      replies_.emplace_back(message.getReply());
      break;
    case ipc::ServerMessage::NOTICE: {
      auto notice = message.getNotice();
      notices_.push_back({notice.getKind(), Str(notice.getMessage()), notice.getPosition()});
      break;
    }
    default:
      protocol_errors_.push_back("a ServerMessage of an unknown kind");
  }
}

// Whether the page updates `old` into `next` in place, keeping its
// children (web/src/kinds.js: same kind key; columns.js: same count).
// Otherwise it rebuilds the element, and the children go with the old one.
bool UpdatedInPlace(ipc::Element::Reader old, ipc::Element::Reader next) {
  if (old.which() != next.which()) return false;
  if (old.isColumns()) return old.getColumns() == next.getColumns();
  if (old.isWidget()) return old.getWidget().which() == next.getWidget().which();
  return true;
}

void PageModel::ApplyRun(ipc::RunUpdate::Reader run) {
  for (ipc::Delta::Reader delta : run.getDeltas()) {
    // An element lives inside a container, so its path has at least 2 parts.
    Node* node = NodeAt(delta.getPath(), 2);
    if (node == nullptr) continue;
    if (node->element && !UpdatedInPlace(node->element->get(), delta.getElement())) {
      node->children.clear();
    }
    node->element.emplace(delta.getElement());
  }
  if (!run.getFinished()) return;
  for (ipc::ContainerLength::Reader length : run.getLengths()) {
    Node* node = NodeAt(length.getPath(), 1);
    if (node && node->children.size() > length.getLength()) {
      node->children.resize(length.getLength());
    }
  }
  last_finished_run_ = run.getRunId();
  ++finished_runs_;
}

void PageModel::VisitContainer(
    const Node& container, ElementPath& path,
    const std::function<void(const ElementPath&, ipc::Element::Reader)>& visit) const {
  for (uint32_t i = 0; i < container.children.size(); ++i) {
    const Node& child = container.children[i];
    if (!child.element) continue;
    path.push_back(i);
    ipc::Element::Reader element = child.element->get();
    visit(path, element);
    // A block's containers are at path ++ [c] (whatever its kind).
    for (uint32_t c = 0; c < child.children.size(); ++c) {
      path.push_back(c);
      VisitContainer(child.children[c], path, visit);
      path.pop_back();
    }
    path.pop_back();
  }
}

void PageModel::ForEachElement(
    const std::function<void(const ElementPath&, ipc::Element::Reader)>& visit) const {
  for (uint32_t r = 0; r < roots_.size(); ++r) {
    ElementPath path{r};
    VisitContainer(roots_[r], path, visit);
  }
}

std::vector<std::string> PageModel::Texts() const {
  std::vector<std::string> texts;
  ForEachElement([&](const ElementPath&, ipc::Element::Reader element) {
    if (auto text = ElementText(element)) texts.push_back(*std::move(text));
  });
  return texts;
}

std::vector<std::string> PageModel::TextsIn(uint32_t root) const {
  std::vector<std::string> texts;
  ForEachElement([&](const ElementPath& path, ipc::Element::Reader element) {
    if (path[0] != root) return;
    if (auto text = ElementText(element)) texts.push_back(*std::move(text));
  });
  return texts;
}

bool PageModel::HasText(std::string_view substring) const {
  for (const std::string& text : Texts()) {
    if (text.find(substring) != std::string::npos) return true;
  }
  return false;
}

std::optional<std::string> PageModel::TextStartingWith(std::string_view prefix) const {
  for (const std::string& text : Texts()) {
    if (text.starts_with(prefix)) return text;
  }
  return std::nullopt;
}

std::optional<ElementPath> PageModel::PathOfText(std::string_view wanted) const {
  std::optional<ElementPath> found;
  ForEachElement([&](const ElementPath& path, ipc::Element::Reader element) {
    if (!found && ElementText(element) == wanted) found = path;
  });
  return found;
}

std::optional<WidgetInfo> PageModel::FindWidget(std::string_view label) const {
  std::vector<WidgetInfo> found = FindWidgets(label);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<WidgetInfo> PageModel::FindWidgets(std::string_view label) const {
  std::vector<WidgetInfo> found;
  ForEachElement([&](const ElementPath&, ipc::Element::Reader element) {
    if (element.which() != ipc::Element::WIDGET) return;
    ipc::Widget::Reader widget = element.getWidget();
    if (ipc::ViewOf(widget.getLabel()) != label) return;
    WidgetInfo info;
    info.id = Str(widget.getId());
    info.label = Str(widget.getLabel());
    info.kind = widget.which();
    auto read_range = [&](ipc::NumberRange::Reader range) {
      info.number = range.getValue();
      info.min = range.getMin();
      info.max = range.getMax();
      info.step = range.getStep();
      info.integer = range.getInteger();
    };
    auto read_choice = [&](ipc::Choice::Reader choice) {
      info.index = choice.getIndex();
      for (capnp::Text::Reader option : choice.getOptions()) info.options.push_back(Str(option));
    };
    switch (widget.which()) {
      case ipc::Widget::CHECKBOX:
        info.checked = widget.getCheckbox();
        break;
      case ipc::Widget::SLIDER:
        read_range(widget.getSlider());
        break;
      case ipc::Widget::NUMBER_INPUT:
        read_range(widget.getNumberInput());
        break;
      case ipc::Widget::TEXT_INPUT:
        info.text = Str(widget.getTextInput());
        break;
      case ipc::Widget::SELECTBOX:
        read_choice(widget.getSelectbox());
        break;
      case ipc::Widget::RADIO:
        read_choice(widget.getRadio());
        break;
      case ipc::Widget::FILE_UPLOADER: {
        auto uploader = widget.getFileUploader();
        for (capnp::Text::Reader type : uploader.getTypes()) info.types.push_back(Str(type));
        info.multiple = uploader.getMultiple();
        info.max_bytes = uploader.getMaxBytes();
        for (auto file : uploader.getFiles()) {
          info.files.push_back({Str(file.getId()), Str(file.getName()), file.getSize()});
        }
        break;
      }
      default:
        break;
    }
    found.push_back(std::move(info));
  });
  return found;
}

std::vector<ShownElement> PageModel::FindElements(std::string_view kind) const {
  std::vector<ShownElement> found;
  ForEachElement([&](const ElementPath& path, ipc::Element::Reader element) {
    if (runtime::ElementKindName(element.which()) != kind) return;
    found.push_back({path, std::string(kind), ElementText(element).value_or("")});
  });
  return found;
}

std::vector<ShownException> PageModel::Exceptions() const {
  std::vector<ShownException> shown;
  ForEachElement([&](const ElementPath&, ipc::Element::Reader element) {
    if (element.which() != ipc::Element::EXCEPTION) return;
    shown.push_back(
        {Str(element.getException().getType()), Str(element.getException().getMessage())});
  });
  return shown;
}

std::string PageModel::DebugString() const {
  std::string out = "page:\n";
  ForEachElement([&](const ElementPath& path, ipc::Element::Reader element) {
    std::string text = element.toString().flatten().cStr();
    if (text.size() > 200)
      text = absl::StrCat(text.substr(0, 200), "... (", text.size(), " chars)");
    absl::StrAppend(&out, "  ", PathString(path), " ",
                    std::string(runtime::ElementKindName(element.which())), " ", text, "\n");
  });
  for (const NoticeInfo& notice : notices_) {
    absl::StrAppend(&out, "notice ", NoticeKindName(notice.kind), ": ", notice.message, "\n");
  }
  for (const UploadStatusInfo& upload : upload_statuses_) {
    if (upload.state == ipc::UploadStatus::State::PROGRESS) continue;
    absl::StrAppend(&out, "upload ", upload.upload_id, " ",
                    upload.state == ipc::UploadStatus::State::DONE ? "done" : "failed", ": ",
                    upload.message, "\n");
  }
  for (const std::string& error : protocol_errors_) {
    absl::StrAppend(&out, "protocol error: ", error, "\n");
  }
  return out;
}

absl::Status PageModel::ApplyUntil(WsClient& client, Deadline deadline, const std::string& what,
                                   absl::FunctionRef<bool(ipc::ServerMessage::Reader)> done) {
  while (true) {
    absl::StatusOr<Incoming> incoming = client.Receive(deadline);
    if (!incoming.ok()) return incoming.status();
    if (incoming->closed) {
      return absl::UnavailableError(absl::StrCat("connection closed with code ",
                                                 incoming->close_code, " (", incoming->close_reason,
                                                 ") before ", what));
    }
    ipc::ServerMessage::Reader message = incoming->message->get();
    Apply(message);
    if (done(message)) return absl::OkStatus();
  }
}

absl::Status PageModel::RunUntilFinished(WsClient& client, Deadline deadline) {
  absl::Status notice = absl::OkStatus();
  absl::Status received =
      ApplyUntil(client, deadline, "a run finished", [&](ipc::ServerMessage::Reader message) {
        if (message.isNotice() && message.getNotice().getKind() != ipc::Notice::Kind::BAD_INPUT &&
            message.getNotice().getKind() != ipc::Notice::Kind::QUEUED) {
          notice = absl::FailedPreconditionError(
              absl::StrCat("notice ", NoticeKindName(message.getNotice().getKind()), ": ",
                           message.getNotice().getMessage().cStr()));
          return true;
        }
        return message.isRun() && message.getRun().getFinished();
      });
  return received.ok() ? notice : received;
}

absl::StatusOr<NoticeInfo> PageModel::ReceiveUntilNotice(WsClient& client, Deadline deadline) {
  absl::Status received = ApplyUntil(client, deadline, "a notice",
                                     [](ipc::ServerMessage::Reader m) { return m.isNotice(); });
  if (!received.ok()) return received;
  return notices_.back();
}

absl::StatusOr<UploadStatusInfo> PageModel::ReceiveUntilUploadSettled(WsClient& client,
                                                                      uint32_t upload_id,
                                                                      Deadline deadline) {
  absl::Status received =
      ApplyUntil(client, deadline, absl::StrCat("upload ", upload_id, " settled"),
                 [&](ipc::ServerMessage::Reader message) {
                   return message.isUpload() && message.getUpload().getUploadId() == upload_id &&
                          message.getUpload().getState() != ipc::UploadStatus::State::PROGRESS;
                 });
  if (!received.ok()) return received;
  return upload_statuses_.back();
}

absl::StatusOr<uint16_t> PageModel::ReceiveUntilClosed(WsClient& client, Deadline deadline) {
  while (true) {
    absl::StatusOr<Incoming> incoming = client.Receive(deadline);
    if (!incoming.ok()) return incoming.status();
    if (incoming->closed) return incoming->close_code;
    Apply(incoming->message->get());
  }
}

std::vector<ipc::QueryReply::Reader> PageModel::RepliesTo(uint32_t query_id) const {
  std::vector<ipc::QueryReply::Reader> replies;
  for (const Owned<ipc::QueryReply>& reply : replies_) {
    if (reply.get().getQueryId() == query_id) replies.push_back(reply.get());
  }
  return replies;
}

bool PageModel::Answered(uint32_t query_id) const {
  for (ipc::QueryReply::Reader reply : RepliesTo(query_id)) {
    if (!reply.isDownload() || reply.getDownload().getDone()) return true;
  }
  return false;
}

absl::StatusOr<std::string> PageModel::Downloaded(uint32_t query_id) const {
  std::string file;
  std::optional<uint64_t> size;
  for (ipc::QueryReply::Reader reply : RepliesTo(query_id)) {
    if (reply.isError()) return absl::FailedPreconditionError(Str(reply.getError()));
    if (!reply.isDownload())
      return absl::InternalError("a download query got a non-download reply");
    auto chunk = reply.getDownload();
    if (chunk.getOffset() != file.size()) {
      return absl::InternalError(
          absl::StrCat("chunk at offset ", chunk.getOffset(), " after ", file.size(), " bytes"));
    }
    if (size && *size != chunk.getSize()) return absl::InternalError("the file's size changed");
    size = chunk.getSize();
    auto data = chunk.getData();
    file.append(reinterpret_cast<const char*>(data.begin()), data.size());
    if (chunk.getDone()) {
      if (file.size() != *size) return absl::InternalError("done before all bytes came");
      return file;
    }
  }
  return absl::InternalError("the download has not finished");
}

absl::Status PageModel::ReceiveUntilAnswered(WsClient& client, uint32_t query_id,
                                             Deadline deadline) {
  if (Answered(query_id)) return absl::OkStatus();
  return ApplyUntil(
      client, deadline, absl::StrCat("the answer to query ", query_id),
      [&](ipc::ServerMessage::Reader message) { return message.isReply() && Answered(query_id); });
}

}  // namespace sluice::testing
