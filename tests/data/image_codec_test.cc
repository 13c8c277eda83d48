// The encoders (data/image_codec.h) round trip through the same libraries'
// decoders: a PNG gives back every pixel, a JPEG pixels close to them; and
// a pixel view that does not describe its buffer is refused, saying why,
// before a byte is read.
#include "data/image_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spng.h>
#include <turbojpeg.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

namespace sluice::data {
namespace {

using ::testing::HasSubstr;

struct Decoded {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // packed rows in the requested layout
};

Decoded DecodePng(std::span<const std::uint8_t> png, PixelLayout layout) {
  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(0), spng_ctx_free);
  EXPECT_EQ(spng_set_png_buffer(ctx.get(), png.data(), png.size()), 0);
  spng_ihdr ihdr{};
  EXPECT_EQ(spng_get_ihdr(ctx.get(), &ihdr), 0);
  // The encoder writes the layout's own colour type: decode that as is.
  int format = layout == PixelLayout::kGray  ? SPNG_FMT_G8
               : layout == PixelLayout::kRgb ? SPNG_FMT_RGB8
                                             : SPNG_FMT_RGBA8;
  std::size_t size = 0;
  EXPECT_EQ(spng_decoded_image_size(ctx.get(), format, &size), 0);
  Decoded out{ihdr.width, ihdr.height, std::vector<std::uint8_t>(size)};
  EXPECT_EQ(spng_decode_image(ctx.get(), out.pixels.data(), size, format, 0), 0);
  return out;
}

Decoded DecodeJpeg(std::span<const std::uint8_t> jpeg, bool gray) {
  std::unique_ptr<void, int (*)(void*)> handle(tjInitDecompress(), tjDestroy);
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  EXPECT_EQ(tjDecompressHeader3(handle.get(), jpeg.data(), jpeg.size(), &width, &height,
                                &subsampling, &colorspace),
            0);
  const int channels = gray ? 1 : 3;
  Decoded out{static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height),
              std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * channels)};
  EXPECT_EQ(tjDecompress2(handle.get(), jpeg.data(), jpeg.size(), out.pixels.data(), width, 0,
                          height, gray ? TJPF_GRAY : TJPF_RGB, 0),
            0);
  return out;
}

// A smooth picture (JPEG's good case; smooth up to 90 x 60 pixels, past
// which it wraps) with 0xEE in every byte of a row's padding, so a stride
// mistake shows as wrong pixels.
struct Picture {
  std::vector<std::uint8_t> bytes;
  PixelView view;
  std::vector<std::uint8_t> packed;  // what the pixels are, rows back to back
};

Picture MakePicture(std::uint32_t width, std::uint32_t height, PixelLayout layout,
                    std::size_t padding) {
  const unsigned channels = ChannelsOf(layout);
  const std::size_t row = static_cast<std::size_t>(width) * channels;
  const std::size_t stride = row + padding;
  Picture p;
  // No padding after the last row: the encoders must not read past it.
  p.bytes.assign(stride * (height - 1) + row, 0xEE);
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      for (unsigned c = 0; c < channels; ++c) {
        std::uint8_t value =
            static_cast<std::uint8_t>(c == 3 ? 255 - 2 * x : (x * 2 + y + c * 30) % 256);
        p.bytes[y * stride + x * channels + c] = value;
        p.packed.push_back(value);
      }
    }
  }
  p.view = {.data = p.bytes, .width = width, .height = height, .layout = layout, .stride = stride};
  return p;
}

class PngRoundTrip : public ::testing::TestWithParam<PixelLayout> {};

TEST_P(PngRoundTrip, DecodesToEveryPixelItWasGivenWhateverTheStride) {
  for (std::size_t padding : {0, 1, 7, 64}) {
    Picture picture = MakePicture(37, 23, GetParam(), padding);
    absl::StatusOr<EncodedImage> png = EncodePng(picture.view);
    ASSERT_TRUE(png.ok()) << png.status();
    Decoded decoded = DecodePng(png->bytes(), GetParam());
    EXPECT_EQ(decoded.width, 37u);
    EXPECT_EQ(decoded.height, 23u);
    EXPECT_EQ(decoded.pixels, picture.packed) << "padding " << padding;
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, PngRoundTrip,
                         ::testing::Values(PixelLayout::kGray, PixelLayout::kRgb,
                                           PixelLayout::kRgba));

// The largest difference between two equally long byte vectors.
int MaxDifference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  int most = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    most = std::max(most, std::abs(a[i] - b[i]));
  return most;
}

