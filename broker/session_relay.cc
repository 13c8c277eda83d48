#include "broker/session_relay.h"

#include <capnp/serialize.h>
#include <signal.h>
#include <string.h>

#include <cstring>
#include <vector>

#include "broker/page_connection.h"
#include "broker/page_protocol.h"
#include "broker/proc_stats.h"
#include "broker/run_edge.h"
#include "broker/service_metrics.h"
#include "ipc/framing.h"
#include "sandbox/exit_codes.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

// How long a closed link waits for the zygote's report of how its worker
// ended before the session ends without it.
constexpr std::chrono::seconds kExitReportWait{2};

std::string DescribeCrash(int signal) {
  const char* name = sigabbrev_np(signal);
  const char* text = sigdescr_np(signal);
  return StrCat("The session's worker process crashed (SIG", name ? name : "?", ": ",
                text ? text : "unknown signal",
                "). Other sessions are not affected. Reload the page to start a new session.");
}

}  // namespace

SessionRelay::SessionRelay(asio::io_context& io, std::string id, std::string token, pid_t pid,
                           std::shared_ptr<WorkerLink> link, absl::Duration grace,
                           UploadLimits upload_limits, EndedHandler on_ended,
                           SessionContext context)
    : id_(std::move(id)),
      token_(std::move(token)),
      pid_(pid),
      link_(std::move(link)),
      grace_timer_(io),
      link_failed_timer_(io),
      grace_(grace),
      uploads_(upload_limits),
      on_ended_(std::move(on_ended)),
      context_(std::move(context)),
      idle_timer_(io) {}

void SessionRelay::Begin(const std::shared_ptr<PageConnection>& page) {
  std::weak_ptr<SessionRelay> weak = weak_from_this();
  link_->Start(
      [weak](Frame frame) {
        if (auto self = weak.lock()) self->OnWorkerFrame(std::move(frame));
      },
      [weak] {
        // A worker that exits also closes its link; the zygote's exit report
        // then says how it ended, and ends the session. A link that failed
        // while the worker lives (a bad frame) is ended here.
        auto self = weak.lock();
        if (!self) return;
        LogDebug("worker_link_closed", {{"session", self->id_}});
        self->link_failed_timer_.expires_after(kExitReportWait);
        self->link_failed_timer_.async_wait([weak](boost::system::error_code ec) {
          if (auto session = weak.lock(); !ec && session) {
            session->End("worker_link_failed",
                         "The connection to this session's worker failed. Reload the page to "
                         "start a new session.");
          }
        });
      });
  began_ = std::chrono::steady_clock::now();
  last_interaction_ = began_;
  if (context_.idle_timeout > absl::ZeroDuration()) {
    ArmIdleTimer(absl::ToChronoMilliseconds(context_.idle_timeout));
  }
  Attach(page, /*resumed=*/false);
  link_->Send(StartCommand(id_, uploads_.limits().max_file_bytes));
}

void SessionRelay::NoteInteraction() { last_interaction_ = std::chrono::steady_clock::now(); }

// One timer per session, re-armed only when it fires: interactions just
// move last_interaction_, so a busy page costs no timer operations.
void SessionRelay::ArmIdleTimer(std::chrono::steady_clock::duration after) {
  idle_timer_.expires_after(after);
  idle_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->ended_) return;
    auto timeout = absl::ToChronoMilliseconds(self->context_.idle_timeout);
    auto idle = std::chrono::steady_clock::now() - self->last_interaction_;
    if (idle < timeout) return self->ArmIdleTimer(timeout - idle);
    LogInfo("session_idle", {{"session", self->id_},
                             {"idle_timeout", absl::FormatDuration(self->context_.idle_timeout)}});
    self->End(
        "idle_timeout",
        StrCat("This session was ended after ", absl::FormatDuration(self->context_.idle_timeout),
               " without interaction, to free its place for others. Reload the page to "
               "start a new session."));
  });
}

void SessionRelay::Resume(const std::shared_ptr<PageConnection>& page) {
  if (auto old = page_.lock(); old && old != page)
    old->CloseWith(websocket::close_code::normal, "resumed elsewhere");
  grace_timer_.cancel();
  AbortOpenUploads();
  Attach(page, /*resumed=*/true);
  link_->Send(ResyncCommand());
  LogInfo("session_resumed", {{"session", id_}, {"worker_pid", pid_}});
}

