#include "bench/page_client.h"

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

asio::awaitable<void> PageClient::Open(std::uint16_t port, std::optional<Clock::duration> timeout) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  auto& tcp = beast::get_lowest_layer(ws_);
  if (timeout) tcp.expires_after(*timeout);
  co_await tcp.async_connect(endpoint, use_awaitable);
  tcp.socket().set_option(asio::ip::tcp::no_delay(true));
  co_await ws_.async_handshake("127.0.0.1", "/_sluice/ws", use_awaitable);
  tcp.expires_never();
  ws_.binary(true);
}

asio::awaitable<PageClient::Received> PageClient::Read() {
  buffer_.consume(buffer_.size());
  co_await ws_.async_read(buffer_, use_awaitable);
  auto data = buffer_.data();
  bytes_received_ += data.size();
  ++messages_received_;
  std::vector<capnp::word> words(data.size() / sizeof(capnp::word));
  std::memcpy(words.data(), data.data(), words.size() * sizeof(capnp::word));
  capnp::FlatArrayMessageReader reader(kj::arrayPtr(words.data(), words.size()));
  auto message = reader.getRoot<ipc::ServerMessage>();
  Received received;
  if (message.isRun()) {
    received.has_elements = message.getRun().getDeltas().size() > 0;
    received.finished = message.getRun().getFinished();
  } else if (message.isNotice()) {
    throw std::runtime_error(std::string("server notice: ") +
                             message.getNotice().getMessage().cStr());
  }
  co_return received;
}

asio::awaitable<Clock::time_point> PageClient::Hello() {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::PageMessage>().initHello().setReconnectToken("");
  std::string bytes = Flatten(message);
  co_await ws_.async_write(asio::buffer(bytes), use_awaitable);
  Clock::time_point first_element{};
  for (;;) {
    Received received = co_await Read();
    if (received.has_elements && first_element == Clock::time_point{}) first_element = Clock::now();
    if (received.finished) co_return first_element;
  }
}

asio::awaitable<void> PageClient::WaitRunFinished() {
  for (;;) {
    Received received = co_await Read();
    if (received.finished) co_return;
  }
}

asio::awaitable<void> PageClient::SetNumber(const std::string& widget_id, double value) {
  capnp::MallocMessageBuilder message;
  auto change = message.initRoot<ipc::PageMessage>().initWidgetChange();
  change.setWidgetId(widget_id.c_str());
  change.initValue().setNumber(value);
  std::string bytes = Flatten(message);
  co_await ws_.async_write(asio::buffer(bytes), use_awaitable);
}

asio::awaitable<void> PageClient::Close() {
  co_await ws_.async_close(beast::websocket::close_code::normal, use_awaitable);
}

}  // namespace sluice::bench
