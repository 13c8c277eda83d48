// st::image: a picture on the page, from encoded bytes or from raw pixels.
//
//   st::image(read_file("chart.png"), {.caption = "Sales by month"});
//   st::image(st::Pixels{.data = frame, .width = 640, .height = 480},
//             {.caption = "Camera 2", .format = st::ImageFormat::kJpeg, .quality = 80});
//
// Encoded bytes (PNG, JPEG, WebP, GIF, SVG) are shown as they are: their
// format is read from their first bytes (not from a file name), and nothing
// is decoded or re-encoded in the worker. Raw 8-bit pixels (gray, RGB or
// RGBA rows at any stride) are encoded in the worker, to PNG (lossless, the
// default) or JPEG (lossy, smaller, faster to send; no alpha).
//
// SVG is accepted because the page shows every image through an <img>
// element, where an SVG's scripts, event handlers and external resources
// never run or load; it is never inlined into the page.
//
// The bytes travel to the page inside the element, over the session's own
// WebSocket (no HTTP media endpoint, so no sticky sessions behind a load
// balancer). The page frees them when the element goes away (replaced,
// removed by a rerun, or the tab closed). Encoded, an image may be at most
// kMaxImageBytes (32 MiB): every rerun that shows it sends it again unless
// it is unchanged, so keep pictures far smaller (a 640 x 480 JPEG frame is
// ~50 KiB).
//
// Like text, an image is plain content: it may be shown inside a cached
// function (st::cache_data), which replays it on a hit.
//
// Mistakes throw std::invalid_argument with what is wrong (see st.hpp):
// bytes that are none of the formats above (a file name passed instead of
// the file's contents, say), encoded bytes past kMaxImageBytes, pixels that
// do not match their buffer (a zero or >65535 side, a stride shorter than a
// row, too few bytes), a JPEG quality outside 1..100.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace st {

// The largest encoded image st::image sends (32 MiB).
inline constexpr std::size_t kMaxImageBytes = std::size_t{32} << 20;

// How st::Pixels are encoded (encoded bytes are always shown as given).
enum class ImageFormat {
  kPng,   // lossless; keeps alpha
  kJpeg,  // lossy at ImageOptions::quality; drops alpha
};

// What one pixel is: 8 bits per channel, in this order.
enum class PixelFormat {
  kGray = 1,  // luminance
  kRgb = 3,   // red, green, blue
  kRgba = 4,  // red, green, blue, alpha (straight)
};

// Raw pixels the app owns, read in place during the call (not kept). Row r
// starts at data[r * stride] and holds width * channels bytes; the last row
// needs no padding after it.
struct Pixels {
  std::span<const std::uint8_t> data;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  PixelFormat format = PixelFormat::kRgb;
  std::size_t stride = 0;  // bytes from one row to the next; 0: width * channels
};

struct ImageOptions {
  // Shown under the image, and its alt text (what a screen reader says).
  std::string caption;
  // Display width in CSS pixels; 0: the image's own width. Either way it is
  // never wider than its column (it scales down, keeping its proportions).
  std::uint32_t width = 0;
  // For st::Pixels only: how they are encoded, and JPEG's quality (1..100).
  ImageFormat format = ImageFormat::kPng;
  int quality = 85;
};

// Encoded bytes, shown as given (a std::string or std::vector<std::uint8_t>
// of a file's contents converts to these).
void image(std::span<const std::uint8_t> encoded, const ImageOptions& options = {});
void image(std::span<const std::byte> encoded, const ImageOptions& options = {});
void image(std::string_view encoded, const ImageOptions& options = {});
inline void image(const std::string& encoded, const ImageOptions& options = {}) {
  image(std::string_view(encoded), options);
}
// A string literal does not compile: it is almost always a file name
// (Streamlit's st.image("cat.png") reads one; st::image does not). Read the
// file and pass its bytes, or pass an SVG's text as std::string_view.
void image(const char* encoded, const ImageOptions& options = {}) = delete;

// Raw pixels, encoded in the worker as options.format says.
void image(const Pixels& pixels, const ImageOptions& options = {});

}  // namespace st
