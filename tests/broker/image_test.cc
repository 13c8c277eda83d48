// st::image over real WebSockets to the real broker (tests/apps/image_app.cc):
// every format arrives intact (the passed-through files byte for byte, the
// pixels decoded back to what the app drew), with its mime type and size;
// a rerun with other pixels sends the new bytes; bytes that are no image end
// the run with an exception saying so, and the session goes on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spng.h>
#include <turbojpeg.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ipc/text.h"
#include "tests/apps/image_samples.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/page_model.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct ShownImage {
  std::string data, mime;
  std::uint32_t width, pixel_width, pixel_height;
};

// The images on the page by caption.
std::map<std::string, ShownImage> ImagesOn(const PageModel& page) {
  std::map<std::string, ShownImage> shown;
  page.ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
    if (!e.isImage()) return;
    ipc::Image::Reader image = e.getImage();
    auto data = image.getData();
    shown[std::string(ipc::ViewOf(image.getCaption()))] = {
        std::string(reinterpret_cast<const char*>(data.begin()), data.size()),
        std::string(ipc::ViewOf(image.getMime())), image.getWidth(), image.getPixelWidth(),
        image.getPixelHeight()};
  });
  return shown;
}

// Decoded pixels, rows back to back, `channels` per pixel.
std::vector<std::uint8_t> DecodePng(const std::string& png, unsigned channels) {
  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> ctx(spng_ctx_new(0), spng_ctx_free);
  spng_set_png_buffer(ctx.get(), png.data(), png.size());
  const int format = channels == 4 ? SPNG_FMT_RGBA8 : SPNG_FMT_RGB8;
  std::size_t size = 0;
  if (spng_decoded_image_size(ctx.get(), format, &size) != 0) return {};
  std::vector<std::uint8_t> pixels(size);
  if (spng_decode_image(ctx.get(), pixels.data(), size, format, 0) != 0) return {};
  return pixels;
}

std::vector<std::uint8_t> DecodeJpeg(const std::string& jpeg) {
  std::unique_ptr<void, int (*)(void*)> handle(tjInitDecompress(), tjDestroy);
  const auto* bytes = reinterpret_cast<const unsigned char*>(jpeg.data());
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(handle.get(), bytes, jpeg.size(), &width, &height, &subsampling,
                          &colorspace) != 0) {
    return {};
  }
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * height * 3);
  if (tjDecompress2(handle.get(), bytes, jpeg.size(), pixels.data(), width, 0, height, TJPF_RGB,
                    0) != 0) {
    return {};
  }
  return pixels;
}

// The frame the app draws, as packed rows.
std::vector<std::uint8_t> Expected(int frame, unsigned channels) {
  std::vector<std::uint8_t> pixels;
  for (std::uint32_t y = 0; y < images::kFrameHeight; ++y) {
    for (std::uint32_t x = 0; x < images::kFrameWidth; ++x) {
      for (unsigned c = 0; c < channels; ++c) pixels.push_back(images::FrameValue(x, y, c, frame));
    }
  }
  return pixels;
}

int MaxDifference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size()) return 256;
  int most = 0;
  for (std::size_t i = 0; i < a.size(); ++i) most = std::max(most, std::abs(a[i] - b[i]));
  return most;
}

class ImageOverWebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kImageApp, {"--cache-size", "0"}));
    ASSERT_OK_AND_ASSIGN(session_, AppSession::Open(broker_->port()));
  }

  PageModel& page() { return session_->page(); }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> session_;
};

