// Images as bytes: raw 8-bit pixels encoded to PNG (libspng) or JPEG
// (libturbojpeg), and the format and size of already-encoded bytes read
// from their first bytes. Pure functions over spans: no sockets, no worker,
// no st::; safe to call from any thread (each call has its own encoder).
//
//   PixelView view{.data = rgb, .width = 640, .height = 480, .layout = PixelLayout::kRgb};
//   absl::StatusOr<EncodedImage> png = EncodePng(view);
//   absl::StatusOr<ImageInfo> info = SniffImage(png->bytes());  // kPng, 640 x 480
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sluice::data {

// How one pixel is laid out: 8 bits per channel, in this order.
enum class PixelLayout : std::uint8_t {
  kGray = 1,  // one byte: luminance
  kRgb = 3,   // three bytes: red, green, blue
  kRgba = 4,  // four bytes: red, green, blue, alpha (straight, not premultiplied)
};

inline constexpr unsigned ChannelsOf(PixelLayout layout) { return static_cast<unsigned>(layout); }

// Pixels the caller owns, read in place (never copied). Row r starts at
// data[r * stride]; only its first width * channels bytes are read, so the
// last row need not be followed by padding.
struct PixelView {
  std::span<const std::uint8_t> data;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  PixelLayout layout = PixelLayout::kRgb;
  std::size_t stride = 0;  // bytes from one row to the next; 0: width * channels
};

// The largest width and height the encoders take: JPEG's own limit (its
// header has 16 bits for each), and far past any screen.
inline constexpr std::uint32_t kMaxImageSide = 65535;

// OK, or InvalidArgument saying what is wrong with `view`: a zero or
// too-large side (> kMaxImageSide), an unknown layout, a stride shorter
// than a row (width * channels), or data too short for `height` rows at
// `stride` (every size computed without overflow).
absl::Status CheckPixels(const PixelView& view);

// Encoded bytes in a buffer the encoding library allocated (malloc-aligned,
// so a Cap'n Proto message may reference it without a copy); freed by the
// matching library call when this goes away. Move-only.
class EncodedImage {
 public:
  using Deleter = void (*)(unsigned char*);
  EncodedImage(unsigned char* data, std::size_t size, Deleter deleter)
      : data_(data, deleter), size_(size) {}

  std::span<const std::uint8_t> bytes() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<unsigned char, Deleter> data_;
  std::size_t size_;
};

// A PNG of `view` (8-bit gray, RGB or RGBA as laid out; no colour is
// changed), zlib's default compression. InvalidArgument as CheckPixels
// says; Internal if libspng fails otherwise (out of memory).
absl::StatusOr<EncodedImage> EncodePng(const PixelView& view);

// A baseline JPEG of `view` at `quality` (1..100, libjpeg's scale): gray
// stays gray; colour is subsampled 4:2:0 below quality 90 and kept 4:4:4
// from 90 on (where 4:2:0 would be the visible loss). JPEG has no alpha: an
// RGBA view's alpha is dropped (its colour channels are encoded as they
// are, not blended with any background). InvalidArgument as CheckPixels
// says or for a quality outside 1..100; Internal if libturbojpeg fails.
absl::StatusOr<EncodedImage> EncodeJpeg(const PixelView& view, int quality);

enum class ImageFormat : std::uint8_t { kPng, kJpeg, kWebp, kGif, kSvg };

// "image/png", "image/jpeg", "image/webp", "image/gif", "image/svg+xml".
std::string_view MimeOf(ImageFormat format);

// What the first bytes of an encoded image say.
struct ImageInfo {
  ImageFormat format;
  // The size in pixels where the header says it cheaply (PNG's IHDR, GIF's
  // screen descriptor, JPEG's SOF marker, WebP's VP8/VP8L/VP8X chunk); 0
  // and 0 otherwise (SVG; a JPEG whose SOF is missing or cut off). Read
  // from the header, not checked against the image data.
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

// The format of `bytes` from their magic bytes: PNG's signature, JPEG's SOI
// marker, RIFF....WEBP, GIF87a/GIF89a, or an XML text whose first element
// (after an optional BOM, XML declaration, comments and DOCTYPE) is <svg>.
// InvalidArgument naming the first bytes for anything else (empty, another
// format, a file name instead of the file's bytes). Reads at most the
// header; never reads past `bytes`.
absl::StatusOr<ImageInfo> SniffImage(std::span<const std::uint8_t> bytes);

}  // namespace sluice::data
