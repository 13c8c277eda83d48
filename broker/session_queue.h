// Tabs waiting for a worker while --workers sessions are live: a bounded
// FIFO (--max-queue) with a deadline per tab (--queue-timeout).
//
// A waiting page is told its place in line (a `queued` notice, position 1 =
// next) when it joins and again whenever it moves up. It leaves the line
// when the server admits it (Pop), when it closes (its connection reports
// itself gone), or when its wait times out: then `on_left` runs, and for a
// timeout the owner tells the page "server busy". Lives on the broker's io
// thread; nothing here is thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "broker/net.h"

namespace sluice::broker {

class PageConnection;

class SessionQueue {
 public:
  enum class Left { kTimedOut, kClosed };
  // Runs once for every page that leaves without being admitted.
  using LeftHandler = std::function<void(const std::shared_ptr<PageConnection>&, Left)>;

  SessionQueue(asio::io_context& io, std::size_t capacity, absl::Duration timeout,
               LeftHandler on_left);
  ~SessionQueue();
  SessionQueue(const SessionQueue&) = delete;
  SessionQueue& operator=(const SessionQueue&) = delete;

  // Adds `page` at the back and tells it its position. False, and the page
  // is left alone, when the line is full (or has no room at all).
  bool Push(const std::shared_ptr<PageConnection>& page);
  // Takes the page at the front that is still connected, or null if none
  // waits. Everyone behind it is told their new position.
  std::shared_ptr<PageConnection> Pop();
  // Empties the line without calling on_left (the server is stopping).
  std::vector<std::shared_ptr<PageConnection>> TakeAll();

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::weak_ptr<PageConnection> page;
    const PageConnection* key;
    std::unique_ptr<asio::steady_timer> timer;
  };
  // Removes the entry for `key`, if queued, and reports it as `why`.
  void Leave(const PageConnection* key, Left why);
  // Tells every page from `index` on its (new) position.
  void TellPositionsFrom(std::size_t index);
  static void Forget(Entry& entry);

  asio::io_context& io_;
  std::size_t capacity_;
  absl::Duration timeout_;
  LeftHandler on_left_;
  std::deque<Entry> entries_;
};

}  // namespace sluice::broker