TEST_F(ImageOverWebSocketTest, EachPassedThroughFileArrivesByteForByteWithItsMimeAndSize) {
  struct File {
    const char* caption;
    std::string_view bytes;
    const char* mime;
    std::uint32_t width, pixel_width, pixel_height;
  };
  const File files[] = {
      {"PNG file", images::AsText(images::kTinyPng), "image/png", 60, 3, 2},
      {"JPEG file", images::AsText(images::kTinyJpeg), "image/jpeg", 100, 5, 4},
      {"GIF file", images::AsText(images::kTinyGif), "image/gif", 60, 3, 2},
      {"WebP lossless file", images::AsText(images::kTinyWebpLossless), "image/webp", 60, 3, 2},
      {"WebP lossy file", images::AsText(images::kTinyWebpLossy), "image/webp", 60, 3, 2},
      {"WebP file with alpha", images::AsText(images::kTinyWebpAlpha), "image/webp", 60, 3, 2},
      {"SVG file", images::kTinySvg, "image/svg+xml", 0, 0, 0},
  };
  std::map<std::string, ShownImage> shown = ImagesOn(page());
  for (const File& file : files) {
    SCOPED_TRACE(file.caption);
    ASSERT_TRUE(shown.contains(file.caption)) << page().DebugString();
    const ShownImage& image = shown[file.caption];
    EXPECT_EQ(image.data, file.bytes);
    EXPECT_EQ(image.mime, file.mime);
    EXPECT_EQ(image.width, file.width);
    EXPECT_EQ(image.pixel_width, file.pixel_width);
    EXPECT_EQ(image.pixel_height, file.pixel_height);
  }
}

TEST_F(ImageOverWebSocketTest, PixelsArriveEncodedAndDecodeToWhatTheAppDrew) {
  std::map<std::string, ShownImage> shown = ImagesOn(page());
  ASSERT_TRUE(shown.contains("Frame as PNG") && shown.contains("Frame as JPEG") &&
              shown.contains("Frame as PNG with alpha"))
      << page().DebugString();
  const ShownImage& png = shown["Frame as PNG"];
  EXPECT_EQ(png.mime, "image/png");
  EXPECT_EQ(png.width, 256u);
  EXPECT_EQ(png.pixel_width, images::kFrameWidth);
  EXPECT_EQ(png.pixel_height, images::kFrameHeight);
  EXPECT_EQ(DecodePng(png.data, 3), Expected(0, 3));
  EXPECT_EQ(DecodePng(shown["Frame as PNG with alpha"].data, 4), Expected(0, 4));
  const ShownImage& jpeg = shown["Frame as JPEG"];
  EXPECT_EQ(jpeg.mime, "image/jpeg");
  EXPECT_EQ(jpeg.pixel_width, images::kFrameWidth);
  EXPECT_LE(MaxDifference(DecodeJpeg(jpeg.data), Expected(0, 3)), 16);
}

TEST_F(ImageOverWebSocketTest, BytesThatAreNoImageEndTheRunWithAnExceptionSayingSo) {
  ASSERT_EQ(page().Exceptions().size(), 1u) << page().DebugString();
  EXPECT_THAT(page().Exceptions()[0].type, HasSubstr("invalid_argument"));
  EXPECT_THAT(page().Exceptions()[0].message,
              HasSubstr("st::image: not an image sluice can show (PNG, JPEG, GIF, WebP or SVG): "
                        "6 bytes starting 42 4d 36 00 00 00"));
  EXPECT_TRUE(page().HasText("before the bad bytes"));
  EXPECT_FALSE(page().HasText("never shown"));
  EXPECT_FALSE(ImagesOn(page()).contains("BMP file"));
}

TEST_F(ImageOverWebSocketTest, OtherPixelsOnARerunSendTheNewBytesAndDroppedImagesGo) {
  ASSERT_OK(session_->Change("Second frame", WidgetInput::Checked(true)));
  std::map<std::string, ShownImage> shown = ImagesOn(page());
  EXPECT_EQ(DecodePng(shown["Frame as PNG"].data, 3), Expected(1, 3));
  EXPECT_EQ(DecodePng(shown["Frame as PNG with alpha"].data, 4), Expected(1, 4));

  ASSERT_OK(session_->Change("Hide files", WidgetInput::Checked(true)));
  shown = ImagesOn(page());
  EXPECT_EQ(shown.size(), 4u) << page().DebugString();
  EXPECT_FALSE(shown.contains("PNG file"));
  EXPECT_THAT(page().protocol_errors(), IsEmpty());
  // The session went on through both runs that ended in the exception.
  EXPECT_EQ(page().Exceptions().size(), 1u);
}

}  // namespace
}  // namespace sluice::testing
