// st::download_button: the viewer's click is a query (page.capnp Query
// download), answered with the file's bytes in chunks; no rerun.
#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "runtime/query_targets.h"
#include "sluice/download.hpp"
#include "util/strings.h"

namespace st {

using sluice::ipc::Element;

namespace {

using sluice::runtime::QueryReplies;

// Chunk size: small enough that a chunk never stops the page's queue for
// long (the broker writes 64 KiB pieces) and that progress moves visibly,
// large enough that the per-message cost vanishes.
constexpr std::size_t kChunkBytes = 256 << 10;

class DownloadTarget final : public sluice::runtime::QueryTarget {
 public:
  explicit DownloadTarget(std::string data) : data_(std::move(data)) {}
  explicit DownloadTarget(std::function<std::string()> make) : data_(std::move(make)) {}

  // A callable is app code: it runs between runs, never at a check point.
  bool AnswersDuringRun() const override { return std::holds_alternative<std::string>(data_); }
  // The page's id stays across reruns that show a download button under
  // this name; each click gets what the latest run gave.
  bool SameAs(const QueryTarget& next) const override {
    return dynamic_cast<const DownloadTarget*>(&next) != nullptr;
  }

  void Answer(QueryReplies& replies) override {
    if (!std::holds_alternative<sluice::runtime::DownloadQuery>(replies.query().what)) {
      replies.Error("a download button answers only download queries");
      return;
    }
    if (const auto* bytes = std::get_if<std::string>(&data_)) {
      Send(replies, *bytes);
    } else {
      // Throws go back to the page as this query's error (AppRunner).
      Send(replies, std::get<std::function<std::string()>>(data_)());
    }
  }

  std::optional<std::size_t> size() const {
    if (const auto* bytes = std::get_if<std::string>(&data_)) return bytes->size();
    return std::nullopt;
  }

 private:
  static void Send(QueryReplies& replies, std::string_view bytes) {
    std::size_t offset = 0;
    do {
      std::size_t n = std::min(kChunkBytes, bytes.size() - offset);
      replies.Send([&](sluice::ipc::QueryReply::Builder reply) {
        auto chunk = reply.initDownload();
        chunk.setOffset(offset);
        chunk.setSize(bytes.size());
        chunk.setData(kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes.data() + offset), n));
        chunk.setDone(offset + n == bytes.size());
      });
      offset += n;
    } while (offset < bytes.size());
  }

  std::variant<std::string, std::function<std::string()>> data_;
};

void Show(std::string_view label, std::shared_ptr<DownloadTarget> target,
          const DownloadOptions& options) {
  auto& runner = sluice::runtime::AppRunner::Current();
  runner.CheckInterrupt();
  std::string_view file_name = options.file_name;
  if (auto slash = file_name.find_last_of("/\\"); slash != std::string_view::npos) {
    file_name = file_name.substr(slash + 1);
  }
  if (file_name.empty()) {
    throw std::invalid_argument(sluice::StrCat("st::download_button '", label, "': file_name '",
                                               options.file_name, "' names no file"));
  }
  std::optional<std::size_t> size = target->size();
  std::string id = runner.queries().Add("downloadButton", label, options.key, std::move(target));
  runner.Emit([&](Element::Builder e) {
    auto button = e.initDownloadButton();
    button.adoptId(sluice::ipc::NewText(button, id));
    button.adoptLabel(sluice::ipc::NewText(button, label));
    button.adoptFileName(sluice::ipc::NewText(button, file_name));
    button.adoptMime(sluice::ipc::NewText(button, options.mime));
    button.setSize(size.value_or(0));
  });
}

// The button's identity belongs to the run that shows it: not in cached
// functions.
const bool kDownloadButtonKind = sluice::runtime::RegisterElementKind(
    {Element::DOWNLOAD_BUTTON, false, [](Element::Reader e) -> std::optional<std::string> {
       return std::string(sluice::ipc::ViewOf(e.getDownloadButton().getLabel()));
     }});

}  // namespace

void download_button(std::string_view label, std::string data, const DownloadOptions& options) {
  Show(label, std::make_shared<DownloadTarget>(std::move(data)), options);
}

void download_button(std::string_view label, std::span<const std::byte> data,
                     const DownloadOptions& options) {
  Show(label,
       std::make_shared<DownloadTarget>(
           std::string(reinterpret_cast<const char*>(data.data()), data.size())),
       options);
}

void download_button(std::string_view label, std::function<std::string()> make,
                     const DownloadOptions& options) {
  if (!make) throw std::invalid_argument("st::download_button: the callable is empty");
  Show(label, std::make_shared<DownloadTarget>(std::move(make)), options);
}

}  // namespace st