TEST(JpegRoundTrip, RgbDecodesCloseToItsPixels) {
  Picture picture = MakePicture(64, 48, PixelLayout::kRgb, 5);
  absl::StatusOr<EncodedImage> jpeg = EncodeJpeg(picture.view, 95);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  Decoded decoded = DecodeJpeg(jpeg->bytes(), /*gray=*/false);
  EXPECT_EQ(decoded.width, 64u);
  EXPECT_EQ(decoded.height, 48u);
  ASSERT_EQ(decoded.pixels.size(), picture.packed.size());
  EXPECT_LE(MaxDifference(decoded.pixels, picture.packed), 12);
}

TEST(JpegRoundTrip, GrayStaysGrayAndClose) {
  Picture picture = MakePicture(33, 17, PixelLayout::kGray, 3);
  absl::StatusOr<EncodedImage> jpeg = EncodeJpeg(picture.view, 90);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  Decoded decoded = DecodeJpeg(jpeg->bytes(), /*gray=*/true);
  ASSERT_EQ(decoded.pixels.size(), picture.packed.size());
  EXPECT_LE(MaxDifference(decoded.pixels, picture.packed), 8);
}

TEST(JpegRoundTrip, RgbaDropsAlphaAndKeepsColour) {
  Picture rgba = MakePicture(40, 30, PixelLayout::kRgba, 0);
  std::vector<std::uint8_t> colour;
  for (std::size_t i = 0; i < rgba.packed.size(); ++i) {
    if (i % 4 != 3) colour.push_back(rgba.packed[i]);
  }
  absl::StatusOr<EncodedImage> jpeg = EncodeJpeg(rgba.view, 95);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  Decoded decoded = DecodeJpeg(jpeg->bytes(), /*gray=*/false);
  ASSERT_EQ(decoded.pixels.size(), colour.size());
  EXPECT_LE(MaxDifference(decoded.pixels, colour), 12);
}

TEST(JpegRoundTrip, LowerQualityIsSmaller) {
  Picture picture = MakePicture(128, 96, PixelLayout::kRgb, 0);
  absl::StatusOr<EncodedImage> low = EncodeJpeg(picture.view, 20);
  absl::StatusOr<EncodedImage> high = EncodeJpeg(picture.view, 98);
  ASSERT_TRUE(low.ok() && high.ok());
  EXPECT_LT(low->bytes().size(), high->bytes().size());
}

TEST(EncodedImages, SniffAsTheirFormatAndSize) {
  Picture picture = MakePicture(300, 200, PixelLayout::kRgb, 0);
  absl::StatusOr<EncodedImage> png = EncodePng(picture.view);
  absl::StatusOr<EncodedImage> jpeg = EncodeJpeg(picture.view, 80);
  ASSERT_TRUE(png.ok() && jpeg.ok());
  absl::StatusOr<ImageInfo> png_info = SniffImage(png->bytes());
  absl::StatusOr<ImageInfo> jpeg_info = SniffImage(jpeg->bytes());
  ASSERT_TRUE(png_info.ok() && jpeg_info.ok());
  EXPECT_EQ(png_info->format, ImageFormat::kPng);
  EXPECT_EQ(jpeg_info->format, ImageFormat::kJpeg);
  EXPECT_EQ(png_info->width, 300u);
  EXPECT_EQ(png_info->height, 200u);
  EXPECT_EQ(jpeg_info->width, 300u);
  EXPECT_EQ(jpeg_info->height, 200u);
}

TEST(EncodedImages, BufferIsWordAligned) {
  // st::image hands the buffer to Cap'n Proto without a copy, which needs it.
  Picture picture = MakePicture(5, 5, PixelLayout::kGray, 0);
  absl::StatusOr<EncodedImage> png = EncodePng(picture.view);
  absl::StatusOr<EncodedImage> jpeg = EncodeJpeg(picture.view, 50);
  ASSERT_TRUE(png.ok() && jpeg.ok());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(png->bytes().data()) % 8, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(jpeg->bytes().data()) % 8, 0u);
}

