// Writes the seed corpus (fuzz/corpus/<target>/) from real messages built
// with the Cap'n Proto C++ API and real cache entries encoded by
// sluice/cache_value.hpp, so that fuzzing starts from what sluice's own
// processes send. Run it again after a schema change:
//
//   cmake --build build --target fuzz_make_seeds
//   build/fuzz/fuzz_make_seeds fuzz/corpus
//
// Each seed is small (well under 4 KiB). Existing files are overwritten;
// files libFuzzer added are left alone.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sluice/cache_value.hpp>
#include <sluice/column.hpp>
#include <sluice/dataframe.hpp>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/cache_value_types.h"
#include "fuzz/records.h"
#include "ipc/keeper.capnp.h"
#include "ipc/page.capnp.h"
#include "runtime/cache_entry.h"

namespace {

using sluice::fuzz::AppendRecord;
namespace ipc = sluice::ipc;

std::filesystem::path g_root;

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
  std::filesystem::path dir = g_root / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), bytes.size());
}

std::string Flat(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// --- page messages ---------------------------------------------------------

std::string Hello(std::string_view token) {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::PageMessage>().initHello().setReconnectToken(
      capnp::Text::Reader(token.data(), token.size()));
  return Flat(message);
}

template <class Fill>
std::string Change(std::string_view widget, Fill fill) {
  capnp::MallocMessageBuilder message;
  auto change = message.initRoot<ipc::PageMessage>().initWidgetChange();
  change.setWidgetId(capnp::Text::Reader(widget.data(), widget.size()));
  fill(change.initValue());
  return Flat(message);
}

std::string UploadBegin(std::uint32_t id, std::uint64_t size) {
  capnp::MallocMessageBuilder message;
  auto begin = message.initRoot<ipc::PageMessage>().initUploadBegin();
  begin.setUploadId(id);
  begin.setWidgetId("file_uploader:data");
  begin.setName("../data.csv");
  begin.setType("text/csv");
  begin.setSize(size);
  return Flat(message);
}

std::string UploadChunk(std::uint32_t id, std::uint64_t offset, std::string_view data) {
  capnp::MallocMessageBuilder message;
  auto chunk = message.initRoot<ipc::PageMessage>().initUploadChunk();
  chunk.setUploadId(id);
  chunk.setOffset(offset);
  chunk.setData(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(data.data()), data.size()));
  return Flat(message);
}

std::string UploadEnd(std::uint32_t id, bool cancel) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<ipc::PageMessage>();
  if (cancel) {
    root.setUploadCancel(id);
  } else {
    root.setUploadEnd(id);
  }
  return Flat(message);
}

std::string Bye() {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::PageMessage>().setBye();
  return Flat(message);
}

std::string Query(std::uint32_t id, const char* element, std::int64_t sort_column) {
  capnp::MallocMessageBuilder message;
  auto query = message.initRoot<ipc::PageMessage>().initQuery();
  query.setQueryId(id);
  query.setElementId(element);
  if (sort_column < -1) {
    query.setDownload();
  } else {
    auto rows = query.initRows();
    rows.setBegin(1000);
    rows.setCount(50);
    rows.setSortColumn(static_cast<std::int32_t>(sort_column));
    rows.setDescending(true);
  }
  return Flat(message);
}

