// SniffImage: an encoded image's format from its magic bytes, and its size
// from its header where that is a few fixed offsets away (a JPEG's walk
// over its marker segments is the longest). Every read is bounds-checked
// against the span: the bytes come from the app, which may have them from
// a viewer.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "data/image_codec.h"

namespace sluice::data {

namespace {

using Bytes = std::span<const std::uint8_t>;

bool StartsWith(Bytes bytes, std::string_view magic, std::size_t at = 0) {
  return bytes.size() >= at + magic.size() &&
         std::memcmp(bytes.data() + at, magic.data(), magic.size()) == 0;
}

std::uint32_t Be16(Bytes b, std::size_t at) { return (b[at] << 8) | b[at + 1]; }
std::uint32_t Le16(Bytes b, std::size_t at) { return b[at] | (b[at + 1] << 8); }
std::uint32_t Le24(Bytes b, std::size_t at) { return Le16(b, at) | (b[at + 2] << 16); }
std::uint32_t Be32(Bytes b, std::size_t at) { return (Be16(b, at) << 16) | Be16(b, at + 2); }

ImageInfo Png(Bytes b) {
  ImageInfo info{ImageFormat::kPng};
  // The signature (8), then the IHDR chunk: length (4), type (4), width, height.
  if (b.size() >= 24 && StartsWith(b, "IHDR", 12)) {
    info.width = Be32(b, 16);
    info.height = Be32(b, 20);
  }
  return info;
}

ImageInfo Gif(Bytes b) {
  ImageInfo info{ImageFormat::kGif};
  // The logical screen descriptor follows the 6-byte signature.
  if (b.size() >= 10) {
    info.width = Le16(b, 6);
    info.height = Le16(b, 8);
  }
  return info;
}

// A start-of-frame marker (baseline, progressive, lossless, arithmetic):
// C0..CF except DHT (C4), JPG (C8) and DAC (CC).
bool IsStartOfFrame(std::uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

ImageInfo Jpeg(Bytes b) {
  ImageInfo info{ImageFormat::kJpeg};
  std::size_t at = 2;  // past SOI
  while (at + 1 < b.size()) {
    if (b[at] != 0xFF) break;  // not a marker: the header is broken here
    // Any number of 0xFF fill bytes may precede a marker.
    while (at + 1 < b.size() && b[at + 1] == 0xFF) ++at;
    if (at + 1 >= b.size()) break;
    const std::uint8_t marker = b[at + 1];
    at += 2;
    // Markers without a length: TEM, RSTn, SOI.
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
    // End of image, or the scan's entropy-coded data: no frame header came.
    if (marker == 0xD9 || marker == 0xDA) break;
    if (at + 2 > b.size()) break;
    const std::size_t length = Be16(b, at);  // counts itself, not the marker
    if (length < 2) break;
    if (IsStartOfFrame(marker)) {
      // length (2), sample precision (1), lines (2), samples per line (2).
      if (length >= 7 && at + 7 <= b.size()) {
        info.height = Be16(b, at + 3);
        info.width = Be16(b, at + 5);
      }
      break;
    }
    at += length;
  }
  return info;
}

ImageInfo Webp(Bytes b) {
  ImageInfo info{ImageFormat::kWebp};
  // RIFF size WEBP, then the first chunk: fourcc at 12, its size at 16,
  // its payload from 20.
  if (StartsWith(b, "VP8 ", 12) && b.size() >= 30 && StartsWith(b, "\x9d\x01\x2a", 23)) {
    // Lossy: a 3-byte frame tag, the start code, then 14-bit sizes (the
    // top 2 bits are the upscaling hint).
    info.width = Le16(b, 26) & 0x3FFF;
    info.height = Le16(b, 28) & 0x3FFF;
  } else if (StartsWith(b, "VP8L", 12) && b.size() >= 25 && b[20] == 0x2F) {
    // Lossless: the signature byte, then width - 1 and height - 1 in 14
    // bits each, least significant first.
    const std::uint32_t bits = Le24(b, 21) | (std::uint32_t{b[24]} << 24);
    info.width = (bits & 0x3FFF) + 1;
    info.height = ((bits >> 14) & 0x3FFF) + 1;
  } else if (StartsWith(b, "VP8X", 12) && b.size() >= 30) {
    // Extended: flags (1), reserved (3), canvas width - 1 and height - 1
    // in 24 bits each.
    info.width = Le24(b, 24) + 1;
    info.height = Le24(b, 27) + 1;
  }
  return info;
}

// Skips XML's prolog: whitespace, <?...?>, <!--...-->, <!DOCTYPE ...>
// (without an internal subset holding '>'). Returns where the first
// element starts, or npos.
std::size_t FirstElement(std::string_view text) {
  std::size_t at = 0;
  while (true) {
    at = text.find_first_not_of(" \t\r\n", at);
    if (at == std::string_view::npos || text[at] != '<') return std::string_view::npos;
    std::string_view rest = text.substr(at);
    std::string_view close;
    if (rest.starts_with("<?")) {
      close = "?>";
    } else if (rest.starts_with("<!--")) {
      close = "-->";
    } else if (rest.starts_with("<!DOCTYPE") || rest.starts_with("<!doctype")) {
      close = ">";
    } else {
      return at;
    }
    std::size_t end = text.find(close, at + 2);
    if (end == std::string_view::npos) return std::string_view::npos;
    at = end + close.size();
  }
}

bool IsSvg(Bytes b) {
  // An SVG's root element comes early; a long prolog is not worth reading.
  constexpr std::size_t kProlog = 4096;
  std::string_view text(reinterpret_cast<const char*>(b.data()), std::min(b.size(), kProlog));
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM
  const std::size_t at = FirstElement(text);
  if (at == std::string_view::npos) return false;
  std::string_view root = text.substr(at);
  if (!root.starts_with("<svg") || root.size() < 5) return false;
  const char after = root[4];
  return after == '>' || after == '/' || after == ' ' || after == '\t' || after == '\r' ||
         after == '\n';
}

// A short line of printable text: what passing a path instead of the
// file's contents looks like.
bool LooksLikeFileName(Bytes b) {
  return !b.empty() && b.size() < 512 &&
         std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7F; });
}

std::string Describe(Bytes b) {
  if (b.empty()) return "no bytes";
  std::string hex;
  for (std::size_t i = 0; i < std::min<std::size_t>(b.size(), 8); ++i) {
    absl::StrAppendFormat(&hex, "%s%02x", i == 0 ? "" : " ", b[i]);
  }
  return absl::StrCat(b.size(), " bytes starting ", hex, b.size() > 8 ? " ..." : "");
}

}  // namespace

absl::StatusOr<ImageInfo> SniffImage(Bytes bytes) {
  if (StartsWith(bytes, "\x89PNG\r\n\x1a\n")) return Png(bytes);
  if (StartsWith(bytes, "\xFF\xD8\xFF")) return Jpeg(bytes);
  if (StartsWith(bytes, "GIF87a") || StartsWith(bytes, "GIF89a")) return Gif(bytes);
  if (StartsWith(bytes, "RIFF") && StartsWith(bytes, "WEBP", 8)) return Webp(bytes);
  if (IsSvg(bytes)) return ImageInfo{ImageFormat::kSvg};
  return absl::InvalidArgumentError(absl::StrCat(
      "not an image sluice can show (PNG, JPEG, GIF, WebP or SVG): ", Describe(bytes),
      LooksLikeFileName(bytes) ? " (the image's bytes are wanted, not its file name)" : ""));
}

}  // namespace sluice::data
