// st::image as a viewer sees it (tests/broker/image_test.cc over WebSockets,
// the browser suite "image"): a frame encoded from RGB pixels to PNG and to
// JPEG and from RGBA pixels to PNG; tiny PNG, JPEG, GIF, WebP (lossless,
// lossy, with alpha) and SVG files passed through as bytes; and, last, bytes
// that are no image, whose exception ends the run. "Second frame" changes
// the pixels (the page replaces the image's bytes); "Hide files" drops the
// passed-through ones (the page frees them).
#include <unistd.h>

#include <cstdint>
#include <sluice/st.hpp>
#include <span>
#include <string>
#include <vector>

#include "tests/apps/image_samples.h"

namespace {

namespace images = sluice::testing::images;

// The frame with `padding` spare bytes after each row but the last.
std::vector<std::uint8_t> Frame(int frame, unsigned channels, std::size_t padding) {
  const std::size_t row = images::kFrameWidth * channels;
  std::vector<std::uint8_t> bytes((row + padding) * (images::kFrameHeight - 1) + row, 0xEE);
  for (std::uint32_t y = 0; y < images::kFrameHeight; ++y) {
    for (std::uint32_t x = 0; x < images::kFrameWidth; ++x) {
      for (unsigned c = 0; c < channels; ++c) {
        bytes[y * (row + padding) + x * channels + c] = images::FrameValue(x, y, c, frame);
      }
    }
  }
  return bytes;
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::title("Image app");
  const int frame = st::checkbox("Second frame") ? 1 : 0;
  const bool hide_files = st::checkbox("Hide files");

  const std::vector<std::uint8_t> rgb = Frame(frame, 3, /*padding=*/5);
  const st::Pixels rgb_pixels{.data = rgb,
                              .width = images::kFrameWidth,
                              .height = images::kFrameHeight,
                              .format = st::PixelFormat::kRgb,
                              .stride = images::kFrameWidth * 3 + 5};
  st::image(rgb_pixels, {.caption = "Frame as PNG", .width = 256});
  st::image(rgb_pixels, {.caption = "Frame wider than its column", .width = 4000});
  st::image(rgb_pixels,
            {.caption = "Frame as JPEG", .format = st::ImageFormat::kJpeg, .quality = 90});
  const std::vector<std::uint8_t> rgba = Frame(frame, 4, 0);
  st::image(st::Pixels{.data = rgba,
                       .width = images::kFrameWidth,
                       .height = images::kFrameHeight,
                       .format = st::PixelFormat::kRgba},
            {.caption = "Frame as PNG with alpha"});

  if (!hide_files) {
    st::image(std::span<const std::uint8_t>(images::kTinyPng),
              {.caption = "PNG file", .width = 60});
    st::image(std::span<const std::uint8_t>(images::kTinyJpeg),
              {.caption = "JPEG file", .width = 100});
    st::image(std::span<const std::uint8_t>(images::kTinyGif),
              {.caption = "GIF file", .width = 60});
    st::image(std::span<const std::uint8_t>(images::kTinyWebpLossless),
              {.caption = "WebP lossless file", .width = 60});
    st::image(std::span<const std::uint8_t>(images::kTinyWebpLossy),
              {.caption = "WebP lossy file", .width = 60});
    st::image(std::span<const std::uint8_t>(images::kTinyWebpAlpha),
              {.caption = "WebP file with alpha", .width = 60});
    st::image(images::kTinySvg, {.caption = "SVG file"});
  }
  st::text("before the bad bytes");
  // Not an image: std::invalid_argument, shown where the run ends.
  st::image(std::string("BM\x36\x00\x00\x00", 6), {.caption = "BMP file"});
  st::text("never shown");
}

}  // namespace

SLUICE_APP(app)
