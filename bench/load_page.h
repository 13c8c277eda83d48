// One viewer's tab for bench/load: like a browser, it always has a read
// pending once the session is open, so the broker's keep-alive pings are
// answered while the viewer "thinks" (a page that stops reading is dropped
// after the broker's 30 s idle timeout). Runs on one io_context thread.
#pragma once

#include <boost/asio.hpp>
#include <cstdint>
#include <string>

#include "bench/page_client.h"

namespace sluice::bench {

class LoadPage {
 public:
  explicit LoadPage(asio::io_context& io) : page_(io), finished_signal_(io) {}

  // Connects, says hello, waits for the first finished run, then keeps
  // reading in the background until Close or an error. Throws on failure
  // (a notice such as "busy" counts as one).
  asio::awaitable<void> Open(std::uint16_t port);
  // Sets the number widget `widget_id` and waits for the run it causes to
  // finish. Throws if the connection broke.
  asio::awaitable<void> Rerun(const std::string& widget_id, double value);
  asio::awaitable<void> Close();
  // Whether the connection broke since Open (the broker closed it, say).
  bool broken() const { return broken_; }

 private:
  asio::awaitable<void> ReadForever();

  PageClient page_;
  asio::steady_timer finished_signal_;  // cancelled on each finished run
  std::uint64_t finished_runs_ = 0;
  bool broken_ = false;
  std::string error_;
};

}  // namespace sluice::bench
