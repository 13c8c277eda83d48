#include "tests/support/ws_client.h"

#include <capnp/serialize.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ipc/text.h"

namespace sluice::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr uint16_t kAbnormalClosure = 1006;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

absl::StatusOr<Owned<ipc::ServerMessage>> Decode(net::const_buffer bytes) {
  if (bytes.size() % sizeof(capnp::word) != 0) {
    return absl::DataLossError(
        absl::StrCat("server frame of ", bytes.size(), " bytes is not whole capnp words"));
  }
  // Copied into words: the frame buffer need not be 8-byte aligned.
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1u << 28;
    capnp::FlatArrayMessageReader reader(words, options);
    return Owned<ipc::ServerMessage>(reader.getRoot<ipc::ServerMessage>());
  } catch (const kj::Exception& e) {
    return absl::DataLossError(
        absl::StrCat("undecodable server frame: ", e.getDescription().cStr()));
  }
}

}  // namespace

void WidgetInput::WriteTo(ipc::WidgetValue::Builder value) const {
  std::visit(Overloaded{
                 [&](Clicked) { value.setClicked(); },
                 [&](bool checked) { value.setChecked(checked); },
                 [&](double number) { value.setNumber(number); },
                 [&](const std::string& text) { value.adoptText(ipc::NewText(value, text)); },
                 [&](int32_t index) { value.setIndex(index); },
                 [&](const FileId& file) { value.adoptRemoveFile(ipc::NewText(value, file.id)); },
             },
             value_);
}

struct WsClient::Impl {
  net::io_context context;
  websocket::stream<beast::tcp_stream> ws{context};
  beast::flat_buffer buffer;
  std::string cookie;
  std::string origin;
  int receive_buffer_bytes = 0;
  bool unusable = false;
  // ReadSome began a message in `buffer` (partial) or read all of it (whole).
  bool partial = false;
  bool whole = false;

  // Starts one async operation through `start(handler)` and runs the context
  // until it completes or the deadline passes. On the deadline the socket is
  // closed, which completes the operation with an error, and the connection
  // stays unusable.
  template <class Start>
  absl::StatusOr<beast::error_code> Run(std::string_view what, Deadline deadline, Start start) {
    if (unusable) return absl::FailedPreconditionError("the connection is no longer usable");
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    context.restart();
    context.run_until(deadline);
    if (result) return *result;
    unusable = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
    context.restart();
    context.run();
    return absl::DeadlineExceededError(
        absl::StrCat(std::string(what), " did not finish before the deadline"));
  }

  absl::Status Write(std::string_view what, net::const_buffer bytes, bool binary,
                     Deadline deadline) {
    ws.binary(binary);
    absl::StatusOr<beast::error_code> ec =
        Run(what, deadline, [&](auto handler) { ws.async_write(bytes, std::move(handler)); });
    if (!ec.ok()) return ec.status();
    if (*ec) return absl::UnavailableError(absl::StrCat(std::string(what), ": ", ec->message()));
    return absl::OkStatus();
  }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}

WsClient::~WsClient() { Drop(); }

void WsClient::SetCookie(std::string cookie) { impl_->cookie = std::move(cookie); }

void WsClient::SetOrigin(std::string origin) { impl_->origin = std::move(origin); }

void WsClient::SetReceiveBufferBytes(int bytes) { impl_->receive_buffer_bytes = bytes; }

