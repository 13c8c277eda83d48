#include "bench/load_page.h"

#include <chrono>
#include <exception>
#include <stdexcept>

namespace sluice::bench {

namespace {

// How long connect and handshake may take while thousands of sessions open.
constexpr std::chrono::seconds kOpenTimeout{60};

}  // namespace

asio::awaitable<void> LoadPage::Open(std::uint16_t port) {
  co_await page_.Open(port, kOpenTimeout);
  co_await page_.Hello();
  finished_signal_.expires_at(asio::steady_timer::time_point::max());
  asio::co_spawn(finished_signal_.get_executor(), ReadForever(), asio::detached);
}

asio::awaitable<void> LoadPage::ReadForever() {
  try {
    for (;;) {
      PageClient::Received received = co_await page_.Read();
      if (received.finished) {
        ++finished_runs_;
        finished_signal_.cancel();
      }
    }
  } catch (const std::exception& e) {
    broken_ = true;
    error_ = e.what();
    finished_signal_.cancel();
  }
}

asio::awaitable<void> LoadPage::Rerun(const std::string& widget_id, double value) {
  if (broken_) throw std::runtime_error(error_);
  std::uint64_t before = finished_runs_;
  co_await page_.SetNumber(widget_id, value);
  while (finished_runs_ == before) {
    if (broken_) throw std::runtime_error(error_);
    boost::system::error_code ignored;
    co_await finished_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> LoadPage::Close() {
  if (broken_) co_return;
  co_await page_.Close();
}

}  // namespace sluice::bench