void SessionRelay::Attach(const std::shared_ptr<PageConnection>& page, bool resumed) {
  page_ = page;
  page->SetSession(shared_from_this());
  page->Send(SessionFrame(id_, token_, resumed, uploads_.limits().chunk_bytes,
                          uploads_.limits().max_file_bytes));
  link_->SetPaused(false);
}

void SessionRelay::OnWorkerFrame(Frame frame) {
  RunEdge edge = RunEdgeOf(frame);
  if (edge.started) running_ = true;
  if (edge.finished) running_ = false;
  if (context_.metrics) {
    auto now = std::chrono::steady_clock::now();
    if (!first_frame_seen_) {
      first_frame_seen_ = true;
      context_.metrics->session_start_seconds.Observe(now - context_.admitted);
    }
    if (rerun_since_ && edge.finished) {
      context_.metrics->rerun_seconds.Observe(now - *rerun_since_);
      rerun_since_.reset();
    }
  }
  if (edge.finished && !first_run_done_) {
    first_run_done_ = true;
    if (context_.on_first_run) asio::post(grace_timer_.get_executor(), context_.on_first_run);
  }
  if (edge.finished && when_idle_) {
    // After this frame has gone to the page: the idle hook may end the session.
    auto then = std::move(when_idle_);
    when_idle_ = nullptr;
    asio::post(grace_timer_.get_executor(), std::move(then));
  }
  auto page = page_.lock();
  if (!page) return;  // detached: the page gets everything again on resume
  page->Send(std::move(frame));
  if (page->send_queue_full()) link_->SetPaused(true);
}

void SessionRelay::PageDrained() { link_->SetPaused(false); }

std::size_t SessionRelay::output_buffered_bytes() const {
  std::size_t bytes = link_->read_buffer_bytes();
  if (auto page = page_.lock()) bytes += page->queued_bytes();
  return bytes;
}

bool SessionRelay::ForwardToWorker(kj::Array<capnp::word> command) {
  if (link_->queued_bytes() > context_.limits.worker_backlog_bytes) return false;
  NoteInteraction();
  if (!rerun_since_) rerun_since_ = std::chrono::steady_clock::now();
  link_->Send(std::move(command));
  return true;
}

bool SessionRelay::Query(kj::Array<capnp::word> command) {
  if (link_->queued_bytes() > context_.limits.worker_backlog_bytes) return false;
  NoteInteraction();
  link_->Send(std::move(command));
  return true;
}

bool SessionRelay::ReadyForMore(std::function<void()> resume) {
  // Only uploads are held back: a page that floods a busy worker with widget
  // changes is dropped instead (see ForwardToWorker).
  if (uploads_.open_uploads() == 0 ||
      link_->queued_bytes() < context_.limits.upload_high_water_bytes) {
    return true;
  }
  link_->WhenBelow(context_.limits.upload_low_water_bytes, std::move(resume));
  return false;
}

void SessionRelay::Refuse(std::uint32_t upload_id, const UploadVerdict& verdict) {
  if (verdict.abort_worker) link_->Send(UploadAbortCommand(upload_id));
  if (verdict.action != UploadVerdict::Action::kFail) return;
  LogInfo("upload_refused", {{"session", id_}, {"upload", upload_id}, {"why", verdict.message}});
  if (auto page = page_.lock()) {
    page->Reply(UploadStatusFrame(upload_id, verdict.widget_id, ipc::UploadStatus::State::FAILED, 0,
                                  verdict.message));
  }
}

void SessionRelay::Upload(UploadBeginRequest begin) {
  NoteInteraction();
  UploadVerdict verdict = uploads_.Begin(begin.upload_id, begin.widget_id, begin.name, begin.size);
  if (verdict.action != UploadVerdict::Action::kForward) return Refuse(begin.upload_id, verdict);
  link_->Send(UploadBeginCommand(begin));
}

void SessionRelay::Upload(UploadChunkRequest chunk) {
  UploadVerdict verdict = uploads_.Chunk(chunk.upload_id, chunk.offset, chunk.bytes);
  if (verdict.action != UploadVerdict::Action::kForward) {
    auto bytes = chunk.worker_command.asBytes();
    explicit_bzero(bytes.begin(), bytes.size());
    return Refuse(chunk.upload_id, verdict);
  }
  NoteInteraction();
  if (context_.metrics) context_.metrics->upload_bytes += chunk.bytes;
  link_->Send(std::move(chunk.worker_command));
  // A reply: it waits behind whatever is queued for the page (a large
  // element, say), and a page that does not read its replies is not read
  // either (PageConnection::Reply), so they cannot pile up here.
  if (auto page = page_.lock()) {
    page->Reply(UploadStatusFrame(chunk.upload_id, verdict.widget_id,
                                  ipc::UploadStatus::State::PROGRESS, verdict.received));
  }
}

