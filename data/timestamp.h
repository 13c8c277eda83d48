// ISO 8601 timestamps as text, both ways, without locale or time zone
// database: what the CSV reader accepts and what the writer writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::data {

// Nanoseconds since the Unix epoch (UTC) of exactly one of:
//   YYYY-MM-DD                                 (midnight UTC)
//   YYYY-MM-DDTHH:MM:SS[.f…][Z|+HH:MM|-HH:MM]  ('T' or one space between)
// with 1 to 9 fraction digits, a real calendar date, hours 00-23, minutes
// and seconds 00-59 (no leap second), and an offset of at most 23:59; no
// offset means UTC. Anything else, or a time outside int64 nanoseconds
// (about 1677-09-21 to 2262-04-11), is nullopt.
std::optional<std::int64_t> ParseTimestamp(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS[.f…]Z", the fraction only when non-zero and
// without trailing zeros. ParseTimestamp reads it back exactly.
void AppendTimestamp(std::int64_t nanoseconds, std::string& out);

}  // namespace sluice::data