void PageSeeds() {
  std::string seed;
  AppendRecord(&seed, Hello(""));
  AppendRecord(&seed, Change("button:go", [](auto v) { v.setClicked(); }));
  AppendRecord(&seed, Change("checkbox:on", [](auto v) { v.setChecked(true); }));
  AppendRecord(&seed, Change("slider:n", [](auto v) { v.setNumber(42.5); }));
  AppendRecord(&seed, Change("text_input:name", [](auto v) { v.setText("hello"); }));
  AppendRecord(&seed, Change("selectbox:pick", [](auto v) { v.setIndex(2); }));
  AppendRecord(&seed, Change("file_uploader:data", [](auto v) { v.setRemoveFile("f1"); }));
  Write("page_message", "widget_changes", seed);

  seed.clear();
  AppendRecord(&seed, Hello("0123456789abcdef0123456789abcdef"));
  AppendRecord(&seed, UploadBegin(1, 10));
  AppendRecord(&seed, UploadChunk(1, 0, "hello"));
  AppendRecord(&seed, UploadChunk(1, 5, "world"));
  AppendRecord(&seed, UploadEnd(1, false));
  AppendRecord(&seed, UploadBegin(2, 100));
  AppendRecord(&seed, UploadChunk(2, 0, "partial"));
  AppendRecord(&seed, UploadEnd(2, true));
  AppendRecord(&seed, Bye());
  Write("page_message", "uploads", seed);

  seed.clear();
  AppendRecord(&seed, Change("button:go", [](auto v) { v.setClicked(); }));  // before hello
  AppendRecord(&seed, Hello(""));
  AppendRecord(&seed, Hello(""));
  AppendRecord(&seed, UploadChunk(7, 3, "out of order"));
  AppendRecord(&seed, "not a capnp message");
  Write("page_message", "out_of_order", seed);

  seed.clear();
  AppendRecord(&seed, Hello(""));
  AppendRecord(&seed, Query(1, "dataframe::0#1", -1));
  AppendRecord(&seed, Query(2, "dataframe::0#1", 2));
  AppendRecord(&seed, Query(3, "downloadButton:Get:0#2", -2));
  AppendRecord(&seed, Query(4, "", -1));
  Write("page_message", "queries", seed);
}

// --- keeper packets --------------------------------------------------------

void SetKey(ipc::CacheKey::Builder key, std::uint64_t id) {
  key.setLow(0x9e3779b97f4a7c15ull * id);
  key.setHigh(id);
}

std::string Packet(std::uint8_t control, capnp::MessageBuilder& message) {
  return std::string(1, static_cast<char>(control)) + Flat(message);
}

std::string Claim(std::uint8_t worker, std::uint64_t id, std::uint64_t key) {
  capnp::MallocMessageBuilder message;
  auto claim = message.initRoot<ipc::CacheRequest>().initClaim();
  claim.setId(id);
  SetKey(claim.initKey(), key);
  claim.setFunction(7);
  return Packet(worker, message);
}

std::string Publish(std::uint8_t control, std::uint64_t key, std::string_view value,
                    std::uint64_t size, std::uint64_t ttl_ms) {
  capnp::MallocMessageBuilder message;
  auto publish = message.initRoot<ipc::CacheRequest>().initPublish();
  SetKey(publish.initKey(), key);
  publish.setFunction(7);
  publish.setTtlMs(ttl_ms);
  publish.setMaxEntries(2);
  publish.setSize(size);
  publish.setInline(
      capnp::Data::Reader(reinterpret_cast<const kj::byte*>(value.data()), value.size()));
  publish.setKind(1);
  return Packet(control, message);
}

void KeeperSeeds() {
  std::string seed;
  AppendRecord(&seed, Claim(0, 1, 100));
  AppendRecord(&seed, Claim(1, 1, 100));  // waits
  AppendRecord(&seed, Publish(0, 100, "a value", 7, 0));
  AppendRecord(&seed, Claim(2, 5, 101));
  AppendRecord(&seed, Publish(2 | 8, 101, "", 4096, 1000));  // with a sealed memfd
  {
    capnp::MallocMessageBuilder message;
    auto touch = message.initRoot<ipc::CacheRequest>().initTouch(2);
    SetKey(touch[0], 100);
    SetKey(touch[1], 101);
    AppendRecord(&seed, Packet(1, message));
  }
  {
    capnp::MallocMessageBuilder message;
    message.initRoot<ipc::CacheRequest>().setHits(3);
    AppendRecord(&seed, Packet(1 | (2 << 5), message));  // two seconds later: the ttl passed
  }
  Write("keeper_packet", "claim_publish_touch", seed);

  seed.clear();
  AppendRecord(&seed, Claim(0, 1, 200));
  AppendRecord(&seed, Claim(1, 2, 200));
  AppendRecord(&seed, Claim(3, 3, 200));
  {
    capnp::MallocMessageBuilder message;
    SetKey(message.initRoot<ipc::CacheRequest>().initAbandon(), 200);
    AppendRecord(&seed, Packet(0, message));  // worker 1 takes over
  }
  AppendRecord(&seed, std::string(1, 1 | 4));  // worker 1 hangs up: worker 3 takes over
  AppendRecord(&seed, Publish(3, 200, "late", 4, 0));
  for (int scope = 0; scope < 3; ++scope) {
    capnp::MallocMessageBuilder message;
    auto clear = message.initRoot<ipc::CacheRequest>().initClear();
    clear.setId(9);
    if (scope == 0) clear.setAll();
    if (scope == 1) clear.setFunction(7);
    if (scope == 2) SetKey(clear.initKey(), 200);
    AppendRecord(&seed, Packet(2, message));
  }
  Write("keeper_packet", "takeover_clear", seed);

  seed.clear();
  AppendRecord(&seed, Claim(0, 1, 300));
  AppendRecord(&seed, Publish(0 | 8, 300, "", 4096, 0));
  {
    capnp::MallocMessageBuilder message;
    auto pin = message.initRoot<ipc::CacheRequest>().initPin();
    pin.setId(4);
    SetKey(pin.initKey(), 300);
    pin.setOffset(1 << 16);
    pin.setSize(4096);
    AppendRecord(&seed, Packet(1, message));
  }
  {
    capnp::MallocMessageBuilder message;
    message.initRoot<ipc::CacheRequest>().setUnpin(1 << 16);
    AppendRecord(&seed, Packet(1, message));
  }
  AppendRecord(&seed, Publish(2 | 16, 301, "", 4096, 0));  // unsealed, not the owner
  Write("keeper_packet", "pin_unpin", seed);
}

