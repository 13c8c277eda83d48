// A worker's session socket as the broker reads it (WorkerLink::DoRead):
// the bytes go through ipc::FrameReader, with the broker's frame limit,
// in reads of the size the input's first byte picks (1 byte to 64 KiB, so
// frames arrive split anywhere); each whole frame becomes a Frame
// (FrameOf) and is read by RunEdgeOf, the only decode the broker does on
// what a worker sends.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "broker/frame.h"
#include "broker/page_limits.h"
#include "broker/run_edge.h"
#include "ipc/framing.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  if (size == 0) return 0;
  const std::size_t read_bytes = std::size_t{1} << (data[0] % 17);
  ++data;
  --size;
  ipc::FrameReader reader(broker::PageLimits{}.max_worker_frame_bytes);
  std::size_t frames_bytes = 0;  // handed out so far
  std::size_t given_bytes = 0;   // read from the "socket" so far
  while (size > 0) {
    auto space = reader.WritableSpace();
    std::size_t n = std::min({read_bytes, space.size(), size});
    std::memcpy(space.data(), data, n);
    reader.Commit(n);
    given_bytes += n;
    data += n;
    size -= n;
    for (;;) {
      // As WorkerLink::DeliverFrames: a large frame is the buffer it was
      // read into, handed over; the reader goes on with what followed it.
      auto next = reader.TakeNext();
      if (!next.ok()) return 0;  // the broker drops the worker
      if (!next->has_value()) break;
      broker::Frame frame = broker::FrameOf(std::move(**next));
      frames_bytes += frame->size();
      broker::RunEdgeOf(frame);
      // Frames are whole words, and never more than was read.
      if (frame->size() % sizeof(capnp::word) != 0 || frames_bytes > given_bytes) std::abort();
    }
  }
  return 0;
}
