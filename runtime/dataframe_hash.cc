// A st::DataFrame as a cached function's argument (sluice/cache_key.hpp):
// its shape, names, types, validity and values go into the key. Apart from
// dataframe.cc so that what decodes frames (the cache_value fuzz target)
// need not link the key's secret.
#include <sluice/dataframe.hpp>

#include "data/table.h"
#include "runtime/frame_access.h"

namespace st {

namespace data = sluice::data;

void SluiceHashValue(Hasher& hasher, const DataFrame& frame) {
  const data::Table& table = *detail::FrameAccess::Table(frame);
  hasher.add(table.num_rows());
  hasher.add(table.num_columns());
  for (const data::Column& column : table.columns()) {
    hasher.add(column.name());
    hasher.add(static_cast<int>(column.type()));
    std::span<const std::uint8_t> validity = column.validity();
    hasher.add_bytes(validity.data(), validity.size());
    std::size_t width = data::ValueWidth(column.type());
    if (width != 0) {
      hasher.add_bytes(column.values_buffer().data(), column.size() * width);
    } else {
      std::span<const std::int64_t> offsets = column.offsets();
      hasher.add_bytes(offsets.data(), offsets.size_bytes());
      hasher.add_bytes(column.bytes().data(), column.bytes().size());
    }
  }
}

}  // namespace st
