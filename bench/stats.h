// Percentiles of a set of samples, for benchmark tables.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace sluice::bench {

class Samples {
 public:
  void Add(double value) { values_.push_back(value); }
  void Append(const Samples& other) {
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
  }
  std::size_t size() const { return values_.size(); }
  // The q-quantile (0 <= q <= 1), nearest rank; 0 when empty.
  double Quantile(double q) {
    if (values_.empty()) return 0;
    std::sort(values_.begin(), values_.end());
    std::size_t rank = static_cast<std::size_t>(q * static_cast<double>(values_.size() - 1) + 0.5);
    return values_[std::min(rank, values_.size() - 1)];
  }
  double P50() { return Quantile(0.50); }
  double P99() { return Quantile(0.99); }

 private:
  std::vector<double> values_;
};

}  // namespace sluice::bench
