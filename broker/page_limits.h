// Every limit on the traffic between the broker and one page (and that
// page's worker link), in one place, each with what it bounds and what
// moving it costs. Fields marked "setting" come from `sluice serve`
// settings (broker/settings.cc; README "Serving"); the rest are constants an
// operator has not needed to change, kept here so that they are read, and
// changed, together.
//
// What the broker holds for one page, however much its app sends and
// however slowly the page reads:
//   send_queue_high_water_bytes + one worker frame (<= max_worker_frame_bytes)
//   + max_unread_reply_bytes + one reply
//   + the worker link's read buffer (one frame, or up to 1 MiB of small ones)
//   + one message from the page (<= max_message_bytes)
//   + worker_backlog_bytes of commands on their way to the worker.
//
// A page is closed for not reading only when it does not read: when
// nothing of what the broker writes to it goes for write_timeout. How much
// is queued for it never closes it: a large element still on its way, an
// upload's acknowledgements and notices about the page's own messages
// queue behind one another and go as fast as the page reads.
#pragma once

#include <chrono>
#include <cstddef>

#include "absl/time/time.h"
#include "broker/options.h"

namespace sluice::broker {

struct PageLimits {
  // --- The page's send queue (worker output on its way to the page) ---

  // Setting --page-queue-mb. Above this many bytes queued for the page the
  // broker stops reading its worker's frames (the worker then blocks in
  // write); below send_queue_low_water_bytes() it reads them again.
  // Raising it: each slow page may hold this much more broker memory (times
  // the number of slow pages), in exchange for fewer stops of the worker on
  // a fast link and for elements up to this size going on without the
  // worker waiting for the page. Lowering it: less memory per slow page, and
  // an app that sends large elements waits on its page sooner. It is not a
  // size limit: a frame larger than it is still sent (it takes the queue
  // past the mark and the worker waits until it is gone).
  // Default 16 MiB: a 12 MiB element, the upload statuses and the rerun
  // that follow it fit without stopping the worker.
  std::size_t send_queue_high_water_bytes = 16u << 20;
  // A quarter of the high-water mark: low enough that the worker is not
  // woken for every frame written, high enough that the page does not run
  // dry while the worker resumes.
  std::size_t send_queue_low_water_bytes() const { return send_queue_high_water_bytes / 4; }

  // Setting --write-timeout. A page whose queued bytes make no write
  // progress for this long (none of a 64 KiB piece taken) does not read,
  // and is dropped as a broken connection is. Raising it: a page that
  // stopped reading holds its queue (up to the bound above) longer.
  // Lowering it: a page on a very slow or stalled link is dropped sooner. A
  // reading page must take write_piece_bytes per timeout (2 KiB/s at 30 s),
  // however large what is queued. 0: never.
  absl::Duration write_timeout = absl::Seconds(30);

  // The most of a frame written in one go (one WebSocket frame of a
  // fragmented message; the page sees whole messages). Each piece written is
  // progress for write_timeout. Smaller pieces: more write calls per frame;
  // larger: a slow reader must take more per timeout.
  std::size_t write_piece_bytes = 64u << 10;

  // Replies the broker owes the page for what it sent (notices about bad
  // messages, upload statuses) and the page has not read yet. Past this the
  // broker stops reading the page until half of them have gone: a page that
  // sends and does not read is slowed down (and, if it reads nothing at
  // all, dropped by write_timeout), never closed for the size of its
  // backlog. 1 MiB is some ten thousand replies: an upload's statuses
  // (one per chunk) for a multi-GiB file. Raising it only lets a page that
  // does not read make the broker hold more.
  std::size_t max_unread_reply_bytes = 1u << 20;

  // --- What the page sends ---

  // Setting --max-message-kb: the largest message a page may send (a
  // larger one closes the page with 1009). Upload chunks are sized to fit
  // it. Raising it: the broker may hold this much per page while it reads
  // one message.
  std::size_t max_message_bytes = 4096u << 10;
  // Bytes asked of the socket per read.
  std::size_t read_chunk_bytes = 64u << 10;
  // Reserved for the read buffer while an upload is open: the largest upload
  // chunk (UploadLimits::chunk_bytes, 256 KiB), its envelope, and one read,
  // so that the buffer never grows (and frees an unwiped copy) mid-chunk.
  std::size_t upload_buffer_bytes() const { return (256u << 10) + 4096 + read_chunk_bytes; }
  // A socket that has not said hello after this long is closed.
  std::chrono::seconds hello_timeout{10};
  // A page that sends nothing (not even a pong to the broker's keep-alive
  // ping) for this long is dropped (Beast's idle timeout).
  std::chrono::seconds idle_timeout{30};

  // Setting --query-rate: queries (PageMessage.query) a page may send per
  // second, and in one burst after a pause (a token bucket). A query past
  // it is answered with an error reply by the broker and does not reach
  // the worker; the page goes on. 100 is a grid scrolled at full speed
  // (one query per frame at 60 Hz) with room to spare. Raising it: a page
  // can make its worker gather rows more often (the worker's own time,
  // only its own session's). Lowering it: fast scrolling shows
  // placeholder rows a little longer.
  int query_rate = 100;

  // --- Toward the worker ---

  // Commands waiting for a worker that is busy running: past this, a page
  // that sends another widget change is closed ("too many changes waiting
  // for the app"). Raising it: more broker memory per flooding page.
  std::size_t worker_backlog_bytes = 16u << 20;
  // While an upload is open and this many bytes wait for the worker, the
  // broker stops reading the page (TCP slows the browser down) until fewer
  // than upload_low_water_bytes wait. Higher: a faster upload to a busy
  // worker, at the cost of that much broker memory per uploading page.
  std::size_t upload_high_water_bytes = 2u << 20;
  std::size_t upload_low_water_bytes = 512u << 10;

  // --- From the worker ---

  // A frame larger than this from a worker ends its link (the worker is
  // misbehaving; only its own session suffers). It bounds the one frame
  // past send_queue_high_water_bytes above, and so the largest element an
  // app can show. Raising it raises the worst case per slow page by as much.
  std::size_t max_worker_frame_bytes = 256u << 20;
};

// The limits a server with `options` applies (the setting fields from
// them, the rest as above).
inline PageLimits PageLimitsFor(const ServeOptions& options) {
  PageLimits limits;
  limits.send_queue_high_water_bytes = options.page_queue_mb << 20;
  limits.write_timeout = options.write_timeout;
  limits.max_message_bytes = options.max_message_kb << 10;
  limits.query_rate = options.query_rate;
  return limits;
}

}  // namespace sluice::broker
