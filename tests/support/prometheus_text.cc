#include "tests/support/prometheus_text.h"

#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/support/http_client.h"

namespace sluice::testing {

namespace {

// The family a sample belongs to: a histogram's _bucket, _sum and _count
// series are the histogram's.
std::string FamilyOf(const Metrics& metrics, const std::string& name) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string_view view = name;
    if (view.ends_with(suffix)) {
      std::string base(view.substr(0, view.size() - std::string_view(suffix).size()));
      auto type = metrics.types.find(base);
      if (type != metrics.types.end() && type->second == "histogram") return base;
    }
  }
  return name;
}

}  // namespace

double Metrics::Value(const std::string& series) const {
  auto it = values.find(series);
  return it == values.end() ? 0 : it->second;
}

absl::StatusOr<Metrics> ParseMetrics(const std::string& text) {
  Metrics metrics;
  std::istringstream lines(text);
  std::string line;
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? ([-+0-9.eE]+|\+Inf|NaN))");
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_match(line, match, kType)) {
      metrics.types[match[1]] = match[2];
    } else if (std::regex_match(line, match, kHelp)) {
      metrics.help[match[1]] = match[2];
    } else if (std::regex_match(line, match, kSample)) {
      if (!metrics.types.contains(FamilyOf(metrics, match[1]))) {
        return absl::DataLossError(absl::StrCat("sample before its # TYPE: ", line));
      }
      metrics.values[absl::StrCat(match[1].str(), match[2].str())] = std::stod(match[3]);
    } else {
      return absl::DataLossError(absl::StrCat("not Prometheus text format: '", line, "'"));
    }
  }
  return metrics;
}

absl::StatusOr<Metrics> GetMetrics(uint16_t port, Deadline deadline) {
  absl::StatusOr<HttpResponse> response = HttpGet(port, "/metrics", deadline);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(absl::StrCat("/metrics answered ", response->status));
  }
  return ParseMetrics(response->body);
}

}  // namespace sluice::testing
