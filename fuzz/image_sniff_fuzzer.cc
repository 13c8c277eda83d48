// The image sniffer (data/image_codec.h SniffImage), as st::image hands it
// bytes an app may have from a viewer's upload: any input is either refused
// or given a format, never read past its end; a PNG, GIF or VP8L WebP
// header's size is what its fixed fields say, so a size read must fit them.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "data/image_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  absl::StatusOr<sluice::data::ImageInfo> info = sluice::data::SniffImage({data, size});
  if (!info.ok()) return 0;
  using sluice::data::ImageFormat;
  // GIF and JPEG store 16-bit sides, VP8L and VP8 14-bit ones.
  if ((info->format == ImageFormat::kGif || info->format == ImageFormat::kJpeg) &&
      (info->width > 0xFFFF || info->height > 0xFFFF)) {
    std::abort();
  }
  if (info->format == ImageFormat::kSvg && (info->width != 0 || info->height != 0)) std::abort();
  return 0;
}
