// The broker's side of one viewer session (the app side is runtime::AppRunner,
// in the worker): a worker process (pid + link)
// and at most one page connection at a time. Frames from the worker go to the
// page as they are; the page's widget changes go to the worker.
//
// A page that closes (bye, or a WebSocket close) ends the session at once; a
// page whose connection drops leaves the session waiting --reconnect-grace
// for the same page to come back with the reconnect token.
//
// What the broker holds of a worker's output is bounded, however much the
// app sends and however slowly its page reads: the page's send queue up
// to PageLimits::send_queue_high_water_bytes (--page-queue-mb) plus the one
// frame that took it past (at most PageLimits::max_worker_frame_bytes), and
// the link's read buffer, which holds one large frame or up to 1 MiB of
// small ones and stops filling while paused (output_buffered_bytes()
// reports the two). The worker link stays paused while the page's queue is
// above its high-water mark, whatever else the page does (an upload, bad
// messages): their replies wait in the same queue, bounded on their own
// (PageLimits::max_unread_reply_bytes). A page is never closed for the size
// of its queue, only for not reading at all (--write-timeout), so an upload
// and a large element are in flight together. Every limit named here is in
// broker/page_limits.h.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "broker/net.h"
#include "broker/page_limits.h"
#include "broker/page_protocol.h"
#include "broker/upload_gate.h"
#include "broker/worker_link.h"

namespace sluice::broker {

class PageConnection;
struct ServiceMetrics;

// What the server tells a session beyond its worker.
struct SessionContext {
  std::string client_address;         // the first page's peer address (for limits and admin)
  absl::Duration idle_timeout;        // no widget change or upload for this long ends it; 0: never
  ServiceMetrics* metrics = nullptr;  // outlives the session
  // When the server began getting this session a worker: the start of the
  // session start histogram.
  std::chrono::steady_clock::time_point admitted;
  // Called once, after the first run has finished and gone to the page.
  std::function<void()> on_first_run;
  // The worker-side limits: worker_backlog_bytes, upload_*_water_bytes.
  PageLimits limits;
};

class SessionRelay : public std::enable_shared_from_this<SessionRelay> {
 public:
  // Called once when the session ends, with the reason (for the log); the
  // owner then forgets the session and kills its worker.
  using EndedHandler = std::function<void(SessionRelay&, std::string_view reason)>;

  SessionRelay(asio::io_context& io, std::string id, std::string token, pid_t pid,
               std::shared_ptr<WorkerLink> link, absl::Duration grace, UploadLimits upload_limits,
               EndedHandler on_ended, SessionContext context);

  // Starts the worker on this session and attaches its first page.
  void Begin(const std::shared_ptr<PageConnection>& page);
  // The page came back with the token: attach it and resend everything.
  void Resume(const std::shared_ptr<PageConnection>& page);

  // Queues a command for the worker. False when too many bytes already wait
  // for it (a page sending faster than the app runs): the caller should
  // drop that page.
  [[nodiscard]] bool ForwardToWorker(kj::Array<capnp::word> command);
  // Passes a page's query on to the worker; false (nothing sent) when the
  // worker backlog is full. A query is an interaction (it keeps an idle
  // session alive) but not a rerun.
  [[nodiscard]] bool Query(kj::Array<capnp::word> command);
  // The page closed on purpose (tab closed, bye): end now.
  void PageClosed(const PageConnection* page);
  // The page's connection broke: wait for it to come back.
  void PageDropped(const PageConnection* page);
  // The page drained its send queue: take frames from the worker again.
  void PageDrained();
  // Bytes of the worker's output the broker holds for this session now:
  // the attached page's send queue and the link's read buffer.
  std::size_t output_buffered_bytes() const;

  // Upload messages from the attached page: checked by the session's
  // UploadGate, forwarded to the worker or answered with a failed
  // UploadStatus. Bytes of a refused or broken upload go nowhere.
  void Upload(UploadBeginRequest begin);
  void Upload(UploadChunkRequest chunk);
  void Upload(UploadEndRequest end);
  void Upload(UploadCancelRequest cancel);
  // Whether the page may send more now. If not (an upload is open and
  // commands for the worker pile up: it is busy), `resume` is called once
  // they have drained, and the page should not be read until then:
  // back-pressure reaches the browser.
  bool ReadyForMore(std::function<void()> resume);

  // The worker process ended (reported by the zygote).
  void WorkerExited(int exit_code, int signal);
  // Shows the attached page a notice without ending the session.
  void Notify(ipc::Notice::Kind kind, std::string_view message);
  // Calls `then` once the run in progress has finished, or at once if none
  // is (a later call replaces an earlier one; End() drops it). For the
  // drain on SIGTERM.
  void WhenIdle(std::function<void()> then);
  // Whether the worker began a run it has not finished (as its frames say).
  bool running() const { return running_; }
  // Ends the session: tells the page why (if `notice` is set) and closes it.
  void End(std::string_view reason, std::string_view notice = {});

  const std::string& id() const { return id_; }
  const std::string& token() const { return token_; }
  pid_t pid() const { return pid_; }
  bool ended() const { return ended_; }
  const std::string& client_address() const { return context_.client_address; }
  // When Begin ran (the session's age).
  std::chrono::steady_clock::time_point began() const { return began_; }
  // A page is attached now (not detached within its reconnect grace).
  bool connected() const { return !page_.expired(); }
  // The worker's peak resident memory (VmHWM), read as End began, before
  // the link closed (a worker exits on its own once it sees that);
  // nullopt if the worker was already gone (crashed) or before End.
  std::optional<std::uint64_t> peak_rss_kb() const { return peak_rss_kb_; }

 private:
  void Attach(const std::shared_ptr<PageConnection>& page, bool resumed);
  void OnWorkerFrame(Frame frame);
  // Reports a verdict's failure to the page and tells the worker to drop the
  // upload if it had begun.
  void Refuse(std::uint32_t upload_id, const UploadVerdict& verdict);
  void AbortOpenUploads();
  // The page did something (a widget change, upload traffic): the idle clock restarts.
  void NoteInteraction();
  void ArmIdleTimer(std::chrono::steady_clock::duration after);

  std::string id_;
  std::string token_;
  pid_t pid_;
  std::shared_ptr<WorkerLink> link_;
  std::weak_ptr<PageConnection> page_;
  asio::steady_timer grace_timer_;
  asio::steady_timer link_failed_timer_;
  absl::Duration grace_;
  UploadGate uploads_;
  EndedHandler on_ended_;
  SessionContext context_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point began_;
  std::chrono::steady_clock::time_point last_interaction_;
  // The first widget change not yet answered by a finished run.
  std::optional<std::chrono::steady_clock::time_point> rerun_since_;
  std::optional<std::uint64_t> peak_rss_kb_;
  bool first_frame_seen_ = false;
  bool first_run_done_ = false;
  std::function<void()> when_idle_;
  bool running_ = false;
  bool ended_ = false;
};

}  // namespace sluice::broker