// --- worker frames ---------------------------------------------------------

std::string RunUpdate(bool started, bool finished, std::string_view text) {
  capnp::MallocMessageBuilder message;
  auto run = message.initRoot<ipc::ServerMessage>().initRun();
  run.setRunId(3);
  run.setStarted(started);
  run.setFinished(finished);
  auto delta = run.initDeltas(1)[0];
  delta.initPath(2).set(1, 4);
  delta.initElement().setMarkdown(capnp::Text::Reader(text.data(), text.size()));
  if (finished) {
    auto length = run.initLengths(1)[0];
    length.initPath(0);
    length.setLength(5);
  }
  return Flat(message);
}

void FrameSeeds() {
  std::string frames = RunUpdate(true, false, "# Hello") + RunUpdate(false, true, "*done*");
  {
    capnp::MallocMessageBuilder message;
    auto notice = message.initRoot<ipc::ServerMessage>().initNotice();
    notice.setKind(ipc::Notice::Kind::BAD_INPUT);
    notice.setMessage("no such widget");
    frames += Flat(message);
  }
  Write("worker_frame", "whole_reads", std::string(1, 16) + frames);
  Write("worker_frame", "byte_reads", std::string(1, 0) + frames);
  Write("worker_frame", "seven_byte_reads",
        std::string(1, 3) + frames.substr(0, frames.size() - 5));
}

// --- config, secrets, HTTP (text) -----------------------------------------

