#include "runtime/app_runner.h"

#include <capnp/serialize.h>
#include <cxxabi.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "ipc/text.h"
#include "runtime/cache_runtime.h"
#include "runtime/demangle.h"
#include "runtime/element_kinds.h"
#include "util/log.h"
#include "util/poll_timeout.h"
#include "util/strings.h"

namespace sluice::runtime {

namespace {

AppRunner* g_current = nullptr;  // set while the app function runs

// Sets `current` for the lifetime of a run, even when the run throws.
class CurrentSession {
 public:
  explicit CurrentSession(AppRunner* session) { g_current = session; }
  ~CurrentSession() { g_current = nullptr; }
};

// Elements the runner shows itself, never from inside a cached function.
const bool kRunnerKinds[] = {
    RegisterElementKind({ipc::Element::EXCEPTION, false, nullptr}),
    RegisterElementKind({ipc::Element::SPINNER, false,
                         [](ipc::Element::Reader e) -> std::optional<std::string> {
                           capnp::Text::Reader text = e.getSpinner();
                           return std::string(text.begin(), text.size());
                         }}),
};

}  // namespace

AppRunner::AppRunner(Channel& channel, st::AppFunction app, RunHooks hooks)
    : channel_(channel), app_(app), hooks_(hooks), stream_(channel) {}

AppRunner& AppRunner::Current() {
  if (g_current == nullptr) {
    throw std::logic_error("st:: functions can only be called while the app function runs");
  }
  return *g_current;
}

AppRunner* AppRunner::CurrentOrNull() { return g_current; }

void AppRunner::Serve() {
  for (;;) ServeOne();
}

void AppRunner::ServeOne() {
  Handle(NextCommand());
  DrainPending();
  RunUntilSettled();
}

// A warm worker waiting for its session has nothing to give back yet (and
// the heap it faulted in for the first run is to be kept), so only a
// started session goes idle.
Command AppRunner::NextCommand() {
  if (started_ && hooks_.when_idle != nullptr && hooks_.idle_after.count() > 0) {
    if (std::optional<Command> command =
            channel_.WaitUntil(std::chrono::steady_clock::now() + hooks_.idle_after)) {
      return *std::move(command);
    }
    hooks_.when_idle();
  }
  return channel_.Wait();
}

void AppRunner::Handle(Command command) {
  if (auto* start = std::get_if<StartCommand>(&command)) {
    if (started_) return;
    started_ = true;
    session_id_ = start->session_id;
    max_upload_bytes_ = start->max_upload_bytes;
    rerun_needed_ = true;
    LogDebug("session_start", {{"session", session_id_}});
  } else if (auto* change = std::get_if<WidgetChangeCommand>(&command)) {
    if (started_) ApplyChange(*change);
  } else if (std::holds_alternative<ResyncCommand>(command)) {
    stream_.ForgetSent();
    rerun_needed_ = true;
  } else if (auto* begin = std::get_if<UploadBeginCommand>(&command)) {
    BeginUpload(*begin);
  } else if (auto* chunk = std::get_if<UploadChunkCommand>(&command)) {
    AppendUpload(*chunk);
  } else if (auto* end = std::get_if<UploadEndCommand>(&command)) {
    FinishUpload(end->upload_id);
  } else if (auto* abort = std::get_if<UploadAbortCommand>(&command)) {
    uploads_.Abort(abort->upload_id);
  } else if (auto* query = std::get_if<QueryCommand>(&command)) {
    HandleQuery(*query);
  }
}

// A query is answered from what the page was shown; it never changes the
// session's state and never reruns the app. Whatever goes wrong goes back
// to the page as that query's error reply.
void AppRunner::HandleQuery(const QueryCommand& query) {
  QueryReplies replies(channel_, query);
  std::shared_ptr<QueryTarget> target = queries_.Find(query.element_id);
  if (target == nullptr) {
    replies.Error("this element is no longer shown: its data went with it");
    return;
  }
  if (g_current != nullptr && !target->AnswersDuringRun()) {
    // One held per element: a page that sends the same download again and
    // again during a run does not line up as many calls of its callable.
    for (const QueryCommand& held : deferred_queries_) {
      if (held.element_id == query.element_id) {
        replies.Error("this download is already on its way");
        return;
      }
    }
    deferred_queries_.push_back(query);
    return;
  }
  try {
    target->Answer(replies);
  } catch (const std::exception& e) {
    replies.Error(e.what());
  } catch (...) {
    replies.Error("a non-std::exception was thrown");
  }
}

void AppRunner::AnswerDeferredQueries() {
  for (const QueryCommand& query : std::exchange(deferred_queries_, {})) HandleQuery(query);
}

void AppRunner::BeginUpload(const UploadBeginCommand& begin) {
  const WidgetSpec* spec = widgets_.Find(begin.widget_id);
  absl::Status status = spec == nullptr || spec->kind != WidgetKind::kFileUploader
                            ? absl::NotFoundError(StrCat("\"", begin.name,
                                                         "\" was refused: there is no file "
                                                         "uploader '",
                                                         begin.widget_id, "'"))
                            : uploads_.Begin(begin.upload_id, begin.widget_id, *spec, begin.name,
                                             begin.type, begin.size);
  if (!status.ok()) {
    SendUploadStatus(begin.upload_id, begin.widget_id, ipc::UploadStatus::State::FAILED,
                     ToStd(status.message()));
  }
}

void AppRunner::AppendUpload(const UploadChunkCommand& chunk) {
  std::string widget_id = uploads_.WidgetOf(chunk.upload_id);
  absl::Status status = uploads_.Append(chunk.upload_id, chunk.data);
  // The copy in the receive buffer is the last one outside the upload's own
  // mapping; a refused chunk's bytes go too.
  channel_.WipeLast();
  if (!status.ok() && !absl::IsNotFound(status)) {
    SendUploadStatus(chunk.upload_id, widget_id, ipc::UploadStatus::State::FAILED,
                     ToStd(status.message()));
  }
}

void AppRunner::FinishUpload(std::uint32_t upload_id) {
  absl::StatusOr<std::string> widget_id = uploads_.Finish(upload_id);
  if (!widget_id.ok()) {
    if (!absl::IsNotFound(widget_id.status())) {
      SendUploadStatus(upload_id, "", ipc::UploadStatus::State::FAILED,
                       ToStd(widget_id.status().message()));
    }
    return;
  }
  SendUploadStatus(upload_id, *widget_id, ipc::UploadStatus::State::DONE, "");
  const WidgetSpec* spec = widgets_.Find(*widget_id);
  if (spec != nullptr && spec->callback) pending_callbacks_.push_back(spec->callback);
  rerun_needed_ = true;
}

void AppRunner::SendUploadStatus(std::uint32_t upload_id, std::string_view widget_id,
                                 ipc::UploadStatus::State state, std::string_view message) {
  if (state == ipc::UploadStatus::State::FAILED) {
    LogInfo("upload_refused", {{"session", session_id_}, {"upload", upload_id}, {"why", message}});
  }
  capnp::MallocMessageBuilder builder;
  auto status = builder.initRoot<ipc::ServerMessage>().initUpload();
  status.setUploadId(upload_id);
  status.adoptWidgetId(ipc::NewText(status, widget_id));
  status.setState(state);
  status.adoptMessage(ipc::NewText(status, message));
  channel_.Send(builder);
}

void AppRunner::DrainPending() {
  while (auto command = channel_.Poll()) Handle(std::move(*command));
}

void AppRunner::ApplyChange(const WidgetChangeCommand& change) {
  auto validated = widgets_.Validate(change.widget_id, change.value);
  if (!validated.ok()) {
    SendNotice(ipc::Notice::Kind::BAD_INPUT, ToStd(validated.status().message()));
    return;
  }
  const WidgetSpec& spec = **validated;
  if (spec.kind == WidgetKind::kFileUploader) {
    // The x of one file: it is wiped now, not at the end of the run.
    uploads_.Remove(change.widget_id, std::get<RemoveFile>(change.value).file_id);
  } else if (spec.kind == WidgetKind::kButton) {
    widgets_.MarkClicked(change.widget_id);
  } else if (spec.key.empty()) {
    widgets_.SetValue(change.widget_id, change.value);
  } else {
    state_.assign(spec.key, StateValueOf(spec, change.value));
  }
  if (spec.callback) pending_callbacks_.push_back(spec.callback);
  rerun_needed_ = true;
}

void AppRunner::CheckInterrupt() {
  if (interrupted_) throw st::RerunSignal{};
  auto now = std::chrono::steady_clock::now();
  if (now < next_poll_) return;
  next_poll_ = now + kPollInterval;
  stream_.MaybeFlush();
  DrainPending();
  if (rerun_needed_) {
    interrupted_ = true;
    throw st::RerunSignal{};
  }
}

Path AppRunner::Place(ipc::Element::Reader element, std::optional<ElementIdentity> identity) {
  if (!captures_.empty()) {
    const ElementKind* kind = FindElementKind(element.which());
    if (kind == nullptr || !kind->in_cached_function) {
      throw std::logic_error(
          StrCat("st::", ElementKindName(element.which()),
                 " cannot be used inside a cached function (st::cache_data): widgets and layout "
                 "blocks belong to the run; call them outside it and pass their values in"));
    }
  }
  // The first thing a computing function shows takes the spinner's place.
  HideSpinner();
  Path path;
  if (Aim* aim = ActiveAim()) {
    if (aim->used) {
      throw std::logic_error(
          StrCat("st::", ElementKindName(element.which()),
                 " is a second element shown into one st::empty() slot: a slot holds one "
                 "element; to show several, show a block in it (st::columns, st::expander) and "
                 "put them inside, or use one slot each"));
    }
    ForgetContent(aim->slot);
    aim->used = true;
    path = aim->slot;
  } else {
    path = containers_.Next();
  }
  queries_.Placed(path);
  if (captures_.empty()) {
    stream_.Put(path, element, identity);
  } else {
    // Canonicalized and hashed once, however many captures are open.
    std::shared_ptr<const CanonicalElement> canonical = Canonicalize(element, identity);
    for (auto& capture : captures_) capture.push_back(canonical);
    stream_.Put(path, std::move(canonical));
  }
  return path;
}

void AppRunner::CheckReplaceable(const ElementRef& ref) const {
  if (ref.run_id != run_id_) {
    throw std::logic_error(
        "an element's handle (st::empty, st::progress, a chart) is used after the run that "
        "showed it: its place belongs to the new run; call the function again instead");
  }
  if (!captures_.empty()) {
    throw std::logic_error(
        "an element made outside a cached function (st::cache_data) cannot be updated inside "
        "it: its hits would not know where that element is");
  }
  if (Stale(ref)) {
    throw std::logic_error(
        "an element's handle (a chart, st::progress, a slot) is used after its place was set "
        "again (the st::empty() slot it was in, or a block around it, shows something else "
        "now): use the handle of what the slot shows now");
  }
}

bool AppRunner::Stale(const ElementRef& ref) const {
  if (forgotten_.empty() || ref.path.empty()) return false;
  std::size_t last = ref.is_slot ? ref.path.size() - 1 : ref.path.size();
  Path prefix;
  for (std::size_t i = 0; i < ref.path.size() && i < last; ++i) {
    prefix.push_back(ref.path[i]);
    if (auto it = forgotten_.find(prefix); it != forgotten_.end() && it->second > ref.serial) {
      return true;
    }
  }
  return false;
}

void AppRunner::ForgetContent(const Path& path, bool new_content) {
  if (containers_.InsideOf(path)) {
    throw std::logic_error(
        "an st::empty() slot is set again from inside the block it shows (a column or an "
        "expander of it): that block would go away under the elements being put in it; set "
        "the slot after leaving the block's scope");
  }
  containers_.Forget(path);
  if (!new_content) return;
  queries_.ForgetAt(path);
  forgotten_[path] = ++forget_serial_;
}

AppRunner::Aim* AppRunner::ActiveAim() {
  if (aims_.empty() || aims_.back().container != containers_.Current()) return nullptr;
  return &aims_.back();
}

std::size_t AppRunner::AimAt(const ElementRef& ref) {
  CheckInterrupt();
  CheckReplaceable(ref);
  // What the slot shows is about to go: its query targets go now, so that
  // what replaces it may take the same key (a live chart shown again and
  // again under one key). If `f` then throws before showing anything, the
  // slot keeps its element, whose queries are answered "gone".
  queries_.ForgetAt(ref.path);
  aims_.push_back({ref.path, containers_.Current(), false});
  return aims_.size() - 1;
}

bool AppRunner::EndAim(std::size_t depth) noexcept {
  if (depth >= aims_.size()) return false;
  bool used = aims_[depth].used;
  aims_.resize(depth);
  return used;
}

void AppRunner::BeginCapture() { captures_.emplace_back(); }

std::string AppRunner::EndCapture() {
  std::vector<std::shared_ptr<const CanonicalElement>> elements = std::move(captures_.back());
  captures_.pop_back();
  std::size_t size = 0;
  for (const auto& element : elements) {
    size += sizeof(std::uint32_t) + element->words.asBytes().size();
  }
  std::string recorded;
  recorded.reserve(size);
  for (const auto& element : elements) {
    auto bytes = element->words.asBytes();
    auto words = static_cast<std::uint32_t>(element->words.size());
    recorded.append(reinterpret_cast<const char*>(&words), sizeof words);
    recorded.append(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  }
  return recorded;
}

void AppRunner::AbortCapture() {
  if (!captures_.empty()) captures_.pop_back();
}

void AppRunner::ShowSpinner(std::string_view text) {
  HideSpinner();
  capnp::MallocMessageBuilder builder(kElementWords);
  auto spinner = builder.initRoot<ipc::Element>();
  spinner.adoptSpinner(ipc::NewText(spinner, text));
  Path path;
  Aim* aim = ActiveAim();
  // In an unused slot the spinner holds the slot's place: the next element
  // replaces it there, and a slot left without one is emptied when its aim
  // ends.
  spinner_in_slot_ = aim != nullptr && !aim->used && !containers_.InsideOf(aim->slot);
  if (spinner_in_slot_) {
    containers_.Forget(aim->slot);
    path = aim->slot;
  } else {
    path = containers_.Next();
  }
  stream_.Put(path, builder.getRoot<ipc::Element>().asReader());
  stream_.FlushNow();
  spinner_ = std::move(path);
}

void AppRunner::HideSpinner() {
  if (!spinner_) return;
  if (!spinner_in_slot_) containers_.TakeBack(*spinner_);
  spinner_.reset();
  spinner_in_slot_ = false;
}

bool AppRunner::WaitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    DrainPending();
    if (rerun_needed_) {
      interrupted_ = true;
      throw st::RerunSignal{};
    }
    int timeout_ms = PollTimeoutMs(deadline);
    if (timeout_ms == 0) return false;
    // A channel without a descriptor (-1, a test's fake) is skipped by
    // poll(): its commands are taken at the top of this loop and at the
    // app's next st:: call.
    pollfd fds[2] = {{fd, POLLIN, 0}, {channel_.fd(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      LogSyscallError("poll", errno);
      return true;  // the caller's read finds out what is wrong
    }
    if (fds[0].revents != 0) return true;
  }
}

void AppRunner::RequestRerun() {
  rerun_needed_ = true;
  interrupted_ = true;
  throw st::RerunSignal{};
}

void AppRunner::RunUntilSettled() {
  while (rerun_needed_) {
    rerun_needed_ = false;
    RunOnce();
    AnswerDeferredQueries();
    DrainPending();
  }
}

void AppRunner::RunOnce() {
  ++run_id_;
  forgotten_.clear();
  containers_.Reset();
  captures_.clear();
  spinner_.reset();
  spinner_in_slot_ = false;
  aims_.clear();
  widgets_.BeginRun();
  queries_.BeginRun();
  stream_.BeginRun(run_id_);
  interrupted_ = false;
  next_poll_ = {};
  bool finished = true;
  {
    CurrentSession current(this);
    // Even an app that loops without calling st:: is ended once the run used
    // --rerun-timeout of CPU (the worker exits; the broker tells the page).
    if (hooks_.before_run != nullptr) hooks_.before_run();
    try {
      std::vector<st::Callback> callbacks = std::exchange(pending_callbacks_, {});
      for (const st::Callback& callback : callbacks) callback();
      app_();
    } catch (const st::RerunSignal&) {
      // A button is true only in the run right after its click. A click this
      // run already acted on must not be acted on again by the next run (an
      // app that calls st::rerun() on a click would loop forever); a click on
      // a button the run did not reach yet is kept.
      widgets_.UseUpShownClicks();
      finished = false;
    } catch (const st::StopSignal&) {
    } catch (const std::exception& e) {
      ShowException(TypeName(typeid(e)), e.what());
    } catch (...) {
      const std::type_info* type = abi::__cxa_current_exception_type();
      ShowException(type != nullptr ? TypeName(*type) : "unknown",
                    "a non-std::exception was thrown");
    }
    if (hooks_.after_run != nullptr) hooks_.after_run();
  }
  FlushCacheTouches();
  if (!finished) {
    rerun_needed_ = true;
    return;
  }
  stream_.Finish(containers_.Lengths());
  widgets_.FinishRun();
  queries_.FinishRun();
  // Like other widgets' values, files of an uploader the run did not show
  // are dropped; for files that means wiped.
  uploads_.RemoveUnless([this](const std::string& id) { return widgets_.ShownInLastRun(id); });
}

void AppRunner::ShowException(std::string_view type, std::string_view message) {
  LogInfo("app_exception", {{"session", session_id_}, {"type", type}, {"message", message}});
  capnp::MallocMessageBuilder builder(kElementWords);
  auto exception = builder.initRoot<ipc::Element>().initException();
  exception.adoptType(ipc::NewText(exception, type));
  exception.adoptMessage(ipc::NewText(exception, message));
  // After unwinding every scope has ended, so this lands in the main column.
  Path path = containers_.Next();
  stream_.Put(path, builder.getRoot<ipc::Element>().asReader());
}

void AppRunner::SendNotice(ipc::Notice::Kind kind, std::string_view message) {
  capnp::MallocMessageBuilder builder;
  auto notice = builder.initRoot<ipc::ServerMessage>().initNotice();
  notice.setKind(kind);
  notice.adoptMessage(ipc::NewText(notice, message));
  channel_.Send(builder);
}

}  // namespace sluice::runtime
