// st::image: encoded bytes passed through after sniffing, or raw pixels
// encoded here (data/image_codec.h); one Element.image either way.
#include <capnp/orphan.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "runtime/image_element.h"
#include "sluice/image.hpp"
#include "util/strings.h"

namespace sluice::runtime {

namespace {

void CheckSize(std::size_t size, std::string_view what) {
  if (size > st::kMaxImageBytes) {
    throw std::invalid_argument(sluice::StrCat("st::image: ", what, " is ", size,
                                               " bytes, past the limit of ", st::kMaxImageBytes,
                                               " (32 MiB) an image may have; send it smaller"));
  }
}

[[noreturn]] void Refuse(const absl::Status& status) {
  throw std::invalid_argument(sluice::StrCat("st::image: ", status.message()));
}

}  // namespace

ImageElement::ImageElement(std::span<const std::uint8_t> bytes, data::ImageInfo info,
                           const st::ImageOptions& options, std::optional<data::EncodedImage> owned)
    : owned_(std::move(owned)),
      bytes_(bytes),
      info_(info),
      caption_(options.caption),
      width_(options.width) {}

ImageElement ImageElement::FromEncoded(std::span<const std::uint8_t> encoded,
                                       const st::ImageOptions& options) {
  CheckSize(encoded.size(), "the encoded image");
  absl::StatusOr<data::ImageInfo> info = data::SniffImage(encoded);
  if (!info.ok()) Refuse(info.status());
  return ImageElement(encoded, *info, options, std::nullopt);
}

ImageElement ImageElement::FromPixels(const st::Pixels& pixels, const st::ImageOptions& options) {
  const data::PixelView view{.data = pixels.data,
                             .width = pixels.width,
                             .height = pixels.height,
                             .layout = static_cast<data::PixelLayout>(pixels.format),
                             .stride = pixels.stride};
  const bool jpeg = options.format == st::ImageFormat::kJpeg;
  absl::StatusOr<data::EncodedImage> encoded =
      jpeg ? data::EncodeJpeg(view, options.quality) : data::EncodePng(view);
  if (!encoded.ok()) {
    if (encoded.status().code() == absl::StatusCode::kInvalidArgument) Refuse(encoded.status());
    throw std::runtime_error(sluice::StrCat("st::image: ", encoded.status().message()));
  }
  CheckSize(encoded->bytes().size(), jpeg ? "the JPEG encoding" : "the PNG encoding");
  const data::ImageInfo info{jpeg ? data::ImageFormat::kJpeg : data::ImageFormat::kPng,
                             pixels.width, pixels.height};
  std::span<const std::uint8_t> bytes = encoded->bytes();
  return ImageElement(bytes, info, options, std::move(encoded).value());
}

void ImageElement::Fill(ipc::Element::Builder e) const {
  ipc::Image::Builder image = e.initImage();
  const capnp::Data::Reader data(bytes_.data(), bytes_.size());
  // Referenced in place: the stream's canonical copy is then the only one.
  if (reinterpret_cast<std::uintptr_t>(bytes_.data()) % sizeof(capnp::word) == 0) {
    image.adoptData(capnp::Orphanage::getForMessageContaining(image).referenceExternalData(data));
  } else {
    image.setData(data);
  }
  image.adoptMime(ipc::NewText(image, data::MimeOf(info_.format)));
  image.adoptCaption(ipc::NewText(image, caption_));
  image.setWidth(width_);
  image.setPixelWidth(info_.width);
  image.setPixelHeight(info_.height);
}

namespace {

// An image is content: a cached function may show it, and a hit shows it
// again (its bytes are then part of the entry, within --cache-size). What a
// viewer reads of it is its caption, its alt text.
const bool kImageKind = RegisterElementKind(
    {ipc::Element::IMAGE, true, [](ipc::Element::Reader e) -> std::optional<std::string> {
       return std::string(ipc::ViewOf(e.getImage().getCaption()));
     }});

void Show(const ImageElement& image) {
  AppRunner::Current().Emit([&](ipc::Element::Builder e) { image.Fill(e); });
}

}  // namespace

}  // namespace sluice::runtime

namespace st {

using sluice::runtime::ImageElement;

void image(std::span<const std::uint8_t> encoded, const ImageOptions& options) {
  sluice::runtime::AppRunner::Current().CheckInterrupt();
  sluice::runtime::Show(ImageElement::FromEncoded(encoded, options));
}

void image(std::span<const std::byte> encoded, const ImageOptions& options) {
  image(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(encoded.data()),
                                      encoded.size()),
        options);
}

void image(std::string_view encoded, const ImageOptions& options) {
  image(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(encoded.data()),
                                      encoded.size()),
        options);
}

void image(const Pixels& pixels, const ImageOptions& options) {
  // Before encoding: a rerun that is due should not wait for an encoder.
  sluice::runtime::AppRunner::Current().CheckInterrupt();
  sluice::runtime::Show(ImageElement::FromPixels(pixels, options));
}

}  // namespace st
