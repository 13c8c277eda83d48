// App authors need not read this file: sluice internals behind <sluice/dataframe.hpp>.
// It may change in any release.
#pragma once

#include <sluice/cache_value.hpp>
#include <sluice/column.hpp>
#include <sluice/dataframe.hpp>
#include <type_traits>

namespace st {

namespace detail {

// A frame's encoding: its shape, then each column's name, type and
// buffers, every buffer on a 64-byte boundary so that a hit decoded from a
// private mapping points into it (as st::Column does) instead of copying.
// Decoding checks every length and offset; damaged bytes are a miss.
void EncodeFrame(ValueWriter& out, const DataFrame& frame);
bool DecodeFrame(ValueReader& in, DataFrame& frame);

// A hit on a value holding a frame is worth mapping (ContainsColumn).
template <>
struct MappedOnHit<DataFrame> : std::true_type {};

}  // namespace detail

template <>
struct ValueCodec<DataFrame> {
  static void encode(ValueWriter& out, const DataFrame& frame) { detail::EncodeFrame(out, frame); }
  static bool decode(ValueReader& in, DataFrame& frame) { return detail::DecodeFrame(in, frame); }
};

}  // namespace st
