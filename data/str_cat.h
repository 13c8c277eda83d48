// Message text for data/'s errors. Debian 12's Abseil has its own
// absl::string_view, which absl::StrCat will not take as std::string_view;
// data/ speaks std::string_view, so it builds its few messages itself.
#ifndef SLUICE_DATA_STR_CAT_H_
#define SLUICE_DATA_STR_CAT_H_

#include <string>
#include <string_view>
#include <type_traits>

namespace sluice::data {

namespace str_cat_internal {
inline void Append(std::string& out, std::string_view text) { out.append(text); }
inline void Append(std::string& out, const char* text) { out.append(text); }
inline void Append(std::string& out, const std::string& text) { out.append(text); }
template <class T>
requires std::is_integral_v<T>
void Append(std::string& out, T value) { out.append(std::to_string(value)); }
}  // namespace str_cat_internal

// The pieces (strings and integers) one after another.
template <class... Pieces>
std::string StrCat(const Pieces&... pieces) {
  std::string out;
  (str_cat_internal::Append(out, pieces), ...);
  return out;
}

}  // namespace sluice::data

#endif  // SLUICE_DATA_STR_CAT_H_
