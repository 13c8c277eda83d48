// SniffImage (data/image_codec.h): each format from its first bytes, its
// size from its header; anything else refused with a message naming the
// bytes; and no input, however cut or mangled, read past its end (this test
// runs under ASan in the sanitizer build: the mutation loop is its fuzzing).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "data/image_codec.h"
#include "tests/apps/image_samples.h"

namespace sluice::data {
namespace {

using ::testing::HasSubstr;
namespace images = sluice::testing::images;

std::span<const std::uint8_t> Span(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

struct Sample {
  const char* name;
  std::span<const std::uint8_t> bytes;
  ImageFormat format;
  std::uint32_t width, height;
};

std::vector<Sample> Samples() {
  return {
      {"png", images::kTinyPng, ImageFormat::kPng, 3, 2},
      {"jpeg", images::kTinyJpeg, ImageFormat::kJpeg, 5, 4},
      {"gif", images::kTinyGif, ImageFormat::kGif, 3, 2},
      {"webp lossless (VP8L)", images::kTinyWebpLossless, ImageFormat::kWebp, 3, 2},
      {"webp lossy (VP8)", images::kTinyWebpLossy, ImageFormat::kWebp, 3, 2},
      {"webp extended (VP8X)", images::kTinyWebpAlpha, ImageFormat::kWebp, 3, 2},
      {"svg", Span(images::kTinySvg), ImageFormat::kSvg, 0, 0},
  };
}

TEST(SniffImage, KnowsEachFormatAndItsSizeFromTheHeader) {
  for (const Sample& sample : Samples()) {
    absl::StatusOr<ImageInfo> info = SniffImage(sample.bytes);
    ASSERT_TRUE(info.ok()) << sample.name << ": " << info.status();
    EXPECT_EQ(info->format, sample.format) << sample.name;
    EXPECT_EQ(info->width, sample.width) << sample.name;
    EXPECT_EQ(info->height, sample.height) << sample.name;
  }
}

TEST(SniffImage, NamesTheMimeTypeThePageShowsItAs) {
  EXPECT_EQ(MimeOf(ImageFormat::kPng), "image/png");
  EXPECT_EQ(MimeOf(ImageFormat::kJpeg), "image/jpeg");
  EXPECT_EQ(MimeOf(ImageFormat::kWebp), "image/webp");
  EXPECT_EQ(MimeOf(ImageFormat::kGif), "image/gif");
  EXPECT_EQ(MimeOf(ImageFormat::kSvg), "image/svg+xml");
}

TEST(SniffImage, FindsAJpegsFrameHeaderPastOtherSegmentsAndFillBytes) {
  // SOI, APP1 of 4 bytes, fill bytes, a progressive SOF2 of 640 x 480.
  const std::vector<std::uint8_t> jpeg = {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x04, 0xAA,
                                          0xBB, 0xFF, 0xFF, 0xFF, 0xC2, 0x00, 0x11,
                                          0x08, 0x01, 0xE0, 0x02, 0x80, 0x03};
  absl::StatusOr<ImageInfo> info = SniffImage(jpeg);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 640u);
  EXPECT_EQ(info->height, 480u);
}

TEST(SniffImage, AJpegWithoutAFrameHeaderHasNoSize) {
  // DHT (C4) is not a frame header; then the scan starts.
  const std::vector<std::uint8_t> jpeg = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x07, 0x00, 0x01,
                                          0x02, 0x03, 0x04, 0xFF, 0xDA, 0x00, 0x02};
  absl::StatusOr<ImageInfo> info = SniffImage(jpeg);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->format, ImageFormat::kJpeg);
  EXPECT_EQ(info->width, 0u);
  EXPECT_EQ(info->height, 0u);
}

TEST(SniffImage, SvgMayStartWithABomDeclarationCommentAndDoctype) {
  for (std::string_view svg :
       {"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- drawn by hand -->\n"
        "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
        "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg>\n</svg>",
        "  \n<svg\n width=\"1\"></svg>"}) {
    absl::StatusOr<ImageInfo> info = SniffImage(Span(svg));
    ASSERT_TRUE(info.ok()) << svg << ": " << info.status();
    EXPECT_EQ(info->format, ImageFormat::kSvg) << svg;
  }
}

TEST(SniffImage, XmlWhoseRootIsNotSvgIsRefused) {
  for (std::string_view text : {"<!DOCTYPE html><html><body><svg></svg></body></html>", "<svgx/>",
                                "<?xml?><html/>", "<!-- never closed <svg>", "<svg"}) {
    absl::StatusOr<ImageInfo> info = SniffImage(Span(text));
    EXPECT_FALSE(info.ok()) << text;
  }
}

TEST(SniffImage, RefusesOtherBytesNamingTheFirstOfThem) {
  const std::vector<std::uint8_t> tiff = {'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01};
  absl::StatusOr<ImageInfo> info = SniffImage(tiff);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(info.status().message(),
              HasSubstr("not an image sluice can show (PNG, JPEG, GIF, WebP or SVG): 9 bytes "
                        "starting 49 49 2a 00 08 00 00 00 ..."));
  EXPECT_THAT(SniffImage({}).status().message(), HasSubstr("no bytes"));
}

TEST(SniffImage, AFileNameInsteadOfTheFilesBytesSaysSo) {
  absl::StatusOr<ImageInfo> info = SniffImage(Span("images/cat.png"));
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.status().message(),
              HasSubstr("the image's bytes are wanted, not its file name"));
}

TEST(SniffImage, EveryPrefixOfEverySampleIsReadWithinItsBounds) {
  for (const Sample& sample : Samples()) {
    for (std::size_t n = 0; n <= sample.bytes.size(); ++n) {
      // A copy of exactly n bytes, so ASan sees any read past them.
      std::vector<std::uint8_t> prefix(sample.bytes.begin(), sample.bytes.begin() + n);
      absl::StatusOr<ImageInfo> info = SniffImage(prefix);
      if (!info.ok()) continue;
      EXPECT_EQ(info->format, sample.format) << sample.name << " cut to " << n;
      // A size is either the right one or not read at all.
      if (info->width != 0) {
        EXPECT_EQ(info->width, sample.width) << sample.name << " cut to " << n;
      }
    }
  }
}

TEST(SniffImage, MangledSamplesNeverReadPastTheirEnd) {
  std::mt19937 random(16);
  int recognised = 0;
  constexpr int kRounds = 20'000;
  for (int round = 0; round < kRounds; ++round) {
    const std::vector<Sample> samples = Samples();
    const Sample& sample = samples[random() % samples.size()];
    std::vector<std::uint8_t> bytes(sample.bytes.begin(), sample.bytes.end());
    // Overwrite a few bytes (most in the header, where the reads are),
    // then cut the tail at random.
    const int edits = 1 + random() % 4;
    for (int i = 0; i < edits && !bytes.empty(); ++i) {
      const std::size_t at = random() % std::min<std::size_t>(bytes.size(), 40);
      bytes[at] = static_cast<std::uint8_t>(random());
    }
    // A fresh allocation of exactly the kept bytes, so ASan sees any read past them.
    const std::vector<std::uint8_t> cut(bytes.begin(),
                                        bytes.begin() + random() % (bytes.size() + 1));
    absl::StatusOr<ImageInfo> info = SniffImage(cut);
    if (info.ok()) ++recognised;
  }
  // The loop reached the parsers, not only the refusal.
  EXPECT_GT(recognised, kRounds / 10);
}

}  // namespace
}  // namespace sluice::data
