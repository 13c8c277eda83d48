// How a fuzz target cuts its one input into the several messages that a
// connection or socket carries: a sequence of records, each a 32-bit
// little-endian length and then that many bytes. A length past the end
// takes what is left, so every input means something. fuzz/make_seeds.cc
// writes seeds in this format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice::fuzz {

class Records {
 public:
  Records(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next record; false once the input is used up.
  bool Next(std::string_view* record) {
    if (rest_.size() < sizeof(std::uint32_t)) return false;
    std::uint32_t length;
    std::memcpy(&length, rest_.data(), sizeof length);
    rest_.remove_prefix(sizeof length);
    *record = rest_.substr(0, length);
    rest_.remove_prefix(record->size());
    return true;
  }

 private:
  std::string_view rest_;
};

// Appends one record to `out` (for the seed generator).
inline void AppendRecord(std::string* out, std::string_view record) {
  auto length = static_cast<std::uint32_t>(record.size());
  out->append(reinterpret_cast<const char*>(&length), sizeof length);
  out->append(record);
}

}  // namespace sluice::fuzz
