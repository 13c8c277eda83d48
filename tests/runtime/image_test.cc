// st::image (include/sluice/image.hpp) through AppRunner and a fake channel:
// the element the page is sent for encoded bytes and for pixels, and each
// mistake's exception. (tests/broker/image_test.cc sends the same over real
// WebSockets; under ASan this one also checks the bytes referenced in place
// are read within their bounds.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/image_codec.h"
#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "sluice/st.hpp"
#include "tests/apps/image_samples.h"
#include "tests/runtime/fake_channel.h"
#include "tests/support/page_model.h"

namespace sluice::runtime {
namespace {

using ::testing::ElementsAre;
using testing::FakeChannel;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::PageModel;
namespace images = sluice::testing::images;

struct ShownImage {
  std::string data, mime, caption;
  std::uint32_t width, pixel_width, pixel_height;
};

// What the app under test does; a plain function pointer is what
// st::AppFunction takes, so the body lives here.
std::function<void()> g_body;

class ImageTest : public ::testing::Test {
 protected:
  void Start(std::function<void()> body) {
    g_body = std::move(body);
    runner_ = std::make_unique<AppRunner>(channel_, [] { g_body(); });
    channel_.Queue(StartCommand{.session_id = "test-session", .max_upload_bytes = 1 << 20});
    runner_->ServeOne();
    channel_.ApplyNewTo(page_);
    ASSERT_EQ(page_.finished_runs(), 1) << page_.DebugString();
    ASSERT_THAT(page_.protocol_errors(), IsEmpty());
  }

  std::vector<ShownImage> Images() const {
    std::vector<ShownImage> shown;
    page_.ForEachElement([&](const testing::ElementPath&, ipc::Element::Reader e) {
      if (e.which() != ipc::Element::IMAGE) return;
      ipc::Image::Reader image = e.getImage();
      auto data = image.getData();
      shown.push_back({std::string(reinterpret_cast<const char*>(data.begin()), data.size()),
                       std::string(ipc::ViewOf(image.getMime())),
                       std::string(ipc::ViewOf(image.getCaption())), image.getWidth(),
                       image.getPixelWidth(), image.getPixelHeight()});
    });
    return shown;
  }

  FakeChannel channel_;
  std::unique_ptr<AppRunner> runner_;
  PageModel page_;
};

TEST_F(ImageTest, EncodedBytesArriveAsGivenWithTheirMimeSizeAndCaption) {
  Start([] {
    st::image(std::span<const std::uint8_t>(images::kTinyPng), {.caption = "png", .width = 120});
    st::image(images::AsText(images::kTinyGif), {.caption = "gif"});
    st::image(std::span<const std::uint8_t>(images::kTinyWebpLossy), {.caption = "webp"});
    st::image(std::string(images::kTinySvg), {.caption = "svg"});
  });
  std::vector<ShownImage> shown = Images();
  ASSERT_EQ(shown.size(), 4u);
  EXPECT_EQ(shown[0].data, images::AsText(images::kTinyPng));
  EXPECT_EQ(shown[0].mime, "image/png");
  EXPECT_EQ(shown[0].caption, "png");
  EXPECT_EQ(shown[0].width, 120u);
  EXPECT_EQ(shown[0].pixel_width, 3u);
  EXPECT_EQ(shown[0].pixel_height, 2u);
  EXPECT_EQ(shown[1].data, images::AsText(images::kTinyGif));
  EXPECT_EQ(shown[1].mime, "image/gif");
  EXPECT_EQ(shown[2].data, images::AsText(images::kTinyWebpLossy));
  EXPECT_EQ(shown[2].mime, "image/webp");
  EXPECT_EQ(shown[3].data, images::kTinySvg);
  EXPECT_EQ(shown[3].mime, "image/svg+xml");
  EXPECT_EQ(shown[3].pixel_width, 0u);
  // What a viewer reads of an image is its caption.
  EXPECT_EQ(page_.FindElements("image").size(), 4u);
  EXPECT_EQ(page_.FindElements("image")[0].text, "png");
}

TEST_F(ImageTest, BytesAtAnyAlignmentAndOddLengthArriveIntact) {
  // One byte in: not word-aligned, so copied rather than referenced; the
  // aligned copy of an odd length is referenced, and must be read only
  // within its length.
  std::string unaligned = "x" + std::string(images::AsText(images::kTinyJpeg)) + "tail";
  auto aligned = std::make_unique<std::uint8_t[]>(sizeof images::kTinyWebpAlpha);
  std::copy(std::begin(images::kTinyWebpAlpha), std::end(images::kTinyWebpAlpha), aligned.get());
  Start([&] {
    st::image(std::string_view(unaligned).substr(1, sizeof images::kTinyJpeg));
    st::image(std::span<const std::uint8_t>(aligned.get(), sizeof images::kTinyWebpAlpha));
  });
  std::vector<ShownImage> shown = Images();
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0].data, images::AsText(images::kTinyJpeg));
  EXPECT_EQ(shown[0].pixel_width, 5u);
  EXPECT_EQ(shown[0].pixel_height, 4u);
  EXPECT_EQ(shown[1].data, images::AsText(images::kTinyWebpAlpha));
}