// The message of encoding `view` as PNG and as JPEG (which must agree: the
// checks are shared).
std::string RefusalOf(const PixelView& view) {
  absl::StatusOr<EncodedImage> png = EncodePng(view);
  absl::StatusOr<EncodedImage> jpeg = EncodeJpeg(view, 80);
  EXPECT_FALSE(png.ok());
  EXPECT_FALSE(jpeg.ok());
  if (png.ok() || jpeg.ok()) return "";
  EXPECT_EQ(png.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(png.status(), jpeg.status());
  return std::string(png.status().message());
}

TEST(PixelChecks, ZeroOrHugeSidesAreRefused) {
  std::vector<std::uint8_t> bytes(64);
  EXPECT_THAT(RefusalOf({.data = bytes, .width = 0, .height = 4}), HasSubstr("not 0 x 4"));
  EXPECT_THAT(RefusalOf({.data = bytes, .width = 4, .height = 0}), HasSubstr("not 4 x 0"));
  EXPECT_THAT(RefusalOf({.data = bytes, .width = 65536, .height = 1}), HasSubstr("1 to 65535"));
  EXPECT_THAT(RefusalOf({.data = bytes, .width = 1, .height = 4'000'000'000u}),
              HasSubstr("1 to 65535"));
}

TEST(PixelChecks, StrideShorterThanARowIsRefused) {
  std::vector<std::uint8_t> bytes(1000);
  EXPECT_THAT(
      RefusalOf(
          {.data = bytes, .width = 10, .height = 2, .layout = PixelLayout::kRgb, .stride = 29}),
      HasSubstr("stride 29 is shorter than a row of 10 pixels (30 bytes)"));
}

TEST(PixelChecks, DataOneByteShortIsRefused) {
  // 3 rows of 4 RGBA pixels at stride 20: 20 + 20 + 16 bytes.
  std::vector<std::uint8_t> bytes(55);
  EXPECT_THAT(
      RefusalOf(
          {.data = bytes, .width = 4, .height = 3, .layout = PixelLayout::kRgba, .stride = 20}),
      HasSubstr("need 56 bytes; the data has 55"));
  bytes.resize(56);
  EXPECT_TRUE(
      CheckPixels(
          {.data = bytes, .width = 4, .height = 3, .layout = PixelLayout::kRgba, .stride = 20})
          .ok());
}

TEST(PixelChecks, SizesThatOverflowAreRefusedNotWrapped) {
  std::vector<std::uint8_t> bytes(16);
  // stride * (height - 1) wraps a 64-bit size to a small number.
  const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2 + 2;
  EXPECT_THAT(
      RefusalOf(
          {.data = bytes, .width = 1, .height = 3, .layout = PixelLayout::kGray, .stride = huge}),
      HasSubstr("do not fit in memory"));
  // The largest sides multiply past 32 bits: still measured right.
  EXPECT_THAT(
      RefusalOf({.data = bytes, .width = 65535, .height = 65535, .layout = PixelLayout::kRgba}),
      HasSubstr("need 17179344900 bytes"));
}

TEST(PixelChecks, UnknownLayoutIsRefused) {
  std::vector<std::uint8_t> bytes(64);
  EXPECT_THAT(
      RefusalOf({.data = bytes, .width = 2, .height = 2, .layout = static_cast<PixelLayout>(2)}),
      HasSubstr("unknown pixel layout 2"));
}

TEST(PixelChecks, JpegQualityOutsideOneToHundredIsRefused) {
  Picture picture = MakePicture(4, 4, PixelLayout::kRgb, 0);
  for (int quality : {0, 101, -5}) {
    absl::StatusOr<EncodedImage> jpeg = EncodeJpeg(picture.view, quality);
    ASSERT_FALSE(jpeg.ok());
    EXPECT_THAT(jpeg.status().message(), HasSubstr("JPEG quality is 1 to 100"));
  }
  EXPECT_TRUE(EncodeJpeg(picture.view, 1).ok());
  EXPECT_TRUE(EncodeJpeg(picture.view, 100).ok());
}

}  // namespace
}  // namespace sluice::data
