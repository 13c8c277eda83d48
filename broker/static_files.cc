#include "broker/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "util/strings.h"

namespace sluice::broker {

namespace fs = std::filesystem;

namespace {

std::string ContentType(const fs::path& path) {
  std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json" || ext == ".map") return "application/json";
  return "application/octet-stream";
}

}  // namespace

absl::StatusOr<StaticFiles> StaticFiles::Load(const std::string& dir) {
  StaticFiles files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return absl::InternalError(StrCat("cannot read ", entry.path().string()));
    }
    files.files_[StrCat("/", entry.path().filename().string())] =
        StaticFile{body.str(), ContentType(entry.path())};
  }
  if (ec) return absl::NotFoundError(StrCat("cannot list ", dir, ": ", ec.message()));
  if (!files.files_.contains("/index.html")) {
    return absl::NotFoundError(StrCat(dir, " has no index.html"));
  }
  StaticFile index = files.files_.at("/index.html");  // copy: inserting may rehash
  files.files_["/"] = std::move(index);
  return files;
}

StaticFiles StaticFiles::Missing(std::string_view why) {
  StaticFiles files;
  files.files_["/"] = StaticFile{
      StrCat("<!doctype html><title>sluice</title><p>The page was not built (",
             absl::StrReplaceAll(ToAbsl(why), {{"<", "&lt;"}, {">", "&gt;"}, {"&", "&amp;"}}),
             "). Build the web/ target, or pass --web-dir.</p>"),
      "text/html; charset=utf-8"};
  return files;
}

const StaticFile* StaticFiles::Find(std::string_view target) const {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  auto it = files_.find(ToAbsl(target));
  return it == files_.end() ? nullptr : &it->second;
}

std::string DefaultWebDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "sluice" / "web";
    if (fs::exists(installed / "index.html", ec)) return installed.string();
  }
  return SLUICE_BUILD_WEB_DIR;
}

}  // namespace sluice::broker