TEST_F(ImageTest, PixelsAreEncodedAsPngByDefaultAndAsJpegWhenAsked) {
  std::vector<std::uint8_t> rgb(40 * 30 * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 7);
  Start([&] {
    st::image(st::Pixels{.data = rgb, .width = 40, .height = 30}, {.caption = "as png"});
    st::image(st::Pixels{.data = rgb, .width = 40, .height = 30},
              {.caption = "as jpeg", .format = st::ImageFormat::kJpeg, .quality = 70});
  });
  std::vector<ShownImage> shown = Images();
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0].mime, "image/png");
  EXPECT_EQ(shown[1].mime, "image/jpeg");
  for (const ShownImage& image : shown) {
    EXPECT_EQ(image.pixel_width, 40u);
    EXPECT_EQ(image.pixel_height, 30u);
    // The bytes say so themselves.
    std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(image.data.data()),
                                        image.data.size());
    absl::StatusOr<data::ImageInfo> info = data::SniffImage(bytes);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->width, 40u);
    EXPECT_EQ(info->height, 30u);
  }
}

// The exception a run ended with, as the page shows it.
std::string ExceptionOf(const PageModel& page) {
  auto shown = page.Exceptions();
  if (shown.size() != 1) return "(" + std::to_string(shown.size()) + " exceptions)";
  return shown[0].type + ": " + shown[0].message;
}

TEST_F(ImageTest, BytesOfNoKnownFormatThrowInvalidArgumentNamingThem) {
  Start([] { st::image(std::string("BM\x36\x00\x00\x00", 6)); });
  EXPECT_THAT(ExceptionOf(page_),
              HasSubstr("std::invalid_argument: st::image: not an image sluice can show (PNG, "
                        "JPEG, GIF, WebP or SVG): 6 bytes starting 42 4d 36 00 00 00"));
  EXPECT_THAT(Images(), IsEmpty());
}

TEST_F(ImageTest, EncodedBytesPastTheLimitAreRefusedBeforeSending) {
  std::string huge(st::kMaxImageBytes + 1, '\0');
  std::copy(std::begin(images::kTinyPng), std::end(images::kTinyPng), huge.begin());
  Start([&] {
    st::image(std::string_view(huge).substr(0, st::kMaxImageBytes));  // at the limit: shown
    st::image(huge);
  });
  EXPECT_EQ(Images().size(), 1u);
  EXPECT_THAT(ExceptionOf(page_),
              HasSubstr("st::image: the encoded image is 33554433 bytes, past the limit of "
                        "33554432 (32 MiB)"));
}

TEST_F(ImageTest, PixelsThatDoNotMatchTheirBufferAreRefused) {
  std::vector<std::uint8_t> gray(99);
  Start([&] {
    st::image(
        st::Pixels{.data = gray, .width = 10, .height = 10, .format = st::PixelFormat::kGray});
  });
  EXPECT_THAT(ExceptionOf(page_),
              HasSubstr("std::invalid_argument: st::image: 10 x 10 pixels at stride 10 need 100 "
                        "bytes; the data has 99"));
}

TEST_F(ImageTest, JpegQualityOutsideItsRangeIsRefused) {
  std::vector<std::uint8_t> rgb(4 * 4 * 3);
  Start([&] {
    st::image(st::Pixels{.data = rgb, .width = 4, .height = 4},
              {.format = st::ImageFormat::kJpeg, .quality = 0});
  });
  EXPECT_THAT(ExceptionOf(page_), HasSubstr("JPEG quality is 1 to 100, not 0"));
}

}  // namespace
}  // namespace sluice::runtime
