// The two encoders (libspng for PNG, libturbojpeg for JPEG) and the checks
// of a pixel view they share. The sniffer is in image_sniff.cc.
#include "data/image_codec.h"

#include <spng.h>
#include <turbojpeg.h>

#include <climits>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"

namespace sluice::data {

namespace {

// The bytes one row holds; CheckPixels has bounded width, so no overflow.
std::size_t RowBytes(const PixelView& view) {
  return static_cast<std::size_t>(view.width) * ChannelsOf(view.layout);
}

std::size_t StrideOf(const PixelView& view) {
  return view.stride == 0 ? RowBytes(view) : view.stride;
}

bool KnownLayout(PixelLayout layout) {
  return layout == PixelLayout::kGray || layout == PixelLayout::kRgb ||
         layout == PixelLayout::kRgba;
}

void FreeMalloced(unsigned char* data) { std::free(data); }
void FreeTurbo(unsigned char* data) { tjFree(data); }

struct SpngFree {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
struct TurboFree {
  void operator()(void* handle) const { tjDestroy(handle); }
};

}  // namespace

absl::Status CheckPixels(const PixelView& view) {
  if (view.width == 0 || view.height == 0 || view.width > kMaxImageSide ||
      view.height > kMaxImageSide) {
    return absl::InvalidArgumentError(absl::StrCat("an image is 1 to ", kMaxImageSide,
                                                   " pixels wide and high, not ", view.width, " x ",
                                                   view.height));
  }
  if (!KnownLayout(view.layout)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown pixel layout ", static_cast<int>(view.layout), " (gray 1, RGB 3 or RGBA 4)"));
  }
  const std::size_t row = RowBytes(view);
  const std::size_t stride = StrideOf(view);
  if (stride < row) {
    return absl::InvalidArgumentError(absl::StrCat("stride ", stride, " is shorter than a row of ",
                                                   view.width, " pixels (", row, " bytes)"));
  }
  // The last row needs only its own bytes, not a whole stride.
  std::size_t before_last = 0;
  std::size_t needed = 0;
  if (__builtin_mul_overflow(stride, view.height - 1, &before_last) ||
      __builtin_add_overflow(before_last, row, &needed)) {
    return absl::InvalidArgumentError(
        absl::StrCat(view.height, " rows at stride ", stride, " do not fit in memory"));
  }
  if (view.data.size() < needed) {
    return absl::InvalidArgumentError(absl::StrCat(view.width, " x ", view.height,
                                                   " pixels at stride ", stride, " need ", needed,
                                                   " bytes; the data has ", view.data.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<EncodedImage> EncodePng(const PixelView& view) {
  if (absl::Status status = CheckPixels(view); !status.ok()) return status;
  std::unique_ptr<spng_ctx, SpngFree> ctx(spng_ctx_new(SPNG_CTX_ENCODER));
  if (ctx == nullptr) return absl::InternalError("spng_ctx_new failed (out of memory)");

  std::uint8_t color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  if (view.layout == PixelLayout::kGray) color_type = SPNG_COLOR_TYPE_GRAYSCALE;
  if (view.layout == PixelLayout::kRgba) color_type = SPNG_COLOR_TYPE_TRUECOLOR_ALPHA;
  spng_ihdr ihdr{};
  ihdr.width = view.width;
  ihdr.height = view.height;
  ihdr.bit_depth = 8;
  ihdr.color_type = color_type;

  const auto failed = [](const char* call, int error) {
    return absl::InternalError(absl::StrCat(call, ": ", spng_strerror(error)));
  };
  int error = spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
  if (error != 0) return failed("spng_set_option(SPNG_ENCODE_TO_BUFFER)", error);
  if ((error = spng_set_ihdr(ctx.get(), &ihdr)) != 0) return failed("spng_set_ihdr", error);
  // Row by row, so that any stride works without a repacked copy.
  error = spng_encode_image(ctx.get(), nullptr, 0, SPNG_FMT_PNG,
                            SPNG_ENCODE_PROGRESSIVE | SPNG_ENCODE_FINALIZE);
  if (error != 0) return failed("spng_encode_image", error);
  const std::size_t row = RowBytes(view);
  const std::size_t stride = StrideOf(view);
  for (std::uint32_t y = 0; y < view.height; ++y) {
    error = spng_encode_row(ctx.get(), view.data.data() + y * stride, row);
    // SPNG_EOI after the last row: the image is complete.
    if (error != 0 && !(error == SPNG_EOI && y + 1 == view.height)) {
      return failed("spng_encode_row", error);
    }
  }
  std::size_t size = 0;
  void* png = spng_get_png_buffer(ctx.get(), &size, &error);
  if (png == nullptr) return failed("spng_get_png_buffer", error);
  return EncodedImage(static_cast<unsigned char*>(png), size, &FreeMalloced);
}

absl::StatusOr<EncodedImage> EncodeJpeg(const PixelView& view, int quality) {
  if (absl::Status status = CheckPixels(view); !status.ok()) return status;
  if (quality < 1 || quality > 100) {
    return absl::InvalidArgumentError(absl::StrCat("JPEG quality is 1 to 100, not ", quality));
  }
  const std::size_t stride = StrideOf(view);
  if (stride > static_cast<std::size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stride ", stride, " is past what libturbojpeg takes (", INT_MAX, ")"));
  }
  std::unique_ptr<void, TurboFree> handle(tjInitCompress());
  if (handle == nullptr) return absl::InternalError("tjInitCompress failed (out of memory)");

  int pixel_format = TJPF_RGB;
  int subsampling = quality >= 90 ? TJSAMP_444 : TJSAMP_420;
  if (view.layout == PixelLayout::kGray) {
    pixel_format = TJPF_GRAY;
    subsampling = TJSAMP_GRAY;
  } else if (view.layout == PixelLayout::kRgba) {
    pixel_format = TJPF_RGBA;  // the alpha byte is skipped
  }
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;  // NOLINT(runtime/int): libturbojpeg's type
  if (tjCompress2(handle.get(), view.data.data(), static_cast<int>(view.width),
                  static_cast<int>(stride), static_cast<int>(view.height), pixel_format, &jpeg,
                  &size, subsampling, quality, 0) != 0) {
    tjFree(jpeg);  // may have been allocated before the failure; null is fine
    return absl::InternalError(absl::StrCat("tjCompress2: ", tjGetErrorStr2(handle.get())));
  }
  return EncodedImage(jpeg, size, &FreeTurbo);
}

std::string_view MimeOf(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "image/png";
    case ImageFormat::kJpeg:
      return "image/jpeg";
    case ImageFormat::kWebp:
      return "image/webp";
    case ImageFormat::kGif:
      return "image/gif";
    case ImageFormat::kSvg:
      return "image/svg+xml";
  }
  return "application/octet-stream";
}

}  // namespace sluice::data