void SessionRelay::Upload(UploadEndRequest end) {
  UploadVerdict verdict = uploads_.End(end.upload_id);
  if (verdict.action != UploadVerdict::Action::kForward) return Refuse(end.upload_id, verdict);
  link_->Send(UploadEndCommand(end.upload_id));
}

void SessionRelay::Upload(UploadCancelRequest cancel) {
  UploadVerdict verdict = uploads_.Cancel(cancel.upload_id);
  if (verdict.abort_worker) {
    LogDebug("upload_cancelled", {{"session", id_}, {"upload", cancel.upload_id}});
    link_->Send(UploadAbortCommand(cancel.upload_id));
  }
}

void SessionRelay::AbortOpenUploads() {
  for (std::uint32_t id : uploads_.CloseAll()) link_->Send(UploadAbortCommand(id));
}

void SessionRelay::PageClosed(const PageConnection* page) {
  if (page_.lock().get() != page) return;
  End("closed");
}

void SessionRelay::PageDropped(const PageConnection* page) {
  if (ended_ || page_.lock().get() != page) return;
  page_.reset();
  // An upload cannot continue on another connection: the page starts over.
  AbortOpenUploads();
  if (grace_ <= absl::ZeroDuration()) {
    End("dropped");
    return;
  }
  LogInfo("session_detached", {{"session", id_}, {"grace_s", absl::ToDoubleSeconds(grace_)}});
  grace_timer_.expires_after(absl::ToChronoMilliseconds(grace_));
  grace_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock(); self && self->page_.expired())
      self->End("reconnect_grace_expired");
  });
}

void SessionRelay::WorkerExited(int exit_code, int signal) {
  if (ended_) return;
  if (signal != 0) {
    LogWarning("worker_crashed", {{"session", id_}, {"worker_pid", pid_}, {"signal", signal}});
    End("crashed", DescribeCrash(signal));
  } else if (exit_code == sandbox::kExitRerunTimeout) {
    LogWarning("worker_rerun_timeout", {{"session", id_}, {"worker_pid", pid_}});
    End("rerun_timeout",
        "The app ran longer than this server allows for one run (--rerun-timeout), so its "
        "session was stopped. Other sessions are not affected. Reload the page to start a new "
        "session.");
  } else if (exit_code == sandbox::kExitOutOfMemory) {
    LogWarning("worker_out_of_memory", {{"session", id_}, {"worker_pid", pid_}});
    End("out_of_memory",
        "The session ran out of memory (the server allows each session --worker-memory-mb), so "
        "it was stopped. Other sessions are not affected. Reload the page to start a new "
        "session.");
  } else {
    End(StrCat("worker_exited_", exit_code),
        "The session's worker process ended. Reload the page to start a new session.");
  }
}

void SessionRelay::Notify(ipc::Notice::Kind kind, std::string_view message) {
  if (auto page = page_.lock(); page && !ended_) page->Send(NoticeFrame(kind, message));
}

void SessionRelay::WhenIdle(std::function<void()> then) {
  if (ended_) return;
  if (!running_) {
    asio::post(grace_timer_.get_executor(), std::move(then));
    return;
  }
  when_idle_ = std::move(then);
}

void SessionRelay::End(std::string_view reason, std::string_view notice) {
  if (ended_) return;
  ended_ = true;
  peak_rss_kb_ = ReadWorkerMemory(pid_, /*with_pss=*/false).peak_rss_kb;
  when_idle_ = nullptr;
  grace_timer_.cancel();
  link_failed_timer_.cancel();
  idle_timer_.cancel();
  link_->Close();
  if (auto page = page_.lock()) {
    if (!notice.empty()) {
      bool abnormal = reason == "crashed" || reason == "rerun_timeout" || reason == "out_of_memory";
      auto kind = abnormal ? ipc::Notice::Kind::CRASHED : ipc::Notice::Kind::ENDED;
      page->Send(NoticeFrame(kind, notice));
    }
    page->CloseWith(websocket::close_code::normal, std::string(reason));
  }
  page_.reset();
  auto self = shared_from_this();  // on_ended_ may drop the owner's reference
  if (auto on_ended = std::move(on_ended_)) on_ended(*this, reason);
}

}  // namespace sluice::broker