void TextSeeds() {
  Write("config_file", "service.toml", R"(# sluice serve --config
host = "0.0.0.0"
port = 8501
workers = 64
prefork = 4
cache-size = "512M"
max-upload-mb = 50
reconnect-grace = "45s"
rerun-timeout = 120
idle-timeout = "30m"
log-level = "warning"
sandbox = "standard"
allow-read = ["/usr/share", "data"]
watch = true
)");
  Write("config_file", "errors.toml", "workers = \"many\"\n[table]\nkey = 1\n");
  Write("secrets_file", "secrets.toml", R"(api_key = "sk-0123456789"
[database]
user = "app"
password = "hunter2"
[database.replica]
host = "db2.internal"
)");
  Write("secrets_file", "not_a_string.toml", "port = 5432\n");
  Write("secrets_file", "broken.toml", "password = \"unterminated secret value\n");
  Write("http_request", "keep_alive",
        std::string(1, 14) +
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8501\r\n\r\n"
            "GET /app.js?v=3 HTTP/1.1\r\nHost: 127.0.0.1:8501\r\nConnection: close\r\n\r\n");
  Write("http_request", "upgrade",
        std::string(1, 2) +
            "GET /_sluice/ws HTTP/1.1\r\nHost: 127.0.0.1:8501\r\nOrigin: http://127.0.0.1:8501\r\n"
            "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  Write("http_request", "admin",
        std::string(1, 5) +
            "DELETE /admin/sessions/abc%22def HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer fuzz-admin-token-0123456789\r\n\r\n"
            "POST /admin/cache/clear HTTP/1.1\r\nHost: x\r\nAuthorization: bearer wrong\r\n"
            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            "POST /admin/reload HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
}

// --- cache entries ---------------------------------------------------------

using sluice::fuzz::Point;
using sluice::fuzz::Shade;
using sluice::fuzz::Table;

template <class T>
std::string Encoded(const T& value) {
  st::ValueWriter measure;
  st::detail::Encode(measure, value);
  std::string bytes(measure.size(), '\0');
  st::ValueWriter out(
      std::span<std::byte>(reinterpret_cast<std::byte*>(bytes.data()), bytes.size()));
  st::detail::Encode(out, value);
  return bytes;
}

// Session::EndCapture's format: word count, then the canonical message.
std::string Recorded(std::string_view markdown) {
  capnp::MallocMessageBuilder message;
  auto element = message.initRoot<ipc::Element>();
  element.setMarkdown(capnp::Text::Reader(markdown.data(), markdown.size()));
  kj::Array<capnp::word> canonical = capnp::canonicalize(element.asReader());
  auto words = static_cast<std::uint32_t>(canonical.size());
  std::string out(reinterpret_cast<const char*>(&words), sizeof words);
  auto bytes = canonical.asBytes();
  out.append(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  return out;
}

// Byte 0 picks the type (cache_value_fuzzer.cc's list), byte 1 the kind.
void Entry(const std::string& name, std::uint8_t type, const std::string& value,
           const std::string& elements) {
  std::string entry(sluice::runtime::EntrySize(value.size(), elements), '\0');
  std::memcpy(entry.data(), value.data(), value.size());
  sluice::runtime::FinishEntry(
      std::span<std::byte>(reinterpret_cast<std::byte*>(entry.data()), entry.size()), value.size(),
      elements);
  std::uint8_t kind = static_cast<std::uint8_t>(sluice::runtime::EntryKindFor(elements));
  Write("cache_value", name, std::string{static_cast<char>(type), static_cast<char>(kind)} + entry);
}

void CacheSeeds() {
  std::string shown = Recorded("**loaded** 3 rows") + Recorded("a second line");
  Entry("string", 0, Encoded(std::string("cached text")), "");
  Entry("doubles_shown", 1, Encoded(std::vector<double>{1.5, 2.5, -3}), shown);
  Entry("strings", 2, Encoded(std::vector<std::string>{"a", "bc", ""}), "");
  Entry("optional_pair", 3,
        Encoded(std::optional<std::pair<std::int64_t, std::string>>{{-7, "note"}}), shown);
  Entry("bools", 4, Encoded(std::vector<bool>{true, false, true}), "");
  Entry("point", 5, Encoded(Point{1, 2, true, Shade::kDark}), "");
  Entry("nested", 6, Encoded(std::vector<std::vector<Point>>{{{0, 1, false, Shade::kLight}}, {}}),
        "");
  Entry("column", 7, Encoded(st::Column<double>(std::vector<double>{4, 5, 6})), "");
  Entry("column_mapped", 0x80 | 7, Encoded(st::Column<double>(std::vector<double>{7, 8})), shown);
  Table table;
  table.names = {"x", "y"};
  table.points = {{1, 2, true, Shade::kLight}};
  table.note.emplace(1, "n");
  table.flags = {false, true};
  table.values = st::Column<double>(std::vector<double>{0.5});
  Entry("table", 8, Encoded(table), shown);

  st::DataFrame frame;
  frame.add("id", st::Column<std::int64_t>(std::vector<std::int64_t>{1, 2, 3}));
  frame.add("price", st::Column<double>(std::vector<double>{0.5, -1, 2}), {false, true, false});
  frame.add("name", std::vector<std::string>{"a", "", "cde"});
  frame.add("ok", std::vector<bool>{true, false, true});
  Entry("frame", 0x40 | 8, Encoded(frame), "");
  Entry("frame_mapped", 0x80 | 0x40 | 8, Encoded(frame), shown);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (fuzz/corpus)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  PageSeeds();
  KeeperSeeds();
  FrameSeeds();
  TextSeeds();
  CacheSeeds();
  return 0;
}