absl::Status WsClient::Connect(uint16_t port, Deadline deadline) {
  net::ip::tcp::endpoint endpoint(net::ip::address_v4::loopback(), port);
  if (impl_->receive_buffer_bytes > 0) {
    auto& socket = beast::get_lowest_layer(impl_->ws).socket();
    beast::error_code ec;
    socket.open(net::ip::tcp::v4(), ec);
    if (!ec)
      socket.set_option(net::socket_base::receive_buffer_size(impl_->receive_buffer_bytes), ec);
    if (ec) return absl::InternalError(absl::StrCat("SO_RCVBUF: ", ec.message()));
  }
  absl::StatusOr<beast::error_code> ec = impl_->Run("connect", deadline, [&](auto handler) {
    beast::get_lowest_layer(impl_->ws).async_connect(endpoint, std::move(handler));
  });
  if (!ec.ok()) return ec.status();
  if (*ec)
    return absl::UnavailableError(absl::StrCat("connect to port ", port, ": ", ec->message()));

  impl_->ws.auto_fragment(false);  // one message, one frame, as the page sends them
  impl_->ws.read_message_max(64u << 20);
  impl_->ws.set_option(websocket::stream_base::decorator(
      [cookie = impl_->cookie, origin = impl_->origin](websocket::request_type& request) {
        if (!cookie.empty()) request.set(beast::http::field::cookie, cookie);
        if (!origin.empty()) request.set(beast::http::field::origin, origin);
      }));
  std::string host = absl::StrCat("127.0.0.1:", port);
  websocket::response_type response;
  ec = impl_->Run("WebSocket handshake", deadline, [&](auto handler) {
    impl_->ws.async_handshake(response, host, "/_sluice/ws", std::move(handler));
  });
  if (!ec.ok()) return ec.status();
  if (*ec) {
    impl_->unusable = true;
    std::string what =
        absl::StrCat("WebSocket handshake: ", ec->message(), " (HTTP ", response.result_int(), ")");
    if (response.result() == beast::http::status::forbidden) {
      return absl::PermissionDeniedError(what);
    }
    return absl::UnavailableError(what);
  }
  return absl::OkStatus();
}

absl::Status WsClient::SendMessage(capnp::MessageBuilder& message, Deadline deadline) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  kj::ArrayPtr<const kj::byte> bytes = words.asBytes();
  return impl_->Write("send", net::const_buffer(bytes.begin(), bytes.size()), true, deadline);
}

