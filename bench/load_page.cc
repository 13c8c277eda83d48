#include "bench/load_page.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "ipc/page.capnp.h"

namespace sluice::bench {

using asio::use_awaitable;

namespace {

std::string Flatten(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

}  // namespace

asio::awaitable<void> LoadPage::Open(std::uint16_t port) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.expires_after(std::chrono::seconds(60));
  co_await tcp.async_connect(endpoint, use_awaitable);
  tcp.socket().set_option(asio::ip::tcp::no_delay(true));
  co_await ws_.async_handshake("127.0.0.1", "/_sluice/ws", use_awaitable);
  tcp.expires_never();
  ws_.binary(true);
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::PageMessage>().initHello().setReconnectToken("");
  std::string bytes = Flatten(message);
  co_await ws_.async_write(asio::buffer(bytes), use_awaitable);
  while (!co_await ReadOne()) {
  }
  finished_signal_.expires_at(asio::steady_timer::time_point::max());
  asio::co_spawn(ws_.get_executor(), ReadForever(), asio::detached);
}

asio::awaitable<bool> LoadPage::ReadOne() {
  buffer_.consume(buffer_.size());
  co_await ws_.async_read(buffer_, use_awaitable);
  auto data = buffer_.data();
  std::vector<capnp::word> words(data.size() / sizeof(capnp::word));
  std::memcpy(words.data(), data.data(), words.size() * sizeof(capnp::word));
  capnp::FlatArrayMessageReader reader(kj::arrayPtr(words.data(), words.size()));
  auto message = reader.getRoot<ipc::ServerMessage>();
  if (message.isNotice()) {
    throw std::runtime_error(std::string("server notice: ") +
                             message.getNotice().getMessage().cStr());
  }
  co_return message.isRun() && message.getRun().getFinished();
}

asio::awaitable<void> LoadPage::ReadForever() {
  try {
    for (;;) {
      if (co_await ReadOne()) {
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
  capnp::MallocMessageBuilder message;
  auto change = message.initRoot<ipc::PageMessage>().initWidgetChange();
  change.setWidgetId(widget_id.c_str());
  change.initValue().setNumber(value);
  std::string bytes = Flatten(message);
  co_await ws_.async_write(asio::buffer(bytes), use_awaitable);
  while (finished_runs_ == before) {
    if (broken_) throw std::runtime_error(error_);
    boost::system::error_code ignored;
    co_await finished_signal_.async_wait(asio::redirect_error(use_awaitable, ignored));
  }
}

asio::awaitable<void> LoadPage::Close() {
  if (broken_) co_return;
  co_await ws_.async_close(beast::websocket::close_code::normal, use_awaitable);
}

}  // namespace sluice::bench
