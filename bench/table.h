// The cache benchmark's one table: each row names what was measured and
// what it is compared with (measured in the same run), the ratio of the two,
// and the target the issue sets for it, if any.
#pragma once

#include <cstdio>
#include <string>

namespace sluice::bench {

enum class Unit {
  kMillionPerSecond,    // throughput: higher is better
  kMegabytesPerSecond,  // 10^6 bytes a second; higher is better
  kMilliseconds,
  kMicroseconds,
};

// A target on ours / baseline.
struct Target {
  enum Kind { kNone, kAtLeast, kAtMost } kind = kNone;
  double ratio = 0;
};
inline Target AtLeast(double ratio) { return {Target::kAtLeast, ratio}; }
inline Target AtMost(double ratio) { return {Target::kAtMost, ratio}; }

class Table {
 public:
  void Header() const {
    std::printf("%-50s %11s   %-34s %11s %8s  %s\n", "measured", "", "baseline", "", "ratio",
                "target");
  }
  // A group of rows, with what they have in common.
  void Section(const std::string& title) const { std::printf("\n%s\n", title.c_str()); }
  void Note(const std::string& text) const { std::printf("  %s\n", text.c_str()); }

  // ours / theirs, checked against `target`.
  void Row(const std::string& what, double ours, const std::string& baseline, double theirs,
           Unit unit, Target target = {}) const {
    double ratio = ours / theirs;
    std::string verdict;
    if (target.kind != Target::kNone) {
      bool met = target.kind == Target::kAtLeast ? ratio >= target.ratio : ratio <= target.ratio;
      char text[48];
      std::snprintf(text, sizeof text, "%s %.2fx: %s",
                    target.kind == Target::kAtLeast ? ">=" : "<=", target.ratio,
                    met ? "met" : "NOT met");
      verdict = text;
    }
    std::printf("%-50s %11s   %-34s %11s %7.2fx  %s\n", what.c_str(), Format(ours, unit).c_str(),
                baseline.c_str(), Format(theirs, unit).c_str(), ratio, verdict.c_str());
  }
  // A cost on top of a baseline: the difference rather than the ratio.
  void Overhead(const std::string& what, double ours, const std::string& baseline, double theirs,
                Unit unit) const {
    std::printf("%-50s %11s   %-34s %11s %8s\n", what.c_str(), Format(ours, unit).c_str(),
                baseline.c_str(), Format(theirs, unit).c_str(),
                ("+" + Format(ours - theirs, unit)).c_str());
  }
  // A figure with nothing to compare it with.
  void Figure(const std::string& what, double value, Unit unit) const {
    std::printf("%-50s %11s\n", what.c_str(), Format(value, unit).c_str());
  }

 private:
  static std::string Format(double value, Unit unit) {
    char text[32];
    switch (unit) {
      case Unit::kMillionPerSecond:
        std::snprintf(text, sizeof text, "%.2f M/s", value / 1e6);
        break;
      case Unit::kMegabytesPerSecond:
        std::snprintf(text, sizeof text, "%.0f MB/s", value);
        break;
      case Unit::kMilliseconds:
        std::snprintf(text, sizeof text, "%.1f ms", value);
        break;
      case Unit::kMicroseconds:
        std::snprintf(text, sizeof text, "%.2f us", value);
        break;
    }
    return text;
  }
};

}  // namespace sluice::bench
