// ServiceMetrics on its own: the Prometheus text it renders (histogram
// buckets cumulative, labelled families) and how it labels end reasons and
// crash signals.
#include "broker/service_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "tests/support/prometheus_text.h"
#include "tests/support/status_macros.h"

namespace sluice::broker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

TEST(ServiceMetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  ServiceMetrics metrics;
  metrics.rerun_seconds.Observe(500us);  // <= 0.001
  metrics.rerun_seconds.Observe(3ms);    // <= 0.005
  metrics.rerun_seconds.Observe(3ms);
  metrics.rerun_seconds.Observe(2min);  // past every bound: +Inf only
  std::string text;
  metrics.AppendTo(&text);
  ASSERT_OK_AND_ASSIGN(testing::Metrics parsed, testing::ParseMetrics(text));
  EXPECT_EQ(parsed.types["sluice_rerun_duration_seconds"], "histogram");
  auto bucket = [&](const char* le) {
    return parsed.Value(std::string("sluice_rerun_duration_seconds_bucket{le=\"") + le + "\"}");
  };
  EXPECT_EQ(bucket("0.001"), 1);
  EXPECT_EQ(bucket("0.0025"), 1);
  EXPECT_EQ(bucket("0.005"), 3);
  EXPECT_EQ(bucket("30"), 3);
  EXPECT_EQ(bucket("+Inf"), 4);
  EXPECT_EQ(parsed.Value("sluice_rerun_duration_seconds_count"), 4);
  EXPECT_NEAR(parsed.Value("sluice_rerun_duration_seconds_sum"), 120.0065, 1e-9);
}

TEST(ServiceMetricsTest, EndReasonsAndSignalsBecomeLabels) {
  ServiceMetrics metrics;
  metrics.CountEnded("closed");
  metrics.CountEnded("closed");
  metrics.CountEnded("worker_exited_3");
  metrics.CountEnded("worker_exited_7");
  metrics.CountCrash(SIGSEGV);
  metrics.CountCrash(SIGKILL);
  metrics.CountRejected("queue_full");
  std::string text;
  metrics.AppendTo(&text);
  ASSERT_OK_AND_ASSIGN(testing::Metrics parsed, testing::ParseMetrics(text));
  EXPECT_EQ(parsed.Value("sluice_sessions_ended_total{reason=\"closed\"}"), 2);
  EXPECT_EQ(parsed.Value("sluice_sessions_ended_total{reason=\"worker_exited\"}"), 2);
  EXPECT_THAT(text, Not(HasSubstr("worker_exited_3")));
  EXPECT_EQ(parsed.Value("sluice_worker_crashes_total{signal=\"SIGSEGV\"}"), 1);
  EXPECT_EQ(parsed.Value("sluice_worker_crashes_total{signal=\"SIGKILL\"}"), 1);
  EXPECT_EQ(parsed.Value("sluice_sessions_rejected_total{reason=\"queue_full\"}"), 1);
}

TEST(ServiceMetricsTest, EmptyFamiliesStillHaveHelpAndType) {
  ServiceMetrics metrics;
  std::string text;
  metrics.AppendTo(&text);
  ASSERT_OK_AND_ASSIGN(testing::Metrics parsed, testing::ParseMetrics(text));
  for (const char* family : {"sluice_sessions_ended_total", "sluice_worker_crashes_total",
                             "sluice_sessions_rejected_total"}) {
    EXPECT_EQ(parsed.types[family], "counter") << family;
    EXPECT_FALSE(parsed.help[family].empty()) << family;
  }
  EXPECT_EQ(parsed.Value("sluice_session_start_seconds_bucket{le=\"+Inf\"}"), 0);
  EXPECT_EQ(parsed.Value("sluice_session_start_seconds_count"), 0);
}

}  // namespace
}  // namespace sluice::broker
