// st::download_button: a button that hands the viewer a file.
//
//   st::download_button("Download CSV", st::to_csv(frame), {.file_name = "rows.csv",
//                                                           .mime = "text/csv"});
//   // Made only when the viewer clicks, not on every run:
//   st::download_button("Export", [&] { return build_report(); },
//                       {.file_name = "report.pdf", .mime = "application/pdf"});
//
// A click does not rerun the app. The bytes travel to the page over the
// session's own WebSocket, in chunks with a progress bar, and the browser
// saves them under `file_name`: no HTTP endpoint, so it works behind any
// load balancer without sticky sessions.
//
// `data` given as bytes is kept by the worker while the button is shown
// (until a finished run no longer shows it). A callable is kept instead and
// called once per click, in the worker, after the current run ends; it may
// not call st:: functions (there is no run). If it throws, the exception's
// message is shown next to the button and nothing is saved.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace st {

struct DownloadOptions {
  std::string file_name = "download";  // no directories; shown on the button's tooltip
  std::string mime = "application/octet-stream";
  std::string key;  // identity, when two buttons share a label
};

// The bytes of the file: `data` as given (text is saved as its UTF-8 bytes).
void download_button(std::string_view label, std::string data, const DownloadOptions& options = {});
void download_button(std::string_view label, std::span<const std::byte> data,
                     const DownloadOptions& options = {});
// The bytes `make` returns when the viewer clicks.
void download_button(std::string_view label, std::function<std::string()> make,
                     const DownloadOptions& options = {});

}  // namespace st
