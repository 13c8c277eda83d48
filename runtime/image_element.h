// An image made ready for an ipc::Element (st::image's half that does not
// place it): checked or encoded once, then filled into as many elements as
// the caller makes. st::image emits one; a live element's handle (st::empty's
// slot) would Replace() with one.
//
//   ImageElement image = ImageElement::FromPixels(pixels, options);
//   runner.Emit([&](ipc::Element::Builder e) { image.Fill(e); });
//
// Holds no shared state: make one per call, on the app's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "data/image_codec.h"
#include "ipc/page.capnp.h"
#include "sluice/image.hpp"

namespace sluice::runtime {

class ImageElement {
 public:
  // Encoded bytes as given, after sniffing their format (and size, where
  // the header says it cheaply). The bytes are not copied: REQUIRES they
  // outlive this object and every message Fill() puts them in. Throws
  // std::invalid_argument for bytes of no known format or longer than
  // st::kMaxImageBytes.
  static ImageElement FromEncoded(std::span<const std::uint8_t> encoded,
                                  const st::ImageOptions& options);
  // `pixels` encoded as options.format says (they are not kept). Throws
  // std::invalid_argument for pixels that do not match their buffer, a JPEG
  // quality outside 1..100, or an encoding past st::kMaxImageBytes.
  static ImageElement FromPixels(const st::Pixels& pixels, const st::ImageOptions& options);

  // Sets `e` to this image. The bytes go into e's message without a copy
  // when they are word-aligned (what the encoders return always is), else
  // with one; either way the element stream copies them once more into the
  // canonical element it sends. REQUIRES: this outlives e's message; the
  // caption (options.caption) too.
  void Fill(ipc::Element::Builder e) const;

  std::span<const std::uint8_t> bytes() const { return bytes_; }
  const data::ImageInfo& info() const { return info_; }

 private:
  ImageElement(std::span<const std::uint8_t> bytes, data::ImageInfo info,
               const st::ImageOptions& options, std::optional<data::EncodedImage> owned);

  std::optional<data::EncodedImage> owned_;  // the encoder's buffer, for pixels
  std::span<const std::uint8_t> bytes_;
  data::ImageInfo info_;
  std::string_view caption_;
  std::uint32_t width_;
};

}  // namespace sluice::runtime
