// A token bucket: at most `rate` events a second on average, and `rate` at
// once after a pause. Used for the queries one page may send (--query-rate).
// The clock is passed in, so tests need not sleep.
#pragma once

#include <algorithm>
#include <chrono>

namespace sluice::broker {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes one token if there is one at `now`; `rate` may change between
  // calls (a reloaded setting) and applies from then on.
  bool Take(int rate, Clock::time_point now) {
    double capacity = rate;
    if (!started_) {
      started_ = true;
      tokens_ = capacity;
    } else {
      std::chrono::duration<double> since = now - last_;
      tokens_ = std::min(capacity, tokens_ + since.count() * rate);
    }
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  bool started_ = false;
  double tokens_ = 0;
  Clock::time_point last_;
};

}  // namespace sluice::broker
