#include "broker/session_queue.h"

#include "broker/page_connection.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

SessionQueue::SessionQueue(asio::io_context& io, std::size_t capacity, absl::Duration timeout,
                           LeftHandler on_left)
    : io_(io), capacity_(capacity), timeout_(timeout), on_left_(std::move(on_left)) {}

SessionQueue::~SessionQueue() {
  for (Entry& entry : entries_) Forget(entry);
}

void SessionQueue::Forget(Entry& entry) {
  entry.timer->cancel();
  if (auto page = entry.page.lock()) page->SetOnGone(nullptr);
}

bool SessionQueue::Push(const std::shared_ptr<PageConnection>& page) {
  if (entries_.size() >= capacity_) return false;
  const PageConnection* key = page.get();
  auto timer = std::make_unique<asio::steady_timer>(io_);
  timer->expires_after(absl::ToChronoMilliseconds(timeout_));
  timer->async_wait([this, key](boost::system::error_code ec) {
    if (!ec) Leave(key, Left::kTimedOut);
  });
  entries_.push_back(Entry{page, key, std::move(timer)});
  page->SetOnGone([this, key] { Leave(key, Left::kClosed); });
  TellPositionsFrom(entries_.size() - 1);
  return true;
}

std::shared_ptr<PageConnection> SessionQueue::Pop() {
  while (!entries_.empty()) {
    Entry entry = std::move(entries_.front());
    entries_.pop_front();
    Forget(entry);
    auto page = entry.page.lock();
    if (page && page->open()) {
      TellPositionsFrom(0);
      return page;
    }
    // Closed without telling us (closed by the broker itself): no one to admit.
    if (page) on_left_(page, Left::kClosed);
  }
  return nullptr;
}

std::vector<std::shared_ptr<PageConnection>> SessionQueue::TakeAll() {
  std::vector<std::shared_ptr<PageConnection>> pages;
  for (Entry& entry : entries_) {
    Forget(entry);
    if (auto page = entry.page.lock()) pages.push_back(std::move(page));
  }
  entries_.clear();
  return pages;
}

void SessionQueue::Leave(const PageConnection* key, Left why) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].key != key) continue;
    Entry entry = std::move(entries_[i]);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
    Forget(entry);
    TellPositionsFrom(i);
    if (auto page = entry.page.lock()) on_left_(page, why);
    return;
  }
}

void SessionQueue::TellPositionsFrom(std::size_t index) {
  for (std::size_t i = index; i < entries_.size(); ++i) {
    auto page = entries_[i].page.lock();
    if (!page) continue;
    std::size_t position = i + 1;
    page->SendQueued(static_cast<std::uint32_t>(position),
                     StrCat("Every worker of this server is in use. You are number ", position,
                            " in line; the app opens by itself when a place is free."));
  }
}

}  // namespace sluice::broker
