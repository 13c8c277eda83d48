// A minimal asynchronous page for the benchmarks: opens a session, waits for
// elements, changes a widget and waits for the rerun to finish. C++20
// coroutines on one io_context, loopback only. bench/load_page.h builds its
// always-reading viewer on it.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sluice::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

class PageClient {
 public:
  explicit PageClient(asio::io_context& io) : ws_(io) {}

  // TCP connect and WebSocket handshake to 127.0.0.1:port. With `timeout`,
  // throws if the two together take longer; without, waits as long as it takes.
  asio::awaitable<void> Open(std::uint16_t port,
                             std::optional<Clock::duration> timeout = std::nullopt);
  // Sends hello; returns when the first run finished, with the time the
  // first element arrived.
  asio::awaitable<Clock::time_point> Hello();
  // Reads until the current run's last update (finished) arrived.
  asio::awaitable<void> WaitRunFinished();
  // Sets a number widget (slider / number_input) by id.
  asio::awaitable<void> SetNumber(const std::string& widget_id, double value);
  asio::awaitable<void> Close();

  struct Received {
    bool has_elements = false;
    bool finished = false;
  };
  // Reads one server message. Throws on a notice (such as "busy") or a
  // broken connection. REQUIRES: no other read pending (Hello and
  // WaitRunFinished read too).
  asio::awaitable<Received> Read();

  // Payload bytes of every message Read so far (WebSocket frame headers not
  // counted): what the page was sent.
  std::uint64_t bytes_received() const { return bytes_received_; }
  // How many messages Read so far.
  std::uint64_t messages_received() const { return messages_received_; }

 private:
  beast::websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::uint64_t bytes_received_ = 0;
  std::uint64_t messages_received_ = 0;
};

}  // namespace sluice::bench
