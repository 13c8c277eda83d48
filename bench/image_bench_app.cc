// The app bench/image_bench.mjs measures: a 640 x 480 RGB frame that
// changes every time (a gradient that moves one pixel a frame, with the
// frame number drawn as a white bar along the bottom), made "Frames" times
// in a loop of one run.
//
// "Mode" says what each frame goes through:
//   - "show": slot.image(st::Pixels{...}, {.format, .caption = "frame N"})
//     on one st::empty() slot. What is timed is the st::image call (encode
//     inside it, the element built, hashed and queued, and a send when the
//     stream interval has passed).
//   - "encode only": the same pixels through data::EncodePng/EncodeJpeg
//     directly (the encoder st::image uses), shown nowhere. What is timed is
//     the encoder alone; the loop's rate is what the app could produce.
// Frames = 0 (the default) is idle: nothing is made. "Frames per second"
// > 0 paces the loop like a camera (frame n is made at n / fps s); 0 runs
// it as fast as it goes.
//
// At the end of the run a text line per figure: "frames/s: X" (the loop's
// own rate, making included), "call ms p50/p99: A / B", "bytes p50: N"
// (encode only: each frame's encoded size), then "end of app".
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <sluice/st.hpp>
#include <string>
#include <thread>
#include <vector>

#include "data/image_codec.h"

namespace {

constexpr std::uint32_t kWidth = 640;
constexpr std::uint32_t kHeight = 480;
constexpr std::uint32_t kBarHeight = 16;

// Frame n: red runs left to right, green top to bottom, both shifted by n;
// blue is n; every channel carries up to 15 levels of noise (xorshift), as
// a camera's sensor does, so that the encoders see a photo's entropy rather
// than a flat gradient (which PNG squeezes to 2 KiB). The bottom kBarHeight
// rows show n (mod 640) as a white bar on black, noise-free. About 1 ms a
// frame, small beside encoding.
void MakeFrame(std::vector<std::uint8_t>& rgb, std::uint32_t n) {
  rgb.resize(std::size_t{kWidth} * kHeight * 3);
  std::uint8_t* p = rgb.data();
  std::uint32_t noise = 2463534242u + n;
  for (std::uint32_t y = 0; y < kHeight - kBarHeight; ++y) {
    const std::uint32_t g = (y + n) % kHeight * 240 / kHeight;
    for (std::uint32_t x = 0; x < kWidth; ++x) {
      noise ^= noise << 13;
      noise ^= noise >> 17;
      noise ^= noise << 5;
      *p++ = static_cast<std::uint8_t>((x + n) % kWidth * 240 / kWidth + (noise & 15));
      *p++ = static_cast<std::uint8_t>(g + (noise >> 4 & 15));
      *p++ = static_cast<std::uint8_t>(n % 240 + (noise >> 8 & 15));
    }
  }
  const std::uint32_t bar = n % kWidth;
  for (std::uint32_t y = kHeight - kBarHeight; y < kHeight; ++y) {
    for (std::uint32_t x = 0; x < kWidth; ++x) {
      const std::uint8_t v = x <= bar ? 255 : 0;
      *p++ = v;
      *p++ = v;
      *p++ = v;
    }
  }
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
}

std::string Fixed(double v, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

void app() {
  st::title("Image bench");
  const std::string format = st::radio("Format", {"PNG", "JPEG"});
  const std::string mode = st::radio("Mode", {"show", "encode only"});
  const int frames = st::number_input("Frames", 0, {.min_value = 0, .max_value = 100'000});
  // 0: as fast as the loop goes; else one frame every 1/fps s (a camera).
  const int fps = st::number_input("Frames per second", 0, {.min_value = 0, .max_value = 1000});
  const bool jpeg = format == "JPEG";
  constexpr int kQuality = 80;

  st::Slot slot = st::empty();
  std::vector<std::uint8_t> rgb;
  std::vector<double> call_ms;
  std::vector<double> bytes;
  call_ms.reserve(static_cast<std::size_t>(frames));
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  for (int n = 0; n < frames; ++n) {
    if (fps > 0)
      std::this_thread::sleep_until(start + n * std::chrono::microseconds(1'000'000 / fps));
    MakeFrame(rgb, static_cast<std::uint32_t>(n));
    const Clock::time_point before = Clock::now();
    if (mode == "show") {
      slot.image(st::Pixels{.data = rgb, .width = kWidth, .height = kHeight},
                 st::ImageOptions{.caption = "frame " + std::to_string(n),
                                  .format = jpeg ? st::ImageFormat::kJpeg : st::ImageFormat::kPng,
                                  .quality = kQuality});
    } else {
      const sluice::data::PixelView view{.data = rgb, .width = kWidth, .height = kHeight};
      auto encoded =
          jpeg ? sluice::data::EncodeJpeg(view, kQuality) : sluice::data::EncodePng(view);
      if (!encoded.ok()) {
        st::error(std::string(encoded.status().message()));
        return;
      }
      bytes.push_back(static_cast<double>(encoded->bytes().size()));
    }
    call_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - before).count());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (frames > 0) {
    st::text("frames: " + std::to_string(frames) + " (" + format + ", " + mode + ", " +
             (fps > 0 ? std::to_string(fps) + "/s" : "unpaced") + ")");
    st::text("frames/s: " + Fixed(frames / seconds, 1));
    st::text("call ms p50/p99: " + Fixed(Percentile(call_ms, 0.5), 2) + " / " +
             Fixed(Percentile(call_ms, 0.99), 2));
    if (!bytes.empty()) st::text("bytes p50: " + Fixed(Percentile(bytes, 0.5), 0));
  }
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