absl::Status WsClient::SendHello(std::string_view reconnect_token, Deadline deadline) {
  capnp::MallocMessageBuilder message;
  auto hello = message.initRoot<ipc::PageMessage>().initHello();
  hello.adoptReconnectToken(ipc::NewText(hello, reconnect_token));
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendWidgetChange(std::string_view widget_id, const WidgetInput& value,
                                        Deadline deadline) {
  capnp::MallocMessageBuilder message;
  auto change = message.initRoot<ipc::PageMessage>().initWidgetChange();
  change.adoptWidgetId(ipc::NewText(change, widget_id));
  value.WriteTo(change.initValue());
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendBye(Deadline deadline) {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::PageMessage>().setBye();
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendUploadBegin(uint32_t upload_id, std::string_view widget_id,
                                       std::string_view name, std::string_view type, uint64_t size,
                                       Deadline deadline) {
  capnp::MallocMessageBuilder message;
  auto begin = message.initRoot<ipc::PageMessage>().initUploadBegin();
  begin.setUploadId(upload_id);
  begin.adoptWidgetId(ipc::NewText(begin, widget_id));
  begin.adoptName(ipc::NewText(begin, name));
  begin.adoptType(ipc::NewText(begin, type));
  begin.setSize(size);
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendUploadChunk(uint32_t upload_id, uint64_t offset, std::string_view data,
                                       Deadline deadline) {
  capnp::MallocMessageBuilder message;
  auto chunk = message.initRoot<ipc::PageMessage>().initUploadChunk();
  chunk.setUploadId(upload_id);
  chunk.setOffset(offset);
  chunk.setData(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(data.data()), data.size()));
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendUploadEnd(uint32_t upload_id, Deadline deadline) {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::PageMessage>().setUploadEnd(upload_id);
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendUploadCancel(uint32_t upload_id, Deadline deadline) {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::PageMessage>().setUploadCancel(upload_id);
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendRowsQuery(uint32_t query_id, std::string_view element_id, uint64_t begin,
                                     uint32_t count, int32_t sort_column, bool descending,
                                     Deadline deadline) {
  capnp::MallocMessageBuilder message;
  auto query = message.initRoot<ipc::PageMessage>().initQuery();
  query.setQueryId(query_id);
  query.setElementId(capnp::Text::Reader(element_id.data(), element_id.size()));
  auto rows = query.initRows();
  rows.setBegin(begin);
  rows.setCount(count);
  rows.setSortColumn(sort_column);
  rows.setDescending(descending);
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendDownloadQuery(uint32_t query_id, std::string_view element_id,
                                         Deadline deadline) {
  capnp::MallocMessageBuilder message;
  auto query = message.initRoot<ipc::PageMessage>().initQuery();
  query.setQueryId(query_id);
  query.setElementId(capnp::Text::Reader(element_id.data(), element_id.size()));
  query.setDownload();
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendPointsQuery(uint32_t query_id, std::string_view element_id, double x_min,
                                       double x_max, uint32_t pixels, Deadline deadline) {
  capnp::MallocMessageBuilder message;
  auto query = message.initRoot<ipc::PageMessage>().initQuery();
  query.setQueryId(query_id);
  query.setElementId(capnp::Text::Reader(element_id.data(), element_id.size()));
  auto points = query.initPoints();
  points.setXMin(x_min);
  points.setXMax(x_max);
  points.setPixels(pixels);
  return SendMessage(message, deadline);
}

absl::Status WsClient::SendRaw(std::string_view bytes, bool binary, Deadline deadline) {
  return impl_->Write("send raw", net::const_buffer(bytes.data(), bytes.size()), binary, deadline);
}

absl::Status WsClient::SendPong(Deadline deadline) {
  absl::StatusOr<beast::error_code> ec = impl_->Run(
      "pong", deadline, [&](auto handler) { impl_->ws.async_pong({}, std::move(handler)); });
  if (!ec.ok()) return ec.status();
  if (*ec) return absl::UnavailableError(absl::StrCat("pong: ", ec->message()));
  return absl::OkStatus();
}

absl::Status WsClient::Close(uint16_t code, Deadline deadline) {
  absl::StatusOr<beast::error_code> ec = impl_->Run("close", deadline, [&](auto handler) {
    impl_->ws.async_close(websocket::close_reason(code), std::move(handler));
  });
  if (!ec.ok()) return ec.status();
  impl_->unusable = true;
  if (*ec) return absl::UnavailableError(absl::StrCat("close: ", ec->message()));
  return absl::OkStatus();
}

void WsClient::Drop() {
  impl_->unusable = true;
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
}

absl::Status WsClient::HalfClose() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().shutdown(net::socket_base::shutdown_send, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("shutdown(SHUT_WR): ", ec.message()));
  return absl::OkStatus();
}

uint16_t WsClient::local_port() const {
  beast::error_code ec;
  auto endpoint = beast::get_lowest_layer(impl_->ws).socket().local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

absl::StatusOr<bool> WsClient::ReadSome(size_t max_bytes, Deadline deadline) {
  if (impl_->whole) return true;
  if (!impl_->partial) impl_->buffer.clear();
  absl::StatusOr<beast::error_code> ec = impl_->Run("read some", deadline, [&](auto handler) {
    impl_->ws.async_read_some(impl_->buffer, max_bytes, std::move(handler));
  });
  if (!ec.ok()) return ec.status();
  if (*ec) {
    impl_->unusable = true;
    const auto& reason = impl_->ws.reason();
    return absl::UnavailableError(
        absl::StrCat("read some: ", ec->message(), " (close code ", static_cast<int>(reason.code),
                     ": ", std::string(reason.reason.data(), reason.reason.size()), ")"));
  }
  impl_->partial = !impl_->ws.is_message_done();
  impl_->whole = !impl_->partial;
  return impl_->whole;
}

absl::StatusOr<Incoming> WsClient::Receive(Deadline deadline) {
  bool whole = std::exchange(impl_->whole, false);
  bool partial = std::exchange(impl_->partial, false);
  if (!whole && !partial) impl_->buffer.clear();
  absl::StatusOr<beast::error_code> ec = absl::StatusOr<beast::error_code>(beast::error_code());
  if (!whole) {
    // Beast's read goes on with a message that read_some began.
    ec = impl_->Run("receive", deadline,
                    [&](auto handler) { impl_->ws.async_read(impl_->buffer, std::move(handler)); });
  }
  if (!ec.ok()) return ec.status();
  if (*ec) {
    impl_->unusable = true;
    Incoming closed;
    closed.closed = true;
    // A close frame may have arrived even when the read failed afterwards:
    // answering it fails if the server already tore the connection down.
    if (*ec == websocket::error::closed || impl_->ws.reason().code != websocket::close_code::none) {
      closed.close_code = impl_->ws.reason().code;
      const auto& reason = impl_->ws.reason().reason;
      closed.close_reason = std::string(reason.data(), reason.size());
    } else {
      closed.close_code = kAbnormalClosure;
      closed.close_reason = ec->message();
    }
    return closed;
  }
  if (!impl_->ws.got_binary()) {
    return absl::DataLossError("the server sent a text frame; every message is binary capnp");
  }
  absl::StatusOr<Owned<ipc::ServerMessage>> message = Decode(impl_->buffer.cdata());
  if (!message.ok()) return message.status();
  Incoming incoming;
  incoming.message = *std::move(message);
  return incoming;
}

}  // namespace sluice::testing
